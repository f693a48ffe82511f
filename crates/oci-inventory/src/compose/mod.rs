//! Compose files: the image of every service, with compose's variable substitution, `.env` files, override files
//! and `extends`.
//!
//! Parsing is pure: [`parse_compose`] takes the files' text and the [`Variables`]; [`load_compose`] is the small
//! IO helper that reads them (and the `.env` file of the project directory) first.
//!
//! What is read, per service: `image` (a string; compose refuses numbers, booleans and collections, and so does
//! this), `build` (only whether it is there), `platform`, and `extends` within the project. Substitution applies
//! to those values only, so a `${VAR:?}` elsewhere in the file is not checked. Later files override earlier ones
//! key by key as `docker compose -f a.yaml -f b.yaml` does, `!reset` removes a key an earlier file set, merge keys
//! (`<<: *defaults`) and anchors work, and a duplicate key is an error as in compose. The YAML is read with
//! saphyr-parser's event parser into a tree of our own that keeps line numbers and shares aliased nodes.

mod dotenv;
pub(crate) mod include;
mod interpolate;
mod yaml;

use std::collections::{BTreeMap, HashMap};
use std::ffi::OsString;
use std::path::{Path, PathBuf};

use oci_manifest::Platform;
use oci_ref::AnyReference;

use crate::error::{Error, ErrorKind};
use crate::text::quote;
use crate::workload::{ImageRef, Source, Workload};

use dotenv::DotenvErrorKind;
use include::{Include, compose_includes};
use interpolate::{InterpolationError, MAX_SUBSTITUTED, interpolate};
use yaml::{Node, ScalarKind, Value};

/// The largest compose or `.env` file [`load_compose`] reads.
pub const MAX_FILE_SIZE: u64 = 4 * 1024 * 1024;

/// The most services one `extends` chain may pass through: compose projects use two or three.
const MAX_EXTENDS: usize = 64;

/// The variables substitution uses: the environment the caller passes, and what `.env` adds to it.
///
/// The environment wins over `.env`, as in compose. Nothing is read from the process environment unless the caller
/// asks with [`Variables::capture`]. `Debug` shows the names only: the environment holds secrets.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Variables {
    values: BTreeMap<String, String>,
}

impl std::fmt::Debug for Variables {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Variables")
            .field("names", &self.values.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl Variables {
    /// No variables.
    pub fn new() -> Self {
        Self::default()
    }

    /// The process environment (variables whose name or value is not UTF-8 are left out). This is the only
    /// function of the crate that reads the environment, and only when called.
    pub fn capture() -> Self {
        Self::from_pairs(std::env::vars_os().filter_map(|(name, value): (OsString, OsString)| {
            Some((name.into_string().ok()?, value.into_string().ok()?))
        }))
    }

    /// These `(name, value)` pairs, as the environment.
    pub fn from_pairs<I, K, V>(pairs: I) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        Self {
            values: pairs.into_iter().map(|(k, v)| (k.into(), v.into())).collect(),
        }
    }

    /// Adds the variables of a `.env` file (its `text`, read from `file`) that are not set yet.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidDotenv`] for a line that is not `KEY=VALUE`, [`ErrorKind::Interpolation`] for a value
    /// whose substitution fails; both name `file` and the line.
    pub fn with_dotenv(mut self, text: &str, file: &Path) -> Result<Self, Error> {
        let pairs = dotenv::parse(text, &|name| self.values.get(name).cloned()).map_err(|err| {
            let error = match err.kind {
                DotenvErrorKind::Syntax(reason) => Error::new(ErrorKind::InvalidDotenv, reason),
                DotenvErrorKind::Interpolation(err) => interpolation_error(&err),
            };
            error.with_file(Some(file)).with_line(err.line)
        })?;
        for (name, value) in pairs {
            self.values.entry(name).or_insert(value);
        }
        Ok(self)
    }

    /// The value of `name`, if set.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }
}

/// One compose file: where it is (for `Source::Compose` and messages) and its text.
#[derive(Clone, Copy, Debug)]
pub struct ComposeFile<'a> {
    /// The file's path.
    pub path: &'a Path,
    /// Its contents.
    pub text: &'a str,
}

