//! `GET api/metrics`: the server's own Prometheus metrics for the console's
//! dashboard, which charts them from samples taken every few seconds.
//!
//! The metrics describe the whole server (every account's buckets and
//! traffic), so only the operator sees them: the root user of the server's
//! first account, whose keys start the server. Anyone else gets 403 and the
//! console says why; the metrics token is for Prometheus, not for browsers.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};

use super::{Mount, problem, session_of};
use crate::app::AppState;

pub(super) async fn metrics(
    mount: Mount,
    req: &HttpRequest,
    state: &web::Data<AppState>,
) -> HttpResponse {
    let Some((_, session)) = session_of(mount, req, state) else {
        return problem(StatusCode::UNAUTHORIZED, "not signed in");
    };
    let operator = state
        .identities
        .caller(&session.access_key)
        .is_some_and(|c| c.is_root() && c.account == *state.identities.default_account());
    if !operator {
        return problem(
            StatusCode::FORBIDDEN,
            "the dashboard is for the server's root user only",
        );
    }
    let metrics = state.metrics.clone();
    match web::block(move || metrics.render()).await {
        Ok((content_type, body)) => HttpResponse::Ok()
            .content_type(content_type)
            .insert_header(("cache-control", "no-store"))
            .body(body),
        Err(_) => problem(StatusCode::SERVICE_UNAVAILABLE, "metrics unavailable"),
    }
}
