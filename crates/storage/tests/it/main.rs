//! Integration tests for `gridledger-storage` (one binary, per the workspace convention).

mod chain;
mod crash;
mod damage;
