//! `sample_config()`: the commented nova.conf sample of every option novactor reads, generated
//! from the registry (help, type, default, mutable/secret, Nova source). `conf/nova.conf` is its
//! output; a unit test keeps the two identical.

use super::option_registry::{registry, OptionDefault, OptionSpec};

const HEADER: &str = "\
# nova.conf sample for novactor: every option novactor reads, with its default.
#
# Generated from src/config/option_registry.rs; do not edit by hand.
# Regenerate with: cargo run -- config sample > conf/nova.conf
#
# Use it:
#     novactor run --config-file conf/nova.conf
# Every option below is commented out, so this runs the whole control plane on
# the defaults: all four actors in one process over the in-process memory://
# transport. You should see one 'actor ready' log line per actor (conductor,
# scheduler, compute, api), and `novactor config show` report every option with
# `(default)` as its
# source. Uncomment a line and change its value to override that default; later
# files, OS_<GROUP>__<OPTION> environment variables and command-line flags
# override this file, in that order.
#
# Options novactor does not read (a full Nova nova.conf has hundreds) are
# ignored with one warning per file, so an existing nova.conf works as is.
";

const WIDTH: usize = 79;

/// The sample nova.conf text (see `conf/nova.conf`).
pub fn sample_config() -> String {
    let mut out = String::from(HEADER);
    let mut current_group = "";
    for spec in registry() {
        if spec.group != current_group {
            current_group = spec.group;
            out.push_str(&format!("\n[{current_group}]\n"));
        }
        out.push('\n');
        write_option(&mut out, spec);
    }
    out
}

fn write_option(out: &mut String, spec: &OptionSpec) {
    write_comment(out, spec.help);
    out.push_str("#\n");
    write_comment(out, &format!("Value: {}.", spec.kind.expected()));
    if spec.mutable {
        write_comment(out, "Mutable: re-read on SIGHUP without a restart.");
    }
    if spec.secret {
        write_comment(
            out,
            "Secret: the password is masked whenever the configuration is shown.",
        );
    }
    write_comment(out, &format!("Source: {}.", spec.source));
    let default = match spec.default {
        OptionDefault::Value("") => String::new(),
        OptionDefault::Value(text) => format!(" {text}"),
        OptionDefault::Unset => " <None>".to_owned(),
        OptionDefault::MachineHostname => " <current_hostname>".to_owned(),
        OptionDefault::StatePath => " <$XDG_STATE_HOME/novactor>".to_owned(),
    };
    out.push_str(&format!("#{} ={default}\n", spec.name));
}

/// Writes `text` as `# ` lines wrapped at `WIDTH` columns (a long word gets its own line).
fn write_comment(out: &mut String, text: &str) {
    let mut line = String::from("#");
    for word in text.split_whitespace() {
        if line.len() > 1 && line.len() + 1 + word.len() > WIDTH {
            out.push_str(&line);
            out.push('\n');
            line = String::from("#");
        }
        line.push(' ');
        line.push_str(word);
    }
    out.push_str(&line);
    out.push('\n');
}
