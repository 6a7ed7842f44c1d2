//! Work space kept between calls on each thread: large buffers that a call needs only while it
//! runs (the rank tests' sort keys, the per-cluster sums of a sandwich meat, a GLM pass's blocks).
//!
//! A buffer of a few megabytes that is allocated and freed at each call costs its page faults at
//! each call with the system allocator: glibc maps a large block afresh (above its mapping
//! threshold) or hands the top of its heap back to the system when it is freed, and the kernel
//! then clears every page again at the next call. On the machine of `BENCHMARKS.md` a fault costs
//! about 2.5 µs per 4 KiB page, as much as reading 40 KB: OLS with CR1 on 1e6 × 21 with 1e5
//! clusters took about 12 000 faults per call, and Mann–Whitney on 1e6 values about 1900. Kept
//! here instead, a buffer's pages are mapped once per thread.
//!
//! Each thread keeps at most [`KEPT`] buffers of each element type; a buffer given back to a full
//! pool replaces the smallest one if it is larger. The memory kept is therefore at most
//! [`KEPT`] times the largest buffer of each type that a thread used, and [`release`] frees it.
//! Buffers come back with unspecified (but initialised) contents: callers overwrite what they
//! read.
//!
//! # Examples
//! ```
//! use trialstats_core::scratch;
//! let mut keys = scratch::take_u64(1000);
//! assert_eq!(keys.len(), 1000);
//! keys.iter_mut().enumerate().for_each(|(i, k)| *k = i as u64);
//! scratch::give_u64(keys);
//! // The next take of up to that capacity on this thread reuses the buffer.
//! let again = scratch::take_u64(500);
//! assert!(again.capacity() >= 1000);
//! scratch::give_u64(again);
//! scratch::release();
//! ```

use std::cell::RefCell;

/// Buffers of each element type kept per thread (Mann–Whitney holds four: two groups' keys and
/// their sort buffers).
pub const KEPT: usize = 4;

thread_local! {
    static F64: RefCell<Vec<Vec<f64>>> = const { RefCell::new(Vec::new()) };
    static U64: RefCell<Vec<Vec<u64>>> = const { RefCell::new(Vec::new()) };
}

/// The pooled buffer that fits `len` best (the smallest capacity at least `len`, else the
/// largest), taken out of the pool, or a new one.
fn pick<T>(pool: &RefCell<Vec<Vec<T>>>, len: usize) -> Vec<T> {
    let mut pool = pool.borrow_mut();
    let fits = |v: &Vec<T>| v.capacity() >= len;
    let pick = pool
        .iter()
        .enumerate()
        .filter(|(_, v)| fits(v))
        .min_by_key(|(_, v)| v.capacity())
        .or_else(|| pool.iter().enumerate().max_by_key(|(_, v)| v.capacity()))
        .map(|(i, _)| i);
    pick.map_or_else(Vec::new, |i| pool.swap_remove(i))
}

/// [`pick`], resized to `len`: a buffer that was at least as long is only truncated, not
/// written.
fn take<T: Copy + Default>(pool: &RefCell<Vec<Vec<T>>>, len: usize) -> Vec<T> {
    let mut v = pick(pool, len);
    v.resize(len, T::default());
    v
}

fn give<T>(pool: &RefCell<Vec<Vec<T>>>, v: Vec<T>) {
    if v.capacity() == 0 {
        return;
    }
    let mut pool = pool.borrow_mut();
    if pool.len() < KEPT {
        pool.push(v);
    } else if let Some((i, _)) = pool
        .iter()
        .enumerate()
        .min_by_key(|(_, p)| p.capacity())
        .filter(|(_, p)| p.capacity() < v.capacity())
    {
        pool[i] = v;
    }
}

/// A buffer of `len` doubles from this thread's pool (contents unspecified), or a new one.
pub fn take_f64(len: usize) -> Vec<f64> {
    F64.with(|p| take(p, len))
}

/// An empty buffer with room for at least `capacity` doubles from this thread's pool, or a new
/// one: for a buffer that is filled by `extend`.
pub fn take_f64_with_capacity(capacity: usize) -> Vec<f64> {
    let mut v = F64.with(|p| pick(p, capacity));
    v.clear();
    v.reserve(capacity);
    v
}

/// Gives a buffer back to this thread's pool, for a later [`take_f64`] or
/// [`take_f64_with_capacity`].
pub fn give_f64(v: Vec<f64>) {
    F64.with(|p| give(p, v));
}

/// A buffer of `len` unsigned integers from this thread's pool (contents unspecified), or a new
/// one.
pub fn take_u64(len: usize) -> Vec<u64> {
    U64.with(|p| take(p, len))
}

/// Gives a buffer back to this thread's pool, for a later [`take_u64`].
pub fn give_u64(v: Vec<u64>) {
    U64.with(|p| give(p, v));
}

/// Frees every buffer this thread keeps.
pub fn release() {
    F64.with(|p| p.borrow_mut().clear());
    U64.with(|p| p.borrow_mut().clear());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn takes_the_best_fit_and_keeps_the_largest() {
        release();
        for cap in [10, 100, 1000] {
            give_u64(Vec::with_capacity(cap));
        }
        // Best fit: 100 for 50 elements, and that buffer leaves the pool.
        let a = take_u64(50);
        assert_eq!((a.len(), a.capacity()), (50, 100));
        // Nothing fits 5000: the largest (1000) grows.
        let b = take_u64(5000);
        assert_eq!(b.len(), 5000);
        give_u64(a);
        give_u64(b);
        // The pool holds 10, 100, the grown one and 20: full. A smaller buffer is dropped, a
        // larger one replaces the smallest.
        give_u64(Vec::with_capacity(20));
        give_u64(Vec::with_capacity(1));
        give_u64(Vec::with_capacity(50));
        let mut caps: Vec<usize> = U64.with(|p| p.borrow().iter().map(Vec::capacity).collect());
        caps.sort_unstable();
        assert_eq!(caps.len(), KEPT);
        assert_eq!(caps[..3], [20, 50, 100]);
        assert!(caps[3] >= 5000);
        release();
        assert!(U64.with(|p| p.borrow().is_empty()));
    }

    #[test]
    fn a_longer_buffer_is_truncated_and_a_shorter_one_filled() {
        release();
        give_f64(vec![7.0; 8]);
        let v = take_f64(3);
        assert_eq!(v, [7.0; 3]);
        give_f64(v);
        let w = take_f64(6);
        assert_eq!(w, [7.0, 7.0, 7.0, 0.0, 0.0, 0.0]);
        give_f64(w);
        let e = take_f64_with_capacity(5);
        assert!(e.is_empty() && e.capacity() >= 8);
        release();
    }
}
