//! The node's chain core without a network: build, verify and finalize blocks the way the
//! consensus application does, on two independent "nodes", and reopen from storage.
mod chain;
