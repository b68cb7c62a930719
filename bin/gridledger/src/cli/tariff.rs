//! `gridledger tariff bill|show`: KEPCO bills computed locally from the tariff data shipped
//! with the binary (no node needed).
use anyhow::Context;
use clap::{Args, Subcommand};
use gridledger_tariff::{
    bill, format_decimal, parse_kwh, Bill, EnergyLine, TariffClass, TariffSet, TariffVersion,
};
use gridledger_types::{EnergyWh, MilliWon};
use std::fmt::Write as _;

#[derive(Debug, Subcommand)]
pub enum TariffCmd {
    /// A month's bill with every component.
    Bill(BillArgs),
    /// The tariff version in force in a month (default: the current month, Korea time).
    Show(ShowArgs),
}

#[derive(Debug, Args)]
pub struct BillArgs {
    /// residential-low, residential-high or general-low.
    #[arg(long, value_parser = parse_class)]
    pub class: TariffClass,
    /// The billed month, YYYY-MM.
    #[arg(long, value_parser = parse_month)]
    pub month: YearMonth,
    /// Energy consumed in the month, kWh with up to 3 decimals (e.g. 350 or 350.125).
    #[arg(long, value_parser = parse_energy, allow_hyphen_values = true)]
    pub kwh: EnergyWh,
    /// Contracted demand in kW (required for general-low, ignored otherwise).
    #[arg(long)]
    pub contract_kw: Option<u32>,
    /// Print the bill as JSON (money in milli-won, energy in Wh).
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// The month, YYYY-MM (default: the current month in Korea Standard Time).
    #[arg(long, value_parser = parse_month)]
    pub month: Option<YearMonth>,
    /// Print the version as JSON.
    #[arg(long)]
    pub json: bool,
}

/// A calendar month.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct YearMonth {
    pub year: u16,
    pub month: u8,
}

fn parse_class(s: &str) -> Result<TariffClass, String> {
    s.parse()
        .map_err(|e: gridledger_tariff::Error| e.to_string())
}

/// `YYYY-MM` with a month 01..=12.
pub fn parse_month(s: &str) -> Result<YearMonth, String> {
    let bad = || format!("{s:?} is not a month YYYY-MM (e.g. 2025-07)");
    let (y, m) = s.split_once('-').ok_or_else(bad)?;
    let digits = |t: &str, n: usize| t.len() == n && t.bytes().all(|b| b.is_ascii_digit());
    if !digits(y, 4) || !digits(m, 2) {
        return Err(bad());
    }
    let year: u16 = y.parse().map_err(|_| bad())?;
    let month: u8 = m.parse().map_err(|_| bad())?;
    if !(1..=12).contains(&month) {
        return Err(format!("month {month} in {s:?} is not 01..=12"));
    }
    Ok(YearMonth { year, month })
}

fn parse_energy(s: &str) -> Result<EnergyWh, String> {
    parse_kwh(s).map_err(|_| {
        format!("{s:?} is not an energy in kWh (a non-negative number with at most 3 decimals, e.g. 350.5)")
    })
}

pub async fn run(cmd: TariffCmd) -> anyhow::Result<()> {
    let set = TariffSet::kepco().context("loading the shipped tariff data")?;
    match cmd {
        TariffCmd::Bill(a) => {
            let ym = a.month;
            let b = bill(&set, a.class, ym.year, ym.month, a.kwh, a.contract_kw)?;
            if a.json {
                println!("{}", serde_json::to_string_pretty(&b)?);
            } else {
                let v = set.version_for(ym.year, ym.month)?;
                print!("{}", render_bill(&b, v));
            }
        }
        TariffCmd::Show(a) => {
            let ym = a.month.unwrap_or_else(current_month_kst);
            let v = set.version_for(ym.year, ym.month)?;
            if a.json {
                println!("{}", serde_json::to_string_pretty(v)?);
            } else {
                print!("{}", render_version(v, ym));
            }
        }
    }
    Ok(())
}

