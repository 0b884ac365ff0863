//! The dashboard's files (`static/`, embedded; see `sysmonstm_viewer::dashboard`).

use actix_web::{HttpRequest, HttpResponse};
use sysmonstm_viewer::dashboard::{self, Mode};

/// Serves `static/<path>`, `/` as `index.html`.
pub async fn serve(request: HttpRequest) -> HttpResponse {
    dashboard::serve(&request, Mode::Hub)
}
