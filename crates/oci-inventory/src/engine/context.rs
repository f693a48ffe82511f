//! The docker CLI's contexts: the engine `DOCKER_CONTEXT`, else `currentContext` in `$DOCKER_CONFIG/config.json`,
//! names through the context store (`contexts/meta/<sha256 of the name>/meta.json`, `Endpoints.docker.Host`).
//!
//! The decisions are pure functions of the variables and the files' bytes ([`context_name`],
//! [`parse_context_meta`]), fuzzed in `engine_answers`; [`locate_context`] reads the files and nothing else, and
//! only what the store's layout names.

use std::path::{Path, PathBuf};

use oci_digest::Digest;
use serde::Deserialize;

use super::address::EngineAddress;
use crate::error::{Error, ErrorKind};
use crate::file::{self, Accept};
use crate::text::quote;

/// The largest `config.json` or `meta.json` read, in bytes.
pub const MAX_CONTEXT_FILE: u64 = 1024 * 1024;

/// The longest context name taken.
pub const MAX_CONTEXT_NAME: usize = 256;

/// The context that means the engine's default socket.
pub const DEFAULT_CONTEXT: &str = "default";

/// A context name and who named it, for messages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContextName {
    name: String,
    from_variable: bool,
}

impl ContextName {
    /// The name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Who named it: `DOCKER_CONTEXT` or `currentContext`.
    pub fn named_by(&self) -> &'static str {
        if self.from_variable {
            "DOCKER_CONTEXT"
        } else {
            "currentContext in config.json"
        }
    }
}

/// Which context the docker CLI would use: `docker_context` (`DOCKER_CONTEXT`), else the `currentContext` of
/// `config_json` (the bytes of `config.json`, if there is one). `None` for no context or `default`: the engine's
/// default socket.
///
/// # Errors
///
/// [`ErrorKind::DockerContext`] when `config.json` is not a JSON object, `currentContext` is not a string, or the
/// name is not one the docker CLI allows (`[a-zA-Z0-9][a-zA-Z0-9_.+-]*`, at most [`MAX_CONTEXT_NAME`] bytes).
pub fn context_name(docker_context: Option<&str>, config_json: Option<&[u8]>) -> Result<Option<ContextName>, Error> {
    #[derive(Deserialize)]
    struct Config {
        #[serde(rename = "currentContext", default)]
        current_context: Option<String>,
    }
    let named = match (docker_context, config_json) {
        (Some(name), _) => Some(ContextName {
            name: name.to_owned(),
            from_variable: true,
        }),
        (None, Some(bytes)) => {
            let config: Config = serde_json::from_slice(bytes).map_err(|err| {
                Error::new(
                    ErrorKind::DockerContext,
                    format!(
                        "the docker config.json is not one the docker CLI reads: {}",
                        crate::text::clip(&err.to_string())
                    ),
                )
            })?;
            config
                .current_context
                .filter(|name| !name.is_empty())
                .map(|name| ContextName {
                    name,
                    from_variable: false,
                })
        }
        (None, None) => None,
    };
    let Some(named) = named else { return Ok(None) };
    if named.name == DEFAULT_CONTEXT {
        return Ok(None);
    }
    let valid = named.name.len() <= MAX_CONTEXT_NAME
        && named.name.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric())
        && named
            .name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'+' | b'-'));
    if !valid {
        return Err(Error::new(
            ErrorKind::DockerContext,
            format!(
                "the docker context {} ({}) is not a context name: letters, digits and `_.+-`",
                quote(&named.name),
                named.named_by()
            ),
        ));
    }
    Ok(Some(named))
}

