//! The dashboard: the files of `static/`, embedded in the binary at build
//! time, served by the hub as they are and by the relay in read-only mode
//! (its pages hide what needs a hub: sign-in, the rules editor).

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse};
use rust_embed::RustEmbed;

#[derive(RustEmbed)]
#[folder = "../static/"]
struct Files;

/// Who serves the dashboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// A hub: every page, the admin ones too.
    Hub,
    /// A public relay: the pages marked read-only.
    Relay,
}

/// Marks the page read-only; the dashboard hides what needs a hub.
const READ_ONLY_BODY: &str = "<body data-mode=\"relay\">";

/// `static/<path>` (`/` is `index.html`); a JSON 404 for a file it does not have.
pub fn serve(request: &HttpRequest, mode: Mode) -> HttpResponse {
    let path = request.path().trim_start_matches('/');
    let path = if path.is_empty() { "index.html" } else { path };
    let Some(file) = Files::get(path) else {
        return HttpResponse::NotFound()
            .json(serde_json::json!({ "error": format!("no file `/{path}` in the dashboard") }));
    };
    let mut response = HttpResponse::Ok();
    response.content_type(file.metadata.mimetype()).insert_header((header::CACHE_CONTROL, "no-cache"));
    if mode == Mode::Relay && path == "index.html" {
        let html = String::from_utf8_lossy(&file.data).replacen("<body>", READ_ONLY_BODY, 1);
        return response.body(html);
    }
    response.body(file.data.into_owned())
}

#[cfg(test)]
mod tests {
    use actix_web::body::to_bytes;
    use actix_web::test::TestRequest;

    use super::*;

    async fn body(response: HttpResponse) -> String {
        String::from_utf8_lossy(&to_bytes(response.into_body()).await.expect("body")).into_owned()
    }

    #[actix_web::test]
    async fn index_and_files_with_their_types() {
        let index = serve(&TestRequest::get().uri("/").to_http_request(), Mode::Hub);
        assert_eq!(index.status(), 200);
        assert!(index.headers().get(header::CONTENT_TYPE).is_some_and(|t| t.as_bytes().starts_with(b"text/html")));
        let html = body(index).await;
        assert!(html.contains("<body>") && !html.contains("data-mode=\"relay\""), "the hub's page is as written");
        let css = serve(&TestRequest::get().uri("/style.css").to_http_request(), Mode::Hub);
        assert!(css.headers().get(header::CONTENT_TYPE).is_some_and(|t| t.as_bytes().starts_with(b"text/css")));
    }

    #[actix_web::test]
    async fn the_relay_marks_its_page_read_only() {
        let index = serve(&TestRequest::get().uri("/index.html").to_http_request(), Mode::Relay);
        assert!(body(index).await.contains(READ_ONLY_BODY));
    }

    #[actix_web::test]
    async fn a_missing_file_is_a_json_404_naming_it() {
        let missing = serve(&TestRequest::get().uri("/nope.js").to_http_request(), Mode::Hub);
        assert_eq!(missing.status(), 404);
        assert!(body(missing).await.contains("no file `/nope.js`"));
    }
}