/// The services of `files` (later files override earlier ones) as workloads, in the order each service first
/// appears, with `vars` for substitution.
///
/// A service's image is an [`ImageRef::Reference`], or [`ImageRef::Local`] when the service also has `build`
/// (compose builds it and tags it with that name), or [`ImageRef::BareDigest`] for `image: sha256:...`; a service
/// with `build` and no `image` is [`ImageRef::BuildOnly`]; an image that is not a reference is
/// [`ImageRef::Invalid`] with the reason (naming variables that were unset), and the other services are still read. Its platform is its `platform:`, normalized. Compose
/// workloads have no state, ID or digests.
///
/// # Errors
///
/// With the file and line: [`ErrorKind::InvalidYaml`], [`ErrorKind::InvalidCompose`] (wrong shapes, duplicate
/// keys, a service with neither image nor build, a bad `extends`), [`ErrorKind::Interpolation`] and
/// [`ErrorKind::InvalidField`] (a platform that is no `os/arch[/variant]`). A top-level `include:` is not read
/// here: [`load_compose`] follows it.
pub fn parse_compose(files: &[ComposeFile<'_>], vars: &Variables) -> Result<Vec<Workload>, Error> {
    let mut project = Project::new();
    for (index, file) in files.iter().enumerate() {
        project.read_file(file, index, vars)?;
    }
    project.workloads(files, vars)
}

/// The YAML documents of one compose file, its errors with the file and line.
fn parse_yaml(file: &ComposeFile<'_>) -> Result<Vec<Node>, Error> {
    yaml::parse(file.text).map_err(|err| {
        let kind = if err.duplicate {
            ErrorKind::InvalidCompose
        } else if err.too_deep {
            ErrorKind::LimitExceeded
        } else {
            ErrorKind::InvalidYaml
        };
        let message = if err.duplicate || err.too_deep {
            err.message
        } else {
            format!("not YAML: {}", err.message)
        };
        Error::new(kind, message).with_file(Some(file.path)).with_line(err.line)
    })
}

/// How deep `include` may nest: a file, what it includes, what that includes, and so on.
pub const MAX_INCLUDE_DEPTH: usize = 8;

/// The most compose files one project may read, top-level and included together.
pub const MAX_COMPOSE_FILES: usize = 256;

/// Compose files as [`load_compose`] read them: each file's text and variables, and per file its `include`
/// entries (each a group of files that make one model).
struct Tree<'a> {
    files: Vec<ComposeFile<'a>>,
    vars: Vec<Variables>,
    includes: Vec<Vec<Vec<usize>>>,
}

impl Tree<'_> {
    /// The workloads of the top-level files `tops` (later ones override earlier ones), each with what it includes.
    fn workloads(&self, tops: &[usize], vars: &Variables) -> Result<Vec<Workload>, Error> {
        let mut project = Project::new();
        for &top in tops {
            self.read(&mut project, top)?;
        }
        project.workloads(&self.files, vars)
    }

    /// Reads file `index` after what it includes; the names of the services it and its includes define. A
    /// service that an included model defines and the file (or another included model) defines again is an error,
    /// as the compose spec says. The recursion is as deep as [`MAX_INCLUDE_DEPTH`] at most: the loader stops there.
    fn read(&self, project: &mut Project, index: usize) -> Result<HashMap<String, usize>, Error> {
        let mut included: HashMap<String, usize> = HashMap::new();
        for group in &self.includes[index] {
            let mut names = HashMap::new();
            for &child in group {
                names.extend(self.read(project, child)?);
            }
            for (name, file) in names {
                if let Some(&other) = included.get(&name) {
                    return Err(Error::new(
                        ErrorKind::InvalidCompose,
                        format!(
                            "the service {} is defined by two included files, {} and {}; compose refuses a service \
                             defined twice",
                            quote(&name),
                            crate::text::path(self.files[other].path),
                            crate::text::path(self.files[file].path)
                        ),
                    )
                    .with_file(Some(self.files[index].path)));
                }
                included.insert(name, file);
            }
        }
        let own = project.read_file(&self.files[index], index, &self.vars[index])?;
        for (name, line) in own {
            if let Some(&other) = included.get(&name) {
                return Err(Error::new(
                    ErrorKind::InvalidCompose,
                    format!(
                        "the service {} is also defined by the included file {}; compose refuses a service defined \
                         twice (override it in a file given after this one instead)",
                        quote(&name),
                        crate::text::path(self.files[other].path)
                    ),
                )
                .with_file(Some(self.files[index].path))
                .with_line(line));
            }
            included.insert(name, index);
        }
        Ok(included)
    }
}

