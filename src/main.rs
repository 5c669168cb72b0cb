//! `phaseflow`: parse, run, map the error to an exit code.

mod cli;

fn main() {
    // Rust ignores SIGPIPE, so writing to a closed pipe (`phaseflow … | head`) would panic;
    // restore the default action: the process ends quietly like any Unix filter.
    #[cfg(unix)]
    // SAFETY: called first in main, before any thread exists; SIG_DFL is a valid handler.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    #[cfg(unix)]
    clean_up_on_signals();
    stdout_failure_is_an_error();
    match cli::run() {
        Ok(code) => {
            // What is still buffered (a table without its last newline) must reach the
            // output too, or the run did not complete.
            if let Err(e) = std::io::Write::flush(&mut std::io::stdout()) {
                stdout_failed(&e.to_string());
            }
            std::process::exit(code)
        }
        Err(e) => {
            // Control characters escaped: a file name or a field quoted from a file
            // cannot rewrite the terminal (issue 15).
            eprintln!("error: {}", phaseflow::report::escape(&e.to_string()));
            std::process::exit(cli::exit_code(&e));
        }
    }
}

/// On SIGINT or SIGTERM, delete the temporary files and output locks this process has not
/// finished (`phaseflow::io::remove_pending`) and exit with 128 + the signal. The signals
/// are blocked in every thread (this runs first in main, so rayon's threads inherit the
/// mask) and received by one thread with `sigwait`, where cleaning up is ordinary code
/// rather than an async-signal handler.
#[cfg(unix)]
fn clean_up_on_signals() {
    // SAFETY: plain libc calls on a sigset we own, before any other thread exists.
    let set = unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, libc::SIGINT);
        libc::sigaddset(&mut set, libc::SIGTERM);
        libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
        set
    };
    std::thread::spawn(move || {
        let mut sig: libc::c_int = 0;
        // SAFETY: waits for one of the blocked signals of `set`.
        if unsafe { libc::sigwait(&set, &mut sig) } == 0 {
            phaseflow::io::remove_pending();
            std::process::exit(128 + sig);
        }
    });
}

/// `println!` panics when stdout cannot be written (`phaseflow theory > /dev/full`, issue 24):
/// that panic becomes one error line and exit 1 (the run could not complete), after the
/// temporary files and locks of this process are removed. Every other panic keeps the
/// default hook.
fn stdout_failure_is_an_error() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let payload = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied());
        if let Some(cause) = payload.and_then(|m| m.strip_prefix("failed printing to stdout")) {
            stdout_failed(cause.trim_start_matches(": "));
        }
        default(info);
    }));
}

/// Report a failed write to stdout and exit 1.
fn stdout_failed(cause: &str) -> ! {
    phaseflow::io::remove_pending();
    // stderr may be closed as well: nothing more to do then.
    let _ = std::io::Write::write_all(
        &mut std::io::stderr(),
        format!(
            "error: stdout: {} (the output could not be written)\n",
            phaseflow::report::escape(cause)
        )
        .as_bytes(),
    );
    std::process::exit(1);
}
