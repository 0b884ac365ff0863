//! The security headers every response of a hub or relay carries, the
//! dashboard's pages and the API's answers alike: pages load only their own
//! files and connect only to their own server (and its WebSocket), may not
//! be framed by another site (the rules editor cannot be clickjacked), and
//! browsers take every body as the type it is declared.

use actix_web::http::header;
use actix_web::middleware::DefaultHeaders;

/// What the dashboard's pages may load and connect to. uPlot sets inline
/// styles (hence `'unsafe-inline'` for styles only); no inline script runs.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; style-src 'self' 'unsafe-inline'; \
     img-src 'self' data:; connect-src 'self' ws: wss:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/// Where a page's address may go when a link is followed.
pub const REFERRER_POLICY: &str = "same-origin";

/// The headers, added to every response that does not set its own
/// (`App::new().wrap(security_headers())`).
pub fn security_headers() -> DefaultHeaders {
    DefaultHeaders::new()
        .add((header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY))
        .add((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .add((header::REFERRER_POLICY, REFERRER_POLICY))
        .add((header::X_FRAME_OPTIONS, "DENY"))
}

#[cfg(test)]
mod tests {
    use actix_web::{test, web, App, HttpResponse};

    use super::*;

    #[actix_web::test]
    async fn every_response_carries_them_unless_it_sets_its_own() {
        let app = test::init_service(
            App::new()
                .wrap(security_headers())
                .route("/page", web::get().to(|| async { HttpResponse::Ok().body("hi") }))
                .route(
                    "/own",
                    web::get().to(|| async {
                        HttpResponse::Ok().insert_header((header::REFERRER_POLICY, "no-referrer")).finish()
                    }),
                ),
        )
        .await;
        for path in ["/page", "/missing"] {
            let response = test::call_service(&app, test::TestRequest::get().uri(path).to_request()).await;
            let h = response.headers();
            assert_eq!(h.get(header::X_CONTENT_TYPE_OPTIONS).map(|v| v.as_bytes()), Some(&b"nosniff"[..]), "{path}");
            let csp = h.get(header::CONTENT_SECURITY_POLICY).and_then(|v| v.to_str().ok()).unwrap_or("");
            assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
            assert_eq!(h.get(header::X_FRAME_OPTIONS).map(|v| v.as_bytes()), Some(&b"DENY"[..]));
        }
        let own = test::call_service(&app, test::TestRequest::get().uri("/own").to_request()).await;
        assert_eq!(own.headers().get(header::REFERRER_POLICY).map(|v| v.as_bytes()), Some(&b"no-referrer"[..]));
    }
}
