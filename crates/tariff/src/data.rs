//! The tariff data file (JSON) and [TariffSet], the ordered list of versions.
//!
//! Format (`data/kepco.json` is the shipped example): a top-level object with `format`
//! (`"gridledger-tariff/1"`), optional `notes` (strings) and `versions`, each
//! ```text
//! { "id": "kepco-2025-07", "effective_from": "2025-07-01", "note": "...",
//!   "residential_low":  { "seasons": [ { "name": "summer", "months": [7, 8], "tiers": [
//!                           { "up_to_kwh": "300", "base_won": "910",  "rate_won_per_kwh": "120.0" },
//!                           ...,
//!                           { "up_to_kwh": null,  "base_won": "7300", "rate_won_per_kwh": "307.3" } ] },
//!                         ... ],
//!                         "super_user": { "months": [7, 8, 12, 1, 2], "above_kwh": "1000",
//!                                         "rate_won_per_kwh": "736.2" } },
//!   "residential_high": { same shape },
//!   "general_low": { "base_won_per_kw": "6160",
//!                    "seasons": [ { "name": "summer", "months": [6, 7, 8], "rate_won_per_kwh": "132.4" }, ... ] },
//!   "common": { "climate_environment_won_per_kwh": "9", "fuel_cost_adjustment_won_per_kwh": "5",
//!               "vat_percent": "10", "fund_percent": "2.7",
//!               "rounding": { "electricity_charge": { "floor_to_mwon": 1000 },
//!                             "vat": { "half_up_to_mwon": 1000 },
//!                             "fund": { "floor_to_mwon": 10000 }, "total": { "floor_to_mwon": 10000 } } } }
//! ```
//! Amounts are decimal strings read exactly (won and kWh with up to 3 decimals, percentages with
//! up to 2); unknown fields are refused so a typo cannot silently drop a component.
use crate::{
    error::invalid,
    model::{
        Classes, Common, Date, GeneralSeason, GeneralTariff, MonthSet, ResidentialSeason,
        ResidentialTariff, RoundingRules, SuperUser, TariffVersion, Tier, MAX_VERSIONS,
    },
    parse_decimal, Error,
};
use gridledger_types::{EnergyWh, MilliWon, PriceMilliWonPerKwh};
use serde::Deserialize;

/// The `format` value this crate reads.
pub const FORMAT: &str = "gridledger-tariff/1";

/// The KEPCO tariff shipped with the crate (`data/kepco.json`).
pub const KEPCO_JSON: &str = include_str!("../data/kepco.json");

/// Largest data file accepted by [TariffSet::from_json], in bytes.
pub const DATA_MAX_BYTES: usize = 4 * 1024 * 1024;

/// Versions of a tariff ordered by `effective_from` (strictly ascending), ids unique.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TariffSet {
    versions: Vec<TariffVersion>,
}

impl TariffSet {
    /// A set of `versions` after validating each of them, their order and their ids.
    pub fn new(versions: Vec<TariffVersion>) -> Result<Self, Error> {
        if versions.is_empty() || versions.len() > MAX_VERSIONS {
            return Err(invalid(
                "versions",
                format!("1..={MAX_VERSIONS} versions required"),
            ));
        }
        for v in &versions {
            v.validate()?;
        }
        for w in versions.windows(2) {
            if w[0].effective_from >= w[1].effective_from {
                return Err(invalid(
                    "versions",
                    format!(
                        "{} ({}) must take effect strictly after {} ({})",
                        w[1].id, w[1].effective_from, w[0].id, w[0].effective_from
                    ),
                ));
            }
        }
        let mut ids = std::collections::BTreeSet::new();
        for v in &versions {
            if !ids.insert(v.id.as_str()) {
                return Err(invalid("versions", format!("duplicate id {}", v.id)));
            }
        }
        Ok(Self { versions })
    }

    /// Reads and validates a data file.
    pub fn from_json(json: &str) -> Result<Self, Error> {
        if json.len() > DATA_MAX_BYTES {
            return Err(Error::Json(format!("larger than {DATA_MAX_BYTES} bytes")));
        }
        let raw: RawFile = serde_json::from_str(json).map_err(|e| Error::Json(e.to_string()))?;
        if raw.format != FORMAT {
            return Err(Error::Json(format!(
                "format {:?} is not {FORMAT:?}",
                raw.format
            )));
        }
        let versions = raw
            .versions
            .into_iter()
            .map(RawVersion::into_typed)
            .collect::<Result<Vec<_>, _>>()?;
        Self::new(versions)
    }

