//! `gridledger tx` commands for sites, meters and corrected readings (execution `metering`).
use super::{parse_month, text};
use clap::Subcommand;
use gridledger_types::{
    Address, BindMeter, CorrectReadings, Payload, RegisterSite, SiteId, SiteKind,
};

#[derive(Debug, Subcommand)]
pub enum MeteringCmd {
    /// Operator: register a building or household site.
    RegisterSite {
        /// Site id: 1-32 of a-z 0-9 - _
        #[arg(long)]
        site: SiteId,
        #[arg(long)]
        owner: Address,
        /// commercial_building or household
        #[arg(long)]
        kind: SiteKind,
        /// residential-low, residential-high or general-low
        #[arg(long)]
        tariff_class: String,
        /// Contracted demand in kW (general service).
        #[arg(long, default_value_t = 0)]
        contract_kw: u32,
        #[arg(long)]
        feeder: u32,
        #[arg(long)]
        name: String,
    },
    /// Operator: bind a registered meter device to a site.
    BindMeter {
        #[arg(long)]
        meter: Address,
        #[arg(long)]
        site: SiteId,
    },
    /// Operator: correct a site's measured month, with a reason (kept on chain).
    CorrectReadings {
        #[arg(long)]
        site: SiteId,
        /// YYYY-MM
        #[arg(long, value_parser = parse_month)]
        month: u32,
        #[arg(long, default_value_t = 0, allow_negative_numbers = true)]
        import_adjust_wh: i64,
        #[arg(long, default_value_t = 0, allow_negative_numbers = true)]
        export_adjust_wh: i64,
        #[arg(long)]
        reason: String,
    },
}

impl MeteringCmd {
    /// The payload.
    pub fn to_payload(&self) -> anyhow::Result<Payload> {
        Ok(match self {
            Self::RegisterSite {
                site,
                owner,
                kind,
                tariff_class,
                contract_kw,
                feeder,
                name,
            } => Payload::RegisterSite(RegisterSite {
                site: site.clone(),
                owner: owner.clone(),
                kind: *kind,
                tariff_class: tariff_class.clone(),
                contract_kw: *contract_kw,
                feeder: *feeder,
                name: text("name", name)?,
            }),
            Self::BindMeter { meter, site } => Payload::BindMeter(BindMeter {
                meter: meter.clone(),
                site: site.clone(),
            }),
            Self::CorrectReadings {
                site,
                month,
                import_adjust_wh,
                export_adjust_wh,
                reason,
            } => Payload::CorrectReadings(CorrectReadings {
                site: site.clone(),
                month: *month,
                import_adjust_wh: *import_adjust_wh,
                export_adjust_wh: *export_adjust_wh,
                reason: text("reason", reason)?,
            }),
        })
    }
}
