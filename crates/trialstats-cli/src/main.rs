//! `trialstats`: the command line of the trialstats workspace.
//!
//! Every subcommand reads a CSV file, runs one library call and writes text (default), JSON,
//! Markdown or CSV to standard output. Errors go to standard error as one sentence naming the
//! file, row, column and value; the exit code is 1 for data and model errors and 2 for usage
//! errors, and nothing is written to standard output then. The contract (commands, options and
//! the JSON of every result) is `docs/cli.md` in the repository.
#![forbid(unsafe_code)]

mod commands;
mod error;
mod impute;
mod json;
mod mixed;
mod ordinal;
mod output;
mod plan;
mod pool;
mod progress;
mod regress;
mod reproduce;
mod scale;
mod score;
mod simulate;
mod twosample;
mod ukpds;

use std::io::Write;
use std::process::ExitCode;

/// mimalloc: large scans allocate and free big buffers at a rate the system allocator serves
/// by mapping fresh pages each time (see the dependency's note in Cargo.toml).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use clap::Parser;
use trialstats_core::threads::{self, Placement};

use crate::output::Format;

/// Statistics for cluster randomised trials.
#[derive(Debug, Parser)]
#[command(
    name = "trialstats",
    version,
    about,
    long_about = None,
    after_help = "The command-line contract (options, JSON of every result, exit codes: 1 for data and model errors, 2 for usage) is docs/cli.md in the repository: https://github.com/trialstats/trialstats/blob/main/docs/cli.md"
)]
struct Cli {
    /// Output format.
    #[arg(long, global = true, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Threads for the parallel parts (the fits' passes over 65 536 rows or more, the wild
    /// bootstrap's replicate blocks, the simulator's calibration over seeds, multiple
    /// imputation's chains and pooled analyses, the rank tests' two sorts); default: one per
    /// core. The results are the same whatever the number.
    #[arg(long, global = true, value_parser = clap::value_parser!(u16).range(1..))]
    threads: Option<u16>,
    /// Leave the threads to the operating system's scheduler. By default each is bound to a CPU
    /// of its own when there are at least as many CPUs as threads: on virtual machines the
    /// scheduler was seen to wake a thread on a busy CPU and leave the other idle for
    /// milliseconds (trialstats_core::threads).
    #[arg(long, global = true)]
    no_bind: bool,
    #[command(flatten)]
    read: commands::ReadArgs,
    #[command(subcommand)]
    command: commands::Command,
}

fn main() -> ExitCode {
    // A panic inside a binary-format decoder is turned into an error naming the file by
    // trialstats-data; the error is the one message the user gets. Every other panic is shown.
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if !trialstats_data::read::is_decoding() {
            default_hook(info);
        }
    }));
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // clap prints help and version to stdout (exit 0), usage errors to stderr (exit 2).
            let _ = e.print();
            return ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2));
        }
    };
    let threads = cli.threads.map_or_else(default_threads, usize::from);
    let placement = if cli.no_bind {
        Placement::Free
    } else {
        Placement::Bound
    };
    let pool = match threads::pool(threads, placement) {
        Ok(pool) => pool,
        Err(e) => {
            eprintln!("error: cannot start {threads} threads: {e}");
            return ExitCode::from(2);
        }
    };
    if let Err(e) = commands::set_read_options(&cli.read) {
        eprintln!("error: {e}");
        return ExitCode::from(e.exit_code());
    }
    // The command runs on one of the pool's workers, so that every parallel part starts from a
    // thread of the pool (bound as its workers are).
    match pool.install(|| commands::run(&cli.command, cli.format)) {
        Ok(text) => {
            let mut out = std::io::stdout().lock();
            match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    // A full disk or a closed pipe: say so, never fail silently.
                    eprintln!("error: cannot write the output to standard output: {e}");
                    ExitCode::from(1)
                }
            }
        }
        Err(e) => {
            eprintln!("error: {}", shorten(&e.to_string()));
            ExitCode::from(e.exit_code())
        }
    }
}

/// rayon's default size of its pool: `RAYON_NUM_THREADS` when set to a positive number, else one
/// thread per CPU this process may use.
fn default_threads() -> usize {
    std::env::var("RAYON_NUM_THREADS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|&n: &usize| n > 0)
        .or_else(|| std::thread::available_parallelism().ok().map(usize::from))
        .unwrap_or(1)
}

/// Longest error sentence printed whole; the errors clip the values they quote, and this is
/// the last guard (a long formula or a model's many term names).
const MAX_ERROR_CHARS: usize = 2000;

/// `message` whole up to [`MAX_ERROR_CHARS`] characters, else its beginning and end.
fn shorten(message: &str) -> std::borrow::Cow<'_, str> {
    let n = message.chars().count();
    if n <= MAX_ERROR_CHARS {
        return std::borrow::Cow::Borrowed(message);
    }
    let head: String = message.chars().take(MAX_ERROR_CHARS * 3 / 4).collect();
    let tail: String = message.chars().skip(n - MAX_ERROR_CHARS / 4).collect();
    std::borrow::Cow::Owned(format!(
        "{head} … ({} characters omitted) … {tail}",
        n - head.chars().count() - tail.chars().count()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::CliError;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn long_errors_are_shortened() {
        assert_eq!(shorten("short"), "short");
        let long = "x".repeat(5000);
        let s = shorten(&long);
        assert!(s.chars().count() < 2100, "{}", s.len());
        assert!(s.contains("(3000 characters omitted)"), "{s}");
    }

    #[test]
    fn usage_errors_exit_2() {
        assert_eq!(CliError::Usage("x".into()).exit_code(), 2);
    }
}
