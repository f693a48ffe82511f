//! [`Scope`] and [`ScopeSet`]: what a token is asked for and what it grants.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::str::FromStr;

use crate::error::{Error, ErrorKind};

/// One resource scope of the distribution token protocol: `type[(class)]:name:action[,action...]`.
///
/// Examples: `repository:library/nginx:pull`, `repository:team/app:pull,push`,
/// `repository(plugin):vieux/sshfs:pull`, `registry:catalog:*`. The name may contain `:` (a registry host with a
/// port), so the type ends at the first `:` and the actions start after the last one.
///
/// Actions form a set: `pull,push` and `push,pull` are equal, and [`Display`](fmt::Display) writes them sorted.
/// The action `*` means every action.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Scope {
    resource_type: Box<str>,
    class: Option<Box<str>>,
    name: Box<str>,
    actions: BTreeSet<Box<str>>,
}

/// `(type, class, name)`: what a scope is about, without its actions.
type ResourceKey = (Box<str>, Option<Box<str>>, Box<str>);

/// Several scopes, as one token request carries them; scopes on the same resource are merged.
///
/// [`Display`](fmt::Display) writes them space-separated, the form of the OAuth2 `scope` parameter.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct ScopeSet {
    scopes: BTreeMap<ResourceKey, Scope>,
}

impl Scope {
    /// `repository:NAME:ACTIONS`.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidScope`] when the name or an action has characters the grammar does not allow, or
    /// there is no action.
    pub fn repository(name: &str, actions: &[&str]) -> Result<Self, Error> {
        let text = format!("repository:{name}:{}", actions.join(","));
        text.parse()
    }

    /// `repository:NAME:pull`, the scope of every read.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidScope`] when the name has characters the grammar does not allow.
    pub fn pull(name: &str) -> Result<Self, Error> {
        Self::repository(name, &["pull"])
    }

    /// `registry:catalog:*`, the scope of the catalog endpoint.
    pub fn catalog() -> Self {
        Self {
            resource_type: "registry".into(),
            class: None,
            name: "catalog".into(),
            actions: BTreeSet::from(["*".into()]),
        }
    }

    /// Parses a scope.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidScope`] when the text is not `type[(class)]:name:action[,action...]`.
    pub fn parse(text: &str) -> Result<Self, Error> {
        let bad = |why: &'static str| Error::new(ErrorKind::InvalidScope, text).with_detail(why);
        let (kind, rest) = text
            .split_once(':')
            .ok_or_else(|| bad("expected `type:name:actions`"))?;
        let (name, actions) = rest
            .rsplit_once(':')
            .ok_or_else(|| bad("expected `type:name:actions`"))?;
        let (resource_type, class) = match kind.split_once('(') {
            Some((t, c)) => {
                let c = c
                    .strip_suffix(')')
                    .ok_or_else(|| bad("unclosed `(` in the resource type"))?;
                (t, Some(c))
            }
            None => (kind, None),
        };
        let word = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
        if !word(resource_type) {
            return Err(bad("the resource type must be lower-case letters and digits"));
        }
        if class.is_some_and(|c| !word(c)) {
            return Err(bad("the resource class must be lower-case letters and digits"));
        }
        if name.is_empty() || !name.bytes().all(is_name_byte) {
            return Err(bad("the resource name is empty or has characters a name cannot have"));
        }
        let mut set = BTreeSet::new();
        for action in actions.split(',') {
            let ok = action == "*"
                || (!action.is_empty() && action.bytes().all(|b| b.is_ascii_lowercase() || b == b'-' || b == b'_'));
            if !ok {
                return Err(bad("an action must be lower-case letters or `*`"));
            }
            set.insert(Box::from(action));
        }
        Ok(Self {
            resource_type: resource_type.into(),
            class: class.map(Into::into),
            name: name.into(),
            actions: set,
        })
    }

    /// The resource type: `repository`, `registry`, ...
    pub fn resource_type(&self) -> &str {
        &self.resource_type
    }

    /// The resource class in parentheses after the type (`plugin` in `repository(plugin)`), if any.
    pub fn class(&self) -> Option<&str> {
        self.class.as_deref()
    }

    /// The resource name: a repository path, or `catalog`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The actions, sorted.
    pub fn actions(&self) -> impl Iterator<Item = &str> {
        self.actions.iter().map(AsRef::as_ref)
    }

