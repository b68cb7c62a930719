//! Deterministic synthetic interval energy for meters without real data (demos, tests, load):
//! a PV generator, a household, an office building, and a household with rooftop PV.
//!
//! Integer arithmetic only, so every machine computes the same Wh for the same
//! `(profile, seed, interval)`. Time is Korea time (UTC+9). The model, written out with its
//! tables, is in `docs/OPERATIONS.md` ("Meter agent"):
//!
//! - Time is cut into 15-minute slots (aligned to the Unix epoch, like meter intervals). Each
//!   slot has an average load and generation power in mW, evaluated at the slot's midpoint; its
//!   energy is `mW * 15 min`, rounded to the nearest Wh. An interval's energy is the sum of its
//!   slots, so an hour is exactly its four quarter hours.
//! - A slot's net `load - generation` goes to the import register when positive and to the
//!   export register when negative (a bidirectional meter with 15-minute resolution).
//! - The seed varies days: `day_factor = splitmix64(seed, stream, KST day number)` picks the
//!   weather of a PV day and the +-15 % (household) or +-10 % (building) level of a load day.
use crate::readings::IntervalEnergy;
use gridledger_types::{kst_date, KST_OFFSET_MS};
use std::{fmt, str::FromStr};

/// Length of the model's time step, in ms (the shortest meter interval).
pub const SLOT_MS: u64 = 900_000;
const DAY_MS: u64 = 86_400_000;
/// ms in an hour times mW in a W: divides mW * ms into Wh.
const MW_MS_PER_WH: u128 = 3_600_000 * 1_000;

/// Largest accepted parameters (100 MW of PV, 10 GWh a month, 1 GW of contracted demand).
pub const MAX_PEAK_W: u32 = 100_000_000;
pub const MAX_MONTHLY_KWH: u32 = 10_000_000;
pub const MAX_CONTRACT_KW: u32 = 1_000_000;

/// A synthetic meter. Parsed from `pv:PEAK_W`, `household:KWH_PER_MONTH`,
/// `building:CONTRACT_KW` or `prosumer:KWH_PER_MONTH,PEAK_W`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Profile {
    /// A PV generator's export meter: `peak_w` is its rated (nameplate) power.
    Pv { peak_w: u32 },
    /// A household that uses `monthly_kwh` in an average month (the year's total / 12).
    Household { monthly_kwh: u32 },
    /// An office building with `contract_kw` of contracted demand (its load stays below it).
    Building { contract_kw: u32 },
    /// A household with rooftop PV behind one meter.
    Prosumer { monthly_kwh: u32, peak_w: u32 },
}

// Seed streams, so a prosumer's weather and its load days are independent.
const STREAM_WEATHER: u64 = 1;
const STREAM_HOUSEHOLD: u64 = 2;
const STREAM_BUILDING: u64 = 3;

/// PV by KST month (January first): sunrise and sunset in minutes after midnight (Seoul,
/// mid-month) and the clear-sky noon output in permille of the rated power (sun height, heat
/// and haze): about 3.2 kWh per kW of rating a day over a year, as in Korea.
const PV_SUNRISE_MIN: [u64; 12] = [467, 445, 410, 365, 330, 311, 322, 346, 372, 398, 428, 455];
const PV_SUNSET_MIN: [u64; 12] = [
    1057, 1088, 1115, 1142, 1170, 1195, 1195, 1167, 1123, 1078, 1042, 1035,
];
const PV_PEAK_PERMILLE: [u64; 12] = [560, 640, 720, 780, 810, 820, 800, 780, 740, 680, 600, 540];

/// Household: share of a day's energy in each KST hour (permille, sums to 1000) and the
/// month's share of `12 * monthly_kwh` (permille of an average month, sums to 12000).
const HOUSEHOLD_HOUR_PERMILLE: [u64; 24] = [
    30, 25, 22, 20, 20, 22, 32, 50, 52, 40, 36, 36, 40, 38, 36, 36, 38, 45, 60, 70, 75, 72, 60, 45,
];
const HOUSEHOLD_SEASON_PERMILLE: [u64; 12] = [
    1150, 1080, 950, 870, 860, 950, 1150, 1250, 950, 870, 870, 1050,
];

/// Building: load in permille of the contracted demand by KST hour, weekdays and weekends, and
/// a monthly heating/cooling factor (permille).
const BUILDING_WEEKDAY_PERMILLE: [u64; 24] = [
    250, 240, 240, 240, 240, 260, 320, 450, 620, 700, 720, 720, 660, 700, 720, 710, 690, 640, 520,
    400, 330, 300, 280, 260,
];
const BUILDING_WEEKEND_PERMILLE: [u64; 24] = [
    250, 240, 240, 240, 240, 250, 260, 280, 320, 340, 350, 350, 340, 340, 340, 330, 320, 310, 300,
    290, 280, 270, 260, 250,
];
const BUILDING_SEASON_PERMILLE: [u64; 12] = [
    1050, 1000, 900, 850, 870, 950, 1080, 1120, 980, 870, 920, 1030,
];

