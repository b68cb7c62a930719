//! Wiring of the dashboard's sign-in: a node extension that adds the portal (keystores in a
//! directory, sessions in memory) to whatever other extension the node runs.
use gridledger_consensus::node::{Extension, ExtensionParts};
use gridledger_portal::{Portal, PortalConfig};
use gridledger_types::ChainId;
use std::{path::PathBuf, sync::Arc};

/// `inner` (if any) plus the portal over the keystores in `dir`.
pub fn with_portal(inner: Option<Extension>, dir: PathBuf, chain_id: ChainId) -> Extension {
    Box::new(move |node| {
        Box::pin(async move {
            let mut parts = match inner {
                Some(ext) => ext(node.clone()).await?,
                None => ExtensionParts::default(),
            };
            parts.portal = Some(Arc::new(Portal::new(
                dir,
                node,
                chain_id,
                PortalConfig::default(),
            )));
            Ok(parts)
        })
    })
}
