//! `sim validate FILE`: prints nothing but errors and warnings (or, with `-o json`, one
//! JSON document saying whether the scenario is valid, with its errors and warnings).

use super::Output;
use clustersim::record::json_string;
use clustersim::scenario::Diagnostic;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    /// The scenario file (`-`: standard input).
    file: PathBuf,
    /// Override a scenario field by its dotted path (repeatable).
    #[arg(long = "set", value_name = "PATH=VALUE")]
    set: Vec<String>,
    /// What to print: `table` (errors and warnings on stderr) or `json` (one document on stdout).
    #[arg(short = 'o', long = "output", value_enum, default_value_t = Output::Table)]
    output: Output,
}

fn diagnostic_json(d: &Diagnostic) -> String {
    format!(
        "{{\"file\": {}, \"line\": {}, \"column\": {}, \"message\": {}, \"hint\": {}}}",
        json_string(&d.file.display().to_string()),
        d.span.line,
        d.span.col,
        json_string(&d.message),
        d.hint.as_deref().map_or("null".to_string(), json_string)
    )
}

pub fn run(args: Args) -> u8 {
    if args.output == Output::Table {
        return match super::load(&args.file, &args.set) {
            Ok(_) => super::EXIT_OK,
            Err(code) => code,
        };
    }
    let (valid, name, errors, warnings) = match super::load_checked(&args.file, &args.set) {
        Ok(loaded) => (true, Some(loaded.scenario.name.clone()), Vec::new(), loaded.warnings.0),
        Err(d) => (false, None, vec![d], Vec::new()),
    };
    let list = |v: &[Diagnostic]| v.iter().map(diagnostic_json).collect::<Vec<_>>().join(",\n    ");
    println!(
        "{{\n  \"file\": {},\n  \"valid\": {valid},\n  \"scenario\": {},\n  \"errors\": [{}{}],\n  \"warnings\": [{}{}]\n}}",
        json_string(&args.file.display().to_string()),
        name.as_deref().map_or("null".to_string(), json_string),
        if errors.is_empty() { "" } else { "\n    " },
        list(&errors),
        if warnings.is_empty() { "" } else { "\n    " },
        list(&warnings),
    );
    if valid {
        super::EXIT_OK
    } else {
        super::EXIT_BAD_INPUT
    }
}
