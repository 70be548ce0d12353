//! What a panic looks like to a user: one line, `error: internal error: … (please report)`, and
//! exit code 70 (EX_SOFTWARE), instead of Rust's message, backtrace note and exit code 101. A
//! panic is a bug in strata — a user's mistake is an `Err` — so the line asks for a report;
//! `RUST_BACKTRACE=1` brings Rust's own report (with the backtrace) back for whoever debugs it.

use std::io::Write;
use std::panic::{self, PanicHookInfo, UnwindSafe};

/// The exit code of a run that panicked.
pub const EXIT_INTERNAL_ERROR: u8 = 70;

/// Runs `body` with the one-line panic report installed; a panic (on this thread, or on a
/// worker that rayon hands back to it) becomes exit code 70.
pub fn guarded(body: impl FnOnce() -> u8 + UnwindSafe) -> u8 {
    let wants_backtrace = std::env::var_os("RUST_BACKTRACE").is_some_and(|v| v != "0");
    if !wants_backtrace {
        panic::set_hook(Box::new(report));
    }
    panic::catch_unwind(body).unwrap_or(EXIT_INTERNAL_ERROR)
}

fn report(info: &PanicHookInfo) {
    let what = info
        .payload()
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| info.payload().downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic".into());
    let at = info.location().map(|l| format!(" at {}:{}", l.file(), l.line())).unwrap_or_default();
    let what = what.replace('\n', " ");
    let _ = writeln!(
        std::io::stderr(),
        "error: internal error: {what}{at} (please report it, with the command that caused it)"
    );
}

#[cfg(test)]
mod tests {
    use std::process::{Command, Output};

    use super::*;

    const CHILD: &str = "panic_report::tests::a_panic_is_one_error_line_and_exit_code_70";

    /// This test binary run again on [`CHILD`] alone, which then panics inside [`guarded`]; the
    /// variable that asks for the panic exists in test builds only.
    fn child(backtrace: Option<&str>) -> Output {
        let mut cmd = Command::new(std::env::current_exe().unwrap());
        cmd.args(["--exact", CHILD, "--nocapture", "--test-threads=1"]).env("STRATA_PANIC_REPORT_CHILD", "1");
        match backtrace {
            Some(v) => cmd.env("RUST_BACKTRACE", v),
            None => cmd.env_remove("RUST_BACKTRACE"),
        };
        cmd.output().unwrap()
    }

    #[test]
    fn a_panic_is_one_error_line_and_exit_code_70() {
        if std::env::var_os("STRATA_PANIC_REPORT_CHILD").is_some() {
            let code = guarded(|| panic!("index out of range\nsecond line"));
            std::process::exit(code.into());
        }
        let out = child(None);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(70), "{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.starts_with("error: internal error: index out of range second line at "), "{err}");
        assert!(err.trim_end().ends_with("(please report it, with the command that caused it)"), "{err}");
        assert!(!err.contains("panicked") && !err.contains("backtrace"), "{err}");

        let out = child(Some("1"));
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(70), "{err}");
        assert!(err.contains("panicked at") && err.contains("stack backtrace"), "{err}");
    }
}
