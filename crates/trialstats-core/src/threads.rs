//! rayon's thread pool with each worker bound to a CPU of its own.
//!
//! The parallel parts of the workspace (the wild bootstrap's replicate blocks, MICE's chains
//! and pooled analyses, the cross-products of large designs, the Monte Carlo replications) run
//! on whatever rayon pool the caller installs, and give the same bits on any number of threads.
//! This module builds such a pool for a program (the command line and the benchmark harness use
//! it); library code never builds one.
//!
//! # Why bind
//! A rayon worker with nothing to do goes to sleep; new work wakes it. On the two-vCPU virtual
//! machine of `BENCHMARKS.md` (Linux 6.18) the kernel often placed the woken worker on the CPU of
//! the thread that woke it, which was busy, rather than on the idle one, and the two then shared
//! one CPU until the load balancer moved one of them, 1–4 ms later. A parallel section shorter
//! than that gained nothing from the second core. Measured with a loop of 100 items of 50 µs on
//! two workers, started after 10 ms of idleness (200 runs): unbound, the second worker took its
//! first item 2.7–3.6 ms after the start (median) and the loop took 5.1 ms, as on one thread;
//! with each worker bound to its own CPU, 0.04–0.07 ms and 2.6 ms. A scheduler trace of the
//! unbound runs shows a worker woken with the waker's busy CPU as its target while the other CPU
//! was idle, and the two then taking turns on that CPU. Bound, the kernel has one place to run
//! each worker. MICE (m = 5, 1e4 rows, then five OLS fits pooled) on two threads, medians of 60
//! calls in each of three processes: 35.9–39.1 ms with the calls made from the main thread and
//! the workers unbound (interquartile ranges 4.1–6.2 ms), 32.4–33.1 ms with the calls made inside
//! the pool ([`Pool::install`]) and the workers bound (ranges 0.9–1.6 ms).
//!
//! Binding is the programmer's choice, as OpenMP's `OMP_PROC_BIND`: on a machine where other
//! busy processes hold some CPUs, a bound worker cannot move away from them (rayon's work
//! stealing then gives its share to the others, up to the last item it took).
//!
//! # Examples
//! ```
//! use trialstats_core::threads::{Placement, pool};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let pool = pool(1, Placement::Bound)?;
//! // Work run by `install` uses this pool (and the calling thread waits for it).
//! let sum: u64 = pool.install(|| (1..=100u64).sum());
//! assert_eq!(sum, 5050);
//! # Ok(()) }
//! ```

/// Where the workers of a pool built by [`pool`] run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    /// Worker i on the i-th CPU this process may run on, when there are at least as many such
    /// CPUs as workers (else unbound). Linux only; elsewhere unbound.
    Bound,
    /// Wherever the kernel puts them (rayon's default).
    Free,
}

/// A rayon pool, with the CPUs its workers were bound to.
#[derive(Debug)]
pub struct Pool {
    pool: rayon::ThreadPool,
    cpus: Vec<usize>,
}

impl Pool {
    /// Runs `op` on the pool: inside it, every rayon call uses this pool's workers, and
    /// `op` itself runs on one of them (the calling thread waits).
    pub fn install<R: Send>(&self, op: impl FnOnce() -> R + Send) -> R {
        self.pool.install(op)
    }

    /// The number of workers.
    pub fn threads(&self) -> usize {
        self.pool.current_num_threads()
    }

    /// The CPU of each worker, in worker order; empty when the workers are not bound.
    ///
    /// Binding is done by each worker as it starts; a worker whose binding the kernel refuses
    /// (a CPU taken away since) runs unbound.
    pub fn cpus(&self) -> &[usize] {
        &self.cpus
    }
}

