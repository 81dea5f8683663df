//! The one HTTP client of the tests (awc): a request with headers, an optional body and a
//! deadline, answered as a [`Reply`] read whole — or, for an event stream, as
//! [`Streaming`] chunks. `send_blocking` serves plain `#[test]`s, which have no runtime.
//! Area fixtures (the api's `Cloud`, the dashboard's `Dash`, chaos's `Deployment`) add
//! their base URL and headers on top.
#![allow(dead_code, unreachable_pub)]

use std::pin::Pin;
use std::time::Duration;

use awc::http::header::HeaderMap;
use futures::{Stream, StreamExt};
use serde_json::Value;

/// Bodies are read up to this size.
const MAX_BODY: usize = 1 << 24;

/// Why no reply came.
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    #[error("{method} {url}: not an HTTP method")]
    Method { method: String, url: String },
    #[error("{method} {url}: no response: {reason}")]
    Send {
        method: String,
        url: String,
        reason: String,
    },
    #[error("{method} {url}: body not read: {reason}")]
    Body {
        method: String,
        url: String,
        reason: String,
    },
}

/// One answer, read whole.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    /// The `Content-Type` header, empty when absent.
    pub content_type: String,
    pub headers: HeaderMap,
    /// The body's bytes, verbatim.
    pub body: Vec<u8>,
    /// The body as text (invalid UTF-8 replaced).
    pub text: String,
}

impl Reply {
    /// The body as JSON; panics with the text when it is not.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }

    /// The body as JSON, or as a JSON string when it is not JSON (error pages, empty = null).
    pub fn json_or_text(&self) -> Value {
        if self.body.is_empty() {
            return Value::Null;
        }
        serde_json::from_slice(&self.body).unwrap_or_else(|_| Value::String(self.text.clone()))
    }

    /// The value of header `name`, when present and text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// An answer whose body is still arriving (server-sent events).
pub struct Streaming {
    pub status: u16,
    pub headers: HeaderMap,
    /// The body's chunks as they come.
    pub chunks: Pin<Box<dyn Stream<Item = Result<Vec<u8>, String>>>>,
}

/// A request being built: `request("GET", url).header(..).send().await`.
#[derive(Debug, Clone)]
pub struct Request {
    method: String,
    url: String,
    headers: Vec<(String, String)>,
    body: Option<Vec<u8>>,
    timeout: Duration,
    follow_redirects: bool,
}

/// A `method` request to `url`: no body, a 30 s deadline, redirects followed.
pub fn request(method: &str, url: impl Into<String>) -> Request {
    Request {
        method: method.to_owned(),
        url: url.into(),
        headers: Vec::new(),
        body: None,
        timeout: Duration::from_secs(30),
        follow_redirects: true,
    }
}

/// `GET url` with the defaults of [`request`].
pub async fn get(url: impl Into<String>) -> Result<Reply, HttpError> {
    request("GET", url).send().await
}

impl Request {
    pub fn header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_owned(), value.into()));
        self
    }

    /// A JSON body, with `Content-Type: application/json`.
    pub fn json_body(self, body: impl Into<Vec<u8>>) -> Self {
        self.header("Content-Type", "application/json").body(body)
    }

    /// A body sent verbatim, with only the headers given.
    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = Some(body.into());
        self
    }

    /// No answer within `timeout` is an error.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// A redirect is the answer, not followed.
    pub fn no_redirects(mut self) -> Self {
        self.follow_redirects = false;
        self
    }

    fn error_send(&self, reason: impl ToString) -> HttpError {
        HttpError::Send {
            method: self.method.clone(),
            url: self.url.clone(),
            reason: reason.to_string(),
        }
    }

    /// The request on its way (awc's future of the response, body unread).
    fn sending(&self) -> Result<awc::SendClientRequest, HttpError> {
        let mut builder = awc::Client::builder().timeout(self.timeout);
        if !self.follow_redirects {
            builder = builder.disable_redirects();
        }
        let method = awc::http::Method::from_bytes(self.method.as_bytes()).map_err(|_| {
            HttpError::Method {
                method: self.method.clone(),
                url: self.url.clone(),
            }
        })?;
        let mut request = builder.finish().request(method, &self.url);
        for (name, value) in &self.headers {
            request = request.insert_header((name.as_str(), value.as_str()));
        }
        Ok(match &self.body {
            Some(body) => request.send_body(body.clone()),
            None => request.send(),
        })
    }

    /// Send, and read the whole body.
    pub async fn send(self) -> Result<Reply, HttpError> {
        let mut response = self.sending()?.await.map_err(|e| self.error_send(e))?;
        let body = response
            .body()
            .limit(MAX_BODY)
            .await
            .map_err(|e| HttpError::Body {
                method: self.method.clone(),
                url: self.url.clone(),
                reason: e.to_string(),
            })?
            .to_vec();
        let headers = response.headers().clone();
        Ok(Reply {
            status: response.status().as_u16(),
            content_type: headers
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned(),
            headers,
            text: String::from_utf8_lossy(&body).into_owned(),
            body,
        })
    }

    /// Send, and hand over the body as it arrives.
    pub async fn stream(self) -> Result<Streaming, HttpError> {
        let response = self.sending()?.await.map_err(|e| self.error_send(e))?;
        Ok(Streaming {
            status: response.status().as_u16(),
            headers: response.headers().clone(),
            chunks: Box::pin(
                response.map(|chunk| chunk.map(|bytes| bytes.to_vec()).map_err(|e| e.to_string())),
            ),
        })
    }

    /// [`Request::send`] on a runtime of its own, for code that has none.
    pub fn send_blocking(self) -> Result<Reply, HttpError> {
        actix_rt::System::new().block_on(self.send())
    }
}
