//! Read-side computations over a state (bills, charging, the directory, the bank's report, the
//! forecast); they never write.
pub mod billing;
pub mod charging;
pub mod directory;
pub mod forecast;
pub mod report;