/// Reads `files` and the `.env` file of the project directory (beside the first file) when there is one, then
/// [`parse_compose`]s them with `environment` (for instance [`Variables::capture`]) and the `.env` variables.
///
/// It follows each file's `include:` (which [`parse_compose`] does not read): the files an entry names, relative
/// to the including file, with the including file's variables and what the entry's `env_file` (else its project
/// directory's `.env`) adds; their services join the including file's, and a service defined both there and in
/// an included file (or in two included files) is an error, as the compose spec says. `include` nests at most
/// [`MAX_INCLUDE_DEPTH`] deep, a project reads at most [`MAX_COMPOSE_FILES`] files, a cycle is an error, and only
/// the files named are read.
///
/// Only regular files are read (a FIFO would block the read), of at most [`MAX_FILE_SIZE`] bytes each. A `.env`
/// that is a symbolic link must stay within the project directory: a compose project from elsewhere could
/// otherwise link it to any file of the user's and read that file into variables its images name.
///
/// # Errors
///
/// [`ErrorKind::Io`] when a file cannot be read or is not UTF-8; [`ErrorKind::LimitExceeded`] for a file larger than
/// [`MAX_FILE_SIZE`]; [`ErrorKind::NotRegularFile`] for a FIFO, socket, device or directory;
/// [`ErrorKind::OutsideProject`] for a `.env` link that leaves the project directory, or an included project's env
/// file outside the project directory and the included file's; [`ErrorKind::InvalidCompose`] for an `include`
/// cycle or a service defined twice; [`ErrorKind::LimitExceeded`] past the include limits; then as
/// [`parse_compose`] and [`Variables::with_dotenv`].
pub fn load_compose(files: &[PathBuf], environment: Variables) -> Result<Vec<Workload>, Error> {
    let Some(first) = files.first() else {
        return Ok(Vec::new());
    };
    let project = first.parent().unwrap_or(Path::new(""));
    let dotenv = project.join(".env");
    let vars = match dotenv_target(project, &dotenv)? {
        Some(target) => match read_text(&target, "a `.env` file")? {
            Some(text) => environment.with_dotenv(&text, &dotenv)?,
            None => environment,
        },
        None => environment,
    };
    let mut loader = Loader::default();
    let mut tops = Vec::with_capacity(files.len());
    for path in files {
        tops.push(loader.load(path, None, &vars, &mut Vec::new())?);
    }
    let tree = Tree {
        files: loader
            .paths
            .iter()
            .zip(&loader.texts)
            .map(|(path, text)| ComposeFile { path, text })
            .collect(),
        vars: loader.vars,
        includes: loader.includes,
    };
    tree.workloads(&tops, &vars)
}

/// The files of a project as they are read: each file once per time it is named, with its variables and the
/// files each of its `include` entries names.
#[derive(Default)]
struct Loader {
    paths: Vec<PathBuf>,
    texts: Vec<String>,
    vars: Vec<Variables>,
    includes: Vec<Vec<Vec<usize>>>,
}

impl Loader {
    /// Reads `path` (named by the include at `by`, a file and line, or by the caller), then what it includes;
    /// its index. `chain` holds the canonical paths of the files that include it, to refuse a cycle.
    fn load(
        &mut self,
        path: &Path,
        by: Option<(&Path, usize)>,
        vars: &Variables,
        chain: &mut Vec<PathBuf>,
    ) -> Result<usize, Error> {
        let named_by = |error: Error| match by {
            Some((file, line)) => error.with_file(Some(file)).with_line(line),
            None => error.with_file(Some(path)),
        };
        let missing = || {
            named_by(Error::new(
                ErrorKind::Io,
                match by {
                    Some(_) => format!("the included file {} does not exist", crate::text::path(path)),
                    None => "no such file; name the compose file with its path".to_owned(),
                },
            ))
        };
        let canonical = match std::fs::canonicalize(path) {
            Ok(canonical) => canonical,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Err(missing()),
            Err(err) => {
                return Err(Error::new(ErrorKind::Io, "cannot read it")
                    .with_file(Some(path))
                    .with_source(err));
            }
        };
        if chain.contains(&canonical) {
            let cycle: Vec<String> = chain.iter().chain([&canonical]).map(|p| crate::text::path(p)).collect();
            return Err(named_by(Error::new(
                ErrorKind::InvalidCompose,
                format!("`include` makes a cycle: {}", cycle.join(" -> ")),
            )));
        }
        if chain.len() > MAX_INCLUDE_DEPTH {
            return Err(named_by(Error::new(
                ErrorKind::LimitExceeded,
                format!("`include` nests deeper than {MAX_INCLUDE_DEPTH} files, this program's limit"),
            )));
        }
        if self.paths.len() >= MAX_COMPOSE_FILES {
            return Err(named_by(Error::new(
                ErrorKind::LimitExceeded,
                format!("the project reads more than {MAX_COMPOSE_FILES} compose files, this program's limit"),
            )));
        }
        let text = read_text(path, "a compose file")?.ok_or_else(missing)?;
        let includes = compose_includes(&ComposeFile { path, text: &text }, vars)?;
        let index = self.paths.len();
        self.paths.push(path.to_path_buf());
        self.texts.push(text);
        self.vars.push(vars.clone());
        self.includes.push(Vec::new());
        chain.push(canonical);
        for include in includes {
            let by = Some((path, include.line));
            let child_vars = include_variables(&include, vars, chain.first().map(PathBuf::as_path)).map_err(|err| {
                if err.file().is_some() {
                    err
                } else {
                    err.with_file(Some(path)).with_line(include.line)
                }
            })?;
            let mut group = Vec::with_capacity(include.paths.len());
            for child in &include.paths {
                group.push(self.load(child, by, &child_vars, chain)?);
            }
            self.includes[index].push(group);
        }
        chain.pop();
        Ok(index)
    }
}

