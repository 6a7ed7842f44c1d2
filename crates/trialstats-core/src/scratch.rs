//! Work space kept between calls: large buffers that a call needs only while it runs (the rank
//! tests' sort keys, the per-cluster sums of a sandwich meat, a GLM pass's blocks, the design of
//! an imputation model).
//!
//! A buffer of a few megabytes that is allocated and freed at each call costs its page faults at
//! each call with the system allocator: glibc maps a large block afresh (above its mapping
//! threshold) or hands the top of its heap back to the system when it is freed, and the kernel
//! then clears every page again at the next call. On the machine of `BENCHMARKS.md` a fault costs
//! about 2.5 µs per 4 KiB page, as much as reading 40 KB: OLS with CR1 on 1e6 × 21 with 1e5
//! clusters took about 12 000 faults per call, and Mann–Whitney on 1e6 values about 1900. Kept
//! here instead, a buffer's pages are mapped once.
//!
//! The pool is one per element type for the whole process (behind a lock taken once per buffer,
//! not per value), so that a buffer taken on one of rayon's threads and given back on another is
//! found again by either. It keeps at most [`KEPT`] buffers and [`MAX_BYTES`] bytes of each type:
//! a buffer given back to a full pool replaces smaller ones, and a buffer larger than
//! [`MAX_BYTES`] is freed. [`release`] frees them all. Buffers come back with unspecified (but
//! initialised) contents: callers overwrite what they read, so results never depend on the pool.
//!
//! # Examples
//! ```
//! use trialstats_core::scratch;
//! let mut keys = scratch::take_u64(1000);
//! assert_eq!(keys.len(), 1000);
//! keys.iter_mut().enumerate().for_each(|(i, k)| *k = i as u64);
//! scratch::give_u64(keys);
//! // A later take of up to that length may reuse the buffer (its contents are unspecified).
//! let again = scratch::take_u64(500);
//! assert_eq!(again.len(), 500);
//! scratch::give_u64(again);
//! scratch::release();
//! ```

use std::sync::{Mutex, PoisonError};

/// Buffers of each element type kept (Mann–Whitney on two threads holds four at once: two
/// groups' keys and their sort buffers).
pub const KEPT: usize = 8;

/// Bytes of each element type kept at most (256 MiB).
pub const MAX_BYTES: usize = 256 << 20;

/// Buffers of one element type, at most [`KEPT`] and [`MAX_BYTES`] bytes.
struct Pool<T> {
    buffers: Vec<Vec<T>>,
}

impl<T: Copy + Default> Pool<T> {
    const fn new() -> Self {
        Pool {
            buffers: Vec::new(),
        }
    }

    fn bytes(v: &Vec<T>) -> usize {
        v.capacity() * std::mem::size_of::<T>()
    }

    /// The buffer that fits `len` best (the smallest capacity at least `len`, else the largest),
    /// taken out of the pool, or a new one.
    fn pick(&mut self, len: usize) -> Vec<T> {
        let b = &self.buffers;
        let pick = b
            .iter()
            .enumerate()
            .filter(|(_, v)| v.capacity() >= len)
            .min_by_key(|(_, v)| v.capacity())
            .or_else(|| b.iter().enumerate().max_by_key(|(_, v)| v.capacity()))
            .map(|(i, _)| i);
        pick.map_or_else(Vec::new, |i| self.buffers.swap_remove(i))
    }

    /// [`Pool::pick`], resized to `len`: a buffer that was at least as long is only truncated,
    /// not written.
    fn take(&mut self, len: usize) -> Vec<T> {
        let mut v = self.pick(len);
        v.resize(len, T::default());
        v
    }

    fn give(&mut self, v: Vec<T>) {
        if v.capacity() == 0 || Self::bytes(&v) > MAX_BYTES {
            return;
        }
        self.buffers.push(v);
        // Over either bound: the smallest buffers go first.
        while self.buffers.len() > KEPT
            || self.buffers.iter().map(Self::bytes).sum::<usize>() > MAX_BYTES
        {
            if let Some((i, _)) = self
                .buffers
                .iter()
                .enumerate()
                .min_by_key(|(_, v)| v.capacity())
            {
                self.buffers.swap_remove(i);
            }
        }
    }
}

static F64: Mutex<Pool<f64>> = Mutex::new(Pool::new());
static U64: Mutex<Pool<u64>> = Mutex::new(Pool::new());

