//! `registries.conf` (containers-registries.conf(5), version 2), as podman, buildah and CRI-O read it: which
//! registries have mirrors, which are insecure, which are blocked.
//!
//! An update checker needs the registry-wide entries: a `[[registry]]` whose prefix is a host (`docker.io`,
//! `registry.example:5000`), its `insecure` and `blocked` flags, and its `[[registry.mirror]]`s. An entry whose
//! prefix names a namespace (`example.com/team`) or a wildcard (`*.example.com`), or whose `location` rewrites the
//! prefix to another registry, is read but not applied: [`RegistriesConf::unused`] says which and why, so the
//! caller can say so. Version 1 tables (`[registries.search]`, `[registries.insecure]`, `[registries.block]`) are
//! read for their `insecure` and `block` lists.
//!
//! [`load_registries_conf`] reads the main file and its drop-in directory (`registries.conf.d/*.conf`, in name
//! order; an entry of a later file replaces one of an earlier file with the same prefix), each a regular file of at
//! most [`MAX_REGISTRIES_CONF`] bytes.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::{Error, ErrorKind};
use crate::file::{Accept, read};
use crate::text::quote;

/// The largest registries.conf (or drop-in) read: 1 MiB.
pub const MAX_REGISTRIES_CONF: u64 = 1024 * 1024;

/// The most `[[registry]]` entries, and mirrors per entry, read.
const MAX_ENTRIES: usize = 10_000;

/// What registries.conf says, registry-wide entries by host.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RegistriesConf {
    registries: BTreeMap<String, RegistryEntry>,
    unused: Vec<(String, String)>,
}

/// One registry-wide entry.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RegistryEntry {
    /// Plain HTTP (or TLS without verification) for this registry.
    pub insecure: bool,
    /// Pulls from this registry are refused.
    pub blocked: bool,
    /// The mirrors, in the order they are tried.
    pub mirrors: Vec<Mirror>,
}

/// A mirror of a registry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mirror {
    /// `host[:port]` (a namespace after it is kept: `mirror.example/dockerhub`).
    pub location: String,
    /// Plain HTTP to this mirror.
    pub insecure: bool,
    /// What is pulled from it: `all` (default), `digest-only` or `tag-only`.
    pub pull_from_mirror: PullFromMirror,
}