/// The variables of an included model: the including file's, then what its env files add (`env_file`, else the
/// project directory's `.env` when there is one). An env file is read only inside the top-level project's
/// directory or the included file's own: a compose file from elsewhere must not read the user's other files
/// (`~/.aws/credentials` is `KEY=VALUE` too) into variables its images name.
fn include_variables(include: &Include, vars: &Variables, top: Option<&Path>) -> Result<Variables, Error> {
    let (files, named) = if include.env_files.is_empty() {
        (vec![include.project_directory.join(".env")], false)
    } else {
        (include.env_files.clone(), true)
    };
    let mut allowed = Vec::new();
    if let Some(dir) = top.and_then(Path::parent) {
        allowed.push(dir.to_path_buf());
    }
    if let Some(dir) = include.paths.first().and_then(|p| p.parent()) {
        let dir = if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        };
        if let Ok(dir) = std::fs::canonicalize(dir) {
            allowed.push(dir);
        }
    }
    let mut vars = vars.clone();
    for file in files {
        let target = match std::fs::canonicalize(&file) {
            Ok(target) => target,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound && !named => continue,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                return Err(Error::new(
                    ErrorKind::Io,
                    format!("the env_file {} does not exist", crate::text::path(&file)),
                ));
            }
            Err(err) => {
                return Err(Error::new(ErrorKind::Io, "cannot read it")
                    .with_file(Some(&file))
                    .with_source(err));
            }
        };
        if !allowed.iter().any(|dir| target.starts_with(dir)) {
            return Err(Error::new(
                ErrorKind::OutsideProject,
                format!(
                    "the env file {} is outside the project directory and the included file's; copy the variables \
                     into the project, or set them in the environment",
                    crate::text::path(&target)
                ),
            ));
        }
        if let Some(text) = read_text(&target, "a `.env` file")? {
            vars = vars.with_dotenv(&text, &file)?;
        }
    }
    Ok(vars)
}

/// What to read for the project's `.env`: the file itself, or where its link leads when that is inside the
/// project directory; `None` when there is none (a dangling link is none, as it is to a plain open).
fn dotenv_target(project: &Path, dotenv: &Path) -> Result<Option<PathBuf>, Error> {
    let io_error = |err: std::io::Error| {
        Error::new(ErrorKind::Io, "cannot read it")
            .with_file(Some(dotenv))
            .with_source(err)
    };
    match std::fs::symlink_metadata(dotenv) {
        Ok(metadata) if metadata.file_type().is_symlink() => {}
        Ok(_) => return Ok(Some(dotenv.to_path_buf())),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(err) => return Err(io_error(err)),
    }
    let target = match std::fs::canonicalize(dotenv) {
        Ok(target) => target,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(err) => return Err(io_error(err)),
    };
    let directory = if project.as_os_str().is_empty() {
        Path::new(".")
    } else {
        project
    };
    let directory = std::fs::canonicalize(directory).map_err(io_error)?;
    if !target.starts_with(&directory) {
        return Err(Error::new(
            ErrorKind::OutsideProject,
            format!(
                "a link to {}, outside the project directory {}; copy the variables into the project, or set them \
                 in the environment",
                crate::text::path(&target),
                crate::text::path(&directory)
            ),
        )
        .with_file(Some(dotenv)));
    }
    // The resolved path, so that the link cannot be swapped for one leading elsewhere between check and read.
    Ok(Some(target))
}

/// A file's text; `None` when it does not exist.
fn read_text(path: &Path, what: &str) -> Result<Option<String>, Error> {
    let Some(bytes) = crate::file::read(path, crate::file::Accept::Regular, MAX_FILE_SIZE, what)? else {
        return Ok(None);
    };
    String::from_utf8(bytes)
        .map(Some)
        .map_err(|_| Error::new(ErrorKind::Io, "not UTF-8 text").with_file(Some(path)))
}

