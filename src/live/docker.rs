//! A minimal Docker Engine API client over its unix socket: one kept-alive connection,
//! the handful of calls the replay needs, JSON read with `serde_json::Value`.

use super::http::{self, query_escape, Response};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::io::{BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Where the engine listens unless `DOCKER_HOST` says otherwise.
pub const DEFAULT_SOCKET: &str = "/var/run/docker.sock";
/// The newest API version this client asks for; older engines are spoken to in theirs.
const NEWEST_API: (u32, u32) = (1, 47);
/// Long enough for an image build on a busy machine.
const IO_TIMEOUT: Duration = Duration::from_secs(120);

#[derive(Debug, thiserror::Error)]
pub enum DockerError {
    /// No engine answers at the socket.
    #[error("no Docker engine answered at {socket}: {reason}")]
    Unreachable { socket: String, reason: String },
    /// The engine answered with an error status.
    #[error("{request} failed with HTTP {status}: {message}")]
    Status { request: String, status: u16, message: String },
    /// The connection broke or the answer made no sense.
    #[error("{request}: {reason}")]
    Protocol { request: String, reason: String },
    /// `DOCKER_HOST` names something other than a unix socket.
    #[error("DOCKER_HOST={0} is not supported: only unix:///path/to/docker.sock sockets are")]
    UnsupportedHost(String),
}

/// A container of this run as the engine lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContainerInfo {
    pub id: String,
    /// `created`, `running`, `exited`, ...
    pub state: String,
    pub labels: BTreeMap<String, String>,
}

/// A client of one engine.
pub struct Docker {
    socket: PathBuf,
    connection: Option<BufReader<UnixStream>>,
    /// `/v1.NN`, set by [`Docker::ping`].
    api_prefix: String,
}

impl Docker {
    /// The engine `DOCKER_HOST` names (`unix://PATH`), else the default socket. Does not
    /// connect yet.
    pub fn from_env() -> Result<Docker, DockerError> {
        Docker::from_host(std::env::var("DOCKER_HOST").ok().as_deref())
    }

    /// The engine a `DOCKER_HOST` value names; unset or empty means the default socket.
    pub fn from_host(docker_host: Option<&str>) -> Result<Docker, DockerError> {
        match docker_host {
            Some(host) if !host.is_empty() => match host.strip_prefix("unix://") {
                Some(path) if !path.is_empty() => Ok(Docker::at(Path::new(path))),
                _ => Err(DockerError::UnsupportedHost(host.to_string())),
            },
            _ => Ok(Docker::at(Path::new(DEFAULT_SOCKET))),
        }
    }

    pub fn at(socket: &Path) -> Docker {
        Docker { socket: socket.to_path_buf(), connection: None, api_prefix: "/v1.41".into() }
    }

    /// A client of the same engine, speaking the same API version, on its own connection.
    pub fn another_connection(&self) -> Docker {
        Docker { socket: self.socket.clone(), connection: None, api_prefix: self.api_prefix.clone() }
    }

    pub fn socket(&self) -> &Path {
        &self.socket
    }

    /// `GET /_ping`: checks the engine answers and picks the API version to speak.
    pub fn ping(&mut self) -> Result<(), DockerError> {
        let socket = self.socket.display().to_string();
        let unreachable = |reason: String| DockerError::Unreachable { socket: socket.clone(), reason };
        let response = match self.send("GET", "/_ping", None) {
            Ok(r) => r,
            Err(DockerError::Protocol { reason, .. }) => return Err(unreachable(reason)),
            Err(e) => return Err(e),
        };
        if response.status != 200 {
            return Err(unreachable(format!("/_ping answered HTTP {}", response.status)));
        }
        if let Some(version) = response.header("Api-Version").and_then(parse_api_version) {
            let (major, minor) = version.min(NEWEST_API);
            self.api_prefix = format!("/v{major}.{minor}");
        }
        Ok(())
    }

