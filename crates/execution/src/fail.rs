//! Why a payload failed: every failure code of the chain, listed once with its meaning.
//!
//! A failed transaction still consumes its nonce and leaves a receipt whose status carries the
//! code's text ([FailCode::as_str]) and an exact message. The texts are part of the receipts and
//! so of the state root: they never change. The API and the dashboard match these names.
use gridledger_types::TEXT_MAX_BYTES;

/// Longest failure message in bytes (what a [gridledger_types::TxStatus] decodes).
pub const FAILURE_MESSAGE_MAX_BYTES: usize = 4 * TEXT_MAX_BYTES;

macro_rules! fail_codes {
    ($($(#[doc = $doc:literal])* $variant:ident => $text:literal,)+) => {
        /// A payload's failure code; [FailCode::as_str] is the text in its receipt.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum FailCode {
            $($(#[doc = $doc])* $variant,)+
        }

        impl FailCode {
            /// Every failure code, in the order of their texts.
            pub const ALL: &'static [FailCode] = &[$(Self::$variant),+];

            /// The code as it appears in receipts (`snake_case`, stable).
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $text,)+
                }
            }

            /// The code whose receipt text is `text`.
            pub fn from_text(text: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|c| c.as_str() == text)
            }
        }
    };
}

fail_codes! {
    /// This PPA is already accepted.
    AlreadyAccepted => "already_accepted",
    /// This contract is already approved.
    AlreadyApproved => "already_approved",
    /// Every site is billed for ….
    AlreadyBilled => "already_billed",
    /// Meter … measures site ….
    AlreadyBound => "already_bound",
    /// Intention … is already cancelled.
    AlreadyCancelled => "already_cancelled",
    /// This period is already cleared.
    AlreadyCleared => "already_cleared",
    /// Every bill of that month was tried.
    AlreadyCollected => "already_collected",
    /// This contract is already disputed.
    AlreadyDisputed => "already_disputed",
    /// This bill is already paid.
    AlreadyPaid => "already_paid",
    /// The account (or device) is already registered.
    AlreadyRegistered => "already_registered",
    /// This mandate was revoked at … ms.
    AlreadyRevoked => "already_revoked",
    /// The contract's period is settled.
    AlreadySettled => "already_settled",
    /// … is already suspended.
    AlreadySuspended => "already_suspended",
    /// This party has already terminated the PPA.
    AlreadyTerminated => "already_terminated",
    /// Approvals closed at … ms.
    ApprovalExpired => "approval_expired",
    /// A validator's p2p address is not dialable.
    BadAddress => "bad_address",
    /// Max prepay must be positive and at least the auto-charge maximum.
    BadAmount => "bad_amount",
    /// Expire 1..=… sessions at a time.
    BadBatch => "bad_batch",
    /// A card id is printable ASCII.
    BadCard => "bad_card",
    /// Charger … has connectors 1..=….
    BadConnector => "bad_connector",
    /// A charger has 1..=… connectors.
    BadConnectors => "bad_connectors",
    /// Hold expiry must be …..=… ms, got ….
    BadExpiry => "bad_expiry",
    /// Price must be 1..=… mKRW/kWh.
    BadPrice => "bad_price",
    /// The session number is out of range (too far past the last, or past the largest).
    BadSession => "bad_session",
    /// The payer's bill of that month is paid.
    BillClosed => "bill_closed",
    /// Too many lines in one bill.
    BillFull => "bill_full",
    /// The operator has not configured billing (grid company, feed-in price).
    BillingNotConfigured => "billing_not_configured",
    /// The bills of … are not all issued yet.
    BillsNotIssued => "bills_not_issued",
    /// An operator cannot suspend itself.
    CannotSuspendSelf => "cannot_suspend_self",
    /// Cap … mKRW exceeds the operator's maximum … mKRW.
    CapTooHigh => "cap_too_high",
    /// The card is already member …'s.
    CardInUse => "card_in_use",
    /// Charger … is inactive.
    ChargerInactive => "charger_inactive",
    /// Send ConfigureCharging before registering chargers.
    ChargingNotConfigured => "charging_not_configured",
    /// The clearing result names an unknown intention (a bug; never expected).
    ClearingFailed => "clearing_failed",
    /// Member … already has session … open at charger ….
    ConcurrentSession => "concurrent_session",
    /// Import would go below zero or overflow.
    CorrectionOutOfRange => "correction_out_of_range",
    /// Buyers may dispute until … ms; settle after.
    DisputeWindowOpen => "dispute_window_open",
    /// Intervals up to … ms are already reported.
    DuplicateInterval => "duplicate_interval",
    /// Market … is named twice.
    DuplicateMarket => "duplicate_market",
    /// … is named more than once in this change.
    DuplicateValidator => "duplicate_validator",
    /// Add or remove at least one validator.
    EmptyChange => "empty_change",
    /// The profile gives no energy in any month of the term.
    EmptyProfile => "empty_profile",
    /// The change would leave epoch … without validators.
    EmptyValidatorSet => "empty_validator_set",
    /// The term ends (…) before it starts (…).
    EndBeforeStart => "end_before_start",
    /// No epoch follows this one.
    EpochOverflow => "epoch_overflow",
    /// Capture of … mKRW exceeds hold of … mKRW.
    ExceedsHold => "exceeds_hold",
    /// Hold expiry … ms is not after block time … ms.
    ExpiryInPast => "expiry_in_past",
    /// A reading's interval ends in the future (or its end overflows).
    FutureReading => "future_reading",
    /// Intentions for this period closed at … ms.
    GateClosed => "gate_closed",
    /// The gate closes at … ms.
    GateOpen => "gate_open",
    /// Hold … already exists.
    HoldExists => "hold_exists",
    /// Hold expired at … ms; block time is … ms.
    HoldExpired => "hold_expired",
    /// Hold expires at … ms; block time is … ms.
    HoldNotExpired => "hold_not_expired",
    /// The payer's balance does not cover the amount (or the hold it needs).
    InsufficientBalance => "insufficient_balance",
    /// This meter reports … ms intervals.
    IntervalMismatch => "interval_mismatch",
    /// Approval window is at most … ms.
    InvalidApprovalWindow => "invalid_approval_window",
    /// The due day is 1 to 28.
    InvalidDueDay => "invalid_due_day",
    /// The delivered energy is more than the contract's.
    InvalidEnergy => "invalid_energy",
    /// Fees are at most … mKRW/kWh.
    InvalidFee => "invalid_fee",
    /// Gate lead is at most … ms.
    InvalidGate => "invalid_gate",
    /// Interval … ms is not one of ….
    InvalidInterval => "invalid_interval",
    /// … is not a month (YYYYMM).
    InvalidMonth => "invalid_month",
    /// A name is empty or too long.
    InvalidName => "invalid_name",
    /// The notice is at most … months.
    InvalidNotice => "invalid_notice",
    /// The period does not fit (its end overflows or it is not a period start).
    InvalidPeriod => "invalid_period",
    /// The feed-in price is at most … mKRW/kWh.
    InvalidPrice => "invalid_price",
    /// The profile has … months; it needs … (January to December).
    InvalidProfile => "invalid_profile",
    /// The share is at most … basis points.
    InvalidShare => "invalid_share",
    /// Tariff version does not decode: ….
    InvalidTariff => "invalid_tariff",
    /// The mandate must end after it starts (… ms) and after now (… ms).
    InvalidWindow => "invalid_window",
    /// The mandate for site … ended at … ms.
    MandateExpired => "mandate_expired",
    /// The mandate for site … starts at … ms.
    MandateNotStarted => "mandate_not_started",
    /// The owner of site … revoked this mandate at … ms.
    MandateRevoked => "mandate_revoked",
    /// Market … is not active.
    MarketInactive => "market_inactive",
    /// Member … is suspended.
    MemberBlocked => "member_blocked",
    /// Member … has expired.
    MemberExpired => "member_expired",
    /// Intervals must start on a multiple of their length.
    MisalignedInterval => "misaligned_interval",
    /// Bank_ref must not be empty.
    MissingBankRef => "missing_bank_ref",
    /// General service sites need their contracted demand in kW.
    MissingContractKw => "missing_contract_kw",
    /// A dispute needs a reason.
    MissingReason => "missing_reason",
    /// The bills of … are being issued; its periods are closed.
    MonthBilled => "month_billed",
    /// … ends at … ms.
    MonthNotEnded => "month_not_ended",
    /// … has no bill for ….
    NoBill => "no_bill",
    /// … holds no mandate from the owner of site ….
    NoMandate => "no_mandate",
    /// No tariff version is in force in ….
    NoTariff => "no_tariff",
    /// … is not a charging member.
    NotAMember => "not_a_member",
    /// Device … is a ….
    NotAMeter => "not_a_meter",
    /// Only the owners of the PPA's two sites (or sales companies under their mandates) may do this.
    NotAParty => "not_a_party",
    /// The PPA is not accepted (close a proposal with withdraw-ppa).
    NotAccepted => "not_accepted",
    /// The contract was never approved.
    NotApproved => "not_approved",
    /// Only the member, or the charger's owner within the member's auto-charge cap, may prepay.
    NotAuthorised => "not_authorised",
    /// Only the hold's beneficiary, or its payer after expiry, may release or capture it.
    NotAuthorized => "not_authorized",
    /// The signer is not the bank (only the bank mints).
    NotBank => "not_bank",
    /// Only the contract's buyer (or a sales company under its mandate) may dispute it.
    NotBuyer => "not_buyer",
    /// Charger … belongs to ….
    NotChargerOwner => "not_charger_owner",
    /// The signer is not a charging operator.
    NotChargingOperator => "not_charging_operator",
    /// The period has not been cleared.
    NotCleared => "not_cleared",
    /// The contract is not disputed.
    NotDisputed => "not_disputed",
    /// The bills of … are due at … ms.
    NotDue => "not_due",
    /// The named account is not the grid company.
    NotGridCompany => "not_grid_company",
    /// Member … belongs to operator ….
    NotMemberOperator => "not_member_operator",
    /// Market … has … periods; PPAs need monthly ones.
    NotMonthly => "not_monthly",
    /// The signer is not the operator.
    NotOperator => "not_operator",
    /// … has role …, not operator.
    NotOperatorAccount => "not_operator_account",
    /// … has role …; mandates go to sales companies.
    NotSalesCompany => "not_sales_company",
    /// Only the owner of site … may grant mandates for it.
    NotSiteOwner => "not_site_owner",
    /// … is not suspended.
    NotSuspended => "not_suspended",
    /// No prepaid session has expired.
    NothingExpired => "nothing_expired",
    /// Disputes are accepted from … ms until before … ms.
    OutsideDisputeWindow => "outside_dispute_window",
    /// The mandate for site … covers the … side(s), not ….
    OutsideMandate => "outside_mandate",
    /// An amount or counter would overflow (or go below zero).
    Overflow => "overflow",
    /// The other party must accept, with its own signature.
    OwnProposal => "own_proposal",
    /// The owner of site … is suspended; nobody trades for it.
    OwnerSuspended => "owner_suspended",
    /// A period takes at most … intentions.
    PeriodFull => "period_full",
    /// Market … has … periods; a market's period length never changes.
    PeriodKindFixed => "period_kind_fixed",
    /// The period ends at … ms.
    PeriodNotEnded => "period_not_ended",
    /// Market … has PPAs to settle in …; clear and settle its period.
    PeriodsUnsettled => "periods_unsettled",
    /// The proposal is …; nothing can change it.
    PpaClosed => "ppa_closed",
    /// The PPA's last month was ….
    PpaEnded => "ppa_ended",
    /// The price is at most … mKRW/kWh.
    PriceTooHigh => "price_too_high",
    /// A month of the profile is at most … Wh.
    ProfileTooLarge => "profile_too_large",
    /// Register reading … is below the one before it.
    RegisterBackwards => "register_backwards",
    /// The reading at … ms was import … / export … Wh.
    RegisterMismatch => "register_mismatch",
    /// Cannot place a hold for oneself.
    SelfHold => "self_hold",
    /// The owner always acts for its own site; a mandate names another party.
    SelfMandate => "self_mandate",
    /// Both sites have the same owner; a PPA needs two parties.
    SelfTrade => "self_trade",
    /// Cannot transfer to oneself.
    SelfTransfer => "self_transfer",
    /// Charger … already has session ….
    SessionExists => "session_exists",
    /// Session … must be cancelled before it settles.
    SessionNotCancelled => "session_not_cancelled",
    /// Session … has already ended.
    SessionNotOpen => "session_not_open",
    /// Session … was refunded after its hold expired.
    SessionRefunded => "session_refunded",
    /// Session … is already settled.
    SessionSettled => "session_settled",
    /// Site … already exists.
    SiteExists => "site_exists",
    /// The term must start after the current month ….
    StartPassed => "start_passed",
    /// The term starts at most … months ahead.
    StartTooFar => "start_too_far",
    /// The tariff table could not compute the bill (e.g. an amount overflows).
    TariffError => "tariff_error",
    /// A tariff version named … has another effective date.
    TariffIdTaken => "tariff_id_taken",
    /// A text field is longer than the chain allows.
    TextTooLong => "text_too_long",
    /// A batch needs its start reading and at least one interval.
    TooFewReadings => "too_few_readings",
    /// The term is … months; at most ….
    TooLong => "too_long",
    /// The site holds the most mandate records it may; grant again to one of their companies instead.
    TooManyMandates => "too_many_mandates",
    /// Market … holds … live PPAs.
    TooManyPpas => "too_many_ppas",
    /// … has … proposals in market … nobody accepted yet.
    TooManyProposals => "too_many_proposals",
    /// The change would give epoch … … validators; at most ….
    TooManyValidators => "too_many_validators",
    /// … is not bound to a site.
    UnboundMeter => "unbound_meter",
    /// No charger ….
    UnknownCharger => "unknown_charger",
    /// The named company is not a registered participant.
    UnknownCompany => "unknown_company",
    /// No contract … in … period ….
    UnknownContract => "unknown_contract",
    /// … is not a registered device.
    UnknownDevice => "unknown_device",
    /// The named grid company is not a registered participant.
    UnknownGridCompany => "unknown_grid_company",
    /// No hold ….
    UnknownHold => "unknown_hold",
    /// A contract or intention id names no intention.
    UnknownIntention => "unknown_intention",
    /// No market ….
    UnknownMarket => "unknown_market",
    /// No member number ….
    UnknownMember => "unknown_member",
    /// The named owner is not a registered participant.
    UnknownOwner => "unknown_owner",
    /// The named account is not a registered participant.
    UnknownParticipant => "unknown_participant",
    /// The named platform account is not a registered participant.
    UnknownPlatformAccount => "unknown_platform_account",
    /// No PPA ….
    UnknownPpa => "unknown_ppa",
    /// The recipient is not a registered participant.
    UnknownRecipient => "unknown_recipient",
    /// Charger … has no session ….
    UnknownSession => "unknown_session",
    /// The signer is not a registered participant (admission normally refuses this first).
    UnknownSigner => "unknown_signer",
    /// No site ….
    UnknownSite => "unknown_site",
    /// The site's tariff class is not in the tariff version in force.
    UnknownTariffClass => "unknown_tariff_class",
    /// … is not in the validator set of epoch ….
    UnknownValidator => "unknown_validator",
    /// A payload reached a handler that does not take it (a bug; never expected).
    Unreachable => "unreachable",
    /// … is already in the validator set of epoch ….
    ValidatorExists => "validator_exists",
    /// Session … at … is paid by ….
    WrongPayer => "wrong_payer",
    /// Amount must be greater than zero.
    ZeroAmount => "zero_amount",
    /// Energy must be greater than zero.
    ZeroEnergy => "zero_energy",
    /// A buy needs a maximum price above zero.
    ZeroLimit => "zero_limit",
    /// The price must be greater than zero.
    ZeroPrice => "zero_price",
}

