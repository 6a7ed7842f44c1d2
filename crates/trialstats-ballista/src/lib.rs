//! trialstats' regressions on an Apache Ballista cluster.
//!
//! `trialstats-datafusion` fits least squares and the logit with aggregate functions whose
//! partial states merge; on Ballista the scheduler plans those aggregates into stages and the
//! executors run them on their share of the files, shuffling the partial states by cluster. Two
//! things make that work:
//! - the plan names this project's functions and must carry their parameters (a Newton step's
//!   β, a score pass's β and bread, a formula's transformation) to the scheduler and every
//!   executor: [`TrialstatsLogicalCodec`] and [`TrialstatsPhysicalCodec`] wrap Ballista's own
//!   codecs and add them (`trialstats_datafusion::codec`);
//! - every process must use those codecs: [`session_config`] puts them in the client's
//!   configuration, [`run_scheduler`] and [`run_executor`] run Ballista's scheduler and
//!   executor services with them (the `trialstats-scheduler` and `trialstats-executor`
//!   binaries; `docs/scale.md` says how to deploy them), and [`start_local_cluster`] starts a
//!   scheduler and executors in this process, on loopback, for tests.
//!
//! The fit itself is the same call as on one machine: `trialstats_datafusion::ols(&df, …)` on a
//! table of a Ballista `SessionContext`.
//!
//! # Examples
//! See `tests/cluster.rs`: a scheduler and two executors in process, a partitioned Parquet
//! dataset, and the same numbers as DataFusion on one machine.
#![forbid(unsafe_code)]

use std::net::SocketAddr;
use std::sync::Arc;

use ballista::prelude::{SessionConfigExt, SessionContextExt};
use ballista_core::serde::{BallistaLogicalExtensionCodec, BallistaPhysicalExtensionCodec};
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::catalog::TableProvider;
use datafusion::common::TableReference;
use datafusion::datasource::file_format::FileFormatFactory;
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::{SessionStateBuilder, TaskContext};
use datafusion::logical_expr::{AggregateUDF, Extension, LogicalPlan, ScalarUDF};
use datafusion::physical_plan::ExecutionPlan;
use datafusion::prelude::{SessionConfig, SessionContext};
use datafusion_proto::logical_plan::LogicalExtensionCodec;
use datafusion_proto::physical_plan::{PhysicalExtensionCodec, PhysicalProtoConverterExtension};
use trialstats_datafusion::codec::{decode_udaf, decode_udf, encode_udaf, encode_udf};

/// Our decoding of a function if it is one of ours, Ballista's otherwise.
fn ours_or<T>(ours: Option<Result<T>>, theirs: impl FnOnce() -> Result<T>) -> Result<T> {
    ours.unwrap_or_else(theirs)
}

/// Our encoding of a function if it is one of ours, Ballista's otherwise.
fn write_ours_or(
    ours: Option<Vec<u8>>,
    buf: &mut Vec<u8>,
    theirs: impl FnOnce(&mut Vec<u8>) -> Result<()>,
) -> Result<()> {
    match ours {
        Some(bytes) => {
            buf.extend(bytes);
            Ok(())
        }
        None => theirs(buf),
    }
}

/// Ballista's logical codec, with this project's functions and their parameters.
#[derive(Debug, Default)]
pub struct TrialstatsLogicalCodec {
    inner: BallistaLogicalExtensionCodec,
}

impl LogicalExtensionCodec for TrialstatsLogicalCodec {
    fn try_decode(
        &self,
        buf: &[u8],
        inputs: &[LogicalPlan],
        ctx: &TaskContext,
    ) -> Result<Extension> {
        self.inner.try_decode(buf, inputs, ctx)
    }
    fn try_encode(&self, node: &Extension, buf: &mut Vec<u8>) -> Result<()> {
        self.inner.try_encode(node, buf)
    }
    fn try_decode_table_provider(
        &self,
        buf: &[u8],
        table_ref: &TableReference,
        schema: SchemaRef,
        ctx: &TaskContext,
    ) -> Result<Arc<dyn TableProvider>> {
        self.inner
            .try_decode_table_provider(buf, table_ref, schema, ctx)
    }
    fn try_encode_table_provider(
        &self,
        table_ref: &TableReference,
        node: Arc<dyn TableProvider>,
        buf: &mut Vec<u8>,
    ) -> Result<()> {
        self.inner.try_encode_table_provider(table_ref, node, buf)
    }
    fn try_decode_file_format(
        &self,
        buf: &[u8],
        ctx: &TaskContext,
    ) -> Result<Arc<dyn FileFormatFactory>> {
        self.inner.try_decode_file_format(buf, ctx)
    }
    fn try_encode_file_format(
        &self,
        buf: &mut Vec<u8>,
        node: Arc<dyn FileFormatFactory>,
    ) -> Result<()> {
        self.inner.try_encode_file_format(buf, node)
    }
    fn try_decode_udf(&self, name: &str, buf: &[u8]) -> Result<Arc<ScalarUDF>> {
        ours_or(decode_udf(name, buf), || {
            self.inner.try_decode_udf(name, buf)
        })
    }
    fn try_encode_udf(&self, node: &ScalarUDF, buf: &mut Vec<u8>) -> Result<()> {
        write_ours_or(encode_udf(node), buf, |buf| {
            self.inner.try_encode_udf(node, buf)
        })
    }
    fn try_decode_udaf(&self, name: &str, buf: &[u8]) -> Result<Arc<AggregateUDF>> {
        ours_or(decode_udaf(name, buf), || {
            self.inner.try_decode_udaf(name, buf)
        })
    }
    fn try_encode_udaf(&self, node: &AggregateUDF, buf: &mut Vec<u8>) -> Result<()> {
        write_ours_or(encode_udaf(node), buf, |buf| {
            self.inner.try_encode_udaf(node, buf)
        })
    }
}

