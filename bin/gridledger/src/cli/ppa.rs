//! `gridledger tx propose-ppa`: the terms of a long-term agreement (PPA) as command-line
//! arguments.
use super::parse_won;
use super::tx::{parse_kwh, parse_month};
use anyhow::bail;
use clap::Args;
use gridledger_types::{
    MarketId, MilliWon, Payload, PriceMilliWonPerKwh, ProposePpa, SiteId, PPA_PROFILE_MONTHS,
};

#[derive(Debug, Args)]
pub struct ProposePpaArgs {
    /// A market with monthly periods (its fees apply).
    #[arg(long)]
    pub market: MarketId,
    #[arg(long)]
    pub seller_site: SiteId,
    #[arg(long)]
    pub buyer_site: SiteId,
    /// Price, won per kWh.
    #[arg(long, value_parser = parse_won)]
    pub price_won: MilliWon,
    /// First month of the term, YYYY-MM (a future month).
    #[arg(long, value_parser = parse_month)]
    pub start: u32,
    /// Last month of the term, YYYY-MM (inclusive; at most 120 months in all).
    #[arg(long, value_parser = parse_month)]
    pub end: u32,
    /// kWh per month: one value for every month, or 12 comma-separated values, January to
    /// December.
    #[arg(long, value_delimiter = ',', value_parser = parse_kwh, required = true)]
    pub monthly_kwh: Vec<u64>,
    /// Full months a termination takes to take effect.
    #[arg(long, default_value_t = 0)]
    pub notice_months: u32,
}

impl ProposePpaArgs {
    pub fn to_payload(&self) -> anyhow::Result<Payload> {
        let monthly_wh = match self.monthly_kwh.as_slice() {
            [every] => vec![*every; PPA_PROFILE_MONTHS],
            v if v.len() == PPA_PROFILE_MONTHS => v.to_vec(),
            v => bail!(
                "--monthly-kwh takes one value or {PPA_PROFILE_MONTHS} (January to December), \
                 not {}",
                v.len()
            ),
        };
        Ok(Payload::ProposePpa(ProposePpa {
            market: self.market.clone(),
            seller_site: self.seller_site.clone(),
            buyer_site: self.buyer_site.clone(),
            price: PriceMilliWonPerKwh(self.price_won.0),
            start_month: self.start,
            end_month: self.end,
            monthly_wh,
            notice_months: self.notice_months,
        }))
    }
}

#[cfg(test)]
mod tests {
    use crate::cli::tx::TxArgs;
    use clap::Parser;
    use gridledger_types::{Hash32, Payload};

    #[derive(Debug, Parser)]
    struct T {
        #[command(flatten)]
        tx: TxArgs,
    }

    fn payload(args: &[&str]) -> anyhow::Result<Payload> {
        let mut v = vec!["t"];
        v.extend_from_slice(args);
        T::try_parse_from(v)?.tx.payload.to_payload(0)
    }

    const PROPOSE: [&str; 13] = [
        "propose-ppa",
        "--market",
        "monthly",
        "--seller-site",
        "s0",
        "--buyer-site",
        "s2",
        "--price-won",
        "150",
        "--start",
        "2025-09",
        "--end",
        "2026-08",
    ];

    #[test]
    fn propose_with_a_flat_or_a_monthly_profile() {
        let mut args = PROPOSE.to_vec();
        args.extend(["--monthly-kwh", "100.5", "--notice-months", "2"]);
        let Payload::ProposePpa(p) = payload(&args).unwrap() else {
            panic!()
        };
        assert_eq!(p.monthly_wh, vec![100_500; 12]);
        assert_eq!(
            (p.start_month, p.end_month, p.notice_months),
            (202509, 202608, 2)
        );
        assert_eq!(p.price.0, 150_000);

        let twelve = "1,2,3,4,5,6,7,8,9,10,11,12";
        let mut args = PROPOSE.to_vec();
        args.extend(["--monthly-kwh", twelve]);
        let Payload::ProposePpa(p) = payload(&args).unwrap() else {
            panic!()
        };
        assert_eq!(p.monthly_wh[11], 12_000);
        assert_eq!(p.notice_months, 0);

        let mut args = PROPOSE.to_vec();
        args.extend(["--monthly-kwh", "1,2,3"]);
        assert!(payload(&args).is_err());
        assert!(payload(&PROPOSE).is_err(), "--monthly-kwh is required");
        let mut args = PROPOSE.to_vec();
        args[10] = "2025-13";
        args.extend(["--monthly-kwh", "1"]);
        assert!(payload(&args).is_err());
    }

    #[test]
    fn accept_terminate_withdraw() {
        let h = Hash32::digest(&[b"ppa"]);
        let hex = h.to_hex();
        for (cmd, kind) in [
            ("accept-ppa", "accept_ppa"),
            ("terminate-ppa", "terminate_ppa"),
            ("withdraw-ppa", "withdraw_ppa"),
        ] {
            let p = payload(&[cmd, "--ppa", &hex]).unwrap();
            assert_eq!(p.kind(), kind);
            assert!(payload(&[cmd, "--ppa", "abcd"]).is_err());
        }
    }
}
