//! Epochs: which validator set signs which part of the chain. Epoch `e` covers heights
//! `[e*L, (e+1)*L - 1]` (commonware's `FixedEpocher`); the set of each epoch is read from the
//! finalized state (genesis set, then the operator's `ChangeValidators` transactions), so every
//! node derives the same sets from the same blocks. [EpochSchemes] hands marshal the verifier of
//! any epoch it has seen, so certificates are checked against the set that was in force.
use crate::Scheme;
use commonware_consensus::types::Epoch;
use commonware_cryptography::{
    certificate::{Provider, Scoped},
    ed25519::{PrivateKey, PublicKey},
    Signer as _,
};
use commonware_utils::ordered::Set;
use gridledger_types::epoch_of;
use std::{
    collections::BTreeMap,
    sync::{Arc, RwLock},
};

/// The epoch whose consensus runs once `finalized` is the finalized height: the epoch of the
/// next height to finalize.
pub fn epoch_to_run(finalized: u64, length: u64) -> u64 {
    epoch_of(finalized.saturating_add(1), length)
}

/// Last height of an epoch.
pub fn last_height(epoch: u64, length: u64) -> u64 {
    epoch
        .saturating_add(1)
        .saturating_mul(length.max(1))
        .saturating_sub(1)
}

/// The signing scheme of each known epoch (a signer where this node is a member, a verifier
/// elsewhere). Shared by marshal (verification) and the per-epoch simplex instances.
#[derive(Clone)]
pub struct EpochSchemes {
    key: PrivateKey,
    namespace: Arc<Vec<u8>>,
    schemes: Arc<RwLock<BTreeMap<u64, Arc<Scheme>>>>,
}

impl EpochSchemes {
    pub fn new(key: PrivateKey, namespace: Vec<u8>) -> Self {
        Self {
            key,
            namespace: Arc::new(namespace),
            schemes: Arc::default(),
        }
    }

    /// Records the set of `epoch`; returns its scheme and whether this node votes in it.
    pub fn insert(&self, epoch: u64, validators: Vec<PublicKey>) -> (Arc<Scheme>, bool) {
        let set = Set::from_iter_dedup(validators);
        let (scheme, member) = match Scheme::signer(&self.namespace, set.clone(), self.key.clone())
        {
            Some(s) => (s, true),
            None => (Scheme::verifier(&self.namespace, set), false),
        };
        let scheme = Arc::new(scheme);
        if let Ok(mut m) = self.schemes.write() {
            m.insert(epoch, scheme.clone());
        }
        (scheme, member)
    }

    /// This node's public key.
    pub fn me(&self) -> PublicKey {
        self.key.public_key()
    }

    pub fn get(&self, epoch: u64) -> Option<Arc<Scheme>> {
        self.schemes.read().ok()?.get(&epoch).cloned()
    }
}

impl Provider for EpochSchemes {
    type Scope = Epoch;
    type Scheme = Scheme;

    fn scoped(&self, epoch: Epoch) -> Option<Scoped<Scheme>> {
        self.get(epoch.get()).map(Scoped::scheme)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epochs_end_and_start_where_the_fixed_epocher_says() {
        use commonware_consensus::types::{Epocher, FixedEpocher, Height};
        let fixed = FixedEpocher::new(commonware_utils::NZU64!(10));
        for e in 0..5u64 {
            assert_eq!(
                fixed.last(Epoch::new(e)),
                Some(Height::new(last_height(e, 10)))
            );
            let first = fixed.first(Epoch::new(e + 1)).unwrap().get();
            assert_eq!(epoch_to_run(first - 1, 10), e + 1);
        }
        assert_eq!(last_height(0, 10), 9);
        assert_eq!(last_height(3, 10), 39);
        // The next epoch runs only once the last block of the previous one is final.
        assert_eq!(epoch_to_run(8, 10), 0);
        assert_eq!(epoch_to_run(9, 10), 1);
        assert_eq!(epoch_to_run(u64::MAX, u64::MAX), 1);
    }

    #[test]
    fn a_node_signs_only_in_epochs_whose_set_holds_its_key() {
        let me = PrivateKey::from_seed(1);
        let other = PrivateKey::from_seed(2).public_key();
        let schemes = EpochSchemes::new(me.clone(), b"ns".to_vec());
        assert!(schemes.insert(0, vec![me.public_key(), other.clone()]).1);
        assert!(!schemes.insert(1, vec![other]).1);
        assert!(schemes.get(0).is_some() && schemes.get(1).is_some());
        assert!(schemes.get(2).is_none());
        assert!(schemes.scoped(Epoch::new(2)).is_none());
    }
}