/// Which pulls a mirror serves (`pull-from-mirror`).
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PullFromMirror {
    /// Every pull.
    All,
    /// Pulls by digest only (the mirror's tags may be stale).
    DigestOnly,
    /// Pulls by tag only.
    TagOnly,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConf {
    #[serde(default, rename = "unqualified-search-registries")]
    _unqualified: Option<Vec<String>>,
    #[serde(default, rename = "short-name-mode")]
    _short_name_mode: Option<String>,
    #[serde(default)]
    registry: Vec<RawRegistry>,
    #[serde(default)]
    registries: Option<RawV1>,
    #[serde(default, rename = "credential-helpers")]
    _credential_helpers: Option<Vec<String>>,
    #[serde(default)]
    aliases: Option<BTreeMap<String, String>>,
}

#[derive(Deserialize)]
struct RawV1 {
    #[serde(default)]
    insecure: Option<RawList>,
    #[serde(default)]
    block: Option<RawList>,
    #[serde(default)]
    search: Option<RawList>,
}

#[derive(Deserialize)]
struct RawList {
    #[serde(default)]
    registries: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRegistry {
    #[serde(default)]
    prefix: Option<String>,
    #[serde(default)]
    location: Option<String>,
    #[serde(default)]
    insecure: bool,
    #[serde(default)]
    blocked: bool,
    #[serde(default, rename = "mirror-by-digest-only")]
    mirror_by_digest_only: bool,
    #[serde(default)]
    mirror: Vec<RawMirror>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMirror {
    location: String,
    #[serde(default)]
    insecure: bool,
    #[serde(default, rename = "pull-from-mirror")]
    pull_from_mirror: Option<String>,
}

impl RegistriesConf {
    /// The entry for `host` (`docker.io`, `registry.example:5000`), if the configuration has one.
    pub fn registry(&self, host: &str) -> Option<&RegistryEntry> {
        self.registries.get(host)
    }

    /// Every registry-wide entry, by host.
    pub fn registries(&self) -> impl Iterator<Item = (&str, &RegistryEntry)> {
        self.registries.iter().map(|(host, entry)| (host.as_str(), entry))
    }

    /// Entries read but not applied (a namespace or wildcard prefix, a `location` that rewrites the prefix), each
    /// with its prefix and why.
    pub fn unused(&self) -> &[(String, String)] {
        &self.unused
    }

    /// Adds `other` over this one: its entries replace those with the same host (a later drop-in file wins).
    fn merge(&mut self, other: Self) {
        self.registries.extend(other.registries);
        self.unused.extend(other.unused);
    }
}

/// Parses one registries.conf (or drop-in) file.
///
/// # Errors
///
/// [`ErrorKind::InvalidRegistriesConf`] for text that is not TOML, keys registries.conf does not have, a
/// `[[registry]]` without `prefix` or `location`, a `pull-from-mirror` that is none of `all`, `digest-only`,
/// `tag-only`, an empty or malformed location, or more than 10 000 entries; [`ErrorKind::LimitExceeded`] past
/// [`MAX_REGISTRIES_CONF`].
pub fn parse_registries_conf(text: &str) -> Result<RegistriesConf, Error> {
    let invalid = |reason: String| Error::new(ErrorKind::InvalidRegistriesConf, reason);
    if text.len() as u64 > MAX_REGISTRIES_CONF {
        return Err(Error::new(
            ErrorKind::LimitExceeded,
            format!("a registries.conf of more than {MAX_REGISTRIES_CONF} bytes"),
        ));
    }
    let raw: RawConf = basic_toml::from_str(text).map_err(|err| {
        invalid(format!(
            "not a registries.conf: {}",
            crate::text::clip(&err.to_string())
        ))
    })?;
    let _ = raw.aliases;
    if raw.registry.len() > MAX_ENTRIES {
        return Err(invalid(format!("more than {MAX_ENTRIES} [[registry]] entries")));
    }
    let mut conf = RegistriesConf::default();
    if let Some(v1) = raw.registries {
        let _ = v1.search;
        let lists = [
            (v1.insecure.map(|list| list.registries).unwrap_or_default(), false),
            (v1.block.map(|list| list.registries).unwrap_or_default(), true),
        ];
        for (hosts, block) in lists {
            for host in hosts {
                let location = check_location(&host)?;
                if location.contains('/') || location.starts_with("*.") {
                    conf.unused.push((
                        location,
                        "only registry-wide entries are applied, not a namespace".to_owned(),
                    ));
                    continue;
                }
                let entry = conf.registries.entry(location).or_default();
                if block {
                    entry.blocked = true;
                } else {
                    entry.insecure = true;
                }
            }
        }
    }
    for entry in raw.registry {
        let location = entry.location.as_deref().map(check_location).transpose()?;
        let prefix = match (&entry.prefix, &location) {
            (Some(prefix), _) => prefix.trim().to_owned(),
            (None, Some(location)) => location.clone(),
            (None, None) => return Err(invalid("a [[registry]] has neither `prefix` nor `location`".to_owned())),
        };
        if prefix.is_empty() {
            return Err(invalid("a [[registry]] has an empty `prefix`".to_owned()));
        }
        if entry.mirror.len() > MAX_ENTRIES {
            return Err(invalid(format!(
                "more than {MAX_ENTRIES} mirrors of {}",
                quote(&prefix)
            )));
        }
        let mut mirrors = Vec::with_capacity(entry.mirror.len());
        for mirror in entry.mirror {
            let pull_from_mirror = match mirror.pull_from_mirror.as_deref() {
                None | Some("" | "all") if entry.mirror_by_digest_only => PullFromMirror::DigestOnly,
                None | Some("" | "all") => PullFromMirror::All,
                Some("digest-only") => PullFromMirror::DigestOnly,
                Some("tag-only") => PullFromMirror::TagOnly,
                Some(other) => {
                    return Err(invalid(format!(
                        "`pull-from-mirror` is {}: it is `all`, `digest-only` or `tag-only`",
                        quote(other)
                    )));
                }
            };
            mirrors.push(Mirror {
                location: check_location(&mirror.location)?,
                insecure: mirror.insecure,
                pull_from_mirror,
            });
        }
        if prefix.contains('/') || prefix.starts_with("*.") || check_location(&prefix).is_err() {
            conf.unused.push((
                prefix,
                "only registry-wide entries are applied, not a namespace or wildcard prefix".to_owned(),
            ));
            continue;
        }
        if location.as_ref().is_some_and(|location| *location != prefix) {
            conf.unused.push((
                prefix,
                "a `location` that rewrites the registry is not applied".to_owned(),
            ));
            continue;
        }
        conf.registries.insert(
            prefix,
            RegistryEntry {
                insecure: entry.insecure,
                blocked: entry.blocked,
                mirrors,
            },
        );
    }
    Ok(conf)
}

/// A location: `host[:port][/namespace]`, without a scheme, a user or spaces.
fn check_location(text: &str) -> Result<String, Error> {
    let location = text.trim().trim_end_matches('/');
    let host = location.split('/').next().unwrap_or_default();
    let valid = !host.is_empty()
        && location.len() <= 512
        && !location.contains("://")
        && !location.contains(['@', ' ', '\t', '?', '#', '\\'])
        && host.parse::<http::uri::Authority>().is_ok();
    if valid {
        Ok(location.to_owned())
    } else {
        Err(Error::new(
            ErrorKind::InvalidRegistriesConf,
            format!(
                "{} is not a registry location (HOST[:PORT][/NAMESPACE], no scheme)",
                quote(text)
            ),
        ))
    }
}

/// Where registries.conf is: `CONTAINERS_REGISTRIES_CONF` when set, else `/etc/containers/registries.conf`; and
/// its drop-in directory (`registries.conf.d` beside it).
pub fn registries_conf_path(env_value: Option<&std::ffi::OsStr>) -> PathBuf {
    env_value.map_or_else(|| PathBuf::from("/etc/containers/registries.conf"), PathBuf::from)
}

/// Reads `path` and the `*.conf` files of `registries.conf.d` beside it (in name order, each over the one before);
/// a file that does not exist is none. The result is empty when neither exists.
///
/// # Errors
///
/// [`parse_registries_conf`]'s, naming the file; [`ErrorKind::Io`] and [`ErrorKind::NotRegularFile`] for a file
/// that cannot be read.
pub fn load_registries_conf(path: &Path) -> Result<RegistriesConf, Error> {
    let mut conf = RegistriesConf::default();
    let mut files = vec![path.to_path_buf()];
    if let Some(dir) = path.parent() {
        let drop_ins = dir.join("registries.conf.d");
        if let Ok(entries) = std::fs::read_dir(&drop_ins) {
            let mut names: Vec<PathBuf> = entries
                .filter_map(Result::ok)
                .map(|entry| entry.path())
                .filter(|path| path.extension().is_some_and(|ext| ext == "conf"))
                .collect();
            names.sort();
            names.truncate(1000);
            files.extend(names);
        }
    }
    for file in files {
        let Some(bytes) = read(&file, Accept::Regular, MAX_REGISTRIES_CONF, "a registries.conf")? else {
            continue;
        };
        let text = String::from_utf8(bytes).map_err(|_| {
            Error::new(ErrorKind::InvalidRegistriesConf, "a registries.conf that is not UTF-8").with_file(Some(&file))
        })?;
        conf.merge(parse_registries_conf(&text).map_err(|err| err.with_file(Some(&file)))?);
    }
    Ok(conf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_v2_file_as_podman_ships_it() {
        let conf = parse_registries_conf(
            r#"
unqualified-search-registries = ["docker.io", "quay.io"]
short-name-mode = "enforcing"

[[registry]]
prefix = "docker.io"
location = "docker.io"

[[registry.mirror]]
location = "mirror.corp.example:5000"
insecure = true

[[registry.mirror]]
location = "mirror2.corp.example/dockerhub"
pull-from-mirror = "digest-only"

[[registry]]
location = "registry.internal:5000"
insecure = true

[[registry]]
prefix = "evil.example"
location = "evil.example"
blocked = true

[[registry]]
prefix = "example.com/team"
location = "mirror.example/team"

[[registry]]
prefix = "quay.io"
location = "quay-mirror.example"
"#,
        )
        .unwrap();
        let hub = conf.registry("docker.io").unwrap();
        assert_eq!(hub.mirrors.len(), 2);
        assert_eq!(hub.mirrors[0].location, "mirror.corp.example:5000");
        assert!(hub.mirrors[0].insecure);
        assert_eq!(hub.mirrors[0].pull_from_mirror, PullFromMirror::All);
        assert_eq!(hub.mirrors[1].pull_from_mirror, PullFromMirror::DigestOnly);
        assert!(conf.registry("registry.internal:5000").unwrap().insecure);
        assert!(conf.registry("evil.example").unwrap().blocked);
        let unused: Vec<&str> = conf.unused().iter().map(|(prefix, _)| prefix.as_str()).collect();
        assert_eq!(unused, ["example.com/team", "quay.io"]);
        assert!(conf.registry("quay.io").is_none());
    }

    #[test]
    fn v1_tables_give_insecure_and_blocked_registries() {
        let conf = parse_registries_conf(
            "[registries.search]\nregistries = ['docker.io']\n[registries.insecure]\nregistries = ['old.example:5000']\n\
             [registries.block]\nregistries = ['bad.example']\n",
        )
        .unwrap();
        assert!(conf.registry("old.example:5000").unwrap().insecure);
        assert!(conf.registry("bad.example").unwrap().blocked);
    }

    #[test]
    fn bad_files_are_typed_errors() {
        for text in [
            "[[registry]\n",
            "[[registry]]\ninsecure = true\n",
            "[[registry]]\nprefix = \"\"\n",
            "[[registry]]\nlocation = \"https://x.example\"\n",
            "[[registry]]\nlocation = \"user@x.example\"\n",
            "[[registry]]\nlocation = \"x.example\"\nunknown = 1\n",
            "[[registry]]\nlocation = \"x.example\"\n[[registry.mirror]]\nlocation = \"m\"\npull-from-mirror = \"some\"\n",
            "nonsense = 1\n",
        ] {
            let err = parse_registries_conf(text).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidRegistriesConf, "{text:?}: {err}");
            assert!(!err.to_string().chars().any(char::is_control), "{err}");
        }
        let huge = "#".repeat(usize::try_from(MAX_REGISTRIES_CONF).unwrap() + 1);
        assert_eq!(
            parse_registries_conf(&huge).unwrap_err().kind(),
            ErrorKind::LimitExceeded
        );
    }

    #[test]
    fn drop_ins_replace_entries_of_the_main_file() {
        let dir = std::env::temp_dir().join(format!("oci-inventory-registries-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("registries.conf.d")).unwrap();
        std::fs::write(
            dir.join("registries.conf"),
            "[[registry]]\nlocation = \"docker.io\"\n[[registry.mirror]]\nlocation = \"a.example\"\n",
        )
        .unwrap();
        std::fs::write(
            dir.join("registries.conf.d/50-mirror.conf"),
            "[[registry]]\nlocation = \"docker.io\"\n[[registry.mirror]]\nlocation = \"b.example\"\n",
        )
        .unwrap();
        std::fs::write(dir.join("registries.conf.d/README"), "not a conf").unwrap();
        let conf = load_registries_conf(&dir.join("registries.conf")).unwrap();
        assert_eq!(conf.registry("docker.io").unwrap().mirrors[0].location, "b.example");
        assert_eq!(
            load_registries_conf(&dir.join("missing.conf")).unwrap(),
            RegistriesConf {
                registries: BTreeMap::from([(
                    "docker.io".to_owned(),
                    RegistryEntry {
                        insecure: false,
                        blocked: false,
                        mirrors: vec![Mirror {
                            location: "b.example".to_owned(),
                            insecure: false,
                            pull_from_mirror: PullFromMirror::All,
                        }],
                    },
                )]),
                unused: Vec::new(),
            },
            "the drop-ins beside a missing main file still count"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
