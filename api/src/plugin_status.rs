//! The health of a running server's adapters, for `seatwise plugins list
//! --server URL`.
//!
//! The server publishes each loaded adapter's health as Prometheus gauges
//! at `/metrics` (see `metrics.rs`): `seatwise_adapter_quarantined` and
//! `seatwise_adapter_abandoned_calls`, labelled by adapter key. Reading
//! them there needs no new endpoint and shows operators exactly what their
//! monitoring sees. Only plain `http://` is spoken: the probe is meant for
//! the server's own host or cluster network, like `/metrics` itself.

use std::collections::BTreeMap;
use std::time::Duration;

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

/// Gauge: 1 while an adapter is quarantined, else 0.
pub const QUARANTINED_METRIC: &str = "seatwise_adapter_quarantined";
/// Gauge: timed-out calls still running inside an adapter.
pub const ABANDONED_METRIC: &str = "seatwise_adapter_abandoned_calls";

/// Longest the probe waits for the server.
const PROBE_TIMEOUT: Duration = Duration::from_secs(10);
/// Largest `/metrics` answer read.
const MAX_ANSWER_BYTES: u64 = 8 * 1024 * 1024;

/// One adapter's health as the running server reports it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AdapterStatus {
    /// Whether its calls are refused until abandoned ones return.
    pub quarantined: bool,
    /// Timed-out calls still running inside it.
    pub abandoned_calls: u64,
}

/// Every adapter the running server reports, by key.
#[derive(Clone, Debug, Default)]
pub struct ServerStatus {
    url: String,
    adapters: BTreeMap<String, AdapterStatus>,
}

impl ServerStatus {
    /// Reads `/metrics` of the server at `url` (`http://host:port`).
    pub async fn fetch(url: &str) -> Result<Self, String> {
        let text = tokio::time::timeout(PROBE_TIMEOUT, get_metrics(url))
            .await
            .map_err(|_| format!("{url} did not answer within {PROBE_TIMEOUT:?}"))??;
        Ok(Self::parse(url, &text))
    }

    /// The adapters' health from Prometheus text.
    pub fn parse(url: &str, metrics: &str) -> Self {
        let mut adapters: BTreeMap<String, AdapterStatus> = BTreeMap::new();
        for line in metrics.lines() {
            let Some((name, key, value)) = gauge(line) else {
                continue;
            };
            let entry = adapters.entry(key.to_owned()).or_default();
            match name {
                QUARANTINED_METRIC => entry.quarantined = value >= 1.0,
                ABANDONED_METRIC => entry.abandoned_calls = value.max(0.0) as u64,
                _ => {}
            }
        }
        Self {
            url: url.to_owned(),
            adapters,
        }
    }

    /// The adapter's health at the server, if it has loaded the adapter.
    pub fn adapter(&self, key: &str) -> Option<AdapterStatus> {
        self.adapters.get(key).copied()
    }

    /// `status at URL: …` for the end of a `plugins list` line.
    pub fn describe(&self, key: &str) -> String {
        let url = &self.url;
        match self.adapter(key) {
            None => format!("status at {url}: not loaded there"),
            Some(AdapterStatus {
                quarantined: true,
                abandoned_calls,
            }) => format!(
                "status at {url}: QUARANTINED ({abandoned_calls} timed-out calls still running; \
                 calls fail at once until some return)"
            ),
            Some(AdapterStatus {
                abandoned_calls: 0, ..
            }) => format!("status at {url}: ok"),
            Some(AdapterStatus {
                abandoned_calls, ..
            }) => format!("status at {url}: ok ({abandoned_calls} timed-out calls still running)"),
        }
    }
}

/// `name{adapter="key"} value` for the two adapter gauges.
fn gauge(line: &str) -> Option<(&str, &str, f64)> {
    let (series, value) = line.rsplit_once(' ')?;
    let (name, labels) = series.split_once('{')?;
    if name != QUARANTINED_METRIC && name != ABANDONED_METRIC {
        return None;
    }
    let key = labels
        .strip_prefix("adapter=\"")?
        .strip_suffix("\"}")
        .filter(|key| !key.contains('"'))?;
    Some((name, key, value.trim().parse().ok()?))
}

async fn get_metrics(url: &str) -> Result<String, String> {
    let authority = url
        .strip_prefix("http://")
        .ok_or_else(|| format!("--server {url}: expected http://HOST:PORT"))?
        .trim_end_matches('/');
    if authority.is_empty() || authority.contains('/') {
        return Err(format!("--server {url}: expected http://HOST:PORT"));
    }
    let mut stream = tokio::net::TcpStream::connect(authority)
        .await
        .map_err(|e| format!("cannot reach {url}: {e}"))?;
    let request =
        format!("GET /metrics HTTP/1.0\r\nHost: {authority}\r\nConnection: close\r\n\r\n");
    stream
        .write_all(request.as_bytes())
        .await
        .map_err(|e| format!("cannot ask {url}: {e}"))?;
    let mut answer = Vec::new();
    stream
        .take(MAX_ANSWER_BYTES)
        .read_to_end(&mut answer)
        .await
        .map_err(|e| format!("cannot read {url}/metrics: {e}"))?;
    let answer = String::from_utf8_lossy(&answer);
    let (head, body) = answer
        .split_once("\r\n\r\n")
        .ok_or_else(|| format!("{url}/metrics: not an HTTP answer"))?;
    let status_ok = head
        .lines()
        .next()
        .is_some_and(|status| status.split(' ').nth(1) == Some("200"));
    if !status_ok {
        return Err(format!(
            "{url}/metrics answered {}",
            head.lines().next().unwrap_or_default()
        ));
    }
    Ok(body.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_adapter_health_from_metrics_text() {
        let text = "# HELP seatwise_adapter_quarantined x\n\
                    seatwise_adapter_quarantined{adapter=\"bad-hang\"} 1\n\
                    seatwise_adapter_abandoned_calls{adapter=\"bad-hang\"} 4\n\
                    seatwise_adapter_quarantined{adapter=\"contoso\"} 0\n\
                    seatwise_adapter_abandoned_calls{adapter=\"contoso\"} 0\n\
                    seatwise_http_requests_total{path=\"/\"} 3\n";
        let status = ServerStatus::parse("http://s", text);
        assert_eq!(
            status.adapter("bad-hang"),
            Some(AdapterStatus {
                quarantined: true,
                abandoned_calls: 4
            })
        );
        assert!(
            status
                .describe("bad-hang")
                .contains("QUARANTINED (4 timed-out")
        );
        assert_eq!(status.describe("contoso"), "status at http://s: ok");
        assert_eq!(
            status.describe("fabrikam"),
            "status at http://s: not loaded there"
        );
    }
}
