//! `phaseflow`: parse, run, map the error to an exit code.

fn main() {
    match phaseflow::cli::run() {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(e.code());
        }
    }
}
