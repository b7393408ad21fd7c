//! Progress on stderr for long work (export, import, apply), drawn only when stderr is a terminal:
//! a pipe, a file or a test sees nothing of it. It is cleared when dropped, so that what stays on the
//! screen is the report or the error.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

pub struct Progress(ProgressBar);

impl Progress {
    /// A bar over the `total` bytes of a file being read.
    pub fn bytes(what: &'static str, total: u64) -> Progress {
        Progress::new(
            ProgressBar::new(total),
            what,
            "{prefix:9} [{bar:40}] {bytes}/{total_bytes} ({eta})",
        )
    }

    /// A spinner for work of unknown size, with what is done so far as its message.
    pub fn counting(what: &'static str) -> Progress {
        let progress = Progress::new(
            ProgressBar::new_spinner(),
            what,
            "{spinner} {prefix}: {msg}",
        );
        // Turns while the work is on the server and nothing is reported.
        progress.0.enable_steady_tick(Duration::from_millis(100));
        progress
    }

    fn new(bar: ProgressBar, what: &'static str, template: &str) -> Progress {
        let target = if std::io::stderr().is_terminal() {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        };
        bar.set_draw_target(target);
        if let Ok(style) = ProgressStyle::with_template(template) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_prefix(what);
        Progress(bar)
    }

    pub fn set_position(&self, position: u64) {
        self.0.set_position(position);
    }

    pub fn set_message(&self, message: String) {
        self.0.set_message(message);
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.0.finish_and_clear();
    }
}
