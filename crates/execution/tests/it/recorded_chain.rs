//! A recorded chain: the blocks of the deterministic scenario tests of this suite (every domain:
//! genesis, registry, ledger and holds, mandates, trading and clearing, escrow, metering,
//! settlement, disputes, billing, payments, PPAs, charging, validators), frozen in
//! `tests/data/recorded_chain.bin` with the state root after every block. Replaying it proves a
//! refactor changed no state root and no receipt (receipts are hashed into the root).
//!
//! The file was written once, before the execution crate was restructured, by
//! `cargo nextest run -p gridledger-execution --run-ignored only write_recorded_chain`. Never
//! rewrite it to make the replay pass: a replay that fails means behaviour changed.
use bytes::{Buf, BufMut};
use commonware_codec::{Encode as _, Read as _, ReadExt as _};
use gridledger_execution::test_utils::{record_chains, RecordedBlock, RecordedChain};
use gridledger_execution::{
    apply_writes, execute_block, genesis_outcome, BlockEnv, Genesis, SigCheck,
};
use gridledger_types::TxStatus;
use gridledger_types::{Address, ChainId, Hash32, SignedTransaction, ValidatorEntry};
use std::collections::{BTreeMap, BTreeSet};

/// Variants of `Payload`.
const PAYLOAD_KINDS: usize = 43;

const PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/recorded_chain.bin");
const MAGIC: &[u8; 8] = b"GLRCHN01";