    /// Builds an image from a tar context; returns its ID.
    pub fn build_image(
        &mut self,
        context: &[u8],
        tag: &str,
        labels: &BTreeMap<String, String>,
    ) -> Result<String, DockerError> {
        let labels = json!(labels).to_string();
        let path = format!("/build?t={}&labels={}&rm=1&forcerm=1", query_escape(tag), query_escape(&labels));
        let response = self.call("POST", &path, Some(("application/x-tar", context)))?;
        // The body is a stream of JSON objects; a failed step is an `error` object, still with HTTP 200.
        let mut image_id = None;
        for message in serde_json::Deserializer::from_slice(&response.body).into_iter::<Value>() {
            let message = message.map_err(|e| self.protocol("POST /build", format!("unreadable build output: {e}")))?;
            if let Some(error) = message.get("error").and_then(Value::as_str) {
                return Err(DockerError::Status { request: "POST /build".into(), status: 200, message: error.into() });
            }
            if let Some(id) = message.pointer("/aux/ID").and_then(Value::as_str) {
                image_id = Some(id.to_string());
            }
        }
        match image_id {
            Some(id) => Ok(id),
            None => {
                let inspect = self.call("GET", &format!("/images/{}/json", query_escape(tag)), None)?;
                let value = self.json("GET /images/{tag}/json", &inspect)?;
                value
                    .get("Id")
                    .and_then(Value::as_str)
                    .map(str::to_string)
                    .ok_or_else(|| self.protocol("GET /images/{tag}/json", format!("no Id in {}", inspect.body_text())))
            }
        }
    }

    /// Creates (does not start) a container without a network; returns its ID.
    pub fn create_container(
        &mut self,
        name: &str,
        image: &str,
        labels: &BTreeMap<String, String>,
    ) -> Result<String, DockerError> {
        let body = json!({"Image": image, "Labels": labels, "HostConfig": {"NetworkMode": "none"}}).to_string();
        let path = format!("/containers/create?name={}", query_escape(name));
        let response = self.call("POST", &path, Some(("application/json", body.as_bytes())))?;
        let value = self.json("POST /containers/create", &response)?;
        value
            .get("Id")
            .and_then(Value::as_str)
            .map(str::to_string)
            .ok_or_else(|| self.protocol("POST /containers/create", format!("no Id in {}", response.body_text())))
    }

    /// Creates (does not start) a container without a network that runs the image's
    /// entrypoint with `args`, with `env` (`NAME=value`) set; returns its ID.
    pub fn create_command_container(
        &mut self,
        name: &str,
        image: &str,
        args: &[String],
        env: &[String],
        labels: &BTreeMap<String, String>,
    ) -> Result<String, DockerError> {
        let body =
            json!({"Image": image, "Cmd": args, "Env": env, "Labels": labels, "HostConfig": {"NetworkMode": "none"}})
                .to_string();
        let path = format!("/containers/create?name={}", query_escape(name));
        let response = self.call("POST", &path, Some(("application/json", body.as_bytes())))?;
        let value = self.json("POST /containers/create", &response)?;
        value
            .get("Id")
            .and_then(Value::as_str)
            .map(str::to_string)
            .ok_or_else(|| self.protocol("POST /containers/create", format!("no Id in {}", response.body_text())))
    }

    /// Waits for a container to stop; returns its exit code.
    pub fn wait_container(&mut self, id: &str) -> Result<i64, DockerError> {
        let response = self.call("POST", &format!("/containers/{id}/wait"), None)?;
        let value = self.json("POST /containers/{id}/wait", &response)?;
        if let Some(message) = value.pointer("/Error/Message").and_then(Value::as_str).filter(|m| !m.is_empty()) {
            return Err(DockerError::Status {
                request: "POST /containers/{id}/wait".into(),
                status: response.status,
                message: message.into(),
            });
        }
        value.get("StatusCode").and_then(Value::as_i64).ok_or_else(|| {
            self.protocol("POST /containers/{id}/wait", format!("no StatusCode in {}", response.body_text()))
        })
    }

    /// A stopped container's standard output and error, interleaved as written.
    pub fn container_logs(&mut self, id: &str) -> Result<String, DockerError> {
        let response = self.call("GET", &format!("/containers/{id}/logs?stdout=1&stderr=1"), None)?;
        Ok(String::from_utf8_lossy(&demultiplex(&response.body)).into_owned())
    }

    /// A tar archive of `path` in a container (running or not).
    pub fn copy_from_container(&mut self, id: &str, path: &str) -> Result<Vec<u8>, DockerError> {
        let response = self.call("GET", &format!("/containers/{id}/archive?path={}", query_escape(path)), None)?;
        Ok(response.body)
    }

