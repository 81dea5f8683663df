//! `sample_config()`: the commented sample file of every registered option, generated from the
//! registry (help, type, default, mutable/secret, source) under the application's header. The
//! application keeps its generated sample in the repository and a test keeps the two equal.

use super::option_registry::OptionRegistry;
use super::option_spec::{OptionDefault, OptionSpec};

const WIDTH: usize = 79;

/// The sample configuration text: `header` (comment lines the application writes), then every
/// option of `registry`, commented out with its help, type, default and source.
pub fn sample_config(registry: &OptionRegistry, header: &str) -> String {
    let mut out = String::from(header);
    let mut current_group = "";
    for spec in registry.iter() {
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