/// The scenario tests whose chains are recorded, by name.
fn scenarios() -> Vec<(&'static str, fn())> {
    vec![
        ("batch::batch_accepts_good_and_points_at_the_first_bad", crate::batch::batch_accepts_good_and_points_at_the_first_bad),
        ("billing::a_month_from_intentions_to_paid_bills", crate::billing::a_month_from_intentions_to_paid_bills),
        ("billing::billing_rules_and_closed_months", crate::billing::billing_rules_and_closed_months),
        ("billing::a_new_tariff_version_applies_from_its_effective_month", crate::billing::a_new_tariff_version_applies_from_its_effective_month),
        ("billing::a_site_never_sells_more_in_a_month_than_its_meter_across_markets", crate::billing::a_site_never_sells_more_in_a_month_than_its_meter_across_markets),
        ("charging::a_session_is_prepay_cancel_settle_and_the_wallet_pays_exactly_the_cost", crate::charging::a_session_is_prepay_cancel_settle_and_the_wallet_pays_exactly_the_cost),
        ("charging::the_cost_never_exceeds_the_hold_and_idle_minutes_past_grace_are_charged", crate::charging::the_cost_never_exceeds_the_hold_and_idle_minutes_past_grace_are_charged),
        ("charging::repeated_and_late_stops_change_nothing_but_their_nonce", crate::charging::repeated_and_late_stops_change_nothing_but_their_nonce),
        ("charging::session_numbers_cannot_jump_far_ahead_or_past_int32", crate::charging::session_numbers_cannot_jump_far_ahead_or_past_int32),
        ("charging::one_open_session_per_member", crate::charging::one_open_session_per_member),
        ("charging::an_unreported_hold_is_refunded_at_block_time_and_a_late_stop_charges_nothing", crate::charging::an_unreported_hold_is_refunded_at_block_time_and_a_late_stop_charges_nothing),
        ("charging::auto_charge_lets_the_owner_prepay_within_the_cap_only", crate::charging::auto_charge_lets_the_owner_prepay_within_the_cap_only),
        ("charging::members_blocked_expired_or_short_cannot_prepay", crate::charging::members_blocked_expired_or_short_cannot_prepay),
        ("charging::registry_rules_for_operators_chargers_and_members", crate::charging::registry_rules_for_operators_chargers_and_members),
        ("charging::every_charging_key_and_value_round_trips_with_its_exact_size", crate::charging::every_charging_key_and_value_round_trips_with_its_exact_size),
        ("codec::every_key_and_value_of_a_real_state_round_trips", crate::codec::every_key_and_value_of_a_real_state_round_trips),
        ("determinism::same_blocks_same_roots_and_writes", crate::determinism::same_blocks_same_roots_and_writes),
        ("determinism::a_different_order_gives_a_different_root", crate::determinism::a_different_order_gives_a_different_root),
        ("determinism::speculative_layers_read_like_the_applied_state", crate::determinism::speculative_layers_read_like_the_applied_state),
        ("escrow::escrow_is_held_released_and_pays_the_split", crate::escrow::escrow_is_held_released_and_pays_the_split),
        ("escrow::a_fee_rise_after_the_buy_bills_the_contract_instead_of_failing", crate::escrow::a_fee_rise_after_the_buy_bills_the_contract_instead_of_failing),
        ("forecast::months_wrap_at_january", crate::forecast::months_wrap_at_january),
        ("forecast::a_new_site_gets_the_fallback_and_no_benefit_without_a_price", crate::forecast::a_new_site_gets_the_fallback_and_no_benefit_without_a_price),
        ("forecast::recent_average_then_same_month_last_year_with_the_trend", crate::forecast::recent_average_then_same_month_last_year_with_the_trend),
        ("forecast::expected_benefit_at_the_latest_clearing_price", crate::forecast::expected_benefit_at_the_latest_clearing_price),
        ("inclusion::failed_transaction_changes_only_the_nonce_and_leaves_a_receipt", crate::inclusion::failed_transaction_changes_only_the_nonce_and_leaves_a_receipt),
        ("inclusion::replayed_nonce_is_stale", crate::inclusion::replayed_nonce_is_stale),
        ("inclusion::expiry_is_against_block_time_inclusive", crate::inclusion::expiry_is_against_block_time_inclusive),
        ("inclusion::bad_signature_wrong_chain_and_unknown_signer_are_rejected", crate::inclusion::bad_signature_wrong_chain_and_unknown_signer_are_rejected),
        ("inclusion::builder_rejection_leaves_the_block_as_it_was", crate::inclusion::builder_rejection_leaves_the_block_as_it_was),
        ("inclusion::an_auditor_signs_nothing", crate::inclusion::an_auditor_signs_nothing),
        ("invariants::invariants_catch_created_money_and_unbacked_holds", crate::invariants::invariants_catch_created_money_and_unbacked_holds),
        ("mandate_money::settlement_pays_the_owner_and_the_company_s_share_as_separate_lines", crate::mandate_money::settlement_pays_the_owner_and_the_company_s_share_as_separate_lines),
        ("mandate_money::a_real_time_trade_under_mandates_is_paid_from_the_owner_s_escrow_share_included", crate::mandate_money::a_real_time_trade_under_mandates_is_paid_from_the_owner_s_escrow_share_included),
        ("mandate_money::a_ppa_a_company_arranged_pays_its_share_for_months_whose_gate_closed_within_its_mandate", crate::mandate_money::a_ppa_a_company_arranged_pays_its_share_for_months_whose_gate_closed_within_its_mandate),
        ("mandate_money::a_generator_sells_for_itself_and_a_sales_company_buys_for_a_consumer", crate::mandate_money::a_generator_sells_for_itself_and_a_sales_company_buys_for_a_consumer),
        ("mandates::a_stranger_sales_company_is_refused_every_action_for_a_site", crate::mandates::a_stranger_sales_company_is_refused_every_action_for_a_site),
        ("mandates::a_mandate_covers_only_its_sides_markets_and_window", crate::mandates::a_mandate_covers_only_its_sides_markets_and_window),
        ("mandates::only_the_owner_grants_a_sales_company_a_bounded_mandate", crate::mandates::only_the_owner_grants_a_sales_company_a_bounded_mandate),
        ("mandates::revocation_takes_effect_for_periods_whose_gate_has_not_closed", crate::mandates::revocation_takes_effect_for_periods_whose_gate_has_not_closed),
        ("mandates::the_owner_acts_alone_after_revoking_but_a_closed_period_keeps_the_company_s_intentions", crate::mandates::the_owner_acts_alone_after_revoking_but_a_closed_period_keeps_the_company_s_intentions),
        ("mandates::nobody_trades_for_a_suspended_owner", crate::mandates::nobody_trades_for_a_suspended_owner),
        ("metering::site_registration_rules", crate::metering::site_registration_rules),
        ("metering::meter_binding_rules", crate::metering::meter_binding_rules),
        ("metering::readings_accumulate_per_interval_and_kst_month", crate::metering::readings_accumulate_per_interval_and_kst_month),
        ("metering::bad_readings_fail_with_their_code_and_change_nothing", crate::metering::bad_readings_fail_with_their_code_and_change_nothing),
        ("metering::only_bound_meters_sign_readings_and_meters_sign_nothing_else", crate::metering::only_bound_meters_sign_readings_and_meters_sign_nothing_else),
        ("metering::corrections_are_audited_and_bounded", crate::metering::corrections_are_audited_and_bounded),
        ("metering::the_directory_lists_participants_devices_sites_with_meters_and_settings_in_key_order", crate::metering::the_directory_lists_participants_devices_sites_with_meters_and_settings_in_key_order),
        ("model::workload_generator_covers_every_outcome", crate::model::workload_generator_covers_every_outcome),
        ("ppa::worked_example_the_ppa_is_served_before_the_spot_contracts", crate::ppa::worked_example_the_ppa_is_served_before_the_spot_contracts),
        ("ppa::termination_takes_effect_after_the_notice", crate::ppa::termination_takes_effect_after_the_notice),
        ("ppa::termination_by_both_parties_is_immediate", crate::ppa::termination_by_both_parties_is_immediate),
        ("ppa::every_failure_code", crate::ppa::every_failure_code),
        ("ppa::a_market_holds_a_bounded_number_of_live_ppas", crate::ppa::a_market_holds_a_bounded_number_of_live_ppas),
        ("trading::worked_example_uniform_price", crate::trading::worked_example_uniform_price),
        ("trading::pay_as_bid_prices_each_pair_at_its_midpoint", crate::trading::pay_as_bid_prices_each_pair_at_its_midpoint),
        ("trading::intention_rules", crate::trading::intention_rules),
        ("trading::contracts_need_both_parties_within_the_window", crate::trading::contracts_need_both_parties_within_the_window),
        ("trading::settlement_delivers_pro_rata_from_measured_values", crate::trading::settlement_delivers_pro_rata_from_measured_values),
        ("trading::settlement_never_exceeds_contracts_or_meters", crate::trading::settlement_never_exceeds_contracts_or_meters),
        ("validators::genesis_records_the_epoch_length_and_the_set_of_epoch_zero", crate::validators::genesis_records_the_epoch_length_and_the_set_of_epoch_zero),
        ("validators::the_operator_adds_a_validator_for_the_next_epoch", crate::validators::the_operator_adds_a_validator_for_the_next_epoch),
        ("validators::the_operator_removes_a_validator_for_the_next_epoch", crate::validators::the_operator_removes_a_validator_for_the_next_epoch),
        ("validators::several_changes_in_one_epoch_build_on_each_other", crate::validators::several_changes_in_one_epoch_build_on_each_other),
        ("validators::a_change_in_the_last_block_of_an_epoch_takes_effect_in_the_next", crate::validators::a_change_in_the_last_block_of_an_epoch_takes_effect_in_the_next),
        ("validators::only_the_operator_may_change_validators", crate::validators::only_the_operator_may_change_validators),
        ("validators::bad_changes_are_refused_and_change_nothing", crate::validators::bad_changes_are_refused_and_change_nothing),
        ("validators::a_set_holds_at_most_the_limit", crate::validators::a_set_holds_at_most_the_limit),
        ("validators::invariants_catch_malformed_validator_records", crate::validators::invariants_catch_malformed_validator_records),
    ]
}