/// Ballista's physical codec, with this project's functions and their parameters.
#[derive(Debug, Default)]
pub struct TrialstatsPhysicalCodec {
    inner: BallistaPhysicalExtensionCodec,
}

impl PhysicalExtensionCodec for TrialstatsPhysicalCodec {
    fn try_decode(
        &self,
        buf: &[u8],
        inputs: &[Arc<dyn ExecutionPlan>],
        ctx: &TaskContext,
        proto_converter: &dyn PhysicalProtoConverterExtension,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        self.inner.try_decode(buf, inputs, ctx, proto_converter)
    }
    fn try_encode(
        &self,
        node: Arc<dyn ExecutionPlan>,
        buf: &mut Vec<u8>,
        proto_converter: &dyn PhysicalProtoConverterExtension,
    ) -> Result<()> {
        self.inner.try_encode(node, buf, proto_converter)
    }
    fn try_decode_udf(&self, name: &str, buf: &[u8]) -> Result<Arc<ScalarUDF>> {
        ours_or(decode_udf(name, buf), || {
            self.inner.try_decode_udf(name, buf)
        })
    }
    fn try_encode_udf(&self, node: &ScalarUDF, buf: &mut Vec<u8>) -> Result<()> {
        write_ours_or(encode_udf(node), buf, |buf| {
            self.inner.try_encode_udf(node, buf)
        })
    }
    fn try_decode_udaf(&self, name: &str, buf: &[u8]) -> Result<Arc<AggregateUDF>> {
        ours_or(decode_udaf(name, buf), || {
            self.inner.try_decode_udaf(name, buf)
        })
    }
    fn try_encode_udaf(&self, node: &AggregateUDF, buf: &mut Vec<u8>) -> Result<()> {
        write_ours_or(encode_udaf(node), buf, |buf| {
            self.inner.try_encode_udaf(node, buf)
        })
    }
}

/// A Ballista session configuration with this project's codecs (for the client, the scheduler
/// and the executors alike).
pub fn session_config() -> SessionConfig {
    SessionConfig::new_with_ballista()
        .with_ballista_logical_extension_codec(Arc::new(TrialstatsLogicalCodec::default()))
        .with_ballista_physical_extension_codec(Arc::new(TrialstatsPhysicalCodec::default()))
}

/// Starts a Ballista scheduler and `executors` executors (each with `slots` task slots) in this
/// process, on loopback ports the system chooses, by [`run_scheduler`] and [`run_executor`] (the
/// services of the two binaries), and returns a client session connected to the scheduler with
/// the scheduler's address. The services run as tasks of the current Tokio runtime (which must
/// be multi-threaded) until it ends.
///
/// # Errors
/// No free port, or a scheduler that does not answer within 30 s.
pub async fn start_local_cluster(
    executors: usize,
    slots: usize,
) -> Result<(SessionContext, SocketAddr)> {
    let free_port = || -> Result<u16> {
        let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
        Ok(listener.local_addr()?.port())
    };
    let scheduler = SchedulerOptions {
        bind_host: "127.0.0.1".into(),
        port: free_port()?,
    };
    let port = scheduler.port;
    tokio::spawn(async move { run_scheduler(&scheduler).await });
    for _ in 0..executors {
        let options = ExecutorOptions {
            scheduler_host: "127.0.0.1".into(),
            scheduler_port: port,
            bind_host: "127.0.0.1".into(),
            external_host: Some("127.0.0.1".into()),
            port: free_port()?,
            grpc_port: free_port()?,
            slots,
            work_dir: None,
        };
        tokio::spawn(async move { run_executor(&options).await });
    }
    let mut last = None;
    for _ in 0..300 {
        match connect("127.0.0.1", port).await {
            Ok(ctx) => {
                return Ok((ctx, SocketAddr::from(([127, 0, 0, 1], port))));
            }
            Err(e) => {
                last = Some(e);
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
        }
    }
    Err(last.unwrap_or_else(|| {
        DataFusionError::Execution(format!("no Ballista scheduler answered on port {port}"))
    }))
}

/// Where a scheduler listens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchedulerOptions {
    /// The address to bind (`0.0.0.0` for every interface).
    pub bind_host: String,
    /// The gRPC port executors and clients connect to.
    pub port: u16,
}