/// The pool, whatever a thread that panicked while holding it left (its buffers are valid).
fn with<T, R>(pool: &Mutex<Pool<T>>, f: impl FnOnce(&mut Pool<T>) -> R) -> R {
    f(&mut pool.lock().unwrap_or_else(PoisonError::into_inner))
}

/// A buffer of `len` doubles from the pool (contents unspecified), or a new one.
pub fn take_f64(len: usize) -> Vec<f64> {
    with(&F64, |p| p.take(len))
}

/// An empty buffer with room for at least `capacity` doubles from the pool, or a new one: for a
/// buffer that is filled by `extend`.
pub fn take_f64_with_capacity(capacity: usize) -> Vec<f64> {
    let mut v = with(&F64, |p| p.pick(capacity));
    v.clear();
    v.reserve(capacity);
    v
}

/// Gives a buffer back to the pool, for a later [`take_f64`] or [`take_f64_with_capacity`].
pub fn give_f64(v: Vec<f64>) {
    with(&F64, |p| p.give(v));
}

/// A buffer of `len` unsigned integers from the pool (contents unspecified), or a new one.
pub fn take_u64(len: usize) -> Vec<u64> {
    with(&U64, |p| p.take(len))
}

/// Gives a buffer back to the pool, for a later [`take_u64`].
pub fn give_u64(v: Vec<u64>) {
    with(&U64, |p| p.give(v));
}

/// Frees every buffer the pools keep.
pub fn release() {
    with(&F64, |p| p.buffers.clear());
    with(&U64, |p| p.buffers.clear());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn capacities(p: &Pool<u64>) -> Vec<usize> {
        let mut c: Vec<usize> = p.buffers.iter().map(Vec::capacity).collect();
        c.sort_unstable();
        c
    }

    #[test]
    fn takes_the_best_fit_and_keeps_the_largest() {
        let mut p = Pool::<u64>::new();
        for cap in [10, 100, 1000] {
            p.give(Vec::with_capacity(cap));
        }
        // Best fit: 100 for 50 elements, and that buffer leaves the pool.
        let a = p.take(50);
        assert_eq!((a.len(), a.capacity()), (50, 100));
        // Nothing fits 5000: the largest (1000) grows.
        let b = p.take(5000);
        assert_eq!(b.len(), 5000);
        assert_eq!(capacities(&p), [10]);
        p.give(a);
        p.give(b);
        // Filled past KEPT with larger buffers: the smallest go.
        for cap in 200..200 + KEPT {
            p.give(Vec::with_capacity(cap));
        }
        let caps = capacities(&p);
        assert_eq!(caps.len(), KEPT);
        assert!(!caps.contains(&10) && !caps.contains(&100) && !caps.contains(&200));
        assert!(caps[KEPT - 1] >= 5000);
        // A smaller buffer than all kept is not kept.
        p.give(Vec::with_capacity(1));
        assert_eq!(capacities(&p), caps);
    }

    #[test]
    fn keeps_at_most_max_bytes() {
        let mut p = Pool::<u64>::new();
        let words = MAX_BYTES / 8;
        p.give(Vec::with_capacity(words + 1));
        assert!(p.buffers.is_empty(), "a buffer over the bound is freed");
        p.give(Vec::with_capacity(words / 4));
        p.give(Vec::with_capacity(words / 2));
        p.give(Vec::with_capacity(words / 2));
        // 5/4 of the bound: the quarter goes.
        assert_eq!(capacities(&p), [words / 2, words / 2]);
    }

    #[test]
    fn a_longer_buffer_is_truncated_and_a_shorter_one_filled() {
        let mut p = Pool::<f64>::new();
        p.give(vec![7.0; 8]);
        let v = p.take(3);
        assert_eq!(v, [7.0; 3]);
        p.give(v);
        let w = p.take(6);
        assert_eq!(w, [7.0, 7.0, 7.0, 0.0, 0.0, 0.0]);
    }

    #[test]
    fn the_process_pools_hand_out_what_is_asked() {
        give_f64(vec![1.0; 64]);
        let e = take_f64_with_capacity(40);
        assert!(e.is_empty() && e.capacity() >= 40);
        give_f64(e);
        assert_eq!(take_f64(10).len(), 10);
        assert_eq!(take_u64(3).len(), 3);
    }
}
