//! `gridledger tx` commands for billing settings, tariffs, bills and payments (execution `billing`, `payments`).
use super::parse_month;
use crate::cli::parse_won;
use anyhow::{bail, Context};
use clap::Subcommand;
use gridledger_types::{Address, MilliWon, Payload, PriceMilliWonPerKwh};

// Parsed once per process: the size difference between variants does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum BillingCmd {
    /// Operator: the grid company, the platform fee account, the feed-in price, the due day.
    ConfigureBilling {
        #[arg(long)]
        grid_company: Address,
        #[arg(long)]
        platform_account: Address,
        /// Feed-in price, won per kWh.
        #[arg(long, value_parser = parse_won)]
        feed_in_won: MilliWon,
        #[arg(long, default_value_t = 18)]
        due_day: u8,
    },
    /// Operator: a tariff version from a data file in the format of crates/tariff/data/kepco.json.
    SetTariff {
        #[arg(long)]
        file: std::path::PathBuf,
        /// Which version of the file (needed when it holds several).
        #[arg(long)]
        id: Option<String>,
    },
    /// Anyone, after the month: bill the next sites (repeat until `done`).
    IssueBills {
        #[arg(long, value_parser = parse_month)]
        month: u32,
    },
    /// Pay the signer's whole bill of a month.
    PayBill {
        #[arg(long, value_parser = parse_month)]
        month: u32,
    },
    /// Anyone, on or after the due day: auto-debit the next unpaid bills.
    CollectBills {
        #[arg(long, value_parser = parse_month)]
        month: u32,
    },
}

impl BillingCmd {
    /// The payload.
    pub fn to_payload(&self) -> anyhow::Result<Payload> {
        Ok(match self {
            Self::ConfigureBilling {
                grid_company,
                platform_account,
                feed_in_won,
                due_day,
            } => Payload::ConfigureBilling(gridledger_types::ConfigureBilling {
                grid_company: grid_company.clone(),
                platform_account: platform_account.clone(),
                feed_in_price: PriceMilliWonPerKwh(feed_in_won.0),
                due_day: *due_day,
            }),
            Self::SetTariff { file, id } => {
                let text = std::fs::read_to_string(file)
                    .with_context(|| format!("reading {}", file.display()))?;
                let set = gridledger_tariff::TariffSet::from_json(&text)
                    .with_context(|| format!("{} is not tariff data", file.display()))?;
                let picked: Vec<_> = set
                    .versions()
                    .iter()
                    .filter(|v| id.as_ref().is_none_or(|id| &v.id == id))
                    .collect();
                let [v] = picked.as_slice() else {
                    bail!(
                        "{} holds {} matching versions; pick one with --id",
                        file.display(),
                        picked.len()
                    );
                };
                Payload::SetTariff {
                    version: gridledger_types::Encode::encode(*v).to_vec(),
                }
            }
            Self::IssueBills { month } => Payload::IssueBills { month: *month },
            Self::PayBill { month } => Payload::PayBill { month: *month },
            Self::CollectBills { month } => Payload::CollectBills { month: *month },
        })
    }
}
