//! A progress bar on standard error, shown only when standard error is a terminal.

use std::io::{IsTerminal, Write};

/// Draws `label [#####.....] 50%` on one line of standard error, redrawn in place.
pub struct Progress {
    label: String,
    enabled: bool,
    last: usize,
}

impl Progress {
    /// A bar for `label`; silent unless standard error is a terminal.
    pub fn new(label: &str) -> Self {
        Self {
            label: label.to_owned(),
            enabled: std::io::stderr().is_terminal(),
            last: usize::MAX,
        }
    }

    /// Reports `done` of `total`.
    pub fn update(&mut self, done: usize, total: usize) {
        if !self.enabled || total == 0 {
            return;
        }
        let pct = (100 * done / total).min(100);
        if pct == self.last {
            return;
        }
        self.last = pct;
        let filled = pct / 5;
        let mut err = std::io::stderr().lock();
        let _ = write!(
            err,
            "\r{} [{}{}] {pct:3}%",
            self.label,
            "#".repeat(filled),
            ".".repeat(20 - filled)
        );
        if done >= total {
            let _ = writeln!(err);
        }
        let _ = err.flush();
    }
}