/// Where a slot's midpoint falls in Korea time.
struct When {
    /// Days since 1970-01-01 KST.
    day: u64,
    /// Seconds after KST midnight.
    second: u64,
    /// 0 = January.
    month0: usize,
    days_in_month: u64,
    /// Saturday or Sunday.
    weekend: bool,
}

impl When {
    fn of(slot_start_ms: u64) -> Self {
        let mid = slot_start_ms.saturating_add(SLOT_MS / 2);
        let local = mid.saturating_add(KST_OFFSET_MS);
        let day = local / DAY_MS;
        let (y, m, _) = kst_date(mid);
        Self {
            day,
            second: (local % DAY_MS) / 1_000,
            month0: (m as usize).saturating_sub(1) % 12,
            days_in_month: days_in_month(y, m),
            // 1970-01-01 was a Thursday: (day + 3) % 7 is 0 on Mondays.
            weekend: (day + 3) % 7 >= 5,
        }
    }

    fn hour(&self) -> usize {
        (self.second / 3_600) as usize % 24
    }
}

fn days_in_month(y: i64, m: u32) -> u64 {
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    match m {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// splitmix64's finaliser: a fixed, well-mixed hash of a `u64`.
fn mix(z: u64) -> u64 {
    let z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    let z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The pseudo-random number of a seed, stream and KST day.
fn day_hash(seed: u64, stream: u64, day: u64) -> u64 {
    mix(seed ^ mix(stream ^ mix(day)))
}

/// A seed from text: a decimal number is itself, anything else its FNV-1a hash (so a site id
/// or an address can be the seed).
pub fn seed_of(text: &str) -> u64 {
    if let Ok(n) = text.parse::<u64>() {
        return n;
    }
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// `x * factors / denominator` in 128 bits (no intermediate rounding), saturating to `u64`.
fn scale(x: u64, factors: &[u64], denominator: u128) -> u64 {
    let p = factors
        .iter()
        .fold(u128::from(x), |acc, f| acc.saturating_mul(u128::from(*f)));
    u64::try_from(p / denominator.max(1)).unwrap_or(u64::MAX)
}

/// Clear-sky or cloudy: the day's PV factor in permille. 45 % of days clear (850-1000),
/// 35 % partly cloudy (450-850), 20 % overcast (100-350).
fn cloud_permille(seed: u64, day: u64) -> u64 {
    let h = day_hash(seed, STREAM_WEATHER, day);
    let r = h >> 16;
    match h % 100 {
        0..45 => 850 + r % 151,
        45..80 => 450 + r % 401,
        _ => 100 + r % 251,
    }
}

/// Average PV output (mW) over the slot.
fn pv_mw(peak_w: u32, seed: u64, w: &When) -> u64 {
    let sunrise = PV_SUNRISE_MIN[w.month0] * 60;
    let sunset = PV_SUNSET_MIN[w.month0] * 60;
    if w.second <= sunrise || w.second >= sunset {
        return 0;
    }
    // A squared parabola through sunrise and sunset, 1000 halfway (solar noon): low mornings
    // and evenings, as the sun's angle and the air mass make them.
    let (u, len) = (w.second - sunrise, sunset - sunrise);
    let p = 4_000 * u * (len - u) / (len * len);
    let shape = p * p / 1_000;
    scale(
        u64::from(peak_w) * 1_000,
        &[
            PV_PEAK_PERMILLE[w.month0],
            shape,
            cloud_permille(seed, w.day),
        ],
        1_000_000_000,
    )
}

/// Average household load (mW) over the slot.
fn household_mw(monthly_kwh: u32, seed: u64, w: &When) -> u64 {
    // monthly_kwh * 10^6 mWh a month * season / 1000 / days * hour share / 1000 over one hour
    // is the hour's average mW; the day's level is 850-1150 permille.
    let level = 850 + day_hash(seed, STREAM_HOUSEHOLD, w.day) % 301;
    scale(
        u64::from(monthly_kwh) * 1_000_000,
        &[
            HOUSEHOLD_SEASON_PERMILLE[w.month0],
            HOUSEHOLD_HOUR_PERMILLE[w.hour()],
            level,
        ],
        1_000_000_000 * u128::from(w.days_in_month),
    )
}

/// Average building load (mW) over the slot.
fn building_mw(contract_kw: u32, seed: u64, w: &When) -> u64 {
    let hours = if w.weekend {
        &BUILDING_WEEKEND_PERMILLE
    } else {
        &BUILDING_WEEKDAY_PERMILLE
    };
    let level = 900 + day_hash(seed, STREAM_BUILDING, w.day) % 201;
    scale(
        u64::from(contract_kw) * 1_000_000,
        &[hours[w.hour()], BUILDING_SEASON_PERMILLE[w.month0], level],
        1_000_000_000,
    )
}

/// Wh of `mw` over `ms`, rounded to the nearest.
fn wh(mw: u64, ms: u64) -> u64 {
    let e = u128::from(mw) * u128::from(ms) + MW_MS_PER_WH / 2;
    u64::try_from(e / MW_MS_PER_WH).unwrap_or(u64::MAX)
}

impl Profile {
    /// Average (load, generation) in mW over the 15-minute slot starting at `slot_start_ms`.
    pub fn slot_mw(&self, seed: u64, slot_start_ms: u64) -> (u64, u64) {
        let w = When::of(slot_start_ms);
        match *self {
            Self::Pv { peak_w } => (0, pv_mw(peak_w, seed, &w)),
            Self::Household { monthly_kwh } => (household_mw(monthly_kwh, seed, &w), 0),
            Self::Building { contract_kw } => (building_mw(contract_kw, seed, &w), 0),
            Self::Prosumer {
                monthly_kwh,
                peak_w,
            } => (household_mw(monthly_kwh, seed, &w), pv_mw(peak_w, seed, &w)),
        }
    }

    /// Energy through the meter over `[start_ms, start_ms + interval_ms)`: each 15-minute slot's
    /// net to import or export, summed. A slot only partly inside counts pro rata.
    pub fn interval_energy(&self, seed: u64, start_ms: u64, interval_ms: u32) -> IntervalEnergy {
        let end = start_ms.saturating_add(u64::from(interval_ms));
        let mut e = IntervalEnergy::default();
        let mut slot = start_ms - start_ms % SLOT_MS;
        while slot < end {
            let overlap = end.min(slot.saturating_add(SLOT_MS)) - slot.max(start_ms);
            let (load, generation) = self.slot_mw(seed, slot);
            let (imp, exp) = (
                load.saturating_sub(generation),
                generation.saturating_sub(load),
            );
            // Whole slots are rounded once, so an interval is the sum of its slots.
            let part = |mw: u64| wh(mw, SLOT_MS).saturating_mul(overlap) / SLOT_MS;
            e.import_wh = e.import_wh.saturating_add(part(imp));
            e.export_wh = e.export_wh.saturating_add(part(exp));
            let Some(next) = slot.checked_add(SLOT_MS) else {
                break;
            };
            slot = next;
        }
        e
    }

    /// Energies of `count` consecutive intervals from `start_ms`.
    pub fn intervals(
        &self,
        seed: u64,
        start_ms: u64,
        interval_ms: u32,
        count: usize,
    ) -> impl Iterator<Item = IntervalEnergy> + '_ {
        (0..count as u64).map(move |i| {
            let t = start_ms.saturating_add(i.saturating_mul(u64::from(interval_ms)));
            self.interval_energy(seed, t, interval_ms)
        })
    }
}

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Pv { peak_w } => write!(f, "pv:{peak_w}"),
            Self::Household { monthly_kwh } => write!(f, "household:{monthly_kwh}"),
            Self::Building { contract_kw } => write!(f, "building:{contract_kw}"),
            Self::Prosumer {
                monthly_kwh,
                peak_w,
            } => write!(f, "prosumer:{monthly_kwh},{peak_w}"),
        }
    }
}