impl std::fmt::Display for FailCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a payload failed: a code and an exact message.
#[derive(Debug)]
pub struct Fail {
    pub code: FailCode,
    pub message: String,
}

/// A [Fail] with `message` cut to [FAILURE_MESSAGE_MAX_BYTES] (on a character boundary).
pub(crate) fn fail(code: FailCode, message: impl Into<String>) -> Fail {
    let mut message = message.into();
    if message.len() > FAILURE_MESSAGE_MAX_BYTES {
        let mut end = FAILURE_MESSAGE_MAX_BYTES;
        while !message.is_char_boundary(end) {
            end -= 1;
        }
        message.truncate(end);
    }
    Fail { code, message }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_is_listed_once_in_snake_case_and_reads_back() {
        assert_eq!(FailCode::ALL.len(), 171);
        let mut texts: Vec<_> = FailCode::ALL.iter().map(|c| c.as_str()).collect();
        assert!(texts.windows(2).all(|w| w[0] < w[1]), "sorted and unique");
        texts.dedup();
        assert_eq!(texts.len(), FailCode::ALL.len());
        for c in FailCode::ALL {
            let t = c.as_str();
            assert!(!t.is_empty() && t.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'));
            assert_eq!(FailCode::from_text(t), Some(*c));
        }
        assert_eq!(FailCode::from_text("no_such_code"), None);
        assert_eq!(
            FailCode::InsufficientBalance.as_str(),
            "insufficient_balance"
        );
    }

    #[test]
    fn long_failure_messages_are_cut_to_what_a_receipt_decodes() {
        let f = fail(FailCode::Overflow, "é".repeat(FAILURE_MESSAGE_MAX_BYTES));
        assert!(f.message.len() <= FAILURE_MESSAGE_MAX_BYTES);
        assert!(f.message.len() > FAILURE_MESSAGE_MAX_BYTES - 2);
    }
}