    /// Starts a container (already running is fine).
    pub fn start_container(&mut self, id: &str) -> Result<(), DockerError> {
        self.call("POST", &format!("/containers/{id}/start"), None).map(drop)
    }

    /// Sends SIGKILL, as a host that loses power would (not running is fine).
    pub fn kill_container(&mut self, id: &str) -> Result<(), DockerError> {
        match self.call("POST", &format!("/containers/{id}/kill"), None) {
            Err(DockerError::Status { status: 409, .. }) => Ok(()),
            other => other.map(drop),
        }
    }

    /// Removes a container, killing it if it runs (already gone is fine).
    pub fn remove_container(&mut self, id: &str) -> Result<(), DockerError> {
        match self.call("DELETE", &format!("/containers/{id}?force=1&v=1"), None) {
            Err(DockerError::Status { status: 404, .. }) => Ok(()),
            other => other.map(drop),
        }
    }

    /// Every container, running or not, labelled `label=value`.
    pub fn list_containers(&mut self, label: &str, value: &str) -> Result<Vec<ContainerInfo>, DockerError> {
        let filters = json!({"label": [format!("{label}={value}")]}).to_string();
        let response = self.call("GET", &format!("/containers/json?all=1&filters={}", query_escape(&filters)), None)?;
        let list = self.json("GET /containers/json", &response)?;
        let Some(items) = list.as_array() else {
            return Err(self.protocol("GET /containers/json", format!("expected a list, got {}", response.body_text())));
        };
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            let text = |key: &str| item.get(key).and_then(Value::as_str).map(str::to_string);
            let (Some(id), Some(state)) = (text("Id"), text("State")) else {
                return Err(self.protocol("GET /containers/json", format!("a container without Id or State: {item}")));
            };
            let labels = item
                .get("Labels")
                .and_then(Value::as_object)
                .map(|m| m.iter().filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string()))).collect())
                .unwrap_or_default();
            out.push(ContainerInfo { id, state, labels });
        }
        Ok(out)
    }

    /// Whether an image named `name` (a tag or an ID) exists.
    pub fn image_exists(&mut self, name: &str) -> Result<bool, DockerError> {
        match self.call("GET", &format!("/images/{}/json", query_escape(name)), None) {
            Ok(_) => Ok(true),
            Err(DockerError::Status { status: 404, .. }) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Removes the tag `repo:tag` without force: the image (and its untagged parents) goes
    /// only when no other tag and no container uses it; a container in the way is a 409.
    /// Already gone is fine.
    pub fn untag_image(&mut self, tag: &str) -> Result<(), DockerError> {
        match self.call("DELETE", &format!("/images/{}", query_escape(tag)), None) {
            Err(DockerError::Status { status: 404, .. }) => Ok(()),
            other => other.map(drop),
        }
    }

    /// A versioned API call; an error status becomes [`DockerError::Status`].
    fn call(&mut self, method: &str, path: &str, body: Option<(&str, &[u8])>) -> Result<Response, DockerError> {
        let target = format!("{}{path}", self.api_prefix);
        let response = self.send(method, &target, body)?;
        if response.status >= 400 {
            let message = serde_json::from_slice::<Value>(&response.body)
                .ok()
                .and_then(|v| v.get("message").and_then(Value::as_str).map(str::to_string))
                .unwrap_or_else(|| response.body_text().trim().to_string());
            let request = format!("{method} {}", path.split('?').next().unwrap_or(path));
            return Err(DockerError::Status { request, status: response.status, message });
        }
        Ok(response)
    }

    /// One request on the kept-alive connection; a reused connection the engine closed
    /// meanwhile is replaced once.
    fn send(&mut self, method: &str, target: &str, body: Option<(&str, &[u8])>) -> Result<Response, DockerError> {
        let request = format!("{method} {}", target.split('?').next().unwrap_or(target));
        let reused = self.connection.is_some();
        match self.send_once(method, target, body) {
            Ok(r) => Ok(r),
            Err(_) if reused => self.send_once(method, target, body),
            Err(e) => Err(e),
        }
        .map_err(|reason| DockerError::Protocol { request, reason })
    }

    fn send_once(&mut self, method: &str, target: &str, body: Option<(&str, &[u8])>) -> Result<Response, String> {
        let mut connection = match self.connection.take() {
            Some(c) => c,
            None => {
                let stream = UnixStream::connect(&self.socket)
                    .map_err(|e| format!("cannot connect to {}: {e}", self.socket.display()))?;
                stream.set_read_timeout(Some(IO_TIMEOUT)).map_err(|e| e.to_string())?;
                stream.set_write_timeout(Some(IO_TIMEOUT)).map_err(|e| e.to_string())?;
                BufReader::new(stream)
            }
        };
        let mut writer = std::io::BufWriter::new(connection.get_ref());
        http::write_request(&mut writer, method, target, body).map_err(|e| e.to_string())?;
        writer.flush().map_err(|e| e.to_string())?;
        drop(writer);
        let (response, keep_alive) = http::read_response(&mut connection, method).map_err(|e| e.to_string())?;
        if keep_alive {
            self.connection = Some(connection);
        }
        Ok(response)
    }

    fn json(&self, request: &str, response: &Response) -> Result<Value, DockerError> {
        serde_json::from_slice(&response.body).map_err(|e| self.protocol(request, format!("answer is not JSON: {e}")))
    }

    fn protocol(&self, request: &str, reason: String) -> DockerError {
        DockerError::Protocol { request: request.to_string(), reason }
    }
}

/// The payloads of a log stream of a container without a TTY: frames of a 1-byte stream
/// type, 3 zero bytes, a 4-byte big-endian length, then that many bytes. Text that is not
/// framed (a TTY container's log) is returned as it is.
fn demultiplex(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len());
    let mut rest = body;
    while rest.len() >= 8 && rest[0] <= 2 && rest[1..4] == [0, 0, 0] {
        let len = u32::from_be_bytes([rest[4], rest[5], rest[6], rest[7]]) as usize;
        let end = (8 + len).min(rest.len());
        out.extend_from_slice(&rest[8..end]);
        rest = &rest[end..];
    }
    out.extend_from_slice(rest);
    out
}