/// A value and where it was set: the file's index and the line.
#[derive(Debug, Clone)]
struct Located<T> {
    value: T,
    raw: String,
    file: usize,
    line: usize,
}

/// A key as one file leaves it.
#[derive(Debug, Clone)]
enum Field<T> {
    Unset,
    Reset,
    Set(Located<T>),
}

/// Where `extends` points.
#[derive(Debug, Clone)]
enum Extends {
    Service(String),
    OtherFile,
}

#[derive(Debug)]
struct Service {
    name: String,
    file: usize,
    line: usize,
    image: Option<Located<String>>,
    build: Option<Located<()>>,
    platform: Option<Located<Platform>>,
    extends: Option<Located<Extends>>,
}

/// The services read so far. A service reset with `!reset` leaves a `None` behind, so that removing one is not a
/// shift of all that follow (a file resetting thousands of services stays linear).
struct Project {
    services: Vec<Option<Service>>,
    by_name: HashMap<String, usize>,
    /// What substitution may still make, for all files: see [`MAX_SUBSTITUTED`].
    budget: usize,
}

/// A service's image, build and platform once `extends` is resolved.
type Resolved<'a> = (
    Option<&'a Located<String>>,
    Option<&'a Located<()>>,
    Option<&'a Located<Platform>>,
);

impl<T> Field<T> {
    fn apply(self, to: &mut Option<Located<T>>) {
        match self {
            Self::Unset => {}
            Self::Reset => *to = None,
            Self::Set(value) => *to = Some(value),
        }
    }
}

impl Project {
    fn new() -> Self {
        Self {
            services: Vec::new(),
            by_name: HashMap::new(),
            budget: MAX_SUBSTITUTED,
        }
    }

    /// Reads every document of `file`, the `index`th of the project; the services it defines (not resets), each
    /// with the line of its key.
    fn read_file(
        &mut self,
        file: &ComposeFile<'_>,
        index: usize,
        vars: &Variables,
    ) -> Result<Vec<(String, usize)>, Error> {
        let mut defined = Vec::new();
        for document in &parse_yaml(file)? {
            self.read_document(document, index, file.path, vars, &mut defined)?;
        }
        Ok(defined)
    }

    fn read_document(
        &mut self,
        root: &Node,
        file: usize,
        path: &Path,
        vars: &Variables,
        defined: &mut Vec<(String, usize)>,
    ) -> Result<(), Error> {
        let at = |line: usize, kind: ErrorKind, message: String| {
            Error::new(kind, message).with_file(Some(path)).with_line(line)
        };
        if root.is_null() {
            return Ok(());
        }
        if !matches!(root.value, Value::Mapping(_)) {
            return Err(at(
                root.line,
                ErrorKind::InvalidCompose,
                format!("a compose file is a mapping, not {}", root.describe()),
            ));
        }
        let Some(services) = root.get("services") else {
            return Ok(());
        };
        if services.is_null() {
            return Ok(());
        }
        if !matches!(services.value, Value::Mapping(_)) {
            return Err(at(
                services.line,
                ErrorKind::InvalidCompose,
                format!("`services` must be a mapping, not {}", services.describe()),
            ));
        }
        for (name, service, key_line) in services.entries() {
            let whose = format!("service {}", quote(name));
            if service.is_reset() {
                if let Some(index) = self.by_name.remove(name) {
                    self.services[index] = None;
                }
                continue;
            }
            if !service.is_null() && !matches!(service.value, Value::Mapping(_)) {
                return Err(at(
                    service.line,
                    ErrorKind::InvalidCompose,
                    format!("{whose} must be a mapping, not {}", service.describe()),
                ));
            }
            let image = string_field(service, "image", &whose, path, vars, &mut self.budget)?;
            let platform = match string_field(service, "platform", &whose, path, vars, &mut self.budget)? {
                Field::Set(located) => Field::Set(Located {
                    value: located.value.parse::<Platform>().map_err(|err| {
                        let error = at(
                            located.line,
                            ErrorKind::InvalidField,
                            format!(
                                "the platform {} of {whose} is not `os/arch[/variant]`",
                                shown(&located, &located.value)
                            ),
                        );
                        // The parser's own message quotes the value, substituted or not.
                        if interpolate::names(&located.raw).is_empty() {
                            error.with_source(err)
                        } else {
                            error
                        }
                    })?,
                    raw: located.raw,
                    file,
                    line: located.line,
                }),
                Field::Reset => Field::Reset,
                Field::Unset => Field::Unset,
            };
            let build = match service.get("build") {
                None => Field::Unset,
                Some(node) if node.is_reset() => Field::Reset,
                Some(node) if node.is_null() => Field::Unset,
                Some(node) => Field::Set(Located {
                    value: (),
                    raw: String::new(),
                    file,
                    line: node.line,
                }),
            };
            let extends = extends_field(service, &whose, path, vars, &mut self.budget)?;
            defined.push((name.to_owned(), key_line));
            let index = match self.by_name.get(name) {
                Some(&index) => index,
                None => {
                    self.services.push(Some(Service {
                        name: name.to_owned(),
                        file,
                        line: key_line,
                        image: None,
                        build: None,
                        platform: None,
                        extends: None,
                    }));
                    self.by_name.insert(name.to_owned(), self.services.len() - 1);
                    self.services.len() - 1
                }
            };
            let Some(entry) = self.services[index].as_mut() else {
                unreachable!("`by_name` names only services that are not reset")
            };
            with_file(image, file).apply(&mut entry.image);
            build.apply(&mut entry.build);
            platform.apply(&mut entry.platform);
            with_file(extends, file).apply(&mut entry.extends);
        }
        Ok(())
    }

