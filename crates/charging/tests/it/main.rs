//! Integration tests of the member service (one binary).
