//! HTTP to the compute API and the dashboards, through one shared client.

use serde_json::Value;

pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) body: Value,
}

pub(crate) async fn http(
    client: &awc::Client,
    method: &str,
    url: &str,
    body: Option<&str>,
) -> Result<Reply, String> {
    let method = awc::http::Method::from_bytes(method.as_bytes()).expect("method");
    let request = client
        .request(method, url)
        .insert_header(("X-Auth-Token", "notused"))
        .insert_header(("OpenStack-API-Version", "compute 2.53"));
    let sent = match body {
        Some(body) => {
            request
                .insert_header(("Content-Type", "application/json"))
                .send_body(body.to_owned())
                .await
        }
        None => request.send().await,
    };
    let mut response = sent.map_err(|e| format!("request failed: {e}"))?;
    let bytes = response
        .body()
        .limit(1 << 24)
        .await
        .map_err(|e| format!("body: {e}"))?;
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()))
    };
    Ok(Reply {
        status: response.status().as_u16(),
        body,
    })
}

pub(crate) async fn get_text(client: &awc::Client, url: &str) -> Option<String> {
    let mut response = client.get(url).send().await.ok()?;
    let bytes = response.body().limit(1 << 26).await.ok()?;
    Some(String::from_utf8_lossy(&bytes).into_owned())
}
