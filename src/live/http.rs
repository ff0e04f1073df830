//! Just enough HTTP/1.1 for the Docker Engine API: one request at a time on a kept-alive
//! stream, responses framed by `Content-Length`, `Transfer-Encoding: chunked` or the end
//! of the connection.

use std::io::{self, BufRead, Read, Write};

/// A response: status code and the whole body (chunked bodies already joined).
#[derive(Debug, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    /// The first header named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Writes one request. `body` is `(content type, bytes)`.
pub fn write_request(out: &mut impl Write, method: &str, target: &str, body: Option<(&str, &[u8])>) -> io::Result<()> {
    let mut head = format!("{method} {target} HTTP/1.1\r\nHost: docker\r\nUser-Agent: clustersim\r\n");
    match body {
        Some((content_type, bytes)) => {
            head.push_str(&format!("Content-Type: {content_type}\r\nContent-Length: {}\r\n", bytes.len()));
        }
        None if method == "POST" => head.push_str("Content-Length: 0\r\n"),
        None => {}
    }
    head.push_str("\r\n");
    out.write_all(head.as_bytes())?;
    if let Some((_, bytes)) = body {
        out.write_all(bytes)?;
    }
    out.flush()
}

/// Reads one response to a request made with `method` (a HEAD response has no body).
/// Returns the response and whether the connection can carry another request.
pub fn read_response(input: &mut impl BufRead, method: &str) -> io::Result<(Response, bool)> {
    let status_line = read_line(input)?;
    let mut parts = status_line.splitn(3, ' ');
    let version = parts.next().unwrap_or_default();
    let status = parts.next().and_then(|s| s.parse::<u16>().ok());
    let Some(status) = status.filter(|_| version.starts_with("HTTP/1.")) else {
        return Err(invalid(format!("not an HTTP/1.x status line: {status_line:?}")));
    };
    let mut headers = Vec::new();
    loop {
        let line = read_line(input)?;
        if line.is_empty() {
            break;
        }
        let Some((name, value)) = line.split_once(':') else {
            return Err(invalid(format!("malformed header line: {line:?}")));
        };
        headers.push((name.trim().to_string(), value.trim().to_string()));
    }
    let mut response = Response { status, headers, body: Vec::new() };
    let has_token = |name: &str, token: &str| {
        response
            .headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case(name))
            .any(|(_, v)| v.split(',').any(|t| t.trim().eq_ignore_ascii_case(token)))
    };
    let chunked = has_token("Transfer-Encoding", "chunked");
    let mut keep_alive = !has_token("Connection", "close") && version == "HTTP/1.1";
    let bodiless = method == "HEAD" || (100..200).contains(&status) || status == 204 || status == 304;
    if bodiless {
        return Ok((response, keep_alive));
    }
    if chunked {
        response.body = read_chunked(input)?;
    } else if let Some(length) = response.header("Content-Length") {
        let length: usize = length.parse().map_err(|_| invalid(format!("bad Content-Length {length:?}")))?;
        let mut body = vec![0; length];
        input.read_exact(&mut body)?;
        response.body = body;
    } else {
        input.read_to_end(&mut response.body)?;
        keep_alive = false;
    }
    Ok((response, keep_alive))
}

/// A chunked body: `<hex size>[;ext]\r\n<data>\r\n` ... `0\r\n` then trailers and `\r\n`.
fn read_chunked(input: &mut impl BufRead) -> io::Result<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let line = read_line(input)?;
        let size_text = line.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(size_text, 16).map_err(|_| invalid(format!("bad chunk size {line:?}")))?;
        if size == 0 {
            while !read_line(input)?.is_empty() {}
            return Ok(body);
        }
        let start = body.len();
        body.resize(start + size, 0);
        input.read_exact(&mut body[start..])?;
        if !read_line(input)?.is_empty() {
            return Err(invalid("chunk data longer than its size".into()));
        }
    }
}

