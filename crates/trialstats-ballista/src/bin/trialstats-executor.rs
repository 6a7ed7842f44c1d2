//! `trialstats-executor`: Ballista's executor with trialstats' codecs (see `docs/scale.md`).
//!
//! ```text
//! trialstats-executor --scheduler scheduler-host:50050 --bind 0.0.0.0 --external-host $(hostname) --port 50051 --slots 8
//! ```

use clap::Parser;
use trialstats_ballista::{ExecutorOptions, run_executor};

/// Ballista's executor with the codecs of trialstats' regressions.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    /// The scheduler, `host:port`.
    #[arg(long, default_value = "localhost:50050")]
    scheduler: String,
    /// The address to bind.
    #[arg(long, default_value = "0.0.0.0")]
    bind: String,
    /// The host name other nodes reach this executor by.
    #[arg(long)]
    external_host: Option<String>,
    /// The Arrow Flight port (shuffle data).
    #[arg(long, default_value_t = 50051)]
    port: u16,
    /// The gRPC port.
    #[arg(long, default_value_t = 50052)]
    grpc_port: u16,
    /// Concurrent tasks (default: one per core).
    #[arg(long)]
    slots: Option<usize>,
    /// Where shuffle files are written (default: a temporary directory).
    #[arg(long)]
    work_dir: Option<String>,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let args = Args::parse();
    let Some((host, port)) = args.scheduler.rsplit_once(':') else {
        eprintln!("error: --scheduler {}: expected host:port", args.scheduler);
        return std::process::ExitCode::from(2);
    };
    let Ok(port) = port.parse::<u16>() else {
        eprintln!(
            "error: --scheduler {}: the port is not a number",
            args.scheduler
        );
        return std::process::ExitCode::from(2);
    };
    let options = ExecutorOptions {
        scheduler_host: host.to_owned(),
        scheduler_port: port,
        bind_host: args.bind,
        external_host: args.external_host,
        port: args.port,
        grpc_port: args.grpc_port,
        slots: args
            .slots
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get())),
        work_dir: args.work_dir,
    };
    match run_executor(&options).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
