//! A process-wide memo for pure theory computations.
//!
//! The reduced theory (with its O(n/d) Wishart term) and the phase-1 finite-n terms cost
//! seconds per grid time at n = 256, and the same inputs recur within one process: a run's
//! checks and its controls, `power`'s theory-side perturbations, the claims that share a
//! configuration, a test binary that evaluates one preset many times. A [`Memo`] keeps each
//! value under the exact bits of its inputs. The values are pure functions of their keys,
//! so memoising changes no output bit, whatever the order in which threads fill it; two
//! threads that miss the same key at once both compute it and store the same value.

use super::finite_n::{FiniteN, Noise};
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Mutex, OnceLock};

/// A lazily created, thread-safe map from exact inputs to computed values (module doc).
pub(crate) struct Memo<K, V> {
    map: OnceLock<Mutex<HashMap<K, V>>>,
}

impl<K: Eq + Hash + Clone, V: Clone> Memo<K, V> {
    /// An empty memo (usable as a `static`).
    pub(crate) const fn new() -> Self {
        Self {
            map: OnceLock::new(),
        }
    }

    fn map(&self) -> std::sync::MutexGuard<'_, HashMap<K, V>> {
        self.map
            .get_or_init(|| Mutex::new(HashMap::new()))
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The values of `keys`, computing the missing ones (each distinct key once) with
    /// `compute`, which receives them in the order of `keys` and may run them in parallel.
    /// The lock is not held while computing.
    pub(crate) fn get_many(&self, keys: &[K], compute: impl FnOnce(&[usize]) -> Vec<V>) -> Vec<V> {
        let missing: Vec<usize> = {
            let map = self.map();
            let mut seen: Vec<&K> = Vec::new();
            (0..keys.len())
                .filter(|&i| {
                    let k = &keys[i];
                    if map.contains_key(k) || seen.contains(&k) {
                        return false;
                    }
                    seen.push(k);
                    true
                })
                .collect()
        };
        if !missing.is_empty() {
            let values = compute(&missing);
            assert_eq!(values.len(), missing.len(), "one value per missing key");
            let mut map = self.map();
            for (i, v) in missing.into_iter().zip(values) {
                map.insert(keys[i].clone(), v);
            }
        }
        let map = self.map();
        keys.iter().map(|k| map[k].clone()).collect()
    }

    /// The value of one key, computed with `compute` if missing.
    pub(crate) fn get(&self, key: K, compute: impl FnOnce() -> V) -> V {
        self.get_many(std::slice::from_ref(&key), |_| vec![compute()])
            .pop()
            .expect("one value")
    }
}

/// The exact inputs of a finite-n computation at one grid time (it sees the schedule only
/// through α(t), β(t)): n, λ_u, λ_w, the noise convention, p, σ², α, β, d.
pub(crate) type StepKey = [u64; 9];

/// The [`StepKey`] of `f` at (p, σ², α, β, d).
pub(crate) fn step_key(
    f: &FiniteN,
    p: f64,
    sigma2: f64,
    alpha: f64,
    beta: f64,
    d: usize,
) -> StepKey {
    [
        f.n as u64,
        f.lambda_u.to_bits(),
        f.lambda_w.to_bits(),
        u64::from(f.noise == Noise::Fresh),
        p.to_bits(),
        sigma2.to_bits(),
        alpha.to_bits(),
        beta.to_bits(),
        d as u64,
    ]
}

#[cfg(test)]
mod tests {
    use super::Memo;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn computes_each_distinct_key_once() {
        static M: Memo<u32, u32> = Memo::new();
        let calls = AtomicUsize::new(0);
        let f = |keys: &[u32]| {
            M.get_many(keys, |idx| {
                calls.fetch_add(idx.len(), Ordering::SeqCst);
                idx.iter().map(|&i| keys[i] * 10).collect()
            })
        };
        assert_eq!(f(&[1, 2, 1]), vec![10, 20, 10]);
        assert_eq!(f(&[2, 3]), vec![20, 30]);
        assert_eq!(calls.load(Ordering::SeqCst), 3);
        assert_eq!(M.get(3, || unreachable!()), 30);
    }
}