/// `"1.41"` -> `(1, 41)`.
fn parse_api_version(text: &str) -> Option<(u32, u32)> {
    let (major, minor) = text.trim().split_once('.')?;
    Some((major.parse().ok()?, minor.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_versions_compare_numerically() {
        assert_eq!(parse_api_version("1.41"), Some((1, 41)));
        assert!(parse_api_version("1.9").unwrap() < parse_api_version("1.41").unwrap());
        assert_eq!(parse_api_version("1.52").unwrap().min(NEWEST_API), NEWEST_API);
        assert_eq!(parse_api_version("v1"), None);
    }

    #[test]
    fn log_frames_are_joined_in_order() {
        let mut body = vec![1, 0, 0, 0, 0, 0, 0, 6];
        body.extend_from_slice(b"hello ");
        body.extend_from_slice(&[2, 0, 0, 0, 0, 0, 0, 6]);
        body.extend_from_slice(b"world\n");
        assert_eq!(demultiplex(&body), b"hello world\n");
        assert_eq!(demultiplex(b"plain text\n"), b"plain text\n");
        assert_eq!(demultiplex(&[]), b"");
    }

    #[test]
    fn docker_host_names_a_unix_socket() {
        assert_eq!(Docker::from_host(None).unwrap().socket(), Path::new(DEFAULT_SOCKET));
        assert_eq!(Docker::from_host(Some("")).unwrap().socket(), Path::new(DEFAULT_SOCKET));
        assert_eq!(
            Docker::from_host(Some("unix:///run/user/1000/docker.sock")).unwrap().socket(),
            Path::new("/run/user/1000/docker.sock")
        );
        for unsupported in ["tcp://127.0.0.1:2375", "unix://", "/var/run/docker.sock", "ssh://host"] {
            assert!(
                matches!(Docker::from_host(Some(unsupported)), Err(DockerError::UnsupportedHost(_))),
                "{unsupported}"
            );
        }
    }

    #[test]
    fn a_missing_socket_is_unreachable_not_a_panic() {
        let mut docker = Docker::at(Path::new("/nonexistent/clustersim-test.sock"));
        let err = docker.ping().unwrap_err();
        assert!(matches!(err, DockerError::Unreachable { .. }), "{err}");
        assert!(err.to_string().contains("/nonexistent/clustersim-test.sock"), "{err}");
    }
}
