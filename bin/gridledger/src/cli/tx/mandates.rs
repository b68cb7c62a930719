//! `gridledger tx` commands for sales companies' mandates (execution `mandates`).
use anyhow::bail;
use clap::Subcommand;
use gridledger_types::{
    Address, GrantMandate, MandateSides, MarketId, Payload, SiteId, MANDATE_MAX_MARKETS,
    SHARE_MAX_BP,
};

#[derive(Debug, Subcommand)]
pub enum MandatesCmd {
    /// Site owner: let a sales company trade for the site (granting again to the same company
    /// replaces its mandate).
    GrantMandate {
        #[arg(long)]
        site: SiteId,
        /// A registered participant with the role sales_company.
        #[arg(long)]
        company: Address,
        /// sell, buy or both
        #[arg(long)]
        sides: MandateSides,
        /// A market the mandate covers; repeat for each (at most 8; default: every market).
        #[arg(long = "market")]
        markets: Vec<MarketId>,
        /// The company may act from this time: ms since the epoch or RFC 3339 (default: at
        /// once).
        #[arg(long, value_parser = crate::time_arg::parse_time_ms)]
        from: Option<u64>,
        /// ... until before this time (default: until revoked).
        #[arg(long, value_parser = crate::time_arg::parse_time_ms)]
        until: Option<u64>,
        /// Basis points of the site's energy sales (VAT excluded) paid to the company at
        /// settlement (0 to 10000; a buy-only mandate keeps 0).
        #[arg(long, default_value_t = 0,
              value_parser = clap::value_parser!(u32).range(0..=i64::from(SHARE_MAX_BP)))]
        share_bp: u32,
    },
    /// Site owner: end a sales company's mandate now (periods whose gate has closed keep what
    /// it entered).
    RevokeMandate {
        #[arg(long)]
        site: SiteId,
        #[arg(long)]
        company: Address,
    },
}

impl MandatesCmd {
    /// The payload.
    pub fn to_payload(&self) -> anyhow::Result<Payload> {
        Ok(match self {
            Self::GrantMandate {
                site,
                company,
                sides,
                markets,
                from,
                until,
                share_bp,
            } => {
                if markets.len() > MANDATE_MAX_MARKETS {
                    bail!("at most {MANDATE_MAX_MARKETS} --market");
                }
                Payload::GrantMandate(GrantMandate {
                    site: site.clone(),
                    company: company.clone(),
                    sides: *sides,
                    markets: markets.clone(),
                    from_ms: from.unwrap_or(0),
                    until_ms: *until,
                    share_bp: *share_bp,
                })
            }
            Self::RevokeMandate { site, company } => Payload::RevokeMandate {
                site: site.clone(),
                company: company.clone(),
            },
        })
    }
}
