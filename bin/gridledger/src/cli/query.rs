//! `gridledger query status|account|participant|tx|block|history|metrics|readings|period|
//! site-bill|account-bill|billing|bank-report|mandates`; `--key` signs the reads (personal
//! records are served only to their owner and the entitled roles).
use super::{parse_hash, print_fields, reading_client};
use anyhow::bail;
use clap::{Args, Subcommand};
use gridledger_types::{Address, Hash32, SiteId};
use serde::Serialize;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct QueryCmd {
    #[command(subcommand)]
    pub what: Query,
    /// Node API base URL, e.g. http://127.0.0.1:8080.
    #[arg(long, global = true, env = "GRIDLEDGER_RPC")]
    pub rpc: Option<String>,
    /// Print the API's JSON instead of `key: value` lines.
    #[arg(long, global = true)]
    pub json: bool,
    /// Sign the reads with this encrypted key file: personal records (accounts, history,
    /// bills, readings, transactions, PPAs, contracts, the bank report) are served only to
    /// their owner and to the operator, bank, grid company and auditor.
    #[arg(long, global = true, env = "GRIDLEDGER_KEY")]
    pub key: Option<PathBuf>,
    /// Read the key's password from the first line of this file instead of prompting.
    #[arg(long, global = true)]
    pub password_file: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum Query {
    /// Chain id, finalized height, peers, mempool.
    Status,
    /// Balance, held amount, next nonce, role, holds.
    Account { address: Address },
    /// A registered participant.
    Participant { address: Address },
    /// The validator set: epoch length, current epoch and its validators, and a set scheduled
    /// for a later epoch (by `tx change-validators`), if any.
    Validators,
    /// A finalized transaction with its receipt.
    Tx {
        #[arg(value_parser = parse_hash)]
        hash: Hash32,
    },
    /// A finalized block.
    Block { height: u64 },
    /// Transactions naming an account, newest first.
    History {
        address: Address,
        #[arg(long)]
        limit: Option<u32>,
        #[arg(long)]
        cursor: Option<String>,
    },
    /// The node's Prometheus metrics text.
    Metrics,
    /// A site's measured KST month: import/export totals and every interval (the site's owner,
    /// its meter, and the operator, bank, grid company and auditor may read it).
    Readings {
        site: String,
        /// YYYY-MM
        #[arg(value_parser = super::tx::parse_month)]
        month: u32,
    },
    /// A market period: order book, contracts, settlement.
    Period {
        market: String,
        /// YYYY-MM for a monthly market, or the period start in Unix ms.
        #[arg(value_parser = super::tx::parse_period)]
        period: u64,
    },
    /// A site's bill of a month, with and without P2P, and the savings.
    SiteBill {
        site: String,
        /// YYYY-MM
        #[arg(value_parser = super::tx::parse_month)]
        month: u32,
    },
    /// What an account owes for a month, line by line, and whether it is paid or overdue.
    AccountBill {
        address: Address,
        #[arg(value_parser = super::tx::parse_month)]
        month: u32,
    },
    /// A site's forecast demand and surplus for a month and its expected benefit from P2P.
    Forecast {
        site: String,
        #[arg(value_parser = super::tx::parse_month)]
        month: u32,
    },
    /// A PPA: terms, status and the months it settled.
    Ppa {
        #[arg(value_parser = parse_hash)]
        id: Hash32,
    },
    /// A market's live PPAs.
    Ppas { market: String },
    /// A month's billing progress, due time, paid and overdue bills.
    Billing {
        #[arg(value_parser = super::tx::parse_month)]
        month: u32,
    },
    /// The sales companies a site's owner has mandated (live and ended mandates).
    Mandates { site: SiteId },
    /// The bank's settlement report of a month (or of one market period).
    BankReport {
        #[arg(value_parser = super::tx::parse_month)]
        month: u32,
        #[arg(long, requires = "period")]
        market: Option<String>,
        #[arg(long, requires = "market", value_parser = super::tx::parse_period)]
        period: Option<u64>,
        /// Print CSV instead.
        #[arg(long)]
        csv: bool,
    },
}

/// `key: value` lines; one `validator:` line per validator (`KEY@IP:PORT`), and for a scheduled
/// set its epoch, first height and one `scheduled:` line per validator.
fn print_validators(v: &gridledger_api_types::ValidatorsView) {
    println!("epoch_length: {}", v.epoch_length);
    println!("current_epoch: {}", v.current_epoch);
    for e in &v.validators {
        println!("validator: {e}");
    }
    match &v.scheduled {
        None => println!("scheduled_epoch: -"),
        Some(s) => {
            println!("scheduled_epoch: {}", s.epoch);
            match gridledger_types::epoch_start(s.epoch, v.epoch_length) {
                Some(h) => println!("scheduled_from_height: {h}"),
                None => println!("scheduled_from_height: -"),
            }
            for e in &s.validators {
                println!("scheduled: {e}");
            }
        }
    }
}

/// `site:` and `owner:` lines, then one `mandate:` line per mandate.
fn print_mandates(v: &gridledger_api_types::SiteMandatesView) {
    let opt = |t: Option<u64>| t.map_or("-".to_string(), |t| t.to_string());
    println!("site: {}", v.site);
    println!("owner: {}", v.owner);
    for m in &v.mandates {
        let markets = if m.markets.is_empty() {
            "*".to_string()
        } else {
            m.markets
                .iter()
                .map(|x| x.as_str())
                .collect::<Vec<_>>()
                .join(",")
        };
        println!(
            "mandate: {} sides={} markets={markets} share_bp={} from_ms={} until_ms={} \
             revoked_at_ms={} active={}",
            m.company,
            m.sides,
            m.share_bp,
            m.from_ms,
            opt(m.until_ms),
            opt(m.revoked_at_ms),
            m.active
        );
    }
}

fn found(v: Option<serde_json::Value>, what: String, json: bool) -> anyhow::Result<()> {
    match v {
        Some(v) => show(json, &v),
        None => bail!("not_found: {what}"),
    }
}

/// `v` as pretty JSON, or as `key: value` lines.
pub(crate) fn show(json: bool, v: &impl Serialize) -> anyhow::Result<()> {
    let value = serde_json::to_value(v)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&value)?);
    } else {
        print_fields(&value);
    }
    Ok(())
}