/// Every chain of every scenario, in scenario order.
fn generate() -> Vec<RecordedChain> {
    let mut all = Vec::new();
    for (_, f) in scenarios() {
        all.extend(record_chains(f));
    }
    all
}

fn put_bytes(b: &mut Vec<u8>, v: &[u8]) {
    b.put_u32(u32::try_from(v.len()).expect("short"));
    b.put_slice(v);
}

fn encode(chains: &[RecordedChain]) -> Vec<u8> {
    let mut b = Vec::new();
    b.put_slice(MAGIC);
    b.put_u32(chains.len() as u32);
    for c in chains {
        let g = &c.genesis;
        put_bytes(&mut b, g.chain_id.as_str().as_bytes());
        b.put_u64(g.genesis_time_ms);
        b.put_slice(&g.operator.encode());
        put_bytes(&mut b, g.operator_name.as_bytes());
        b.put_slice(&g.bank.encode());
        put_bytes(&mut b, g.bank_name.as_bytes());
        b.put_u64(g.epoch_length);
        b.put_u32(c.validators.len() as u32);
        for v in &c.validators {
            b.put_slice(&v.encode());
        }
        b.put_slice(&c.genesis_root.encode());
        b.put_u32(c.blocks.len() as u32);
        for blk in &c.blocks {
            b.put_u64(blk.height);
            b.put_u64(blk.timestamp_ms);
            b.put_u32(blk.txs.len() as u32);
            for tx in &blk.txs {
                b.put_slice(&tx.encode());
            }
            b.put_slice(&blk.state_root.encode());
        }
    }
    b
}