    /// Whether this scope names the same resource as `other` (type, class and name).
    pub fn same_resource(&self, other: &Self) -> bool {
        self.resource_type == other.resource_type && self.class == other.class && self.name == other.name
    }

    /// Whether this scope grants everything `other` asks for: the same resource, and every action of
    /// `other` (or `*`).
    pub fn covers(&self, other: &Self) -> bool {
        self.same_resource(other)
            && (self.actions.contains("*") || other.actions.iter().all(|a| self.actions.contains(a)))
    }

    /// Adds the actions of `other` to this scope. `*` absorbs every other action.
    ///
    /// Returns `false`, changing nothing, when `other` names a different resource.
    pub fn merge(&mut self, other: &Self) -> bool {
        if !self.same_resource(other) {
            return false;
        }
        self.actions.extend(other.actions.iter().cloned());
        if self.actions.contains("*") {
            self.actions.retain(|a| &**a == "*");
        }
        true
    }

    fn key(&self) -> ResourceKey {
        (self.resource_type.clone(), self.class.clone(), self.name.clone())
    }
}

impl FromStr for Scope {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        Self::parse(s)
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.resource_type)?;
        if let Some(class) = &self.class {
            write!(f, "({class})")?;
        }
        write!(f, ":{}:", self.name)?;
        for (i, action) in self.actions.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            f.write_str(action)?;
        }
        Ok(())
    }
}

impl ScopeSet {
    /// An empty set: a token request without scope (as for `GET /v2/`).
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a scope, merging its actions into a scope on the same resource.
    pub fn insert(&mut self, scope: Scope) {
        match self.scopes.get_mut(&scope.key()) {
            Some(existing) => {
                existing.merge(&scope);
            }
            None => {
                self.scopes.insert(scope.key(), scope);
            }
        }
    }

    /// Parses space-separated scopes (the OAuth2 form); empty text gives the empty set.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidScope`] for the first scope that does not parse.
    pub fn parse(text: &str) -> Result<Self, Error> {
        text.split(' ').filter(|s| !s.is_empty()).map(Scope::parse).collect()
    }

    /// The scopes, ordered by type, class and name.
    pub fn iter(&self) -> impl Iterator<Item = &Scope> {
        self.scopes.values()
    }

    /// How many resources the set names.
    pub fn len(&self) -> usize {
        self.scopes.len()
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.scopes.is_empty()
    }

    /// Whether some scope of this set covers `scope`.
    pub fn covers(&self, scope: &Scope) -> bool {
        self.scopes.get(&scope.key()).is_some_and(|s| s.covers(scope))
    }

    /// Whether this set covers every scope of `other`.
    pub fn covers_all(&self, other: &Self) -> bool {
        other.iter().all(|s| self.covers(s))
    }

    /// The scopes of `self` that `granted` does not cover, with all their actions.
    pub fn missing_from(&self, granted: &Self) -> Self {
        self.iter().filter(|s| !granted.covers(s)).cloned().collect()
    }

    /// Removes the resource of `scope` from the set, whatever its actions.
    pub fn remove_resource(&mut self, scope: &Scope) -> bool {
        self.scopes.remove(&scope.key()).is_some()
    }
}

impl FromIterator<Scope> for ScopeSet {
    fn from_iter<I: IntoIterator<Item = Scope>>(iter: I) -> Self {
        let mut set = Self::new();
        for scope in iter {
            set.insert(scope);
        }
        set
    }
}

impl Extend<Scope> for ScopeSet {
    fn extend<I: IntoIterator<Item = Scope>>(&mut self, iter: I) {
        for scope in iter {
            self.insert(scope);
        }
    }
}

impl From<Scope> for ScopeSet {
    fn from(scope: Scope) -> Self {
        std::iter::once(scope).collect()
    }
}

impl FromStr for ScopeSet {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        Self::parse(s)
    }
}

impl fmt::Display for ScopeSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, scope) in self.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            write!(f, "{scope}")?;
        }
        Ok(())
    }
}

/// Bytes a resource name may have: those of repository names and registry hosts (with ports and IPv6
/// brackets), upper case included for hosts.
fn is_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b'/' | b':' | b'[' | b']')
}