    fn workloads(&self, files: &[ComposeFile<'_>], vars: &Variables) -> Result<Vec<Workload>, Error> {
        let resolved = self.resolve_all(files)?;
        let mut workloads = Vec::with_capacity(self.services.len());
        for (service, resolved) in self.services.iter().zip(resolved) {
            let (Some(service), Some((image, build, platform))) = (service, resolved) else {
                continue;
            };
            let whose = format!("service {}", quote(&service.name));
            let path = |index: usize| files[index].path;
            let (image_ref, file) = match (image, build) {
                (Some(image), build) => {
                    // One service whose image is no reference does not hide the others: it is reported on its own.
                    let invalid = |err: oci_ref::Error| {
                        let names = interpolate::names(&image.raw);
                        let unset: Vec<String> = names
                            .iter()
                            .filter(|name| vars.get(name).is_none())
                            .map(|name| format!("${name}"))
                            .collect();
                        let mut reason = format!(
                            "{}:{}: the image {} of {whose} is not a reference",
                            path(image.file).display(),
                            image.line,
                            shown(image, &image.value)
                        );
                        if names.is_empty() {
                            // The parser's own message quotes the value, which holds no variable here.
                            reason.push_str(&format!(" ({err})"));
                        }
                        if !unset.is_empty() {
                            let (verb, it) = if unset.len() == 1 {
                                ("is", "it")
                            } else {
                                ("are", "they")
                            };
                            reason.push_str(&format!(
                                "; {} {verb} not set, so {it} expanded to nothing",
                                unset.join(", ")
                            ));
                        }
                        ImageRef::Invalid {
                            image: image.raw.clone(),
                            reason,
                        }
                    };
                    let image_ref = match oci_ref::parse_any(&image.value) {
                        Err(err) => invalid(err),
                        Ok(AnyReference::Named(reference)) if build.is_some() => ImageRef::Local(reference),
                        Ok(AnyReference::Named(reference)) => ImageRef::Reference(reference),
                        Ok(AnyReference::Digest(digest)) => ImageRef::BareDigest(digest),
                        Ok(_) => {
                            return Err(Error::new(
                                ErrorKind::InvalidField,
                                format!("the image of {whose} is of a kind this program does not know"),
                            )
                            .with_file(Some(path(image.file)))
                            .with_line(image.line));
                        }
                    };
                    let file = match build {
                        Some(build) if build.file > image.file => build.file,
                        _ => image.file,
                    };
                    (image_ref, file)
                }
                (None, Some(build)) => (ImageRef::BuildOnly, build.file),
                (None, None) => {
                    return Err(Error::new(
                        ErrorKind::InvalidCompose,
                        format!("{whose} has neither an `image` nor a `build`"),
                    )
                    .with_file(Some(path(service.file)))
                    .with_line(service.line));
                }
            };
            let mut workload = Workload::new(
                Source::Compose {
                    file: path(file).to_path_buf(),
                },
                service.name.clone(),
                image_ref,
            );
            workload.set_platform(platform.map(|p| p.value.clone()));
            workloads.push(workload);
        }
        Ok(workloads)
    }

    /// Each service's image, build and platform, with what `extends` brings (the service's own keys win); `None`
    /// for services that were reset.
    ///
    /// Each service is resolved once, its chain followed with a loop rather than recursion, and a chain may be at
    /// most [`MAX_EXTENDS`] services long: a file of 20 000 chained `extends` neither recurses 20 000 deep nor
    /// walks its chain once per service.
    fn resolve_all(&self, files: &[ComposeFile<'_>]) -> Result<Vec<Option<Resolved<'_>>>, Error> {
        let mut resolved: Vec<Option<Resolved<'_>>> = vec![None; self.services.len()];
        // How many services the chain from each resolved service passes, itself included.
        let mut depth = vec![0usize; self.services.len()];
        let mut on_chain = vec![false; self.services.len()];
        let too_long = |service: &Service| {
            self.extends_error(
                service,
                files,
                format!(
                    "the `extends` chain of service {} passes more than {MAX_EXTENDS} services, this program's limit",
                    quote(&service.name)
                ),
            )
            .with_kind(ErrorKind::LimitExceeded)
        };
        for start in 0..self.services.len() {
            if self.services[start].is_none() || resolved[start].is_some() {
                continue;
            }
            // Services each extending the next, none resolved yet; the last one's answer is known below.
            let mut chain = vec![start];
            on_chain[start] = true;
            let (mut answer, mut below) = loop {
                let index = *chain.last().expect("the chain starts with one service");
                let service = self.live(index);
                match self.step(service, files)? {
                    Step::Own(own) => break (own, 0),
                    Step::Base(base) if resolved[base].is_some() => {
                        let own = Self::own(service);
                        let answer = resolved[base].expect("checked just above");
                        break (
                            (own.0.or(answer.0), own.1.or(answer.1), own.2.or(answer.2)),
                            depth[base],
                        );
                    }
                    Step::Base(base) if on_chain[base] => {
                        let looped = self.live(base);
                        let name = match looped.extends.as_ref().map(|e| &e.value) {
                            Some(Extends::Service(name)) => name.as_str(),
                            _ => "",
                        };
                        return Err(self.extends_error(
                            looped,
                            files,
                            format!("service {} extends itself through {}", quote(&looped.name), quote(name)),
                        ));
                    }
                    Step::Base(base) => {
                        // Stop walking a chain that is already too long, before its end.
                        if chain.len() == MAX_EXTENDS {
                            return Err(too_long(self.live(start)));
                        }
                        chain.push(base);
                        on_chain[base] = true;
                    }
                }
            };
            // The last service's answer is known; each one before it adds its own keys on top.
            let last = chain.pop().expect("the chain is never empty");
            let mut unwound = Some(last);
            while let Some(index) = unwound {
                if index != last {
                    let own = Self::own(self.live(index));
                    answer = (own.0.or(answer.0), own.1.or(answer.1), own.2.or(answer.2));
                }
                below += 1;
                if below > MAX_EXTENDS {
                    return Err(too_long(self.live(index)));
                }
                resolved[index] = Some(answer);
                depth[index] = below;
                on_chain[index] = false;
                unwound = chain.pop();
            }
        }
        Ok(resolved)
    }

    /// The service at `index`, which is known not to be reset.
    fn live(&self, index: usize) -> &Service {
        self.services[index]
            .as_ref()
            .expect("`by_name` and the resolution name only services that are not reset")
    }

    fn own(service: &Service) -> Resolved<'_> {
        (
            service.image.as_ref(),
            service.build.as_ref(),
            service.platform.as_ref(),
        )
    }

    /// What resolving `service` takes: its own keys are all there is, or those of the service it extends.
    fn step<'a>(&'a self, service: &'a Service, files: &[ComposeFile<'_>]) -> Result<Step<'a>, Error> {
        let own = Self::own(service);
        let Some(extends) = &service.extends else {
            return Ok(Step::Own(own));
        };
        let whose = format!("service {}", quote(&service.name));
        let base_name = match &extends.value {
            Extends::Service(name) => name,
            Extends::OtherFile if own.0.is_some() || own.1.is_some() => return Ok(Step::Own(own)),
            Extends::OtherFile => {
                return Err(self.extends_error(
                    service,
                    files,
                    format!(
                        "{whose} extends a service of another file, which this program does not read; give it an \
                         `image`"
                    ),
                ));
            }
        };
        match self.by_name.get(base_name) {
            Some(&index) => Ok(Step::Base(index)),
            None => Err(self.extends_error(
                service,
                files,
                format!("{whose} extends {}, which is not a service", quote(base_name)),
            )),
        }
    }

    /// An error at the `extends` of `service`.
    fn extends_error(&self, service: &Service, files: &[ComposeFile<'_>], message: String) -> Error {
        let error = Error::new(ErrorKind::InvalidCompose, message);
        match &service.extends {
            Some(extends) => error.with_file(Some(files[extends.file].path)).with_line(extends.line),
            None => error.with_file(Some(files[service.file].path)).with_line(service.line),
        }
    }
}