fn get_string(b: &mut &[u8]) -> String {
    let n = b.get_u32() as usize;
    let s = String::from_utf8(b[..n].to_vec()).expect("utf-8");
    b.advance(n);
    s
}

fn decode(mut b: &[u8]) -> Vec<RecordedChain> {
    let b = &mut b;
    assert_eq!(&b[..MAGIC.len()], MAGIC, "not a recorded chain");
    b.advance(MAGIC.len());
    let chains = b.get_u32();
    let mut out = Vec::new();
    for _ in 0..chains {
        let chain_id = ChainId::new(get_string(b)).expect("chain id");
        let genesis_time_ms = b.get_u64();
        let operator = Address::read(b).expect("operator");
        let operator_name = get_string(b);
        let bank = Address::read(b).expect("bank");
        let bank_name = get_string(b);
        let epoch_length = b.get_u64();
        let validators = (0..b.get_u32())
            .map(|_| ValidatorEntry::read(b).expect("validator"))
            .collect();
        let genesis_root = Hash32::read(b).expect("root");
        let blocks = (0..b.get_u32())
            .map(|_| {
                let height = b.get_u64();
                let timestamp_ms = b.get_u64();
                let txs = (0..b.get_u32())
                    .map(|_| SignedTransaction::read_cfg(b, &()).expect("transaction"))
                    .collect();
                let state_root = Hash32::read(b).expect("root");
                RecordedBlock {
                    height,
                    timestamp_ms,
                    txs,
                    state_root,
                }
            })
            .collect();
        out.push(RecordedChain {
            genesis: Genesis {
                chain_id,
                genesis_time_ms,
                operator,
                operator_name,
                bank,
                bank_name,
                epoch_length,
            },
            validators,
            genesis_root,
            blocks,
        });
    }
    assert!(b.is_empty(), "trailing bytes in the recorded chain");
    out
}

/// Writes the recorded chain (one-off; see the module doc).
#[test]
#[ignore = "one-off: writes tests/data/recorded_chain.bin from today's code"]
fn write_recorded_chain() {
    let chains = generate();
    let bytes = encode(&chains);
    assert_eq!(decode(&bytes).len(), chains.len());
    std::fs::create_dir_all(std::path::Path::new(PATH).parent().unwrap()).unwrap();
    std::fs::write(PATH, bytes).unwrap();
}

#[test]
fn recorded_chain_replays_to_the_same_roots() {
    let chains = decode(&std::fs::read(PATH).expect("the recorded chain is checked in"));
    assert!(chains.len() > 60, "{} chains", chains.len());
    let mut blocks = 0usize;
    let mut txs = 0usize;
    let mut succeeded = BTreeSet::new();
    let mut codes = BTreeSet::new();
    for (ci, c) in chains.iter().enumerate() {
        let out = genesis_outcome(&c.genesis, &c.validators);
        assert_eq!(out.state_root, c.genesis_root, "chain {ci}: genesis root");
        let mut state = BTreeMap::new();
        apply_writes(&mut state, &out.writes);
        let mut root = out.state_root;
        for blk in &c.blocks {
            let env = BlockEnv {
                chain_id: c.genesis.chain_id.clone(),
                height: blk.height,
                timestamp_ms: blk.timestamp_ms,
            };
            let out = execute_block(&state, root, env, &blk.txs, SigCheck::Verify)
                .unwrap_or_else(|e| panic!("chain {ci} block {}: {e:?}", blk.height));
            assert_eq!(
                out.state_root, blk.state_root,
                "chain {ci} block {}: state root differs",
                blk.height
            );
            for (tx, r) in blk.txs.iter().zip(&out.receipts) {
                match &r.status {
                    TxStatus::Success => succeeded.insert(tx.tx.payload.kind()),
                    TxStatus::Failed { code, .. } => codes.insert(code.clone()),
                };
            }
            apply_writes(&mut state, &out.writes);
            root = out.state_root;
            blocks += 1;
            txs += blk.txs.len();
        }
    }
    eprintln!(
        "{} chains, {blocks} blocks, {txs} txs, {} kinds succeeded, {} failure codes",
        chains.len(),
        succeeded.len(),
        codes.len()
    );
    // Every payload kind succeeds somewhere in the recording.
    assert_eq!(succeeded.len(), PAYLOAD_KINDS, "{succeeded:?}");
    assert!(codes.len() > 100, "{codes:?}");
    assert!(blocks > 1_000 && txs > 2_000, "{blocks} blocks, {txs} txs");
}
