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
//!   configuration, and [`start_local_cluster`] starts a scheduler and executors with them in
//!   this process, on loopback (for tests; `docs/scale.md` says how to run them as services).
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
use ballista_core::serde::protobuf::scheduler_grpc_client::SchedulerGrpcClient;
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
        match decode_udf(name, buf) {
            Some(r) => r,
            None => self.inner.try_decode_udf(name, buf),
        }
    }
    fn try_encode_udf(&self, node: &ScalarUDF, buf: &mut Vec<u8>) -> Result<()> {
        match encode_udf(node) {
            Some(bytes) => {
                buf.extend(bytes);
                Ok(())
            }
            None => self.inner.try_encode_udf(node, buf),
        }
    }
    fn try_decode_udaf(&self, name: &str, buf: &[u8]) -> Result<Arc<AggregateUDF>> {
        match decode_udaf(name, buf) {
            Some(r) => r,
            None => self.inner.try_decode_udaf(name, buf),
        }
    }
    fn try_encode_udaf(&self, node: &AggregateUDF, buf: &mut Vec<u8>) -> Result<()> {
        match encode_udaf(node) {
            Some(bytes) => {
                buf.extend(bytes);
                Ok(())
            }
            None => self.inner.try_encode_udaf(node, buf),
        }
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
        match decode_udf(name, buf) {
            Some(r) => r,
            None => self.inner.try_decode_udf(name, buf),
        }
    }
    fn try_encode_udf(&self, node: &ScalarUDF, buf: &mut Vec<u8>) -> Result<()> {
        match encode_udf(node) {
            Some(bytes) => {
                buf.extend(bytes);
                Ok(())
            }
            None => self.inner.try_encode_udf(node, buf),
        }
    }
    fn try_decode_udaf(&self, name: &str, buf: &[u8]) -> Result<Arc<AggregateUDF>> {
        match decode_udaf(name, buf) {
            Some(r) => r,
            None => self.inner.try_decode_udaf(name, buf),
        }
    }
    fn try_encode_udaf(&self, node: &AggregateUDF, buf: &mut Vec<u8>) -> Result<()> {
        match encode_udaf(node) {
            Some(bytes) => {
                buf.extend(bytes);
                Ok(())
            }
            None => self.inner.try_encode_udaf(node, buf),
        }
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
/// process, on loopback ports chosen by the system, all with this project's codecs, and returns
/// a client session connected to the scheduler with the scheduler's address. The services run
/// on the current Tokio runtime until it ends.
///
/// # Errors
/// A service that cannot start, or a client that cannot connect within 10 s.
pub async fn start_local_cluster(
    executors: usize,
    slots: usize,
) -> Result<(SessionContext, SocketAddr)> {
    let state = SessionStateBuilder::new()
        .with_config(session_config())
        .with_default_features()
        .build();
    let addr = ballista_scheduler::standalone::new_standalone_scheduler_from_state(&state)
        .await
        .map_err(|e| DataFusionError::External(Box::new(e)))?;
    let url = format!("http://localhost:{}", addr.port());
    let mut scheduler = None;
    for _ in 0..100 {
        match SchedulerGrpcClient::connect(url.clone()).await {
            Ok(c) => {
                scheduler = Some(c);
                break;
            }
            Err(_) => tokio::time::sleep(std::time::Duration::from_millis(100)).await,
        }
    }
    let scheduler = scheduler.ok_or_else(|| {
        DataFusionError::Execution(format!("no Ballista scheduler answered at {url}"))
    })?;
    for _ in 0..executors {
        ballista_executor::new_standalone_executor_from_state(scheduler.clone(), slots, &state)
            .await
            .map_err(|e| DataFusionError::External(Box::new(e)))?;
    }
    let ctx = SessionContext::remote_with_state(&format!("df://localhost:{}", addr.port()), state)
        .await?;
    Ok((ctx, addr))
}
