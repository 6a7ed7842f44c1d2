//! `trialstats-scheduler`: Ballista's scheduler with trialstats' codecs (see `docs/scale.md`).
//!
//! ```text
//! trialstats-scheduler --bind 0.0.0.0 --port 50050
//! ```

use clap::Parser;
use trialstats_ballista::{SchedulerOptions, run_scheduler};

/// Ballista's scheduler with the codecs of trialstats' regressions.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    /// The address to bind.
    #[arg(long, default_value = "0.0.0.0")]
    bind: String,
    /// The gRPC port executors and clients connect to.
    #[arg(long, default_value_t = 50050)]
    port: u16,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let args = Args::parse();
    let options = SchedulerOptions {
        bind_host: args.bind,
        port: args.port,
    };
    match run_scheduler(&options).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
