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
    match cli::run() {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(cli::exit_code(&e));
        }
    }
}
