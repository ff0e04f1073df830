//! `sim validate FILE`: prints nothing but errors and warnings.

use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    /// The scenario file.
    file: PathBuf,
    /// Override a scenario field by its dotted path (repeatable).
    #[arg(long = "set", value_name = "PATH=VALUE")]
    set: Vec<String>,
}

pub fn run(args: Args) -> u8 {
    match super::load(&args.file, &args.set) {
        Ok(_) => super::EXIT_OK,
        Err(code) => code,
    }
}