/// The current month in Korea Standard Time (UTC+9, no daylight saving).
fn current_month_kst() -> YearMonth {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let days = (secs + 9 * 3600) / 86_400;
    let (year, month) = civil_from_days(days);
    YearMonth { year, month }
}

/// (year, month) of a day count since 1970-01-01 (H. Hinnant's algorithm).
fn civil_from_days(days: u64) -> (u16, u8) {
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (u16::try_from(year).unwrap_or(u16::MAX), month as u8)
}

/// Milli-won as won with thousands separators and the fraction if any: `24,214.6`.
pub fn won(m: MilliWon) -> String {
    let whole = thousands(m.0 / 1_000);
    match m.0 % 1_000 {
        0 => whole,
        f => format!("{whole}.{}", format!("{f:03}").trim_end_matches('0')),
    }
}

fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        let group_starts = i > 0 && (s.len() - i).is_multiple_of(3);
        if group_starts {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn kwh(e: EnergyWh) -> String {
    let whole = thousands(e.0 / 1_000);
    match e.0 % 1_000 {
        0 => whole,
        f => format!("{whole}.{}", format!("{f:03}").trim_end_matches('0')),
    }
}

fn percent(bp: u32) -> String {
    format_decimal(u64::from(bp), 2)
        .trim_end_matches('0')
        .trim_end_matches('.')
        .to_string()
}

/// The human bill: one line per component, amounts in won.
pub fn render_bill(b: &Bill, v: &TariffVersion) -> String {
    let mut s = String::new();
    let mut row = |label: String, amount: MilliWon| {
        let _ = writeln!(s, "  {label:<52} {:>14} won", won(amount));
    };
    let mut head = format!(
        "tariff {} (in force from {}), class {}, {}-{:02} ({} season), {} kWh",
        b.version_id,
        v.effective_from,
        b.class,
        b.year,
        b.month,
        b.season,
        kwh(b.energy_wh)
    );
    if let Some(kw) = b.contract_kw {
        let _ = write!(head, ", {kw} kW contracted");
    }
    let line_label = |l: &EnergyLine| {
        let range = match l.to_wh {
            Some(to) => format!("{}-{} kWh", kwh(l.from_wh), kwh(to)),
            None if l.from_wh.is_zero() => "all energy".to_string(),
            None => format!("over {} kWh", kwh(l.from_wh)),
        };
        format!(
            "{} ({range}): {} kWh x {} won/kWh",
            l.label,
            kwh(l.energy_wh),
            format_decimal(l.rate.0, 3)
        )
    };
    let base_label = match b.contract_kw {
        Some(kw) => format!(
            "base charge: {kw} kW x {} won",
            won(v.classes.general_low.base_per_kw)
        ),
        None => "base charge (highest tier reached)".to_string(),
    };
    row(base_label, b.base);
    for l in &b.energy_lines {
        row(line_label(l), l.amount);
    }
    if let Some(l) = &b.super_user {
        row(line_label(l), l.amount);
    }
    let per_kwh = |r: gridledger_types::PriceMilliWonPerKwh| {
        format!(
            "{} kWh x {} won/kWh",
            kwh(b.energy_wh),
            format_decimal(r.0, 3)
        )
    };
    row(
        format!(
            "climate-environment: {}",
            per_kwh(v.common.climate_environment)
        ),
        b.climate_environment,
    );
    row(
        format!(
            "fuel-cost adjustment: {}",
            per_kwh(v.common.fuel_cost_adjustment)
        ),
        b.fuel_cost_adjustment,
    );
    row("electricity charge".into(), b.electricity_charge);
    row(format!("VAT ({}%)", percent(b.vat_bp)), b.vat);
    row(
        format!("power industry fund ({}%)", percent(b.fund_bp)),
        b.fund,
    );
    row("total".into(), b.total);
    format!("{head}\n{s}")
}

fn rounding(r: gridledger_tariff::Rounding) -> String {
    match r {
        gridledger_tariff::Rounding::FloorTo(u) => format!("floor to {} won", won(MilliWon(u))),
        gridledger_tariff::Rounding::HalfUpTo(u) => format!("half-up to {} won", won(MilliWon(u))),
    }
}

/// The human view of a version.
pub fn render_version(v: &TariffVersion, ym: YearMonth) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "tariff {} in force for {}-{:02} (from {})",
        v.id, ym.year, ym.month, v.effective_from
    );
    for (class, r) in [
        (TariffClass::ResidentialLow, &v.classes.residential_low),
        (TariffClass::ResidentialHigh, &v.classes.residential_high),
    ] {
        let _ = writeln!(s, "{class}:");
        for season in &r.seasons {
            let months: Vec<String> = season.months.months().map(|m| m.to_string()).collect();
            let _ = writeln!(s, "  {} (months {}):", season.name, months.join(","));
            let mut from = EnergyWh::ZERO;
            for (i, t) in season.tiers.iter().enumerate() {
                let range = match t.up_to_wh {
                    Some(to) => format!("{}-{} kWh", kwh(from), kwh(to)),
                    None => format!("over {} kWh", kwh(from)),
                };
                let _ = writeln!(
                    s,
                    "    tier {} {range:<16} base {:>8} won  energy {:>7} won/kWh",
                    i + 1,
                    won(t.base),
                    format_decimal(t.rate.0, 3)
                );
                if let Some(to) = t.up_to_wh {
                    from = to;
                }
            }
        }
        if let Some(su) = r.super_user {
            let months: Vec<String> = su.months.months().map(|m| m.to_string()).collect();
            let _ = writeln!(
                s,
                "  super-user: over {} kWh in months {}: {} won/kWh",
                kwh(su.above_wh),
                months.join(","),
                format_decimal(su.rate.0, 3)
            );
        }
    }
    let g = &v.classes.general_low;
    let _ = writeln!(
        s,
        "{}: base {} won per kW contracted",
        TariffClass::GeneralLow,
        won(g.base_per_kw)
    );
    for season in &g.seasons {
        let months: Vec<String> = season.months.months().map(|m| m.to_string()).collect();
        let _ = writeln!(
            s,
            "  {} (months {}): {} won/kWh",
            season.name,
            months.join(","),
            format_decimal(season.rate.0, 3)
        );
    }
    let c = &v.common;
    let _ = writeln!(
        s,
        "common: climate-environment {} won/kWh, fuel-cost adjustment {} won/kWh, VAT {}%, power industry fund {}%",
        format_decimal(c.climate_environment.0, 3),
        format_decimal(c.fuel_cost_adjustment.0, 3),
        percent(c.vat_bp),
        percent(c.fund_bp)
    );
    let r = c.rounding;
    let _ = writeln!(
        s,
        "rounding: electricity charge {}, VAT {}, fund {}, total {}",
        rounding(r.electricity_charge),
        rounding(r.vat),
        rounding(r.fund),
        rounding(r.total)
    );
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct Cli {
        #[command(subcommand)]
        cmd: TariffCmd,
    }

    fn parse(args: &[&str]) -> Result<TariffCmd, clap::Error> {
        Cli::try_parse_from(std::iter::once("tariff").chain(args.iter().copied())).map(|c| c.cmd)
    }

    #[test]
    fn bill_arguments_parse() {
        let TariffCmd::Bill(a) = parse(&[
            "bill",
            "--class",
            "general-low",
            "--month",
            "2025-07",
            "--kwh",
            "350.125",
            "--contract-kw",
            "50",
            "--json",
        ])
        .unwrap() else {
            panic!("not bill")
        };
        assert_eq!(a.class, TariffClass::GeneralLow);
        assert_eq!(
            a.month,
            YearMonth {
                year: 2025,
                month: 7
            }
        );
        assert_eq!(a.kwh, EnergyWh(350_125));
        assert_eq!(a.contract_kw, Some(50));
        assert!(a.json);
        let TariffCmd::Show(s) = parse(&["show"]).unwrap() else {
            panic!("not show")
        };
        assert_eq!(s.month, None);
        assert!(parse(&["show", "--month", "2024-06"]).is_ok());
    }

    #[test]
    fn bad_arguments_are_refused() {
        let base = [
            "bill",
            "--class",
            "residential-low",
            "--month",
            "2025-07",
            "--kwh",
        ];
        for kwh in ["-5", "abc", "1.2345", "1e3", "", "350,5"] {
            let mut args = base.to_vec();
            args.push(kwh);
            assert!(parse(&args).is_err(), "kwh {kwh:?}");
        }
        for month in [
            "2025-13",
            "2025-00",
            "2025-7",
            "25-07",
            "2025/07",
            "2025-07-01",
        ] {
            let args = [
                "bill",
                "--class",
                "residential-low",
                "--month",
                month,
                "--kwh",
                "1",
            ];
            assert!(parse(&args).is_err(), "month {month:?}");
        }
        let args = [
            "bill",
            "--class",
            "residential",
            "--month",
            "2025-07",
            "--kwh",
            "1",
        ];
        let e = parse(&args).unwrap_err().to_string();
        assert!(e.contains("unknown tariff class"), "{e}");
        let e = parse_month("2025-13").unwrap_err();
        assert!(e.contains("month 13"), "{e}");
        assert!(parse(&["bill", "--class", "general-low", "--kwh", "1"]).is_err());
    }

    #[tokio::test]
    async fn general_low_without_contract_is_an_error() {
        let cmd = parse(&[
            "bill",
            "--class",
            "general-low",
            "--month",
            "2025-07",
            "--kwh",
            "10",
        ])
        .unwrap();
        let e = run(cmd).await.unwrap_err();
        assert!(format!("{e:#}").contains("contracted demand"), "{e:#}");
        let cmd = parse(&[
            "bill",
            "--class",
            "residential-low",
            "--month",
            "2020-01",
            "--kwh",
            "10",
        ])
        .unwrap();
        assert!(run(cmd).await.is_err());
    }

    #[test]
    fn human_bill_shows_every_component() {
        let set = TariffSet::kepco().unwrap();
        let b = bill(
            &set,
            TariffClass::ResidentialLow,
            2025,
            8,
            EnergyWh(1_200_000),
            None,
        )
        .unwrap();
        let text = render_bill(&b, set.version_for(2025, 8).unwrap());
        for needle in [
            "kepco-2025-07",
            "tier 1 (0-300 kWh): 300 kWh x 120.0 won/kWh",
            "36,000 won",
            "tier 3 (450-1,000 kWh): 550 kWh x 307.3 won/kWh",
            "super-user (over 1,000 kWh): 200 kWh x 736.2 won/kWh",
            "147,240 won",
            "climate-environment: 1,200 kWh x 9.0 won/kWh",
            "fuel-cost adjustment",
            "electricity charge",
            "408,545 won",
            "VAT (10%)",
            "40,855 won",
            "power industry fund (2.7%)",
            "460,430 won",
        ] {
            assert!(text.contains(needle), "{needle:?} missing in\n{text}");
        }
        assert_eq!(won(MilliWon(24_214_600)), "24,214.6");
        assert_eq!(won(MilliWon(0)), "0");
        assert_eq!(won(MilliWon(999_000)), "999");
        assert_eq!(won(MilliWon(1_000_000)), "1,000");
        let shown = render_version(
            set.version_for(2025, 8).unwrap(),
            YearMonth {
                year: 2025,
                month: 8,
            },
        );
        assert!(shown.contains("power industry fund 2.7%"), "{shown}");
        assert!(
            shown.contains("VAT half-up to 1 won, fund floor to 10 won"),
            "{shown}"
        );
    }

    #[test]
    fn calendar() {
        assert_eq!(civil_from_days(0), (1970, 1));
        // 2024-02-29 is day 19,782; 2025-07-01 is day 20,270.
        assert_eq!(civil_from_days(19_782), (2024, 2));
        assert_eq!(civil_from_days(20_270), (2025, 7));
        assert_eq!(civil_from_days(20_269), (2025, 6));
    }
}
