//! Where a fixture finds the programs it runs: the file an `OCI_TEST_*` variable names, else the one a package (or
//! `cargo xtask test`) puts at a fixed path. One lookup, so that every fixture fails the same way, with how to get
//! what is missing.

use std::path::PathBuf;

/// The file `variable` names when it is set, else `default`.
///
/// # Panics
///
/// When that file is missing: the message names it and says how to get it (`hint`), or which variable to set.
pub(crate) fn tool(variable: &str, default: &str, hint: &str) -> PathBuf {
    if let Some(custom) = std::env::var_os(variable) {
        let custom = PathBuf::from(custom);
        assert!(
            custom.is_file(),
            "{variable} names {}, which is not a file",
            custom.display()
        );
        return custom;
    }
    let default = PathBuf::from(default);
    assert!(
        default.is_file(),
        "{} is missing: {hint} (or set {variable})",
        default.display()
    );
    default
}

/// The hint for a program of the Debian `packages` that `cargo xtask test` installs.
pub(crate) fn apt(packages: &str) -> String {
    format!("run `cargo xtask test`, which installs it, or `apt-get update && apt-get install -y {packages}`")
}
