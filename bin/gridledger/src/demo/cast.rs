//! Who is in the demo: the pilot's participants, their sites, meters' profiles and standing
//! rules, the charging operator's chargers and the EV members.
use gridledger_types::{Role, Side};

/// A site with its owner (one portal login each) and its energy management system's rules.
pub struct SiteSpec {
    /// Portal login of the owner, and the site's id.
    pub login: &'static str,
    pub owner_name: &'static str,
    pub site_name: &'static str,
    pub building: bool,
    /// Contracted demand (kW) of a building; 0 for a household.
    pub contract_kw: u32,
    /// Buildings on their own feeder; complex 1 on feeder 2, complex 2 on feeder 3.
    pub feeder: u32,
    /// The meter's synthetic profile (`gridledger_sdk::profile`).
    pub profile: &'static str,
    /// Standing rule: side, kWh per month, limit in won/kWh.
    pub rule: (Side, u64, u64),
    /// Pays its bill itself before the due day (the others are auto-debited on the 18th).
    pub pays_early: bool,
    /// Wallet at the start, won (one household starts short and its bill goes overdue).
    pub wallet_won: u64,
}

impl SiteSpec {
    pub fn role(&self) -> Role {
        if self.rule.0 == Side::Sell {
            Role::Prosumer
        } else {
            Role::Consumer
        }
    }

    pub fn kind_label(&self) -> &'static str {
        if self.building {
            "commercial building (k-BEMS)"
        } else if self.rule.0 == Side::Sell {
            "household with PV (HEMS)"
        } else {
            "household (HEMS)"
        }
    }
}

const fn b(
    login: &'static str,
    owner_name: &'static str,
    site_name: &'static str,
    contract_kw: u32,
    profile: &'static str,
    rule: (Side, u64, u64),
) -> SiteSpec {
    SiteSpec {
        login,
        owner_name,
        site_name,
        building: true,
        contract_kw,
        feeder: 1,
        profile,
        rule,
        pays_early: false,
        wallet_won: 5_000_000,
    }
}

const fn h(
    login: &'static str,
    owner_name: &'static str,
    feeder: u32,
    profile: &'static str,
    rule: (Side, u64, u64),
    pays_early: bool,
    wallet_won: u64,
) -> SiteSpec {
    SiteSpec {
        login,
        owner_name,
        site_name: login,
        building: false,
        contract_kw: 0,
        feeder,
        profile,
        rule,
        pays_early,
        wallet_won,
    }
}

const SELL: Side = Side::Sell;
const BUY: Side = Side::Buy;

/// Three commercial buildings and twelve households in two apartment complexes.
pub const SITES: [SiteSpec; 15] = [
    b(
        "bldg-a",
        "Hanbit Tower Co.",
        "Hanbit Tower (rooftop PV)",
        60,
        "prosumer:6000,80000",
        (SELL, 2_000, 120),
    ),
    b(
        "bldg-b",
        "Saerom Office Co.",
        "Saerom Office (rooftop PV)",
        50,
        "prosumer:5000,60000",
        (SELL, 1_500, 130),
    ),
    b(
        "bldg-c",
        "Gaon Mall Co.",
        "Gaon Mall",
        100,
        "building:100",
        (BUY, 2_500, 160),
    ),
    h(
        "apt1-101",
        "Kim Minjun",
        2,
        "prosumer:300,6000",
        (SELL, 200, 140),
        true,
        300_000,
    ),
    h(
        "apt1-102",
        "Lee Seoyeon",
        2,
        "household:450",
        (BUY, 150, 250),
        false,
        300_000,
    ),
    h(
        "apt1-201",
        "Park Jiho",
        2,
        "prosumer:350,5000",
        (SELL, 150, 150),
        false,
        300_000,
    ),
    h(
        "apt1-202",
        "Choi Haeun",
        2,
        "household:500",
        (BUY, 150, 250),
        true,
        300_000,
    ),
    h(
        "apt1-301",
        "Jung Yejun",
        2,
        "prosumer:280,4000",
        (SELL, 100, 145),
        false,
        300_000,
    ),
    h(
        "apt1-302",
        "Kang Sua",
        2,
        "household:380",
        (BUY, 100, 230),
        false,
        300_000,
    ),
    h(
        "apt2-101",
        "Cho Dohyun",
        3,
        "prosumer:320,5500",
        (SELL, 180, 140),
        false,
        300_000,
    ),
    h(
        "apt2-102",
        "Yoon Jiwoo",
        3,
        "household:600",
        (BUY, 200, 240),
        true,
        300_000,
    ),
    h(
        "apt2-201",
        "Jang Siwoo",
        3,
        "household:420",
        (BUY, 120, 235),
        false,
        300_000,
    ),
    h(
        "apt2-202",
        "Lim Hayoon",
        3,
        "prosumer:300,5000",
        (SELL, 150, 150),
        false,
        300_000,
    ),
    h(
        "apt2-301",
        "Han Eunwoo",
        3,
        "household:550",
        (BUY, 150, 245),
        false,
        300_000,
    ),
    h(
        "apt2-302",
        "Oh Jimin",
        3,
        "household:400",
        (BUY, 120, 250),
        false,
        1_000,
    ),
];

