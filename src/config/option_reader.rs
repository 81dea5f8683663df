//! Typed reads of registered options: each getter parses the effective raw value (or the
//! registry default) with the option's registered type. The runtime builds its own groups
//! with it (`option_groups.rs`), and an application builds its typed option structs from the
//! same [`Config`](super::Config) through [`Config::reader`](super::Config::reader), so every
//! default is written once, in its option table.
//!
//! Values were validated against their type when the configuration was loaded, so a getter
//! fails only when the caller asks for an option that is not registered, or as another type
//! ([`ConfigError::RegistryMismatch`]) — a bug in the caller, reported, never a panic.

use std::collections::BTreeMap;
use std::time::Duration;

use super::config_error::{ConfigError, ValueOrigin};
use super::config_sources::RawValues;
use super::option_registry::OptionRegistry;
use super::option_spec::OptionSpec;
use super::option_value::{parse_value, TypedValue};

/// Typed access to a loaded configuration's options.
#[derive(Debug, Clone, Copy)]
pub struct OptionReader<'a> {
    values: &'a RawValues,
    registry: &'a OptionRegistry,
}

impl<'a> OptionReader<'a> {
    pub(crate) fn new(values: &'a RawValues, registry: &'a OptionRegistry) -> Self {
        Self { values, registry }
    }

    fn spec(&self, group: &'static str, name: &'static str) -> Result<&'a OptionSpec, ConfigError> {
        self.registry
            .spec(group, name)
            .ok_or_else(|| self.mismatch(group, name, "an option"))
    }

    /// Where the effective value of `[group] name` came from.
    pub fn origin(&self, group: &'static str, name: &'static str) -> ValueOrigin {
        self.values
            .get(&(group.to_owned(), name.to_owned()))
            .map_or(ValueOrigin::Default, |e| e.origin.clone())
    }

    fn typed(&self, group: &'static str, name: &'static str) -> Result<TypedValue, ConfigError> {
        let spec = self.spec(group, name)?;
        let entry = self.values.get(&(group.to_owned(), name.to_owned()));
        let origin = self.origin(group, name);
        parse_value(spec, entry.map(|e| e.value.as_str()), &origin)
    }

    /// The error for asking `[group] name` as something it is not registered as.
    pub fn mismatch(
        &self,
        group: &'static str,
        name: &'static str,
        expected: &'static str,
    ) -> ConfigError {
        ConfigError::RegistryMismatch {
            group,
            name,
            expected,
        }
    }

    /// A string-like option (string, URL, path, host name, choice); `None` when unset.
    pub fn opt_string(
        &self,
        group: &'static str,
        name: &'static str,
    ) -> Result<Option<String>, ConfigError> {
        match self.typed(group, name)? {
            TypedValue::Str(s) => Ok(Some(s)),
            TypedValue::Unset => Ok(None),
            _ => Err(self.mismatch(group, name, "a string")),
        }
    }

    /// A string-like option that has a default.
    pub fn string(&self, group: &'static str, name: &'static str) -> Result<String, ConfigError> {
        self.opt_string(group, name)?
            .ok_or_else(|| self.mismatch(group, name, "a string with a default"))
    }

    /// An integer option; `None` when unset.
    pub fn opt_int(
        &self,
        group: &'static str,
        name: &'static str,
    ) -> Result<Option<i64>, ConfigError> {
        match self.typed(group, name)? {
            TypedValue::Int(n) => Ok(Some(n)),
            TypedValue::Unset => Ok(None),
            _ => Err(self.mismatch(group, name, "an integer")),
        }
    }

    /// An integer option that has a default.
    pub fn int(&self, group: &'static str, name: &'static str) -> Result<i64, ConfigError> {
        self.opt_int(group, name)?
            .ok_or_else(|| self.mismatch(group, name, "an integer with a default"))
    }

    /// Whole seconds; a negative value (only where the registry's minimum allows one) is 0.
    pub fn secs(&self, group: &'static str, name: &'static str) -> Result<Duration, ConfigError> {
        Ok(Duration::from_secs(
            u64::try_from(self.int(group, name)?).unwrap_or(0),
        ))
    }

    /// A count (the registry's minimum keeps it >= 0; saturates at `usize::MAX`).
    pub fn count(&self, group: &'static str, name: &'static str) -> Result<usize, ConfigError> {
        Ok(usize::try_from(self.int(group, name)?).unwrap_or(usize::MAX))
    }

    /// A count whose unset value means 1 (Nova's `workers` options, in novactor's reading).
    pub fn count_or_one(
        &self,
        group: &'static str,
        name: &'static str,
    ) -> Result<usize, ConfigError> {
        Ok(self
            .opt_int(group, name)?
            .map_or(1, |n| usize::try_from(n).unwrap_or(usize::MAX)))
    }

    /// A float option; `None` when unset.
    pub fn opt_float(
        &self,
        group: &'static str,
        name: &'static str,
    ) -> Result<Option<f64>, ConfigError> {
        match self.typed(group, name)? {
            TypedValue::Float(x) => Ok(Some(x)),
            TypedValue::Unset => Ok(None),
            _ => Err(self.mismatch(group, name, "a float")),
        }
    }

    /// A float option that has a default.
    pub fn float(&self, group: &'static str, name: &'static str) -> Result<f64, ConfigError> {
        self.opt_float(group, name)?
            .ok_or_else(|| self.mismatch(group, name, "a float with a default"))
    }

    /// Fractional seconds (a float option with a default and a minimum of 0).
    pub fn float_secs(
        &self,
        group: &'static str,
        name: &'static str,
    ) -> Result<Duration, ConfigError> {
        let secs = self.float(group, name)?;
        Duration::try_from_secs_f64(secs).map_err(|_| self.mismatch(group, name, "seconds"))
    }

    /// A boolean option that has a default.
    pub fn boolean(&self, group: &'static str, name: &'static str) -> Result<bool, ConfigError> {
        match self.typed(group, name)? {
            TypedValue::Bool(b) => Ok(b),
            _ => Err(self.mismatch(group, name, "a boolean with a default")),
        }
    }

    /// A list option; unset is empty.
    pub fn list(
        &self,
        group: &'static str,
        name: &'static str,
    ) -> Result<Vec<String>, ConfigError> {
        match self.typed(group, name)? {
            TypedValue::List(items) => Ok(items),
            TypedValue::Unset => Ok(Vec::new()),
            _ => Err(self.mismatch(group, name, "a list")),
        }
    }

    /// A dict option; unset is empty.
    pub fn dict(
        &self,
        group: &'static str,
        name: &'static str,
    ) -> Result<BTreeMap<String, String>, ConfigError> {
        match self.typed(group, name)? {
            TypedValue::Dict(map) => Ok(map),
            TypedValue::Unset => Ok(BTreeMap::new()),
            _ => Err(self.mismatch(group, name, "a dict")),
        }
    }
}
