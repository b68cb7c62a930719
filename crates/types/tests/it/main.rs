//! Integration tests of gridledger-types, through its public API only.
mod golden;
