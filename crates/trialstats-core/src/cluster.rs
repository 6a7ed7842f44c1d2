//! Cluster membership: labels mapped once to dense codes `0..G`.

use std::collections::HashMap;
use std::fmt::Display;
use std::hash::Hash;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::error::InputError;

/// Cluster membership of `n` observations, validated once: every row has a code in `0..G`,
/// every code in `0..G` has at least one row.
///
/// Codes are given in order of first appearance, so the mapping depends only on the data, not on
/// hashing. The original labels are kept (as text) for reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Clusters {
    name: String,
    /// Shared, as are the labels and sizes, so that cloning a `Clusters` (as every covariance
    /// request does) copies nothing but the name, and comparing two clones is a pointer
    /// comparison.
    codes: Arc<[usize]>,
    labels: Arc<[String]>,
    sizes: Arc<[usize]>,
}

impl Clusters {
    /// Maps labels (one per observation) to dense codes in order of first appearance.
    ///
    /// # Errors
    /// [`InputError::Empty`] if `labels` is empty.
    ///
    /// # Examples
    /// ```
    /// use trialstats_core::Clusters;
    /// let c = Clusters::from_labels("site", &["b", "a", "b", "c"]).unwrap();
    /// assert_eq!(c.n_clusters(), 3);
    /// assert_eq!(c.codes(), &[0, 1, 0, 2]);
    /// assert_eq!(c.sizes(), &[2, 1, 1]);
    /// ```
    pub fn from_labels<T: Eq + Hash + Display>(
        name: &str,
        labels: &[T],
    ) -> Result<Self, InputError> {
        if labels.is_empty() {
            return Err(InputError::Empty {
                field: name.to_owned(),
            });
        }
        let mut index: HashMap<&T, usize> = HashMap::new();
        let mut codes = Vec::with_capacity(labels.len());
        let mut names = Vec::new();
        let mut sizes = Vec::new();
        for label in labels {
            let next = index.len();
            let code = *index.entry(label).or_insert(next);
            if code == next {
                names.push(label.to_string());
                sizes.push(0);
            }
            sizes[code] += 1;
            codes.push(code);
        }
        Ok(Self {
            name: name.to_owned(),
            codes: codes.into(),
            labels: names.into(),
            sizes: sizes.into(),
        })
    }

    /// Maps numeric ids (one per observation) to dense codes in order of first appearance, as
    /// [`Clusters::from_labels`] does for text; −0 and 0 are one cluster, and the labels are the
    /// numbers as Rust prints them (`7`, `2.5`).
    ///
    /// # Errors
    /// [`InputError::Empty`] if `ids` is empty; [`InputError::NonFinite`] naming the first row
    /// (0-based) whose id is NaN or infinite.
    ///
    /// # Examples
    /// ```
    /// use trialstats_core::Clusters;
    /// # fn main() -> Result<(), trialstats_core::InputError> {
    /// let c = Clusters::from_numbers("community", &[12.0, 3.0, 12.0, -0.0, 0.0])?;
    /// assert_eq!(c.n_clusters(), 3);
    /// assert_eq!(c.labels(), &["12", "3", "0"]);
    /// assert_eq!(c.sizes(), &[2, 1, 2]);
    /// assert!(Clusters::from_numbers("community", &[1.0, f64::NAN]).is_err());
    /// # Ok(()) }
    /// ```
    pub fn from_numbers(name: &str, ids: &[f64]) -> Result<Self, InputError> {
        if let Some(row) = ids.iter().position(|v| !v.is_finite()) {
            return Err(InputError::NonFinite {
                field: name.to_owned(),
                row,
                value: ids[row],
            });
        }
        let keys: Vec<NumericId> = ids.iter().map(|&v| NumericId(v + 0.0)).collect();
        Self::from_labels(name, &keys)
    }

