//! The `osism-manager-reset` binary; `app` does the work.

use std::process::ExitCode;

fn main() -> ExitCode {
    // The date has to be read first: `time` can only learn the local UTC offset while the
    // process has a single thread, and `$(date +%Y%m%d)` is local time.
    let today = match time::OffsetDateTime::now_local() {
        Ok(now) => now.date(),
        Err(error) => {
            osism_manager_reset::view::print::line_err(&format!(
                "error: cannot read the local date ({error}): set TZ, such as TZ=UTC"
            ));
            return ExitCode::from(2);
        }
    };
    osism_manager_reset::app::main(today, std::env::args_os())
}
