//! One question to the Docker engine's own API: what the registry holds under an image's tag
//! (`GET /distribution/NAME/json`), without pulling it. The engine asks the registry itself, over
//! its own network, proxy and insecure-registry settings, as its pull would: the CLI's `docker
//! manifest inspect` asks from the CLI's side, which a proxy set for the engine alone (or a CLI
//! in another network namespace) would answer otherwise.
//!
//! Plain HTTP/1.0 over the engine's Unix socket (`DOCKER_HOST=unix://...`, else
//! `/var/run/docker.sock`); an engine reached otherwise (tcp, ssh) is not asked. No process is
//! started, and nothing changes: the request only reads.

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::time::Duration;

use serde::Deserialize;

/// How long the engine may take to answer for one image: it dials the registry, which may not
/// answer at all.
const ANSWER_WITHIN: Duration = Duration::from_secs(20);

/// The most of an answer read: a descriptor and its platforms.
const ANSWER_BYTES: u64 = 1 << 20;

/// What the engine said of a tag in its registry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Registry {
    /// The digest of the manifest (or index) the tag names there now: what a pull would fetch.
    Holds(String),
    /// The registry answered that it does not have it, or could not be reached: the pull would
    /// fail. What the engine said.
    Fails(String),
    /// The engine could not be asked, or the registry wants credentials this question does not
    /// carry: only the pull will tell. Why.
    Unasked(String),
}

#[derive(Deserialize)]
struct Distribution {
    #[serde(rename = "Descriptor")]
    descriptor: Descriptor,
}

#[derive(Deserialize)]
struct Descriptor {
    digest: String,
}

#[derive(Deserialize)]
struct Message {
    message: String,
}

/// The engine's Unix socket, from `DOCKER_HOST` as the CLI reads it; `None` for another kind.
fn socket() -> Option<String> {
    match std::env::var("DOCKER_HOST") {
        Ok(host) if !host.is_empty() => host.strip_prefix("unix://").map(String::from),
        _ => Some("/var/run/docker.sock".to_owned()),
    }
}

/// What the registry holds under `image`'s tag, as the engine asks it with `auth` (the
/// `X-Registry-Auth` header of the unit user's credentials, where it has any).
pub(crate) fn distribution(image: &str, auth: Option<&str>) -> Registry {
    distribution_at(socket().as_deref(), image, auth)
}

fn distribution_at(socket: Option<&str>, image: &str, auth: Option<&str>) -> Registry {
    let Some(socket) = socket else {
        return Registry::Unasked("DOCKER_HOST names an engine that is not reached by a Unix socket".into());
    };
    match ask(socket, &format!("/distribution/{image}/json"), auth) {
        Ok((200, body)) => match serde_json::from_str::<Distribution>(&body) {
            Ok(answer) => Registry::Holds(answer.descriptor.digest),
            Err(error) => Registry::Unasked(format!("the engine's answer is not a descriptor ({error})")),
        },
        Ok((status, body)) => {
            let said =
                serde_json::from_str::<Message>(&body).map_or_else(|_| body.trim().to_owned(), |m| m.message);
            let lower = said.to_lowercase();
            if status == 401 || lower.contains("unauthorized") || lower.contains("authentication required") {
                Registry::Unasked(format!("the registry wants credentials: {said}"))
            } else {
                Registry::Fails(said)
            }
        }
        Err(error) => Registry::Unasked(format!("the engine at {socket} could not be asked ({error})")),
    }
}

/// `GET path` on the engine's socket: the status code and the body.
fn ask(socket: &str, path: &str, auth: Option<&str>) -> std::io::Result<(u16, String)> {
    let mut stream = UnixStream::connect(socket)?;
    stream.set_read_timeout(Some(ANSWER_WITHIN))?;
    stream.set_write_timeout(Some(ANSWER_WITHIN))?;
    let auth = auth.map_or_else(String::new, |header| format!("X-Registry-Auth: {header}\r\n"));
    stream.write_all(format!("GET {path} HTTP/1.0\r\nHost: docker\r\n{auth}\r\n").as_bytes())?;
    let mut answer = String::new();
    stream.take(ANSWER_BYTES).read_to_string(&mut answer)?;
    let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
    let status = head.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    Ok((status, body.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An engine on a socket of the test's own that answers `answer` once.
    fn engine(answer: &'static str) -> (tempfile::TempDir, String) {
        let (dir, path, _) = engine_hearing(answer);
        (dir, path)
    }

    /// `engine`, which also hands over the request it heard.
    fn engine_hearing(
        answer: &'static str,
    ) -> (tempfile::TempDir, String, std::sync::mpsc::Receiver<String>) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("docker.sock").display().to_string();
        let listener = std::os::unix::net::UnixListener::bind(&path).unwrap();
        let (heard, hears) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let (mut stream, _) = listener.accept().unwrap();
            let (mut request, mut byte) = (Vec::new(), [0u8]);
            while !request.ends_with(b"\r\n\r\n") && stream.read(&mut byte).unwrap_or(0) == 1 {
                request.push(byte[0]);
            }
            let _ = heard.send(String::from_utf8_lossy(&request).into_owned());
            let _ = stream.write_all(answer.as_bytes());
        });
        (dir, path, hears)
    }

    /// The unit user's login reaches the registry through the engine, as its pull's would.
    #[test]
    fn the_credentials_go_to_the_engine_as_its_header() {
        let (_dir, socket, hears) =
            engine_hearing("HTTP/1.0 200 OK\r\n\r\n{\"Descriptor\":{\"digest\":\"sha256:1\"}}");
        let told =
            distribution_at(Some(&socket), "registry.osism.tech/osism/osism", Some("eyJ1c2VyIjoiZCJ9"));
        assert_eq!(told, Registry::Holds("sha256:1".into()));
        let request = hears.recv().unwrap();
        assert!(request.contains("\r\nX-Registry-Auth: eyJ1c2VyIjoiZCJ9\r\n"), "{request}");
        let (_dir, socket, hears) = engine_hearing("HTTP/1.0 200 OK\r\n\r\n{}");
        let _ = distribution_at(Some(&socket), "busybox", None);
        assert!(!hears.recv().unwrap().contains("X-Registry-Auth"), "a header without credentials");
    }

    #[test]
    fn the_engines_answers_are_told_apart() {
        let answers = [
            (
                "HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n{\"Descriptor\":{\"digest\":\"sha256:196c\",\"size\":527},\"Platforms\":[]}\n",
                Registry::Holds("sha256:196c".into()),
            ),
            (
                "HTTP/1.0 500 Internal Server Error\r\n\r\n{\"message\":\"Get \\\"http://127.0.0.1:5999/v2/\\\": connection refused\"}\n",
                Registry::Fails("Get \"http://127.0.0.1:5999/v2/\": connection refused".into()),
            ),
            (
                "HTTP/1.0 401 Unauthorized\r\n\r\n{\"message\":\"unauthorized: authentication required\"}\n",
                Registry::Unasked(
                    "the registry wants credentials: unauthorized: authentication required".into(),
                ),
            ),
        ];
        for (answer, told) in answers {
            let (_dir, socket) = engine(answer);
            assert_eq!(distribution_at(Some(&socket), "busybox", None), told, "{answer}");
        }
        assert!(matches!(
            distribution_at(Some("/nonexistent/docker.sock"), "busybox", None),
            Registry::Unasked(_)
        ));
        assert!(matches!(distribution_at(None, "busybox", None), Registry::Unasked(_)));
    }
}
