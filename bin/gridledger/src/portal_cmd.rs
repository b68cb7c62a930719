//! Wiring of the dashboard's sign-in: a node extension that adds the portal (keystores in a
//! directory, sessions in memory) to whatever other extension the node runs.
use gridledger_node::node::{Extension, ExtensionParts};
use gridledger_portal::{Portal, PortalConfig};
use gridledger_sdk::kdf_pool::KdfPool;
use gridledger_types::ChainId;
use std::{path::PathBuf, sync::Arc};

/// `inner` (if any) plus the portal over the keystores in `dir`, deriving keys in `kdf` (the
/// pool `inner` shares, so the node's bound on derivations is one bound).
pub fn with_portal(
    inner: Option<Extension>,
    dir: PathBuf,
    chain_id: ChainId,
    kdf: Arc<KdfPool>,
) -> Extension {
    Box::new(move |node| {
        Box::pin(async move {
            let mut parts = match inner {
                Some(ext) => ext(node.clone()).await?,
                None => ExtensionParts::default(),
            };
            let portal = Portal::new(dir, node, chain_id, PortalConfig::default(), kdf.clone())
                .map_err(|e| e.to_string())?;
            parts.portal = Some(Arc::new(portal));
            parts.kdf = Some(kdf);
            Ok(parts)
        })
    })
}
