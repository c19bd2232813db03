//! Request limits, answered in Conductor's JSON error shape before any handler runs.
//!
//! - URI longer than [`ServerConfig::max_uri_bytes`] → 414;
//! - request headers (names + values) larger than [`ServerConfig::max_header_bytes`] →
//!   431. Hyper refuses larger header sections (over ~400 KiB, or over 100 headers) itself
//!   with an empty 431 before this code runs, so the default here stays well below;
//! - body larger than [`ServerConfig::max_body_bytes`] → 413, whether announced by
//!   `Content-Length` (refused before reading) or sent chunked (read up to the limit).
//!   The rest of an oversized body is read and dropped, up to [`DRAIN_BYTES`], so the
//!   client, still writing, receives the answer instead of a broken pipe; a client that
//!   sent `Expect: 100-continue` is answered at once instead.

use crate::app::ServerConfig;
use crate::error::ApiError;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use std::sync::Arc;

/// Most bytes of an oversized body read and dropped before answering 413; a larger
/// remainder is not worth the bandwidth and the connection is closed instead.
pub const DRAIN_BYTES: u64 = 64 * 1024 * 1024;

/// Where large data belongs, said with every 413.
const LARGE_PAYLOADS: &str = "keep large data outside the workflow (a file or object store) \
     and pass a reference to it (a URL or key) in the input or output instead";

/// Applies the URI, header and body limits of `config`.
pub(crate) async fn enforce(
    State(config): State<Arc<ServerConfig>>,
    req: Request,
    next: Next,
) -> Response {
    let uri_len = req.uri().to_string().len();
    if uri_len > config.max_uri_bytes {
        return ApiError::new(
            StatusCode::URI_TOO_LONG,
            format!(
                "the request URI is {uri_len} bytes; the server accepts at most {} bytes. \
                 Send long values in the request body instead of the query string",
                config.max_uri_bytes
            ),
        )
        .into_response();
    }
    let header_len: usize = req
        .headers()
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len() + 4)
        .sum();
    if header_len > config.max_header_bytes {
        return ApiError::new(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            format!(
                "the request headers are {header_len} bytes; the server accepts at most {} \
                 bytes. Send large values in the request body instead of headers",
                config.max_header_bytes
            ),
        )
        .into_response();
    }
    let limit = config.max_body_bytes;
    let announced = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    // A client that waits for `100 Continue` has sent no body yet: answering at once
    // spares it sending one (reading the body would ask for it).
    let expects_continue = req
        .headers()
        .get(header::EXPECT)
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"100-continue"));
    let (parts, body) = req.into_parts();
    if let Some(length) = announced.filter(|n| *n > limit as u64) {
        if !expects_continue && length - (limit as u64) <= DRAIN_BYTES {
            drain(body.into_data_stream(), DRAIN_BYTES).await;
        }
        return too_large(limit, &format!("{length} bytes"));
    }
    match read_up_to(body, limit).await {
        Ok(bytes) => {
            next.run(Request::from_parts(parts, Body::from(bytes)))
                .await
        }
        Err(Read::TooLarge(rest)) => {
            drain(rest, DRAIN_BYTES).await;
            too_large(limit, &format!("more than {limit} bytes"))
        }
        Err(Read::Broken(e)) => {
            ApiError::bad_request(format!("the request body could not be read: {e}"))
                .into_response()
        }
    }
}

/// The 413 answer: the size, the limit, and where large data belongs.
fn too_large(limit: usize, size: &str) -> Response {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        format!(
            "the request body is {size}, larger than the server accepts (limit: {limit} \
             bytes); {LARGE_PAYLOADS}"
        ),
    )
    .into_response()
}

/// Why a body was not read whole.
enum Read {
    /// Over the limit; the unread rest of the body.
    TooLarge(axum::body::BodyDataStream),
    /// The connection failed while reading.
    Broken(axum::Error),
}

/// Reads `body` whole if it has at most `limit` bytes.
async fn read_up_to(body: Body, limit: usize) -> Result<Bytes, Read> {
    let mut stream = body.into_data_stream();
    let mut buf = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(Read::Broken)?;
        if buf.len() + chunk.len() > limit {
            return Err(Read::TooLarge(stream));
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(Bytes::from(buf))
}

/// Reads and drops up to `max` more bytes of `stream` (errors end it quietly: the answer
/// is already decided).
async fn drain(mut stream: axum::body::BodyDataStream, max: u64) {
    let mut seen = 0u64;
    while seen <= max {
        match stream.next().await {
            Some(Ok(chunk)) => seen += chunk.len() as u64,
            _ => return,
        }
    }
}

/// Refuses (400) a name or id in a request longer than
/// [`baton_model::validate::MAX_NAME_CHARS`], with the same code (`BT0124`) as a
/// definition whose names are too long.
pub fn check_name(field: &str, value: &str) -> Result<(), ApiError> {
    let limit = baton_model::validate::MAX_NAME_CHARS;
    let chars = value.chars().count();
    if chars <= limit {
        return Ok(());
    }
    let shown: String = value.chars().take(32).collect();
    let message = format!(
        "`{field}` (`{shown}…`) is {chars} characters long; the limit is {limit}. Use a \
         short identifier; keep data in the input, not in names or ids"
    );
    let detail = crate::error::ValidationError {
        code: Some(baton_model::validate::codes::NAME_TOO_LONG.to_string()),
        ..crate::error::ValidationError::new(field, message.clone())
    };
    Err(ApiError::invalid(message, vec![detail]))
}
