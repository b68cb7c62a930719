//! GridLedger's vocabulary: ids, units, transactions, blocks and receipts, with one canonical,
//! size-bounded binary encoding (commonware codec) and a JSON view for the API.
//!
//! Nothing here does I/O or reads a clock. Decoding hostile bytes returns an error, never panics.
//!
//! Every enum with data on the wire is one [tagged_enum!] table (see [codec]): each variant's
//! tag is typed once, beside the variant, and its codec is generated from the row. The tests in
//! `tests/it/golden/` pin the bytes of every variant of every such enum.
#![forbid(unsafe_code)]

mod billing;
mod block;
mod charging;
pub mod codec;
mod codec_util;
mod error;
mod ids;
mod mandate;
mod metering;
mod ppa;
mod read;
mod receipt;
mod role;
mod topic;
mod trading;
mod tx;
mod units;
mod validators;

pub use billing::{ConfigureBilling, ContractRef, PaymentKind, TARIFF_MAX_BYTES};
pub use block::{Block, BLOCK_MAX_BYTES, BLOCK_MAX_TXS};
pub use charging::{
    ChargerId, ChargerKind, ChargingCancel, ChargingPrepay, ConfigureCharging, MemberStatus,
    RegisterCharger, SessionRef, SessionState, SetMember, StopReason, CARD_MAX_BYTES,
    EXPIRE_BATCH_MAX, FIRST_MEMBER_NO, HOLD_EXPIRY_MAX_MS, HOLD_EXPIRY_MIN_MS, MAX_CONNECTORS,
};
pub use codec_util::{read_string, string_size, write_string};
pub use error::Error;
pub use ids::{hex_of, Address, ChainId, Hash32, PrivateKey, Signature};
pub use mandate::{read_markets, GrantMandate, MandateSides, MANDATE_MAX_MARKETS, SHARE_MAX_BP};
pub use metering::{
    kst_date, kst_day, kst_month, kst_month_start_ms, next_month, BindMeter, CorrectReadings,
    RegisterSite, Registers, SiteId, SiteKind, SubmitReadings, KST_OFFSET_MS,
};
pub use ppa::{PpaStatus, ProposePpa, PPA_PROFILE_MONTHS};
pub use read::{
    read_message, ReadAuth, READ_HEADER_MAX_BYTES, READ_NAMESPACE, READ_SCHEME, READ_WINDOW_MS,
};
pub use receipt::{Event, Receipt, TxStatus, RECEIPT_MAX_EVENTS};
pub use role::{DeviceKind, Role};
pub use topic::Topic;
pub use trading::{ConfigureMarket, MarketId, PeriodKind, Pricing, Side, SubmitIntention};
pub use tx::{Payload, SignedTransaction, Transaction, TX_MAX_BYTES, TX_NAMESPACE};
pub use units::{EnergyWh, MilliWon, PriceMilliWonPerKwh};
pub use validators::{
    check_p2p_addr, check_validator_set, epoch_of, epoch_start, read_validators, ChangeValidators,
    ValidatorEntry, DEFAULT_EPOCH_LENGTH, MAX_VALIDATORS,
};

/// Re-exported so callers encode and decode with the same codec traits.
pub use commonware_codec::{Decode, DecodeExt, Encode, EncodeSize, Read, ReadExt, Write};

/// Longest free-text field (names, memos, bank references) in bytes.
pub const TEXT_MAX_BYTES: usize = 256;
