//! `sim completion bash|zsh|fish`: the shell completion script on stdout.

use clap::CommandFactory;

#[derive(clap::Args)]
pub struct Args {
    /// The shell: bash, zsh or fish.
    shell: clap_complete::Shell,
}

pub fn run(args: Args) -> u8 {
    let mut cmd = super::Cli::command();
    clap_complete::generate(args.shell, &mut cmd, "sim", &mut std::io::stdout());
    super::EXIT_OK
}
