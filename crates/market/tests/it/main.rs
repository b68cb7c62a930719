//! The market's one integration-test binary: hand-worked examples and property tests.
mod examples;
mod props;