/// One step of resolving `extends`.
enum Step<'a> {
    /// The service's own keys are the answer.
    Own(Resolved<'a>),
    /// The service extends the one at this index.
    Base(usize),
}

fn with_file<T>(field: Field<T>, file: usize) -> Field<T> {
    match field {
        Field::Set(located) => Field::Set(Located { file, ..located }),
        other => other,
    }
}

/// A string key of a service, substituted; the raw text and what substitution makes are taken from `budget`.
fn string_field(
    service: &Node,
    key: &str,
    whose: &str,
    path: &Path,
    vars: &Variables,
    budget: &mut usize,
) -> Result<Field<String>, Error> {
    let Some(node) = service.get(key) else {
        return Ok(Field::Unset);
    };
    if node.is_reset() {
        return Ok(Field::Reset);
    }
    let at = |kind: ErrorKind, message: String| Error::new(kind, message).with_file(Some(path)).with_line(node.line);
    match node.scalar_kind() {
        Some(ScalarKind::Null) => Ok(Field::Unset),
        Some(ScalarKind::String) => {
            let raw = node.scalar().unwrap_or_default();
            let substitution_error =
                |err: &InterpolationError| interpolation_error(err).with_file(Some(path)).with_line(node.line);
            // The raw text is kept too (for messages), and an alias can bring the same long scalar into every
            // service: it counts against the budget as what substitution makes does.
            *budget = budget
                .checked_sub(raw.len())
                .ok_or_else(|| substitution_error(&InterpolationError::TooLong))?;
            let value = interpolate(raw, &|name| vars.get(name).map(str::to_owned), budget)
                .map_err(|err| substitution_error(&err))?;
            Ok(Field::Set(Located {
                value,
                raw: raw.to_owned(),
                file: 0,
                line: node.line,
            }))
        }
        _ => Err(at(
            ErrorKind::InvalidCompose,
            format!("`{key}` of {whose} must be a string, not {}", node.describe()),
        )),
    }
}

