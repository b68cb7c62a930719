//! The SDK's one error type.
use std::path::PathBuf;

/// Everything the SDK can fail with. Secrets and passwords never appear in a message.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The password does not open the key file. (With an authenticated cipher a wrong password
    /// and a tampered ciphertext look the same; both end here.)
    #[error("wrong password (or the key file's ciphertext was modified)")]
    WrongPassword,
    /// The key file is malformed, uses an unsupported version or parameters, or does not match
    /// the address it claims.
    #[error("invalid key file: {0}")]
    Keystore(String),
    /// Refused to overwrite an existing file.
    #[error("{} already exists (refusing to overwrite)", .0.display())]
    AlreadyExists(PathBuf),
    #[error("i/o error: {0}")]
    Io(#[from] std::io::Error),
    /// The operating system's random source failed.
    #[error("random source failed: {0}")]
    Random(String),
    /// The server answered with an error body (`code`, `message`) and HTTP `status`.
    #[error("{code}: {message}")]
    Api {
        status: u16,
        code: String,
        message: String,
    },
    /// Connection or protocol failure talking to the node.
    #[error("http error: {}", chain(.0))]
    Http(reqwest::Error),
    /// The server's answer could not be understood.
    #[error("unexpected response: {0}")]
    Decode(String),
    /// The event stream sent something that is not valid server-sent events.
    #[error("event stream error: {0}")]
    Stream(String),
    #[error("timed out: {0}")]
    Timeout(String),
    /// A bad argument (URL, amount, chain id ...).
    #[error("invalid argument: {0}")]
    Invalid(String),
}

impl Error {
    /// The server's machine-readable code, if this is an API error.
    pub fn api_code(&self) -> Option<&str> {
        match self {
            Self::Api { code, .. } => Some(code),
            _ => None,
        }
    }
}

impl From<reqwest::Error> for Error {
    fn from(e: reqwest::Error) -> Self {
        Self::Http(e)
    }
}

/// An error and its sources as one line, skipping sources that repeat the previous message.
fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut last = out.clone();
    let mut cur = e.source();
    while let Some(s) = cur {
        let msg = s.to_string();
        if !last.contains(&msg) {
            out.push_str(": ");
            out.push_str(&msg);
        }
        last = msg;
        cur = s.source();
    }
    out
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
