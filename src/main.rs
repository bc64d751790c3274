//! The `entitle` binary: parse the command line, run one command, print,
//! and map the outcome to an exit code (0 success, 1 a check that failed,
//! 2 an error). All domain logic lives in the library crates.

mod cli;
mod commands;
mod output;
mod progress;
mod remote;
mod request;

use std::process::ExitCode;

use clap::Parser;

/// mimalloc instead of the C library's allocator: the queries build and
/// drop many small values (a position on a big store is mostly that), and
/// glibc's malloc spent about 45 % of a server position's CPU in its own
/// bookkeeping (`malloc_consolidate`, `unlink_chunk`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    // The sandboxed text extractor is this binary run as a child: it must
    // answer before clap (and print nothing but the text).
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    if args
        .get(1)
        .is_some_and(|a| a == entitle_extract::CHILD_SUBCOMMAND)
    {
        let code = entitle_extract::child_main_from_args(&args[2..]);
        return ExitCode::from(u8::try_from(code).unwrap_or(1));
    }
    let cli = cli::Cli::parse();
    output::set_color_choice(cli.color);
    match commands::run(cli) {
        Ok(code) => code,
        Err(err) => {
            if is_broken_pipe(&err) {
                return ExitCode::SUCCESS;
            }
            eprintln!("error: {}", message(&err));
            ExitCode::from(2)
        }
    }
}

/// The error with its causes, each said once: library errors often quote
/// their source in their own message already. An error of the use cases
/// names its field as the flag that carries it (`--end`).
fn message(err: &anyhow::Error) -> String {
    let mut msg = String::new();
    for cause in err.chain() {
        let text = match cause.downcast_ref::<entitle_app::Error>() {
            Some(e) => e.render(&cli::CliNames),
            None => cause.to_string(),
        };
        if msg.contains(&text) {
            continue;
        }
        if !msg.is_empty() {
            msg.push_str(": ");
        }
        msg.push_str(&text);
    }
    msg
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