/// Runs a Ballista scheduler with this project's codecs until the process ends: in-memory
/// cluster state, executors pulling tasks (Ballista's pull-staged policy).
///
/// # Errors
/// A configuration Ballista refuses or a port that cannot be bound.
pub async fn run_scheduler(options: &SchedulerOptions) -> Result<()> {
    use ballista_core::config::TaskSchedulingPolicy;
    use ballista_scheduler::cluster::BallistaCluster;
    use ballista_scheduler::config::SchedulerConfig;
    let address: SocketAddr = format!("{}:{}", options.bind_host, options.port)
        .parse()
        .map_err(|e| DataFusionError::Configuration(format!("scheduler address: {e}")))?;
    let config = SchedulerConfig {
        bind_host: options.bind_host.clone(),
        bind_port: options.port,
        scheduling_policy: TaskSchedulingPolicy::PullStaged,
        override_logical_codec: Some(Arc::new(TrialstatsLogicalCodec::default())),
        override_physical_codec: Some(Arc::new(TrialstatsPhysicalCodec::default())),
        override_config_producer: Some(Arc::new(session_config)),
        ..SchedulerConfig::default()
    };
    let external = |e: ballista_core::error::BallistaError| DataFusionError::External(Box::new(e));
    let cluster = BallistaCluster::new_from_config(&config)
        .await
        .map_err(external)?;
    ballista_scheduler::scheduler_process::start_server(cluster, address, Arc::new(config))
        .await
        .map_err(external)
}

/// Where an executor listens and which scheduler it serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecutorOptions {
    /// The scheduler's host.
    pub scheduler_host: String,
    /// The scheduler's port.
    pub scheduler_port: u16,
    /// The address to bind.
    pub bind_host: String,
    /// The host name other nodes reach this executor by (default: `bind_host`).
    pub external_host: Option<String>,
    /// The Arrow Flight port that serves shuffle data to other executors and the client.
    pub port: u16,
    /// The gRPC port (used by push-based scheduling; reserved here).
    pub grpc_port: u16,
    /// Concurrent tasks (task slots).
    pub slots: usize,
    /// Where shuffle files are written (default: a temporary directory).
    pub work_dir: Option<String>,
}

/// Runs a Ballista executor with this project's codecs until the process ends, pulling tasks
/// from the scheduler of `options`.
///
/// # Errors
/// A port that cannot be bound, or a scheduler that cannot be reached.
pub async fn run_executor(options: &ExecutorOptions) -> Result<()> {
    use ballista_core::config::TaskSchedulingPolicy;
    use ballista_executor::executor_process::{ExecutorProcessConfig, start_executor_process};
    let config = ExecutorProcessConfig {
        bind_host: options.bind_host.clone(),
        external_host: options.external_host.clone(),
        port: options.port,
        grpc_port: options.grpc_port,
        scheduler_host: options.scheduler_host.clone(),
        scheduler_port: options.scheduler_port,
        scheduler_connect_timeout_seconds: 30,
        vcores: options.slots.max(1),
        task_scheduling_policy: TaskSchedulingPolicy::PullStaged,
        work_dir: options.work_dir.clone(),
        print_thread_info: false,
        override_logical_codec: Some(Arc::new(TrialstatsLogicalCodec::default())),
        override_physical_codec: Some(Arc::new(TrialstatsPhysicalCodec::default())),
        override_config_producer: Some(Arc::new(session_config)),
        ..ExecutorProcessConfig::default()
    };
    start_executor_process(Arc::new(config))
        .await
        .map_err(|e| DataFusionError::External(Box::new(e)))
}

/// A client session connected to the scheduler at `host:port`, with this project's codecs:
/// `trialstats_datafusion::ols(&ctx.table(…).await?, …)` then runs on the cluster.
///
/// # Errors
/// A scheduler that cannot be reached.
pub async fn connect(host: &str, port: u16) -> Result<SessionContext> {
    let state = SessionStateBuilder::new()
        .with_config(session_config())
        .with_default_features()
        .build();
    SessionContext::remote_with_state(&format!("df://{host}:{port}"), state).await
}