    /// Checks that the clusters have one entry per row of a data set of `n` rows (`what` names
    /// the rows in the message: `observations`, `y`, `X`).
    ///
    /// # Errors
    /// [`InputError::Length`] naming the clustering variable.
    ///
    /// # Examples
    /// ```
    /// use trialstats_core::Clusters;
    /// # fn main() -> Result<(), trialstats_core::InputError> {
    /// let c = Clusters::from_labels("site", &["a", "b", "a"])?;
    /// assert!(c.check_covers(3, "observations").is_ok());
    /// assert!(c.check_covers(4, "observations").is_err());
    /// # Ok(()) }
    /// ```
    pub fn check_covers(&self, n: usize, what: &str) -> Result<(), InputError> {
        if self.len() == n {
            return Ok(());
        }
        Err(InputError::Length {
            field: format!("clusters `{}`", self.name()),
            got: self.len(),
            reference: what.to_owned(),
            expected: n,
        })
    }

    /// The rank of each cluster code when the clusters are sorted by label: numerically when
    /// every label reads as a number, by text otherwise. Unlike the codes (order of first
    /// appearance), the ranks do not depend on the order of the rows, so a draw made per
    /// cluster in rank order gives the same result however the data are sorted.
    ///
    /// # Examples
    /// ```
    /// use trialstats_core::Clusters;
    /// let c = Clusters::from_labels("site", &[10, 9, 10, 2]).unwrap();
    /// assert_eq!(c.codes(), &[0, 1, 0, 2]);
    /// assert_eq!(c.label_ranks(), vec![2, 1, 0]); // 10 is the largest, 2 the smallest
    /// ```
    pub fn label_ranks(&self) -> Vec<usize> {
        let numbers: Option<Vec<f64>> = self.labels.iter().map(|l| l.parse().ok()).collect();
        let mut order: Vec<usize> = (0..self.labels.len()).collect();
        match numbers {
            Some(x) => order.sort_by(|&a, &b| {
                x[a].total_cmp(&x[b])
                    .then_with(|| self.labels[a].cmp(&self.labels[b]))
            }),
            None => order.sort_by(|&a, &b| self.labels[a].cmp(&self.labels[b])),
        }
        let mut rank = vec![0; order.len()];
        for (r, &code) in order.iter().enumerate() {
            rank[code] = r;
        }
        rank
    }

    /// Like [`Clusters::from_labels`], for labels that may be missing.
    ///
    /// # Errors
    /// [`InputError::MissingCluster`] naming the first row (0-based) whose label is missing; a
    /// missing cluster id is never silently made a cluster of its own.
    ///
    /// # Examples
    /// ```
    /// use trialstats_core::{Clusters, InputError};
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let c = Clusters::from_optional_labels("clinic", &[Some(4), Some(4), Some(7)])?;
    /// assert_eq!(c.sizes(), &[2, 1]);
    /// let e = Clusters::from_optional_labels("clinic", &[Some(4), None]).unwrap_err();
    /// assert_eq!(e, InputError::MissingCluster { field: "clinic".into(), row: 1 });
    /// # Ok(()) }
    /// ```
    pub fn from_optional_labels<T: Eq + Hash + Display>(
        name: &str,
        labels: &[Option<T>],
    ) -> Result<Self, InputError> {
        let mut present = Vec::with_capacity(labels.len());
        for (row, label) in labels.iter().enumerate() {
            match label {
                Some(l) => present.push(l),
                None => {
                    return Err(InputError::MissingCluster {
                        field: name.to_owned(),
                        row,
                    });
                }
            }
        }
        Self::from_labels(name, &present)
    }

