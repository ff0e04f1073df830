//! `sim`: the command line. Thin: parses arguments and calls the library.

mod cli;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    ExitCode::from(cli::dispatch(args))
}