/// A charger of the charging operator.
pub struct ChargerSpec {
    pub id: &'static str,
    pub fast: bool,
    pub connectors: u8,
    /// Won per kWh, in milli-won.
    pub price_mwon: u64,
    pub label: &'static str,
    /// Energy per demo session, Wh, and wall seconds between sessions.
    pub session_wh: u64,
    pub every_secs: u64,
}

pub const CHARGERS: [ChargerSpec; 2] = [
    ChargerSpec {
        id: "CP-FAST-1",
        fast: true,
        connectors: 1,
        price_mwon: 347_200,
        label: "Gaon Mall parking B1, 100 kW fast",
        session_wh: 24_000,
        every_secs: 25,
    },
    ChargerSpec {
        id: "CP-SLOW-1",
        fast: false,
        connectors: 2,
        price_mwon: 255_700,
        label: "Apartment complex 1, 7 kW slow",
        session_wh: 9_000,
        every_secs: 40,
    },
];

/// EV members (portal logins `ev-01`...): name, RFID card, wallet in won.
pub const MEMBERS: [(&str, &str, u64); 4] = [
    ("Seo Yuna", "EV-CARD-0001", 200_000),
    ("Kwon Taeyang", "EV-CARD-0002", 200_000),
    ("Hwang Nari", "EV-CARD-0003", 150_000),
    ("Song Minho", "EV-CARD-0004", 150_000),
];

/// Each member's standing authorisation per session (won).
pub const AUTO_CHARGE_CAP_WON: u64 = 30_000;

pub fn member_login(i: usize) -> String {
    format!("ev-{:02}", i + 1)
}

/// Market settings of the demo's monthly market (as in the pilot).
pub const MARKET: &str = "monthly";
pub const GATE_LEAD_MS: u64 = 24 * 3_600_000;
pub const APPROVAL_WINDOW_MS: u64 = 2 * 24 * 3_600_000;
pub const DISPUTE_WINDOW_MS: u64 = 3_600_000;
pub const WHEELING_WON: u64 = 10;
pub const PLATFORM_WON: u64 = 2;
pub const FEED_IN_WON: u64 = 100;
pub const DUE_DAY: u8 = 18;
/// Day of the month after the billed month on which early payers pay.
pub const PAY_DAY: u32 = 10;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logins_are_portal_logins_and_unique() {
        let mut all: Vec<String> = SITES.iter().map(|s| s.login.to_string()).collect();
        all.extend((0..MEMBERS.len()).map(member_login));
        all.extend(["operator", "bank", "grid", "charging"].map(String::from));
        for l in &all {
            assert!(
                !l.is_empty()
                    && l.len() <= 32
                    && l.bytes().all(|b| b.is_ascii_lowercase()
                        || b.is_ascii_digit()
                        || b == b'-'
                        || b == b'_'),
                "{l}"
            );
            assert!(gridledger_types::SiteId::new(l.clone()).is_ok(), "{l}");
        }
        let n = all.len();
        all.sort();
        all.dedup();
        assert_eq!(all.len(), n);
        assert_eq!(SITES.iter().filter(|s| s.building).count(), 3);
        assert_eq!(SITES.iter().filter(|s| !s.building).count(), 12);
        for s in &SITES {
            assert!(
                s.profile
                    .parse::<gridledger_sdk::profile::Profile>()
                    .is_ok(),
                "{}",
                s.profile
            );
        }
    }
}