/// The engine a context's `meta.json` names: `Endpoints.docker.Host`, `unix:///path` or `tcp://host:port`. `tls`
/// says whether the store holds TLS material for the context's docker endpoint (`contexts/tls/<hash>/docker/`).
///
/// # Errors
///
/// [`ErrorKind::DockerContext`] when `meta` is not a context's metadata or has no docker endpoint;
/// [`ErrorKind::InvalidAddress`] when the host does not parse (as `--host`), or when it is `tcp://` with TLS (TLS
/// material or `SkipTLSVerify`), which is not supported.
pub fn parse_context_meta(name: &str, meta: &[u8], tls: bool) -> Result<EngineAddress, Error> {
    #[derive(Deserialize)]
    struct Meta {
        #[serde(rename = "Endpoints", default)]
        endpoints: Option<Endpoints>,
    }
    #[derive(Deserialize)]
    struct Endpoints {
        #[serde(default)]
        docker: Option<Endpoint>,
    }
    #[derive(Deserialize)]
    struct Endpoint {
        #[serde(rename = "Host", default)]
        host: Option<String>,
        #[serde(rename = "SkipTLSVerify", default)]
        skip_tls_verify: Option<bool>,
    }
    let context = quote(name);
    let meta: Meta = serde_json::from_slice(meta).map_err(|err| {
        Error::new(
            ErrorKind::DockerContext,
            format!(
                "the docker context {context}'s meta.json is not one the docker CLI writes: {}",
                crate::text::clip(&err.to_string())
            ),
        )
    })?;
    let endpoint = meta.endpoints.and_then(|endpoints| endpoints.docker);
    let Some(host) = endpoint
        .as_ref()
        .and_then(|endpoint| endpoint.host.as_deref())
        .filter(|host| !host.is_empty())
    else {
        return Err(Error::new(
            ErrorKind::DockerContext,
            format!("the docker context {context} names no docker endpoint (Endpoints.docker.Host)"),
        ));
    };
    let address = EngineAddress::parse(host).map_err(|err| err.prefixed(&format!("the docker context {context}: ")))?;
    let skip_verify = endpoint.and_then(|endpoint| endpoint.skip_tls_verify) == Some(true);
    if matches!(address, EngineAddress::Tcp { .. }) && (tls || skip_verify) {
        return Err(Error::new(
            ErrorKind::InvalidAddress,
            format!(
                "the docker context {context} speaks TLS to {address}, which is not supported; use a context with a \
                 unix socket, or forward the engine's socket (`ssh -L`) and name it with --host unix:///PATH"
            ),
        ));
    }
    Ok(address)
}

/// The docker CLI's configuration directory: `DOCKER_CONFIG`, else `~/.docker`.
pub(crate) fn config_dir(docker_config: Option<&Path>, home: Option<&Path>) -> Option<PathBuf> {
    docker_config
        .map(Path::to_path_buf)
        .or_else(|| home.map(|home| home.join(".docker")))
}

/// The directory name of a context in the store: the hex sha256 of its name.
pub fn context_hash(name: &str) -> String {
    Digest::sha256(name.as_bytes()).encoded().to_owned()
}