/// The CPUs this process may run on, ascending (Linux's affinity mask, which `taskset` and
/// cgroup CPU sets narrow); empty where unknown (other systems, or the query failed).
///
/// # Examples
/// ```
/// let cpus = trialstats_core::threads::allowed_cpus();
/// assert!(cpus.windows(2).all(|w| w[0] < w[1]));
/// ```
pub fn allowed_cpus() -> Vec<usize> {
    #[cfg(target_os = "linux")]
    {
        use nix::sched::{CpuSet, sched_getaffinity};
        use nix::unistd::Pid;
        sched_getaffinity(Pid::from_raw(0))
            .map(|set| {
                (0..CpuSet::count())
                    .filter(|&c| set.is_set(c).unwrap_or(false))
                    .collect()
            })
            .unwrap_or_default()
    }
    #[cfg(not(target_os = "linux"))]
    {
        Vec::new()
    }
}

/// Binds the calling thread to `cpu` where the kernel allows it (a refusal leaves the thread
/// unbound, as [`Pool::cpus`] says); nothing off Linux.
fn bind_current_thread(cpu: usize) {
    #[cfg(target_os = "linux")]
    {
        use nix::sched::{CpuSet, sched_setaffinity};
        use nix::unistd::Pid;
        let mut set = CpuSet::new();
        if set.set(cpu).is_ok() {
            // A refused binding is not an error: the worker runs where the kernel puts it.
            let _ = sched_setaffinity(Pid::from_raw(0), &set);
        }
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = cpu;
    }
}

/// A rayon pool of `threads` workers (at least 1), placed as `placement` says (see the module
/// documentation for why a program may want them bound).
///
/// # Errors
/// rayon's, when the operating system cannot start the threads.
///
/// # Examples
/// ```
/// use trialstats_core::threads::{Placement, allowed_cpus, pool};
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let p = pool(1, Placement::Bound)?;
/// assert_eq!(p.threads(), 1);
/// // Bound to the first CPU this process may use (where the system tells which).
/// assert_eq!(p.cpus(), &allowed_cpus()[..p.cpus().len()]);
/// // More workers than CPUs: left to the kernel.
/// let many = pool(allowed_cpus().len() + 1, Placement::Bound)?;
/// assert!(many.cpus().is_empty());
/// # Ok(()) }
/// ```
pub fn pool(threads: usize, placement: Placement) -> Result<Pool, rayon::ThreadPoolBuildError> {
    let threads = threads.max(1);
    let allowed = allowed_cpus();
    let cpus: Vec<usize> = match placement {
        Placement::Bound if threads <= allowed.len() => allowed[..threads].to_vec(),
        _ => Vec::new(),
    };
    let mut builder = rayon::ThreadPoolBuilder::new().num_threads(threads);
    if !cpus.is_empty() {
        let targets = cpus.clone();
        builder = builder.start_handler(move |worker| {
            if let Some(&cpu) = targets.get(worker) {
                bind_current_thread(cpu);
            }
        });
    }
    Ok(Pool {
        pool: builder.build()?,
        cpus,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each worker runs on its CPU alone: the affinity read inside the pool is that CPU.
    #[cfg(target_os = "linux")]
    #[test]
    fn workers_are_bound_to_their_cpus() {
        let allowed = allowed_cpus();
        assert!(!allowed.is_empty(), "the affinity mask can be read");
        let n = allowed.len().min(2);
        let p = pool(n, Placement::Bound).unwrap_or_else(|e| unreachable!("{e}"));
        assert_eq!(p.cpus(), &allowed[..n]);
        let seen: Vec<(usize, Vec<usize>)> = p.install(|| {
            rayon::broadcast(|ctx| {
                let mask = allowed_cpus();
                (ctx.index(), mask)
            })
        });
        for (worker, mask) in seen {
            assert_eq!(mask, vec![allowed[worker]], "worker {worker}");
        }
    }

    /// Unbound workers keep the process's whole mask.
    #[cfg(target_os = "linux")]
    #[test]
    fn free_workers_keep_the_whole_mask() {
        let allowed = allowed_cpus();
        let p = pool(1, Placement::Free).unwrap_or_else(|e| unreachable!("{e}"));
        assert!(p.cpus().is_empty());
        assert_eq!(p.install(allowed_cpus), allowed);
    }
}
