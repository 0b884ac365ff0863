//! The dashboard: files from `static/`, embedded in the binary at build time.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse};
use rust_embed::RustEmbed;

#[derive(RustEmbed)]
#[folder = "../static/"]
struct Dashboard;

/// Serves `static/<path>`, `/` as `index.html`.
pub async fn serve(request: HttpRequest) -> HttpResponse {
    let path = request.path().trim_start_matches('/');
    let path = if path.is_empty() { "index.html" } else { path };
    match Dashboard::get(path) {
        Some(file) => HttpResponse::Ok()
            .content_type(file.metadata.mimetype())
            .insert_header((header::CACHE_CONTROL, "no-cache"))
            .body(file.data.into_owned()),
        None => {
            HttpResponse::NotFound().json(serde_json::json!({ "error": format!("no file `/{path}` in the dashboard") }))
        }
    }
}