/// The edge: reads `config.json` (unless `docker_context` is set), then the named context's `meta.json` and
/// whether its TLS directory exists, below `dir`; `None` when no context but `default` is named.
///
/// # Errors
///
/// [`ErrorKind::DockerContext`] for a context the store does not have; those of reading the files
/// ([`ErrorKind::Io`], [`ErrorKind::LimitExceeded`], [`ErrorKind::NotRegularFile`]); those of [`context_name`] and
/// [`parse_context_meta`].
pub(crate) fn locate_context(
    docker_context: Option<&str>,
    dir: Option<&Path>,
) -> Result<Option<(EngineAddress, ContextName)>, Error> {
    let config = match (docker_context, dir) {
        (None, Some(dir)) => {
            let path = dir.join("config.json");
            file::read(&path, Accept::Regular, MAX_CONTEXT_FILE, "a docker config.json")?
        }
        _ => None,
    };
    let Some(name) = context_name(docker_context, config.as_deref())? else {
        return Ok(None);
    };
    let Some(dir) = dir else {
        return Err(Error::new(
            ErrorKind::DockerContext,
            format!(
                "the docker context {} ({}) cannot be looked up: neither DOCKER_CONFIG nor HOME is set",
                quote(name.name()),
                name.named_by()
            ),
        ));
    };
    let hash = context_hash(name.name());
    let meta_path = dir.join("contexts").join("meta").join(&hash).join("meta.json");
    let Some(meta) = file::read(
        &meta_path,
        Accept::Regular,
        MAX_CONTEXT_FILE,
        "a docker context's meta.json",
    )?
    else {
        return Err(Error::new(
            ErrorKind::DockerContext,
            format!(
                "the docker context {} ({}) does not exist: there is no {}; `docker context ls` lists the contexts",
                quote(name.name()),
                name.named_by(),
                crate::text::path(&meta_path)
            ),
        ));
    };
    let tls = dir.join("contexts").join("tls").join(&hash).join("docker").exists();
    let address = parse_context_meta(name.name(), &meta, tls).map_err(|err| err.with_file(Some(&meta_path)))?;
    Ok(Some((address, name)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(docker_context: Option<&str>, config: Option<&str>) -> Result<Option<String>, ErrorKind> {
        context_name(docker_context, config.map(str::as_bytes))
            .map(|named| named.map(|n| n.name().to_owned()))
            .map_err(|err| err.kind())
    }

    #[test]
    fn which_context_is_named() {
        let some = |s: &str| Ok(Some(s.to_owned()));
        assert_eq!(name(None, None), Ok(None));
        assert_eq!(name(Some("remote"), None), some("remote"));
        assert_eq!(
            name(Some("remote"), Some(r#"{"currentContext":"other"}"#)),
            some("remote")
        );
        assert_eq!(name(None, Some(r#"{"currentContext":"other"}"#)), some("other"));
        assert_eq!(name(None, Some(r#"{"currentContext":"default"}"#)), Ok(None));
        assert_eq!(name(Some("default"), Some(r#"{"currentContext":"other"}"#)), Ok(None));
        assert_eq!(name(None, Some(r#"{"currentContext":""}"#)), Ok(None));
        assert_eq!(name(None, Some(r#"{"auths":{}}"#)), Ok(None));
        assert_eq!(name(None, Some("{")), Err(ErrorKind::DockerContext));
        assert_eq!(
            name(None, Some(r#"{"currentContext":7}"#)),
            Err(ErrorKind::DockerContext)
        );
        for bad in ["../x", "a/b", "-x", "a b", "é"] {
            assert_eq!(name(Some(bad), None), Err(ErrorKind::DockerContext), "{bad}");
        }
        assert_eq!(
            name(Some(&"a".repeat(MAX_CONTEXT_NAME + 1)), None),
            Err(ErrorKind::DockerContext)
        );
        let err = context_name(None, Some(br#"{"currentContext":"a/b"}"#)).unwrap_err();
        assert!(err.to_string().contains("currentContext in config.json"), "{err}");
    }

    fn endpoint(meta: &str, tls: bool) -> Result<String, ErrorKind> {
        parse_context_meta("ctx", meta.as_bytes(), tls)
            .map(|address| address.to_string())
            .map_err(|err| err.kind())
    }

    #[test]
    fn what_a_context_names() {
        let unix = r#"{"Name":"ctx","Metadata":{},"Endpoints":{"docker":{"Host":"unix:///run/e.sock","SkipTLSVerify":false}}}"#;
        assert_eq!(endpoint(unix, false), Ok("unix:///run/e.sock".to_owned()));
        // TLS material beside a unix socket is never used: the docker CLI ignores it there too.
        assert_eq!(endpoint(unix, true), Ok("unix:///run/e.sock".to_owned()));
        let tcp = r#"{"Endpoints":{"docker":{"Host":"tcp://10.0.0.2:2375"}}}"#;
        assert_eq!(endpoint(tcp, false), Ok("tcp://10.0.0.2:2375".to_owned()));
        assert_eq!(endpoint(tcp, true), Err(ErrorKind::InvalidAddress));
        let skip = r#"{"Endpoints":{"docker":{"Host":"tcp://h:2376","SkipTLSVerify":true}}}"#;
        assert_eq!(endpoint(skip, false), Err(ErrorKind::InvalidAddress));
        assert_eq!(
            endpoint(r#"{"Endpoints":{"docker":{"Host":"ssh://me@h"}}}"#, false),
            Err(ErrorKind::InvalidAddress)
        );
        for bad in [
            "",
            "[]",
            r#"{"Endpoints":{}}"#,
            r#"{"Endpoints":{"docker":{}}}"#,
            r#"{"Endpoints":{"docker":{"Host":""}}}"#,
            r#"{"Endpoints":{"docker":{"Host":3}}}"#,
            r#"{"Endpoints":{"kubernetes":{"Host":"unix:///x"}}}"#,
        ] {
            assert_eq!(endpoint(bad, false), Err(ErrorKind::DockerContext), "{bad}");
        }
        let err = parse_context_meta("ctx", br#"{"Endpoints":{"docker":{"Host":"tcp://h:2376"}}}"#, true).unwrap_err();
        assert!(
            err.to_string().contains("TLS") && err.to_string().contains("not supported"),
            "{err}"
        );
    }

    #[test]
    fn the_store_is_hashed_by_name() {
        // `docker context create remote` puts it here (sha256 of the name, as `sha256sum` gives it).
        assert_eq!(
            context_hash("remote"),
            "b71199ebd070b36beab7317920c2c2f1d777df8d05e5527d8458fda57cb17a7a"
        );
    }
}
