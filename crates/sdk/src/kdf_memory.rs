//! Argon2's working memory (`m_cost` KiB, 19 MiB for the default keystore) kept for the next
//! derivation instead of freed. Allocating and freeing a block that large on every derivation
//! makes glibc raise its mmap threshold and keep the freed blocks in per-thread arenas: a node
//! that checked passwords from a few threads held about 180 MiB more than it needed, whatever
//! the number of concurrent sign-ins. Reusing them keeps the memory at the number of
//! derivations that ever ran at once (the node's derivation threads) times `m_cost`.
use argon2::Block;
use std::sync::Mutex;

/// Blocks kept for reuse at most (the node's derivation pool has at most 4 threads).
pub(crate) const MAX_SPARE: usize = 4;

static SPARE: Mutex<Vec<Vec<Block>>> = Mutex::new(Vec::new());

fn spare() -> std::sync::MutexGuard<'static, Vec<Vec<Block>>> {
    SPARE.lock().unwrap_or_else(|p| p.into_inner())
}

/// Working memory of `blocks` blocks: a kept one of that size, else a new one.
pub(crate) fn take(blocks: usize) -> Vec<Block> {
    let kept = {
        let mut s = spare();
        s.iter()
            .position(|b| b.len() == blocks)
            .map(|i| s.swap_remove(i))
    };
    kept.unwrap_or_else(|| vec![Block::default(); blocks])
}

/// Gives `memory` back, wiped (it held password-derived state), for the next derivation; beyond
/// [MAX_SPARE] kept it is freed.
pub(crate) fn give_back(mut memory: Vec<Block>) {
    memory.fill(Block::default());
    let mut s = spare();
    if s.len() < MAX_SPARE {
        s.push(memory);
    }
}

/// Blocks kept now.
#[cfg(test)]
pub(crate) fn kept() -> usize {
    spare().len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kept_memory_is_wiped_and_reused_by_size() {
        // A size no derivation in these tests uses.
        let blocks = 13;
        let mut dirty = vec![Block::default(); blocks];
        for b in dirty.iter_mut() {
            b.as_mut().fill(0xdead_beef);
        }
        give_back(dirty);
        assert!(kept() >= 1);
        let again = take(blocks);
        assert_eq!(again.len(), blocks);
        assert!(again.iter().all(|b| b.as_ref().iter().all(|x| *x == 0)));
        assert_eq!(take(blocks + 1).len(), blocks + 1);
    }
}