/// `extends: NAME` or `extends: {service: NAME, file: ...}`.
fn extends_field(
    service: &Node,
    whose: &str,
    path: &Path,
    vars: &Variables,
    budget: &mut usize,
) -> Result<Field<Extends>, Error> {
    let Some(node) = service.get("extends") else {
        return Ok(Field::Unset);
    };
    if node.is_reset() {
        return Ok(Field::Reset);
    }
    let located = |value| {
        Ok(Field::Set(Located {
            value,
            raw: String::new(),
            file: 0,
            line: node.line,
        }))
    };
    match &node.value {
        Value::Mapping(_) => {
            if node.get("file").is_some_and(|file| !file.is_null()) {
                return located(Extends::OtherFile);
            }
            match string_field(&node, "service", whose, path, vars, budget)? {
                Field::Set(name) => located(Extends::Service(name.value)),
                _ => Err(Error::new(
                    ErrorKind::InvalidCompose,
                    format!("`extends` of {whose} names no `service`"),
                )
                .with_file(Some(path))
                .with_line(node.line)),
            }
        }
        _ => match string_field(service, "extends", whose, path, vars, budget)? {
            Field::Set(name) => located(Extends::Service(name.value)),
            _ => Ok(Field::Unset),
        },
    }
}

/// A substituted value for a message: the text as the file has it, and the names of the variables in it, never
/// what they were substituted with (a compose file from elsewhere may name any variable, `${GITHUB_TOKEN}` too,
/// and an error message goes to logs and terminals).
fn shown(located: &Located<impl Sized>, value: &str) -> String {
    let names = interpolate::names(&located.raw);
    if located.raw == value {
        return quote(value);
    }
    if names.is_empty() {
        // Only `$$` escapes: no variable's value is in it.
        return format!("{} (from {})", quote(value), quote(&located.raw));
    }
    let names: Vec<String> = names.iter().map(|name| format!("${name}")).collect();
    format!(
        "{} (with {} substituted; values are not shown)",
        quote(&located.raw),
        names.join(", ")
    )
}

fn interpolation_error(err: &InterpolationError) -> Error {
    match err {
        InterpolationError::Required { name, message } if message.is_empty() => Error::new(
            ErrorKind::Interpolation,
            format!("the variable {name} is required but not set"),
        ),
        InterpolationError::Required { name, message } => Error::new(
            ErrorKind::Interpolation,
            format!("the variable {name} is required but not set: {}", quote(message)),
        ),
        InterpolationError::Invalid { at } => Error::new(
            ErrorKind::Interpolation,
            format!("invalid substitution at {}; write `$$` for a literal `$`", quote(at)),
        ),
        InterpolationError::TooLong => Error::new(
            ErrorKind::LimitExceeded,
            format!("variable substitution makes more than {MAX_SUBSTITUTED} bytes, this program's limit"),
        ),
    }
}