    /// The KEPCO tariff shipped with the crate ([KEPCO_JSON]).
    pub fn kepco() -> Result<Self, Error> {
        Self::from_json(KEPCO_JSON)
    }

    pub fn versions(&self) -> &[TariffVersion] {
        &self.versions
    }

    /// The version in force for the bill of `year`-`month`: the one whose `effective_from` is
    /// the latest on or before the first day of that month. A version taking effect in the
    /// middle of a month therefore first applies to the next month's bill (no pro-rating by
    /// days). Error for month outside 1..=12 or a month before the first version.
    pub fn version_for(&self, year: u16, month: u8) -> Result<&TariffVersion, Error> {
        let first = Date::first_of(year, month)?;
        let n = self.versions.partition_point(|v| v.effective_from <= first);
        n.checked_sub(1)
            .and_then(|i| self.versions.get(i))
            .ok_or(Error::NoVersionInForce { year, month })
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    format: String,
    #[serde(default)]
    #[allow(dead_code)]
    notes: Vec<String>,
    versions: Vec<RawVersion>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawVersion {
    id: String,
    effective_from: String,
    #[serde(default)]
    #[allow(dead_code)]
    note: Option<String>,
    residential_low: RawResidential,
    residential_high: RawResidential,
    general_low: RawGeneral,
    common: RawCommon,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawResidential {
    #[serde(default)]
    #[allow(dead_code)]
    note: Option<String>,
    seasons: Vec<RawResidentialSeason>,
    super_user: Option<RawSuperUser>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawResidentialSeason {
    name: String,
    months: Vec<u8>,
    tiers: Vec<RawTier>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTier {
    up_to_kwh: Option<String>,
    base_won: String,
    rate_won_per_kwh: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSuperUser {
    months: Vec<u8>,
    above_kwh: String,
    rate_won_per_kwh: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGeneral {
    #[serde(default)]
    #[allow(dead_code)]
    note: Option<String>,
    base_won_per_kw: String,
    seasons: Vec<RawGeneralSeason>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGeneralSeason {
    name: String,
    months: Vec<u8>,
    rate_won_per_kwh: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCommon {
    climate_environment_won_per_kwh: String,
    fuel_cost_adjustment_won_per_kwh: String,
    vat_percent: String,
    fund_percent: String,
    rounding: RoundingRules,
}

fn won(s: &str) -> Result<MilliWon, Error> {
    parse_decimal(s, 3).map(MilliWon)
}

fn rate(s: &str) -> Result<PriceMilliWonPerKwh, Error> {
    parse_decimal(s, 3).map(PriceMilliWonPerKwh)
}

fn kwh(s: &str) -> Result<EnergyWh, Error> {
    parse_decimal(s, 3).map(EnergyWh)
}

fn percent_bp(s: &str) -> Result<u32, Error> {
    let bp = parse_decimal(s, 2)?;
    u32::try_from(bp).map_err(|_| invalid("percent", format!("{s} % is too large")))
}

impl RawVersion {
    fn into_typed(self) -> Result<TariffVersion, Error> {
        let id = self.id;
        let ctx = |e: Error| match e {
            Error::InvalidData { context, reason } => invalid(format!("{id} {context}"), reason),
            other => invalid(id.clone(), other.to_string()),
        };
        let effective_from = Date::parse(&self.effective_from).map_err(ctx)?;
        let classes = Classes {
            residential_low: self.residential_low.into_typed().map_err(ctx)?,
            residential_high: self.residential_high.into_typed().map_err(ctx)?,
            general_low: self.general_low.into_typed().map_err(ctx)?,
        };
        let c = self.common;
        let common = Common {
            climate_environment: rate(&c.climate_environment_won_per_kwh).map_err(ctx)?,
            fuel_cost_adjustment: rate(&c.fuel_cost_adjustment_won_per_kwh).map_err(ctx)?,
            vat_bp: percent_bp(&c.vat_percent).map_err(ctx)?,
            fund_bp: percent_bp(&c.fund_percent).map_err(ctx)?,
            rounding: c.rounding,
        };
        Ok(TariffVersion {
            id: id.clone(),
            effective_from,
            classes,
            common,
        })
    }
}

impl RawResidential {
    fn into_typed(self) -> Result<ResidentialTariff, Error> {
        let seasons = self
            .seasons
            .into_iter()
            .map(|s| {
                Ok(ResidentialSeason {
                    months: MonthSet::from_months(&s.months)?,
                    tiers: s
                        .tiers
                        .into_iter()
                        .map(|t| {
                            Ok(Tier {
                                up_to_wh: t.up_to_kwh.as_deref().map(kwh).transpose()?,
                                base: won(&t.base_won)?,
                                rate: rate(&t.rate_won_per_kwh)?,
                            })
                        })
                        .collect::<Result<_, Error>>()?,
                    name: s.name,
                })
            })
            .collect::<Result<_, Error>>()?;
        let super_user = self
            .super_user
            .map(|s| {
                Ok::<_, Error>(SuperUser {
                    months: MonthSet::from_months(&s.months)?,
                    above_wh: kwh(&s.above_kwh)?,
                    rate: rate(&s.rate_won_per_kwh)?,
                })
            })
            .transpose()?;
        Ok(ResidentialTariff {
            seasons,
            super_user,
        })
    }
}

impl RawGeneral {
    fn into_typed(self) -> Result<GeneralTariff, Error> {
        Ok(GeneralTariff {
            base_per_kw: won(&self.base_won_per_kw)?,
            seasons: self
                .seasons
                .into_iter()
                .map(|s| {
                    Ok(GeneralSeason {
                        months: MonthSet::from_months(&s.months)?,
                        rate: rate(&s.rate_won_per_kwh)?,
                        name: s.name,
                    })
                })
                .collect::<Result<_, Error>>()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_data_loads() {
        let set = TariffSet::kepco().unwrap();
        let ids: Vec<_> = set.versions().iter().map(|v| v.id.as_str()).collect();
        assert_eq!(ids, ["kepco-2023-05", "kepco-2024-07", "kepco-2025-07"]);
        let fund: Vec<_> = set.versions().iter().map(|v| v.common.fund_bp).collect();
        assert_eq!(fund, [370, 320, 270]);
        let v = &set.versions()[2];
        let low = &v.classes.residential_low;
        let other = &low.seasons[1];
        assert_eq!(other.tiers[0].up_to_wh, Some(EnergyWh(200_000)));
        assert_eq!(other.tiers[1].rate, PriceMilliWonPerKwh(214_600));
        assert_eq!(other.tiers[2].base, MilliWon(7_300_000));
        assert_eq!(low.super_user.unwrap().rate, PriceMilliWonPerKwh(736_200));
        assert_eq!(v.classes.general_low.base_per_kw, MilliWon(6_160_000));
        assert_eq!(v.common.vat_bp, 1_000);
    }

    #[test]
    fn version_selection_uses_the_first_of_the_month() {
        let set = TariffSet::kepco().unwrap();
        let id = |y, m| set.version_for(y, m).map(|v| v.id.as_str());
        // 2023-05-16 takes effect mid-month: May 2023 has no version, June 2023 has.
        assert_eq!(
            id(2023, 5),
            Err(Error::NoVersionInForce {
                year: 2023,
                month: 5
            })
        );
        assert_eq!(id(2023, 6), Ok("kepco-2023-05"));
        assert_eq!(id(2024, 6), Ok("kepco-2023-05"));
        assert_eq!(id(2024, 7), Ok("kepco-2024-07"));
        assert_eq!(id(2025, 6), Ok("kepco-2024-07"));
        assert_eq!(id(2025, 7), Ok("kepco-2025-07"));
        assert_eq!(id(2099, 12), Ok("kepco-2025-07"));
        assert_eq!(
            id(2025, 0),
            Err(Error::InvalidMonth {
                year: 2025,
                month: 0
            })
        );
        assert_eq!(
            id(2025, 13),
            Err(Error::InvalidMonth {
                year: 2025,
                month: 13
            })
        );
    }
}
