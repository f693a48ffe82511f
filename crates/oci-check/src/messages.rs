//! Every line `oci-check` tells on stderr besides logs, and the exit code, decided in one place (as ripgrep's
//! `messages.rs`): two flags remember whether a failure or a usage error was told, and [`exit_code`] reads them, so
//! no subcommand can tell a failure and still exit 0, and `-q` silences every failure line however it is told.

use std::io::{self, Write};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::failure::Failure;

/// `-q`: failures are counted but not told (usage errors are still told).
static QUIET: AtomicBool = AtomicBool::new(false);
/// A failure was told (or counted under `-q`): exit 1 unless a usage error was.
static FAILED: AtomicBool = AtomicBool::new(false);
/// A usage error was told: exit 2.
static USAGE: AtomicBool = AtomicBool::new(false);

/// How loud the command is; the handle subcommands tell failures through.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Output {
    pub(crate) quiet: bool,
}

impl Output {
    /// The output of this run; `quiet` is `-q`.
    pub(crate) fn new(quiet: bool) -> Self {
        QUIET.store(quiet, Ordering::Relaxed);
        Self { quiet }
    }

    /// Tells a failure on stderr, one line (control characters escaped, cut at [`LINE_LIMIT`]), unless quiet; the
    /// run exits 1 (or 2 for a usage error) either way.
    pub(crate) fn error(self, failure: &Failure) {
        tell(failure);
    }

    /// Tells a line of progress on stderr (a watcher's round), unless quiet; it changes no exit code.
    pub(crate) fn note(self, text: &str) {
        if !self.quiet {
            let _ = writeln!(io::stderr(), "oci-check: {}", line(text));
        }
    }
}

/// The longest line told on stderr, in characters.
pub(crate) const LINE_LIMIT: usize = 2000;

/// `text` safe for one line of a terminal: control characters escaped, cut at [`LINE_LIMIT`].
pub(crate) fn line(text: &str) -> std::borrow::Cow<'_, str> {
    oci_registry::text::escape(text, LINE_LIMIT)
}

/// Records `failure` and tells it unless `-q` (a usage error is told always: the command did not run).
fn tell(failure: &Failure) {
    let flag = if failure.is_usage() { &USAGE } else { &FAILED };
    flag.store(true, Ordering::Relaxed);
    if failure.is_usage() || !QUIET.load(Ordering::Relaxed) {
        let _ = writeln!(io::stderr(), "oci-check: {}", line(&failure.to_string()));
    }
}

/// The run's exit code: 2 when a usage error was told, else 1 when a failure was, else what the subcommand found
/// (10 for updates, 0 for nothing to do).
pub(crate) fn exit_code(found: ExitCode) -> ExitCode {
    if USAGE.load(Ordering::Relaxed) {
        ExitCode::from(exit::USAGE)
    } else if FAILED.load(Ordering::Relaxed) {
        ExitCode::from(exit::FAILED)
    } else {
        found
    }
}

/// Exit codes and the paths that stop a command.
pub(crate) mod exit {
    use std::process::ExitCode;

    use crate::failure::Failure;

    /// At least one check failed.
    pub(crate) const FAILED: u8 = 1;
    /// The command could not run: bad arguments or options.
    pub(crate) const USAGE: u8 = 2;
    /// At least one update is available.
    pub(crate) const UPDATES: u8 = 10;

    /// Tells a usage error and returns its exit code.
    pub(crate) fn usage(message: &str) -> ExitCode {
        failure(&Failure::usage(message))
    }

    /// Tells a failure that stops the whole command: usage errors exit with 2, others with 1.
    pub(crate) fn failure(failure: &Failure) -> ExitCode {
        super::tell(failure);
        ExitCode::from(if failure.is_usage() { USAGE } else { FAILED })
    }
}
