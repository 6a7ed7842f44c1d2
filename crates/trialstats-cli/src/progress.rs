//! The progress bar of long commands, on standard error (indicatif; hidden when standard error
//! is not a terminal). It is cleared when the work ends, before any result is printed.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A bar `label [#####.....] 50%`, redrawn in place and cleared by [`Progress::finish`] (or when
/// dropped).
pub struct Progress {
    bar: ProgressBar,
}

impl Progress {
    /// A bar for `label`; silent unless standard error is a terminal.
    pub fn new(label: &str) -> Self {
        let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
        let style = ProgressStyle::with_template("{msg} [{bar:20}] {percent:>3}%")
            .map(|s| s.progress_chars("#."))
            .unwrap_or_else(|_| ProgressStyle::default_bar());
        bar.set_style(style);
        bar.set_message(label.to_owned());
        Self { bar }
    }

    /// Reports `done` of `total`.
    pub fn update(&mut self, done: usize, total: usize) {
        self.bar.set_length(total as u64);
        self.bar.set_position(done.min(total) as u64);
    }

    /// A handle that can report from other threads (ProgressBar is shared and thread-safe).
    pub fn shared(&self) -> SharedProgress {
        SharedProgress {
            bar: self.bar.clone(),
        }
    }

    /// Clears the bar from the terminal (the results follow on a clean screen).
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.bar.finish_and_clear();
    }
}

/// A [`Progress`] bar reported from worker threads: `label [#####.....] 50%` with the label
/// changed as the work moves on.
#[derive(Clone)]
pub struct SharedProgress {
    bar: ProgressBar,
}

impl SharedProgress {
    /// Reports `done` of `total` under `label`.
    pub fn update(&self, label: &str, done: u64, total: u64) {
        self.bar.set_message(label.to_owned());
        self.bar.set_length(total);
        self.bar.set_position(done.min(total));
    }
}
