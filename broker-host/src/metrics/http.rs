//! The endpoint: `GET /metrics` answered in Prometheus' text exposition
//! format (0.0.4), one request per connection. OpenTelemetry's
//! `PrometheusHttpServer`, which RocketMQ 5 uses, answers on `/` as well.

use std::sync::Arc;
use std::time::Duration;

use prometheus::{Encoder, Registry, TextEncoder};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// How long a client may take to send its request head.
const READ_TIMEOUT: Duration = Duration::from_secs(10);

/// Longest request head read; Prometheus sends a few hundred bytes.
const MAX_HEAD: usize = 8 * 1024;

/// What a request gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Route {
    /// The metrics (`head_only` for HEAD).
    Metrics {
        /// Headers without the body.
        head_only: bool,
    },
    /// 404: another path.
    NotFound,
    /// 405: another method.
    MethodNotAllowed,
    /// 400: not an HTTP request line.
    BadRequest,
}

/// Routes a request by its first line (`GET /metrics HTTP/1.1`); a query
/// string is ignored.
pub(super) fn route(request_line: &str) -> Route {
    let mut parts = request_line.split_ascii_whitespace();
    let (Some(method), Some(target), Some(version)) = (parts.next(), parts.next(), parts.next())
    else {
        return Route::BadRequest;
    };
    if !version.starts_with("HTTP/1.") || parts.next().is_some() {
        return Route::BadRequest;
    }
    let path = target.split_once('?').map_or(target, |(path, _)| path);
    if path != "/metrics" && path != "/" {
        return Route::NotFound;
    }
    match method {
        "GET" => Route::Metrics { head_only: false },
        "HEAD" => Route::Metrics { head_only: true },
        _ => Route::MethodNotAllowed,
    }
}

/// The registry's families as text (Prometheus 0.0.4).
pub(super) fn encode(registry: &Registry) -> Result<Vec<u8>, prometheus::Error> {
    let mut body = Vec::new();
    TextEncoder::new().encode(&registry.gather(), &mut body)?;
    Ok(body)
}

/// Accepts connections until `stop` turns true.
pub(super) async fn serve(
    listener: TcpListener,
    registry: Arc<Registry>,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        tokio::select! {
            changed = stop.changed() => {
                if changed.is_err() || *stop.borrow() {
                    return;
                }
            }
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    tokio::spawn(answer(stream, registry.clone()));
                }
                Err(error) => {
                    // Out of descriptors and the like: wait instead of spinning.
                    tracing::warn!(%error, "metrics endpoint: accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            },
        }
    }
}

/// Reads one request head and answers it; the connection is closed after.
async fn answer(mut stream: TcpStream, registry: Arc<Registry>) {
    let Ok(Some(head)) = tokio::time::timeout(READ_TIMEOUT, read_head(&mut stream)).await else {
        return;
    };
    let request_line = head.lines().next().unwrap_or_default();
    let response = match route(request_line) {
        Route::Metrics { head_only } => {
            let gathered = tokio::task::spawn_blocking(move || encode(&registry)).await;
            match gathered {
                Ok(Ok(body)) => response(
                    "200 OK",
                    "text/plain; version=0.0.4; charset=utf-8",
                    &body,
                    head_only,
                ),
                Ok(Err(error)) => {
                    tracing::error!(%error, "metrics endpoint: cannot encode the metrics");
                    response(
                        "500 Internal Server Error",
                        "text/plain",
                        b"cannot encode the metrics\n",
                        false,
                    )
                }
                Err(error) => {
                    tracing::error!(%error, "metrics endpoint: gathering the metrics failed");
                    response(
                        "500 Internal Server Error",
                        "text/plain",
                        b"gathering the metrics failed\n",
                        false,
                    )
                }
            }
        }
        Route::NotFound => response("404 Not Found", "text/plain", b"try /metrics\n", false),
        Route::MethodNotAllowed => response(
            "405 Method Not Allowed",
            "text/plain",
            b"GET or HEAD\n",
            false,
        ),
        Route::BadRequest => response("400 Bad Request", "text/plain", b"bad request\n", false),
    };
    let _ = stream.write_all(&response).await;
    let _ = stream.shutdown().await;
}

/// The request line and headers, up to the blank line; `None` if the peer
/// closed early or sent more than [`MAX_HEAD`] bytes without one.
async fn read_head(stream: &mut TcpStream) -> Option<String> {
    let mut head = Vec::with_capacity(512);
    let mut chunk = [0u8; 1024];
    loop {
        let read = stream.read(&mut chunk).await.ok()?;
        if read == 0 {
            return None;
        }
        head.extend_from_slice(&chunk[..read]);
        if let Some(end) = head.windows(4).position(|w| w == b"\r\n\r\n") {
            head.truncate(end);
            return Some(String::from_utf8_lossy(&head).into_owned());
        }
        if head.len() > MAX_HEAD {
            return None;
        }
    }
}

fn response(status: &str, content_type: &str, body: &[u8], head_only: bool) -> Vec<u8> {
    let mut out = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    if !head_only {
        out.extend_from_slice(body);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes() {
        assert_eq!(
            route("GET /metrics HTTP/1.1"),
            Route::Metrics { head_only: false }
        );
        assert_eq!(
            route("GET /metrics?x=1 HTTP/1.0"),
            Route::Metrics { head_only: false }
        );
        assert_eq!(route("GET / HTTP/1.1"), Route::Metrics { head_only: false });
        assert_eq!(
            route("HEAD /metrics HTTP/1.1"),
            Route::Metrics { head_only: true }
        );
        assert_eq!(route("POST /metrics HTTP/1.1"), Route::MethodNotAllowed);
        assert_eq!(route("GET /other HTTP/1.1"), Route::NotFound);
        assert_eq!(route("GET /metrics"), Route::BadRequest);
        assert_eq!(route("GET /metrics SMTP"), Route::BadRequest);
        assert_eq!(route(""), Route::BadRequest);
    }

    #[test]
    fn responses_carry_length_and_close() {
        let text = String::from_utf8(response("200 OK", "text/plain", b"abc", false)).unwrap();
        assert!(text.starts_with("HTTP/1.1 200 OK\r\n"));
        assert!(text.contains("Content-Length: 3\r\n"));
        assert!(text.contains("Connection: close\r\n"));
        assert!(text.ends_with("\r\n\r\nabc"));
        let head = String::from_utf8(response("200 OK", "text/plain", b"abc", true)).unwrap();
        assert!(head.ends_with("Content-Length: 3\r\nConnection: close\r\n\r\n"));
    }
}
