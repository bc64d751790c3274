//! Progress bars for long work, on stderr, only on a terminal: never when
//! stderr is piped or redirected, and never for `--json` (a program reads
//! that output).

use std::io::IsTerminal;

use entitle_app::{Progress, Unit};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A progress bar that draws only where a person watches.
#[derive(Debug)]
pub struct Bar {
    bar: Option<ProgressBar>,
}

impl Bar {
    /// A bar on stderr when it is a terminal and `quiet` is false (pass
    /// true for `--json` and other machine output).
    pub fn new(quiet: bool) -> Self {
        let show = !quiet && std::io::stderr().is_terminal();
        Bar {
            bar: show.then(|| ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr())),
        }
    }
}

impl Progress for Bar {
    fn start(&self, label: &str, total: Option<u64>, unit: Unit) {
        let Some(bar) = &self.bar else { return };
        bar.reset();
        bar.set_length(total.unwrap_or(0));
        let count = match unit {
            Unit::Bytes => "{bytes}/{total_bytes} ({bytes_per_sec})",
            Unit::Events => "{human_pos}/{human_len} events ({per_sec})",
            Unit::Rows => "{human_pos}/{human_len} rows ({per_sec})",
            Unit::Files => "{human_pos}/{human_len} files ({per_sec})",
            _ => "{human_pos}/{human_len}",
        };
        let template = if total.is_some() {
            format!("{{msg}} [{{bar:30}}] {count}, {{eta}} left")
        } else {
            format!(
                "{{spinner}} {{msg}} {}",
                count
                    .replace("/{human_len}", "")
                    .replace("/{total_bytes}", "")
            )
        };
        if let Ok(style) = ProgressStyle::with_template(&template) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_message(label.to_owned());
    }

    fn advance(&self, n: u64) {
        if let Some(bar) = &self.bar {
            bar.inc(n);
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }

    fn notice(&self, text: &str) {
        match &self.bar {
            Some(bar) => bar.suspend(|| eprintln!("entitle: {text}")),
            None => eprintln!("entitle: {text}"),
        }
    }
}
