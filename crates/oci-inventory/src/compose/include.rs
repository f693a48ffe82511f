//! The compose spec's top-level `include:`: what a file names, read without IO ([`compose_includes`]).
//!
//! Each entry is a path (`- ../common/compose.yaml`) or a mapping `{path, project_directory, env_file}` where
//! `path` and `env_file` are a string or a list of strings. Relative paths are relative to the including file's
//! directory. The values are substituted as the file's other values are. [`super::load_compose`] reads what is
//! named, and nothing else.

use std::path::{Path, PathBuf};

use super::interpolate::{InterpolationError, MAX_SUBSTITUTED, interpolate};
use super::yaml::{Node, ScalarKind, Value};
use super::{ComposeFile, Variables, interpolation_error, parse_yaml};
use crate::error::{Error, ErrorKind};

/// The most paths one file's `include:` may name (its entries' `path`s and `env_file`s together).
pub const MAX_INCLUDE_ENTRIES: usize = 64;

/// One entry of `include:`, its paths resolved against the including file's directory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Include {
    /// The compose files to include (several make one model, later ones overriding earlier ones).
    pub paths: Vec<PathBuf>,
    /// The included project's directory: `project_directory`, else the first path's directory.
    pub project_directory: PathBuf,
    /// The `.env` files for the included files' substitution: `env_file`, else none named (the project
    /// directory's `.env` is read if it exists).
    pub env_files: Vec<PathBuf>,
    /// The line of the entry, for messages.
    pub line: usize,
}

/// The `include:` entries of `file`, substituted with `vars`.
///
/// # Errors
///
/// With the file and line: [`ErrorKind::InvalidYaml`] as [`parse_compose`](super::parse_compose),
/// [`ErrorKind::InvalidCompose`] for an `include` that is not a list of paths or entries, or an entry without a
/// `path`; [`ErrorKind::LimitExceeded`] past [`MAX_INCLUDE_ENTRIES`]; [`ErrorKind::Interpolation`].
pub fn compose_includes(file: &ComposeFile<'_>, vars: &Variables) -> Result<Vec<Include>, Error> {
    let base = file.path.parent().unwrap_or(Path::new(""));
    let mut budget = MAX_SUBSTITUTED;
    let mut named = 0usize;
    let mut includes = Vec::new();
    for root in parse_yaml(file)? {
        let Some(list) = root.get("include") else { continue };
        if list.is_null() {
            continue;
        }
        let at = |line: usize, kind: ErrorKind, message: String| {
            Error::new(kind, message).with_file(Some(file.path)).with_line(line)
        };
        let Value::Sequence(entries) = &list.value else {
            return Err(at(
                list.line,
                ErrorKind::InvalidCompose,
                format!("`include` must be a list, not {}", list.describe()),
            ));
        };
        for entry in entries {
            let mut text = |node: &Node, what: &str| -> Result<String, Error> {
                named += 1;
                if named > MAX_INCLUDE_ENTRIES {
                    return Err(at(
                        node.line,
                        ErrorKind::LimitExceeded,
                        format!("`include` names more than {MAX_INCLUDE_ENTRIES} paths, this program's limit"),
                    ));
                }
                string(node, what, vars, &mut budget).map_err(|err| err.with_file(Some(file.path)))
            };
            let include = match &entry.value {
                Value::Mapping(_) => {
                    let Some(paths) = entry.get("path").filter(|node| !node.is_null()) else {
                        return Err(at(
                            entry.line,
                            ErrorKind::InvalidCompose,
                            "an `include` entry names no `path`".to_owned(),
                        ));
                    };
                    let paths = strings(&paths, "`path` of `include`")
                        .map_err(|err| err.with_file(Some(file.path)))?
                        .iter()
                        .map(|node| text(node, "`path` of `include`").map(|p| base.join(p)))
                        .collect::<Result<Vec<_>, _>>()?;
                    let env_files = match entry.get("env_file").filter(|node| !node.is_null()) {
                        Some(node) => strings(&node, "`env_file` of `include`")
                            .map_err(|err| err.with_file(Some(file.path)))?
                            .iter()
                            .map(|node| text(node, "`env_file` of `include`").map(|p| base.join(p)))
                            .collect::<Result<Vec<_>, _>>()?,
                        None => Vec::new(),
                    };
                    let project_directory = match entry.get("project_directory").filter(|node| !node.is_null()) {
                        Some(node) => Some(base.join(text(&node, "`project_directory` of `include`")?)),
                        None => None,
                    };
                    (paths, project_directory, env_files)
                }
                _ => (vec![base.join(text(entry, "an `include` entry")?)], None, Vec::new()),
            };
            let (paths, project_directory, env_files) = include;
            let Some(first) = paths.first() else {
                return Err(at(
                    entry.line,
                    ErrorKind::InvalidCompose,
                    "an `include` entry names no `path`".to_owned(),
                ));
            };
            let project_directory =
                project_directory.unwrap_or_else(|| first.parent().unwrap_or(Path::new("")).to_path_buf());
            includes.push(Include {
                paths,
                project_directory,
                env_files,
                line: entry.line,
            });
        }
    }
    Ok(includes)
}

/// A string, or a non-empty list of strings, as nodes.
fn strings(node: &Node, what: &str) -> Result<Vec<Node>, Error> {
    let items = match &node.value {
        Value::Sequence(items) => items.clone(),
        _ => vec![std::rc::Rc::clone(node)],
    };
    if items.is_empty() {
        return Err(Error::new(ErrorKind::InvalidCompose, format!("{what} is an empty list")).with_line(node.line));
    }
    Ok(items)
}

/// A non-empty string scalar, substituted.
fn string(node: &Node, what: &str, vars: &Variables, budget: &mut usize) -> Result<String, Error> {
    let raw = match (node.scalar_kind(), node.scalar()) {
        (Some(ScalarKind::String), Some(raw)) if !raw.is_empty() => raw,
        _ => {
            return Err(Error::new(
                ErrorKind::InvalidCompose,
                format!("{what} must be a path, not {}", node.describe()),
            )
            .with_line(node.line));
        }
    };
    *budget = budget
        .checked_sub(raw.len())
        .ok_or_else(|| interpolation_error(&InterpolationError::TooLong).with_line(node.line))?;
    let value = interpolate(raw, &|name| vars.get(name).map(str::to_owned), budget)
        .map_err(|err| interpolation_error(&err).with_line(node.line))?;
    if value.is_empty() || value.contains('\0') {
        return Err(Error::new(
            ErrorKind::InvalidCompose,
            format!("{what} {} is not a path", crate::text::quote(raw)),
        )
        .with_line(node.line));
    }
    Ok(value)
}