/// One line without its `\r\n` (or bare `\n`); end of stream is an error.
fn read_line(input: &mut impl BufRead) -> io::Result<String> {
    let mut line = Vec::new();
    let n = input.by_ref().take(64 * 1024).read_until(b'\n', &mut line)?;
    if n == 0 {
        return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "connection closed before the response ended"));
    }
    if line.last() != Some(&b'\n') {
        return Err(invalid("line longer than 64 KiB or cut off".into()));
    }
    line.pop();
    if line.last() == Some(&b'\r') {
        line.pop();
    }
    String::from_utf8(line).map_err(|_| invalid("a status or header line is not UTF-8".into()))
}

fn invalid(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message)
}

/// Percent-encodes a query-string value (everything but RFC 3986's unreserved characters).
pub fn query_escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(raw: &str, method: &str) -> io::Result<(Response, bool)> {
        read_response(&mut raw.as_bytes(), method)
    }

    #[test]
    fn content_length_body_and_the_next_response_on_the_same_stream() {
        let raw = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n[]\
                   HTTP/1.1 204 No Content\r\nApi-Version: 1.41\r\n\r\n";
        let mut input = raw.as_bytes();
        let (first, keep) = read_response(&mut input, "GET").unwrap();
        assert_eq!((first.status, first.body.as_slice(), keep), (200, &b"[]"[..], true));
        assert_eq!(first.header("content-type"), Some("application/json"));
        let (second, _) = read_response(&mut input, "DELETE").unwrap();
        assert_eq!((second.status, second.body.len()), (204, 0));
        assert_eq!(second.header("API-VERSION"), Some("1.41"));
        assert!(input.is_empty());
    }

    #[test]
    fn chunked_body_with_extensions_and_trailers_is_joined() {
        let raw = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\
                   5\r\n{\"a\":\r\n3;name=x\r\n12}\r\n0\r\nX-Trailer: y\r\n\r\nrest";
        let mut input = raw.as_bytes();
        let (r, keep) = read_response(&mut input, "POST").unwrap();
        assert_eq!(r.body_text(), "{\"a\":12}");
        assert!(keep);
        assert_eq!(input, b"rest");
    }

    #[test]
    fn chunk_sizes_are_hexadecimal() {
        let data = "x".repeat(0x1a);
        let raw = format!("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1A\r\n{data}\r\n0\r\n\r\n");
        assert_eq!(parse(&raw, "GET").unwrap().0.body.len(), 26);
    }

    #[test]
    fn without_length_the_body_runs_to_the_end_and_the_connection_is_done() {
        let (r, keep) = parse("HTTP/1.0 200 OK\r\n\r\nall of it", "GET").unwrap();
        assert_eq!((r.body_text().as_str(), keep), ("all of it", false));
        let (_, keep) =
            parse("HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n", "GET").unwrap();
        assert!(!keep);
    }

    #[test]
    fn truncated_or_garbled_responses_are_errors_not_panics() {
        for raw in [
            "",
            "SSH-2.0-OpenSSH\r\n",
            "HTTP/1.1 abc OK\r\n\r\n",
            "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort",
            "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n0\r\n\r\n",
            "HTTP/1.1 200 OK\r\nno colon here\r\n\r\n",
        ] {
            assert!(parse(raw, "GET").is_err(), "{raw:?}");
        }
    }

    #[test]
    fn requests_carry_host_and_length() {
        let mut out = Vec::new();
        write_request(&mut out, "POST", "/v1.41/containers/create?name=a", Some(("application/json", b"{}"))).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.starts_with("POST /v1.41/containers/create?name=a HTTP/1.1\r\nHost: docker\r\n"), "{text}");
        assert!(text.ends_with("Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"), "{text}");
        let mut out = Vec::new();
        write_request(&mut out, "POST", "/x/start", None).unwrap();
        assert!(String::from_utf8(out).unwrap().contains("Content-Length: 0\r\n\r\n"));
    }

    #[test]
    fn query_values_are_percent_encoded() {
        assert_eq!(query_escape(r#"{"label":["a=b"]}"#), "%7B%22label%22%3A%5B%22a%3Db%22%5D%7D");
        assert_eq!(query_escape("web-1_x.y~"), "web-1_x.y~");
    }
}
