//! Panics of the libraries below us, turned into errors where they mean "this file is damaged".
//!
//! commonware's storage asserts on some damaged journals and redb on some damaged files. At
//! start the node opens both under [catch] (or, for redb, under [expecting] around the
//! storage crate's own guard) and rebuilds or refuses instead. [log_hook] reports such an
//! expected panic as one warning line, and any other panic as one error line.
use futures::FutureExt as _;
use std::{any::Any, cell::Cell, future::Future, panic::AssertUnwindSafe};

thread_local! {
    /// Set while this thread runs code whose panics are caught and handled.
    static EXPECTED: Cell<bool> = const { Cell::new(false) };
}

/// Marks the current thread as expecting (and handling) panics until dropped.
struct Expecting(bool);

impl Expecting {
    fn start() -> Self {
        Self(EXPECTED.with(|e| e.replace(true)))
    }
}

impl Drop for Expecting {
    fn drop(&mut self) {
        EXPECTED.with(|e| e.set(self.0));
    }
}

/// Runs `f`, whose panics are caught by its callee (e.g. `gridledger_storage`'s opening of a
/// file): [log_hook] reports them as a warning without a backtrace.
pub fn expecting<T>(f: impl FnOnce() -> T) -> T {
    let _mark = Expecting::start();
    f()
}

/// Runs `fut`; a panic while polling it becomes `Err` with the panic's message (reported by
/// [log_hook] as a warning without a backtrace).
pub async fn catch<F: Future>(fut: F) -> Result<F::Output, String> {
    let mut fut = Box::pin(AssertUnwindSafe(fut).catch_unwind());
    std::future::poll_fn(move |cx| {
        let _mark = Expecting::start();
        fut.as_mut().poll(cx)
    })
    .await
    .map_err(message)
}

/// The message a panic was raised with.
pub fn message(payload: Box<dyn Any + Send>) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".into())
}

/// Reports every panic as one log line (what and where) instead of Rust's default report: a
/// panic under [catch] or [expecting] as a warning (it is handled: the file is rebuilt or the
/// node refuses with its own message), any other as an error, followed by the backtrace when
/// `RUST_BACKTRACE` asks for one.
pub fn log_hook() {
    std::panic::set_hook(Box::new(|info| {
        let what = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_default();
        let at = info
            .location()
            .map(|l| format!("{}:{}", l.file(), l.line()))
            .unwrap_or_default();
        if EXPECTED.with(Cell::get) {
            tracing::warn!(
                panic = what,
                at,
                "a storage library stopped on damaged data (handled)"
            );
            return;
        }
        let backtrace = std::backtrace::Backtrace::capture();
        if backtrace.status() == std::backtrace::BacktraceStatus::Captured {
            tracing::error!(panic = what, at, %backtrace, "panic");
        } else {
            tracing::error!(panic = what, at, "panic");
        }
    }));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_its_message() {
        let got = futures::executor::block_on(catch(async { panic!("journal {} bad", 7) }));
        assert_eq!(got, Err::<(), _>("journal 7 bad".into()));
        let got = futures::executor::block_on(catch(async { std::panic::panic_any(5u8) }));
        assert_eq!(got, Err::<(), _>("a panic without a message".into()));
        assert_eq!(futures::executor::block_on(catch(async { 3 })), Ok(3));
    }
}
