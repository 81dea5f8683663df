//! The option registry: every option a process reads, collected from option tables — the
//! runtime's own (`runtime_options.rs`) and any the application adds — with the application's
//! default overrides applied (oslo.config's `set_defaults`). Loading, validation, `show`, the
//! sample file and SIGHUP's diff all go through the registry a [`Config`](super::Config) was
//! loaded with, so an option registered by another crate behaves exactly like a runtime one.

use std::collections::HashMap;
use std::fmt;

use super::option_spec::{OptionDefault, OptionSpec};
use super::runtime_options::RUNTIME_OPTIONS;

/// The options a process knows, grouped by section (groups in order of first registration,
/// options in table order): the order `show` and the sample use.
#[derive(Clone)]
pub struct OptionRegistry {
    specs: Vec<OptionSpec>,
    /// group → name → position in `specs`.
    index: HashMap<&'static str, HashMap<&'static str, usize>>,
}

impl OptionRegistry {
    /// The runtime's options only.
    pub fn runtime() -> Self {
        Self {
            specs: Vec::new(),
            index: HashMap::new(),
        }
        .with_table(RUNTIME_OPTIONS)
    }

    /// These options plus `table`'s: each joins its group, in table order.
    ///
    /// # Panics
    /// If `table` registers an option that is already registered: two crates claiming one
    /// option is a programming error, caught by the registering crate's unit tests.
    pub fn with_table(mut self, table: &'static [OptionSpec]) -> Self {
        for spec in table {
            assert!(
                self.position(spec.group, spec.name).is_none(),
                "option [{}] {} is registered twice",
                spec.group,
                spec.name
            );
            self.specs.push(*spec);
        }
        // Keep each group's options together (a later table's `[DEFAULT]` options join the
        // runtime's), groups in order of first appearance, options in table order.
        let groups = self.groups();
        self.specs
            .sort_by_key(|spec| groups.iter().position(|g| *g == spec.group));
        self.index.clear();
        for (position, spec) in self.specs.iter().enumerate() {
            self.index
                .entry(spec.group)
                .or_default()
                .insert(spec.name, position);
        }
        self
    }

    /// These options with `[group] name`'s default replaced (oslo.config's `set_defaults`,
    /// e.g. a project's own `control_exchange`).
    ///
    /// # Panics
    /// If the option is not registered (a programming error, as in oslo).
    pub fn with_default(mut self, group: &str, name: &str, default: OptionDefault) -> Self {
        let Some(spec) = self.lookup_mut(group, name) else {
            panic!("cannot set the default of unregistered option [{group}] {name}");
        };
        spec.default = default;
        self
    }

    /// The spec of `[group] name`, if registered. `group` must already be normalised
    /// (`DEFAULT` upper case), `name` lower case.
    pub fn spec(&self, group: &str, name: &str) -> Option<&OptionSpec> {
        self.specs.get(self.position(group, name)?)
    }

    /// Every registered option, in table order.
    pub fn iter(&self) -> impl Iterator<Item = &OptionSpec> {
        self.specs.iter()
    }

    /// How many options are registered.
    pub fn len(&self) -> usize {
        self.specs.len()
    }

    /// True when nothing is registered.
    pub fn is_empty(&self) -> bool {
        self.specs.is_empty()
    }

    /// The group names, each once, in table order.
    pub fn groups(&self) -> Vec<&'static str> {
        let mut groups: Vec<&'static str> = Vec::new();
        for spec in &self.specs {
            if !groups.contains(&spec.group) {
                groups.push(spec.group);
            }
        }
        groups
    }

    fn position(&self, group: &str, name: &str) -> Option<usize> {
        self.index.get(group)?.get(name).copied()
    }

    fn lookup_mut(&mut self, group: &str, name: &str) -> Option<&mut OptionSpec> {
        let position = self.position(group, name)?;
        self.specs.get_mut(position)
    }
}

impl fmt::Debug for OptionRegistry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OptionRegistry")
            .field("options", &self.specs.len())
            .field("groups", &self.groups())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::config::{Config, ConfigSources, OptionKind};

    static APP: &[OptionSpec] = &[
        OptionSpec::new(
            "DEFAULT",
            "greeting_interval",
            OptionKind::integer(Some(1), None),
            OptionDefault::Value("10"),
            "Seconds between greetings.",
            "test",
        ),
        OptionSpec::new(
            "greeter",
            "name",
            OptionKind::String,
            OptionDefault::Unset,
            "Who greets.",
            "test",
        )
        .secret(),
    ];

    fn app_registry() -> Arc<OptionRegistry> {
        Arc::new(OptionRegistry::runtime().with_table(APP).with_default(
            "DEFAULT",
            "control_exchange",
            OptionDefault::Value("greet"),
        ))
    }

    #[test]
    fn an_application_table_joins_the_runtime_groups_in_order() {
        let registry = app_registry();
        assert_eq!(registry.len(), RUNTIME_OPTIONS.len() + APP.len());
        let groups = registry.groups();
        assert_eq!(groups.first(), Some(&"DEFAULT"));
        assert_eq!(groups.last(), Some(&"greeter"));
        // The application's [DEFAULT] option sits with the runtime's [DEFAULT] options.
        let defaults: Vec<&str> = registry
            .iter()
            .take_while(|spec| spec.group == "DEFAULT")
            .map(|spec| spec.name)
            .collect();
        assert!(defaults.contains(&"transport_url") && defaults.contains(&"greeting_interval"));
        assert!(registry.spec("greeter", "name").is_some_and(|s| s.secret));
        assert!(registry.spec("greeter", "missing").is_none());
    }

    #[test]
    fn an_application_loads_validates_and_reads_its_own_options() {
        let registry = app_registry();
        let config = Config::with_overrides_in(&registry, &[("greeter", "name", "ada")]).unwrap();
        let reader = config.reader();
        assert_eq!(
            reader
                .secs("DEFAULT", "greeting_interval")
                .unwrap()
                .as_secs(),
            10
        );
        assert_eq!(
            reader.opt_string("greeter", "name").unwrap().as_deref(),
            Some("ada")
        );
        assert_eq!(config.default.control_exchange, "greet");
        assert!(config.show().contains("name = ***  (command line)"));
        let err = Config::with_overrides_in(&registry, &[("DEFAULT", "greeting_interval", "0")])
            .unwrap_err();
        assert!(
            err.to_string().contains("[DEFAULT] greeting_interval"),
            "{err}"
        );
        // The environment reaches an application's group, in any case.
        let sources = ConfigSources {
            env: vec![("OS_GREETER__NAME".into(), "grace".into())],
            ..ConfigSources::default()
        };
        let loaded = Config::load(&sources, &registry).unwrap();
        assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
        assert_eq!(loaded.config.raw("greeter", "name"), Some("grace"));
        // A mismatched read is an error, never a panic.
        assert!(reader.boolean("greeter", "name").is_err());
        assert!(reader.int("nowhere", "nothing").is_err());
    }

    #[test]
    #[should_panic(expected = "option [DEFAULT] host is registered twice")]
    fn registering_an_option_twice_is_a_bug_caught_at_once() {
        static TWICE: &[OptionSpec] = &[OptionSpec::new(
            "DEFAULT",
            "host",
            OptionKind::Hostname,
            OptionDefault::MachineHostname,
            "",
            "test",
        )];
        let _ = OptionRegistry::runtime().with_table(TWICE);
    }
}