    /// The intersection of two clusterings (the `A∩B` term of two-way clustering): one cluster per
    /// observed pair of codes.
    ///
    /// # Errors
    /// [`InputError::Length`] if the two have different numbers of observations.
    ///
    /// # Examples
    /// ```
    /// use trialstats_core::Clusters;
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let firm = Clusters::from_labels("firm", &[1, 1, 2, 2, 1])?;
    /// let year = Clusters::from_labels("year", &[1, 2, 1, 2, 1])?;
    /// let both = firm.intersect(&year)?;
    /// assert_eq!(both.name(), "firm:year");
    /// assert_eq!(both.codes(), &[0, 1, 2, 3, 0]); // pairs (1,1) (1,2) (2,1) (2,2) (1,1)
    /// assert_eq!(both.labels()[3], "2:2");
    /// # Ok(()) }
    /// ```
    pub fn intersect(&self, other: &Clusters) -> Result<Clusters, InputError> {
        if self.len() != other.len() {
            return Err(InputError::Length {
                field: other.name.clone(),
                got: other.len(),
                reference: self.name.clone(),
                expected: self.len(),
            });
        }
        let pairs: Vec<(usize, usize)> = self
            .codes
            .iter()
            .copied()
            .zip(other.codes.iter().copied())
            .collect();
        let mut index: HashMap<(usize, usize), usize> = HashMap::new();
        let mut codes = Vec::with_capacity(pairs.len());
        let mut labels = Vec::new();
        let mut sizes = Vec::new();
        for &(a, b) in &pairs {
            let next = index.len();
            let code = *index.entry((a, b)).or_insert(next);
            if code == next {
                labels.push(format!("{}:{}", self.labels[a], other.labels[b]));
                sizes.push(0);
            }
            sizes[code] += 1;
            codes.push(code);
        }
        Ok(Clusters {
            name: format!("{}:{}", self.name, other.name),
            codes: codes.into(),
            labels: labels.into(),
            sizes: sizes.into(),
        })
    }

    /// The name of the clustering variable.
    ///
    /// # Examples
    /// ```
    /// use trialstats_core::Clusters;
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let c = Clusters::from_labels("practice", &["p1", "p2", "p1"])?;
    /// assert_eq!(c.name(), "practice");
    /// assert_eq!((c.len(), c.n_clusters()), (3, 2));
    /// assert_eq!(c.labels(), ["p1", "p2"]);
    /// # Ok(()) }
    /// ```
    pub fn name(&self) -> &str {
        &self.name
    }
    /// Number of clusters, G.
    pub fn n_clusters(&self) -> usize {
        self.labels.len()
    }
    /// Number of observations, n.
    pub fn len(&self) -> usize {
        self.codes.len()
    }
    /// Always `false`: a `Clusters` has at least one observation.
    pub fn is_empty(&self) -> bool {
        self.codes.is_empty()
    }
    /// Dense cluster code of each observation, in `0..G`.
    pub fn codes(&self) -> &[usize] {
        &self.codes
    }
    /// Label of each cluster code.
    pub fn labels(&self) -> &[String] {
        &self.labels
    }
    /// Number of observations in each cluster.
    pub fn sizes(&self) -> &[usize] {
        &self.sizes
    }
}

/// A finite number as a cluster id: equal when the bits are (after −0 → 0), printed as Rust
/// prints the number.
#[derive(Debug, Clone, Copy)]
struct NumericId(f64);

impl PartialEq for NumericId {
    fn eq(&self, other: &Self) -> bool {
        self.0.to_bits() == other.0.to_bits()
    }
}

impl Eq for NumericId {}

impl Hash for NumericId {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.0.to_bits().hash(state);
    }
}

impl Display for NumericId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_label_is_an_error_naming_the_row() {
        let e =
            Clusters::from_optional_labels("firm", &[Some(1), Some(2), None, Some(1)]).unwrap_err();
        assert_eq!(
            e,
            InputError::MissingCluster {
                field: "firm".into(),
                row: 2
            }
        );
        // The third row: index 2, printed 1-based.
        assert!(e.to_string().contains("`firm` is missing at row 3"));
    }

    #[test]
    fn empty_is_an_error() {
        let empty: [u32; 0] = [];
        assert!(matches!(
            Clusters::from_labels("g", &empty),
            Err(InputError::Empty { .. })
        ));
    }

    #[test]
    fn intersection_counts_pairs() {
        let a = Clusters::from_labels("firm", &[1, 1, 2, 2, 1]).unwrap();
        let b = Clusters::from_labels("year", &[1, 2, 1, 2, 1]).unwrap();
        let ab = a.intersect(&b).unwrap();
        assert_eq!(ab.n_clusters(), 4);
        assert_eq!(ab.codes(), &[0, 1, 2, 3, 0]);
        assert_eq!(ab.sizes(), &[2, 1, 1, 1]);
        assert_eq!(ab.labels()[3], "2:2");
    }
}