fn param(s: &str, what: &str, max: u32) -> Result<u32, String> {
    match s.trim().parse::<u32>() {
        Ok(n) if (1..=max).contains(&n) => Ok(n),
        _ => Err(format!(
            "{what} must be an integer from 1 to {max}, not {s:?}"
        )),
    }
}

impl FromStr for Profile {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let (kind, args) = s.split_once(':').unwrap_or((s, ""));
        match kind.trim() {
            "pv" => Ok(Self::Pv {
                peak_w: param(args, "PEAK_W", MAX_PEAK_W)?,
            }),
            "household" => Ok(Self::Household {
                monthly_kwh: param(args, "KWH_PER_MONTH", MAX_MONTHLY_KWH)?,
            }),
            "building" => Ok(Self::Building {
                contract_kw: param(args, "CONTRACT_KW", MAX_CONTRACT_KW)?,
            }),
            "prosumer" => {
                let (kwh, peak) = args
                    .split_once(',')
                    .ok_or("expected prosumer:KWH_PER_MONTH,PEAK_W")?;
                Ok(Self::Prosumer {
                    monthly_kwh: param(kwh, "KWH_PER_MONTH", MAX_MONTHLY_KWH)?,
                    peak_w: param(peak, "PEAK_W", MAX_PEAK_W)?,
                })
            }
            _ => Err(format!(
                "unknown profile {s:?}: expected pv:PEAK_W, household:KWH_PER_MONTH, \
                 building:CONTRACT_KW or prosumer:KWH_PER_MONTH,PEAK_W"
            )),
        }
    }
}

#[cfg(test)]
mod tests;
