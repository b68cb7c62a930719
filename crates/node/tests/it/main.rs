//! Integration tests of the node. `chain`: the chain core without a network (build, verify and
//! finalize blocks on two independent "nodes", reopen from storage). `recovery`: the ledger
//! checked, caught up or rebuilt from finalized blocks at start. `sim`: the whole consensus
//! stack of N validators in commonware's deterministic runtime over a simulated network.
mod chain;
mod recovery;
mod sim;
mod sim_harness;
mod sim_workload;