pub async fn run(q: QueryCmd) -> anyhow::Result<()> {
    let c = reading_client(q.rpc.as_deref(), q.key.as_deref(), q.password_file.as_ref())?;
    match q.what {
        Query::Status => show(q.json, &c.status().await?),
        Query::Account { address } => show(q.json, &c.account(&address).await?),
        Query::Participant { address } => match c.participant(&address).await? {
            Some(p) => show(q.json, &p),
            None => bail!("not_found: {address} is not a participant"),
        },
        Query::Validators => {
            let v = c.validators().await?;
            if q.json {
                println!("{}", serde_json::to_string_pretty(&v)?);
            } else {
                print_validators(&v);
            }
            Ok(())
        }
        Query::Tx { hash } => match c.tx(&hash).await? {
            Some(t) => show(q.json, &t),
            None => bail!("not_found: transaction {hash} is not finalized (or unknown)"),
        },
        Query::Block { height } => match c.block(height).await? {
            Some(b) => show(q.json, &b),
            None => bail!("not_found: no block at height {height}"),
        },
        Query::History {
            address,
            limit,
            cursor,
        } => {
            let page = c.history(&address, limit, cursor.as_deref()).await?;
            if q.json {
                println!("{}", serde_json::to_string_pretty(&page)?);
            } else {
                for item in &page.items {
                    let status = match &item.receipt.status {
                        gridledger_types::TxStatus::Success => "success".to_string(),
                        gridledger_types::TxStatus::Failed { code, .. } => {
                            format!("failed {code}")
                        }
                    };
                    let kind = item.tx["payload"]["type"].as_str().unwrap_or("?");
                    println!(
                        "{} height {} index {} {kind} {status}",
                        item.hash, item.height, item.index
                    );
                }
                if let Some(next) = &page.next_cursor {
                    println!("next_cursor: {next}");
                }
            }
            Ok(())
        }
        Query::Metrics => {
            print!("{}", c.metrics_text().await?);
            Ok(())
        }
        Query::Readings { site, month } => {
            let id = gridledger_types::SiteId::new(site.clone())
                .map_err(|_| anyhow::anyhow!("invalid_site: site ids are 1-32 of a-z 0-9 - _"))?;
            found(
                c.site_readings(&id, month)
                    .await?
                    .map(serde_json::to_value)
                    .transpose()?,
                format!("no site {site}"),
                q.json,
            )
        }
        Query::Period { market, period } => found(
            c.market_period(&market, period).await?,
            format!("no market {market}"),
            true,
        ),
        Query::SiteBill { site, month } => found(
            c.site_bill(&site, month).await?,
            format!("no bill of {month} for site {site} (not issued yet?)"),
            true,
        ),
        Query::AccountBill { address, month } => found(
            c.account_bill(&address, month).await?,
            format!("{address} owes nothing for {month}"),
            true,
        ),
        Query::Forecast { site, month } => found(
            c.forecast(&site, month).await?,
            format!("no site {site}"),
            q.json,
        ),
        Query::Ppa { id } => found(c.ppa(&id).await?, format!("no PPA {id}"), true),
        Query::Ppas { market } => show(true, &c.market_ppas(&market).await?),
        Query::Billing { month } => found(
            c.month_billing(month).await?,
            "billing is not configured".into(),
            q.json,
        ),
        Query::Mandates { site } => match c.site_mandates(&site).await? {
            None => bail!("not_found: no site {site}"),
            Some(v) if q.json => show(true, &v),
            Some(v) => {
                print_mandates(&v);
                Ok(())
            }
        },
        Query::BankReport {
            month,
            market,
            period,
            csv,
        } => {
            let p = market.as_deref().zip(period);
            if csv {
                print!("{}", c.bank_report_csv(month, p).await?);
                Ok(())
            } else {
                show(true, &c.bank_report(month, p).await?)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct T {
        #[command(flatten)]
        q: QueryCmd,
    }

    #[test]
    fn parses() {
        let t = T::try_parse_from(["t", "status", "--rpc", "http://x:1", "--json"]).unwrap();
        assert!(matches!(t.q.what, Query::Status) && t.q.json);
        let h = Hash32::digest(&[b"x"]).to_hex();
        let t = T::try_parse_from(["t", "tx", &h]).unwrap();
        assert!(matches!(t.q.what, Query::Tx { .. }));
        let t = T::try_parse_from(["t", "block", "12"]).unwrap();
        assert!(matches!(t.q.what, Query::Block { height: 12 }));
        let t =
            T::try_parse_from(["t", "--key", "k.json", "--password-file", "pw", "status"]).unwrap();
        assert_eq!(t.q.key, Some(PathBuf::from("k.json")));
        assert_eq!(t.q.password_file, Some(PathBuf::from("pw")));
        assert!(T::try_parse_from(["t", "account", "nothex"]).is_err());
        let t = T::try_parse_from(["t", "mandates", "bldg-a"]).unwrap();
        assert!(matches!(t.q.what, Query::Mandates { site } if site.as_str() == "bldg-a"));
        assert!(T::try_parse_from(["t", "mandates", "Bad Site"]).is_err());
        assert!(T::try_parse_from(["t", "tx", "12"]).is_err());
    }
}
