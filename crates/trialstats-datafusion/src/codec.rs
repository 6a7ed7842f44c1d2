//! This crate's functions in a distributed plan: their parameters (a logit step's β, a score
//! pass's β and bread, a transformation's expression) as bytes, and back.
//!
//! A plan sent to other processes (Ballista's scheduler and executors) names each function and
//! carries what the plan's codec writes for it. These functions are the encoding and decoding
//! half of such a codec: `trialstats-ballista` puts them in Ballista's codecs. Doubles travel as
//! their bits, so an executor computes with exactly the driver's β.
//!
//! # Examples
//! ```
//! use datafusion::logical_expr::AggregateUDF;
//! use trialstats_datafusion::aggregate::logit_step;
//! use trialstats_datafusion::codec::{decode_udaf, encode_udaf};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let udaf = AggregateUDF::from(logit_step(&[0.1, -2.5]));
//! let bytes = encode_udaf(&udaf).ok_or("one of ours")?;
//! let back = decode_udaf(udaf.name(), &bytes).ok_or("one of ours")??;
//! assert_eq!(back.as_ref(), &udaf);
//! # Ok(()) }
//! ```

use std::any::Any;
use std::sync::Arc;

use datafusion::error::DataFusionError;
use datafusion::logical_expr::{AggregateUDF, ScalarUDF};

use crate::aggregate::StatisticsUdaf;
use crate::design::Transform;

/// The parameters of `udaf` if it is one of this crate's aggregate functions.
pub fn encode_udaf(udaf: &AggregateUDF) -> Option<Vec<u8>> {
    let inner: &dyn Any = udaf.inner().as_ref();
    inner
        .downcast_ref::<StatisticsUdaf>()
        .map(StatisticsUdaf::encode)
}

/// The aggregate function `name` with the parameters [`encode_udaf`] wrote; `None` if `name` is
/// not one of this crate's.
pub fn decode_udaf(name: &str, bytes: &[u8]) -> Option<Result<Arc<AggregateUDF>, DataFusionError>> {
    StatisticsUdaf::decode(name, bytes).map(|r| {
        r.map(|u| Arc::new(AggregateUDF::from(u)))
            .map_err(DataFusionError::Execution)
    })
}

/// The expression of `udf` if it is this crate's transformation (`ts_transform`).
pub fn encode_udf(udf: &ScalarUDF) -> Option<Vec<u8>> {
    let inner: &dyn Any = udf.inner().as_ref();
    let t = inner.downcast_ref::<Transform>()?;
    serde_json::to_vec(&(&t.expr, &t.label)).ok()
}

/// The transformation [`encode_udf`] wrote; `None` if `name` is not `ts_transform`.
pub fn decode_udf(name: &str, bytes: &[u8]) -> Option<Result<Arc<ScalarUDF>, DataFusionError>> {
    (name == "ts_transform").then(|| {
        serde_json::from_slice::<(trialstats_data::expr::Expr, String)>(bytes)
            .map(|(expr, label)| Arc::new(ScalarUDF::from(Transform::new(expr, label))))
            .map_err(|e| {
                DataFusionError::Execution(format!(
                    "ts_transform: an expression that does not decode: {e}"
                ))
            })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aggregate::{ls_scores, moments};
    use nalgebra::DMatrix;

    #[test]
    fn every_function_survives_the_wire_exactly() {
        let bread = DMatrix::from_row_slice(2, 2, &[0.1, 1e-17, 1e-17, 0.3]);
        for u in [
            moments(4),
            crate::aggregate::logit_step(&[0.1 + 0.2, -1e-300]),
            ls_scores(&[1.0 / 3.0, 2.0], &bread, 1),
        ] {
            let udaf = AggregateUDF::from(u);
            let bytes = encode_udaf(&udaf).expect("ours");
            let back = decode_udaf(udaf.name(), &bytes)
                .expect("ours")
                .expect("decodes");
            assert_eq!(back.as_ref(), &udaf);
        }
        assert!(decode_udaf("sum", b"").is_none());
        assert!(
            decode_udaf("ts_moments", b"garbage")
                .expect("ours")
                .is_err()
        );
        let f = trialstats_data::Formula::parse("log(y + 1) ~ x").expect("parses");
        let e = f.response_expr.expect("a transformation");
        let udf = ScalarUDF::from(Transform::new(e, "log(y + 1)".into()));
        let bytes = encode_udf(&udf).expect("ours");
        let back = decode_udf("ts_transform", &bytes)
            .expect("ours")
            .expect("decodes");
        assert_eq!(back.as_ref(), &udf);
    }
}
