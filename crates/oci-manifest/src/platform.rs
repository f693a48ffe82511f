//! [`Platform`]: operating system, CPU architecture and variant; normalization and best-match
//! selection the way containerd's `platforms` package does them.

use std::cmp::Reverse;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorKind, NoMatch, quote};
use crate::{Descriptor, nullable};

/// The platform an image is built for or a host runs: `os`, `architecture`, an optional CPU
/// `variant`, and for Windows an `os.version` and `os.features`.
///
/// A value keeps what it was given (an index entry is kept as the registry wrote it); comparisons
/// for matching go through [`normalize`](Self::normalize). Parsing the text form
/// `os[(os.version)]/arch[/variant]` normalizes, so `"linux/aarch64"` parses to
/// `linux/arm64` and `"linux/arm"` to `linux/arm/v7`.
///
/// JSON fields serialize in the order of the image spec's Go type: `architecture`, `os`,
/// `os.version`, `os.features`, `variant`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Platform {
    architecture: String,
    os: String,
    #[serde(rename = "os.version", default, skip_serializing_if = "Option::is_none")]
    os_version: Option<String>,
    #[serde(
        rename = "os.features",
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "nullable"
    )]
    os_features: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    variant: Option<String>,
}

/// How [`select`] matches platforms.
///
/// The default matches only the wanted operating system and architecture, with the variant
/// fallbacks of containerd's `platforms.Only` (arm v8 runs v7, v6, v5; amd64 v3 runs v2 and v1;
/// arm64 v8.2 runs v8.1 and v8).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MatchOptions {
    cross_architecture: bool,
}

impl Platform {
    /// A platform with this operating system and architecture, kept as given.
    pub fn new(os: impl Into<String>, architecture: impl Into<String>) -> Self {
        Self {
            architecture: architecture.into(),
            os: os.into(),
            os_version: None,
            os_features: Vec::new(),
            variant: None,
        }
    }

    /// Sets the CPU variant, such as `v7`.
    #[must_use]
    pub fn with_variant(mut self, variant: impl Into<String>) -> Self {
        self.variant = Some(variant.into());
        self
    }

    /// Sets the operating system version, such as `10.0.20348.2113`.
    #[must_use]
    pub fn with_os_version(mut self, os_version: impl Into<String>) -> Self {
        self.os_version = Some(os_version.into());
        self
    }

    /// Adds operating system features, such as `win32k`.
    #[must_use]
    pub fn with_os_features(mut self, features: impl IntoIterator<Item = String>) -> Self {
        self.os_features.extend(features);
        self
    }

    /// The platform this program was compiled for, from [`std::env::consts`] and the target's
    /// CPU features, in the image spec's names (`macos` is `darwin`, `x86_64` is `amd64`,
    /// `aarch64` is `arm64`). It has no `os.version`: finding the Windows build needs a system
    /// call, which this crate does not make; add it with [`with_os_version`](Self::with_os_version).
    pub fn host() -> Self {
        let os = match std::env::consts::OS {
            "macos" => "darwin",
            other => other,
        };
        let little = cfg!(target_endian = "little");
        let (architecture, variant) = match std::env::consts::ARCH {
            "x86_64" => ("amd64", None),
            "x86" => ("386", None),
            "aarch64" => ("arm64", None),
            "arm" if cfg!(target_feature = "v8") => ("arm", Some("v8")),
            "arm" if cfg!(target_feature = "v7") => ("arm", Some("v7")),
            "arm" if cfg!(target_feature = "v6") => ("arm", Some("v6")),
            "arm" => ("arm", Some("v5")),
            "powerpc64" if little => ("ppc64le", None),
            "powerpc64" => ("ppc64", None),
            "powerpc" => ("ppc", None),
            "mips64" if little => ("mips64le", None),
            "mips" if little => ("mipsle", None),
            "loongarch64" => ("loong64", None),
            "wasm32" => ("wasm", None),
            other => (other, None),
        };
        let platform = Self::new(os, architecture);
        match variant {
            Some(variant) => platform.with_variant(variant),
            None => platform,
        }
    }

    /// The operating system, as given.
    pub fn os(&self) -> &str {
        &self.os
    }

    /// The CPU architecture, as given.
    pub fn architecture(&self) -> &str {
        &self.architecture
    }

    /// The CPU variant, as given.
    pub fn variant(&self) -> Option<&str> {
        self.variant.as_deref()
    }

    /// The operating system version (Windows), as given.
    pub fn os_version(&self) -> Option<&str> {
        self.os_version.as_deref()
    }

    /// Operating system features (Windows).
    pub fn os_features(&self) -> &[String] {
        &self.os_features
    }

    /// The canonical form, as containerd's `platforms.Normalize` computes it: lower case;
    /// `macos` is `darwin`; `x86_64` and `x86-64` are `amd64` (variant `v1` dropped); `i386` is
    /// `386`; `aarch64` is `arm64`, whose `v8`/`8`/`v8.0` variant is dropped (the default) and
    /// `9`/`9.0`/`v9.0` is `v9`; `armhf` is `arm/v7`; `armel` is `arm/v6`; `arm` without a
    /// variant is `arm/v7` and a bare `5`, `6`, `7`, `8` variant gets its `v`. An empty variant
    /// or `os.version` is none.
    pub fn normalize(&self) -> Self {
        let os = match self.os.to_ascii_lowercase().as_str() {
            "macos" => "darwin".to_owned(),
            other => other.to_owned(),
        };
        let (architecture, variant) = normalize_arch(&self.architecture, self.variant.as_deref().unwrap_or(""));
        Self {
            architecture,
            os,
            os_version: self.os_version.clone().filter(|v| !v.is_empty()),
            os_features: self.os_features.clone(),
            variant: Some(variant).filter(|v| !v.is_empty()),
        }
    }

    /// Whether a host of this platform runs images of `other`, with the default [`MatchOptions`].
    pub fn runs(&self, other: &Self) -> bool {
        Matcher::new(self, &MatchOptions::default()).rank(other).is_some()
    }
}

/// The entry of `manifests` that best fits `wanted`.
///
/// Attestation manifests ([`Descriptor::is_attestation`]) and entries without a platform are
/// never chosen. Among the entries whose normalized platform matches, the preference is
/// containerd's: the exact variant first, then older compatible variants, newest first (see
/// [`MatchOptions`]). For a Windows `wanted` with an `os.version`, an entry must have the same
/// major.minor version and a build the host runs (the same build; from Windows Server 2022 on,
/// any build from 20348 up to the host's), and among those the same build is preferred, then the
/// higher build and then the higher revision; an entry without `os.version` matches last. Ties go
/// to the earlier entry.
pub fn select<'a>(
    manifests: &'a [Descriptor],
    wanted: &Platform,
    options: &MatchOptions,
) -> Result<&'a Descriptor, NoMatch> {
    let matcher = Matcher::new(wanted, options);
    manifests
        .iter()
        .enumerate()
        .filter(|(_, entry)| !entry.is_attestation())
        .filter_map(|(position, entry)| {
            let rank = matcher.rank(entry.platform()?)?;
            Some(((rank, position), entry))
        })
        .min_by(|a, b| a.0.cmp(&b.0))
        .map(|(_, entry)| entry)
        .ok_or_else(|| {
            let available = manifests
                .iter()
                .filter(|entry| !entry.is_attestation())
                .filter_map(|entry| entry.platform().cloned())
                .collect();
            NoMatch::new(wanted.clone(), available)
        })
}

impl MatchOptions {
    /// The default options.
    pub fn new() -> Self {
        Self::default()
    }

    /// Also accept the 32-bit architecture a 64-bit host runs, as containerd's
    /// `platforms.Only` does: `386` for `amd64`, and `arm` (v8 and older) for `arm64`, ranked
    /// after every entry of the wanted architecture. Off by default: an update check wants the
    /// image of the host's own architecture.
    #[must_use]
    pub fn cross_architecture(mut self, yes: bool) -> Self {
        self.cross_architecture = yes;
        self
    }
}

impl fmt::Display for Platform {
    /// The specifier form `os[(os.version)]/arch[/variant]`, as containerd's `FormatAll`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.os)?;
        if let Some(version) = self.os_version.as_deref().filter(|v| !v.is_empty()) {
            write!(f, "({version})")?;
        }
        write!(f, "/{}", self.architecture)?;
        if let Some(variant) = self.variant.as_deref().filter(|v| !v.is_empty()) {
            write!(f, "/{variant}")?;
        }
        Ok(())
    }
}

impl FromStr for Platform {
    type Err = Error;

    /// Parses `os[(os.version)]/arch[/variant]` and [normalizes](Self::normalize) it.
    ///
    /// Unlike containerd's `platforms.Parse`, a lone `os` or `arch` is refused: filling in the
    /// rest from the host would make the result depend on where the program runs. So is a part
    /// (os, os.version, architecture or variant) longer than 128 bytes: no real platform comes
    /// near that, and the limit keeps the work per specifier small.
    fn from_str(s: &str) -> Result<Self, Error> {
        let invalid = |reason: &str| {
            Error::new(
                ErrorKind::InvalidPlatform,
                format!("invalid platform {}: {reason}", quote(s)),
            )
        };
        let too_long = || invalid(&format!("a part is longer than {MAX_PART_LEN} bytes"));
        // Four parts and the four separators of `os(version)/arch/variant`.
        let max_len = 4 * MAX_PART_LEN + 4;
        if s.len() > max_len {
            return Err(invalid(&format!("it is longer than {max_len} bytes")));
        }
        let mut parts = s.splitn(4, '/');
        let (Some(os_part), Some(architecture), variant, None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(invalid("expected `os/arch` or `os/arch/variant`"));
        };
        let (os, os_version) = match os_part.split_once('(') {
            Some((os, rest)) => {
                let Some(version) = rest.strip_suffix(')') else {
                    return Err(invalid("the os.version in `os(version)` lacks its `)`"));
                };
                if !version.bytes().all(is_specifier_byte) {
                    return Err(invalid(
                        "the os.version may only have letters, digits, `_`, `.` and `-`",
                    ));
                }
                (os, Some(version))
            }
            None => (os_part, None),
        };
        if [Some(os), os_version, Some(architecture), variant]
            .into_iter()
            .flatten()
            .any(|part| part.len() > MAX_PART_LEN)
        {
            return Err(too_long());
        }
        if os.is_empty() || !os.bytes().all(|b| b != b'.' && is_specifier_byte(b)) {
            return Err(invalid("the os must be letters, digits, `_` and `-`"));
        }
        for part in [Some(architecture), variant].into_iter().flatten() {
            if part.is_empty() || !part.bytes().all(is_specifier_byte) {
                return Err(invalid(
                    "the architecture and variant must be letters, digits, `_`, `.` and `-`",
                ));
            }
        }
        let mut platform = Self::new(os, architecture);
        platform.variant = variant.map(str::to_owned);
        platform.os_version = os_version.map(str::to_owned);
        Ok(platform.normalize())
    }
}

/// The longest os, os.version, architecture or variant a platform specifier may have. Normalizing
/// changes only short parts, so a parsed platform's display parses back under the same limit.
const MAX_PART_LEN: usize = 128;

/// Ranks candidate platforms for one wanted platform: lower is better, `None` does not match.
struct Matcher {
    /// The normalized operating system; every platform the host runs has it.
    os: String,
    /// The platforms the host runs, best first (containerd's `platformVector`), normalized.
    vector: Vec<Step>,
    /// The host's Windows version, when it is a Windows host.
    windows: Option<WindowsVersion>,
}

/// A run of platforms in a host's vector, best first. containerd lists numbered variant levels one
/// by one; a run of them is one step here, so that `amd64/v4000000000` costs what `amd64/v3` does.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Step {
    /// One architecture and variant, both normalized.
    One { architecture: String, variant: String },
    /// The variants `v{high}` down to `v{low}` of a normalized architecture, newest first.
    Levels {
        architecture: &'static str,
        high: u32,
        low: u32,
    },
}

/// Sorts Windows candidates: the same build first, then newer builds and revisions.
type WindowsRank = (bool, Reverse<u32>, Reverse<u32>);

impl Matcher {
    fn new(wanted: &Platform, options: &MatchOptions) -> Self {
        let wanted = wanted.normalize();
        let mut vector = Vec::new();
        platform_vector(
            &wanted.architecture,
            wanted.variant.as_deref().unwrap_or(""),
            &mut vector,
        );
        if !options.cross_architecture {
            vector.retain(|step| step.architecture() == wanted.architecture);
        }
        let windows = (wanted.os == "windows").then(|| WindowsVersion::parse(wanted.os_version.as_deref()));
        Self {
            os: wanted.os,
            vector,
            windows,
        }
    }

    fn rank(&self, candidate: &Platform) -> Option<(u64, WindowsRank)> {
        let candidate = candidate.normalize();
        if candidate.os != self.os {
            return None;
        }
        let position = self.position(&candidate.architecture, candidate.variant.as_deref().unwrap_or(""))?;
        let windows_rank = match &self.windows {
            Some(host) => host.rank(candidate.os_version.as_deref())?,
            None => (false, Reverse(0), Reverse(0)),
        };
        Some((position, windows_rank))
    }

    /// The place of a normalized architecture and variant in the vector, counting every level.
    fn position(&self, architecture: &str, variant: &str) -> Option<u64> {
        let mut start = 0;
        for step in &self.vector {
            if let Some(offset) = step.offset(architecture, variant) {
                return Some(start + offset);
            }
            start += step.len();
        }
        None
    }
}

impl Step {
    fn architecture(&self) -> &str {
        match self {
            Self::One { architecture, .. } => architecture,
            Self::Levels { architecture, .. } => architecture,
        }
    }

    /// How many platforms of the vector this step stands for.
    fn len(&self) -> u64 {
        match self {
            Self::One { .. } => 1,
            Self::Levels { high, low, .. } => u64::from(high - low) + 1,
        }
    }

    /// Where a normalized candidate sits in this step, or `None` if it is not in it.
    fn offset(&self, architecture: &str, variant: &str) -> Option<u64> {
        match self {
            Self::One {
                architecture: a,
                variant: v,
            } => (a == architecture && v == variant).then_some(0),
            Self::Levels {
                architecture: a,
                high,
                low,
            } => {
                if *a != architecture {
                    return None;
                }
                let level = level(architecture, variant)?;
                (*low..=*high).contains(&level).then(|| u64::from(high - level))
            }
        }
    }
}

/// A Windows `major.minor.build[.revision]`; all zero when absent or unreadable, as in containerd.
#[derive(Clone, Copy, Debug, Default)]
struct WindowsVersion {
    major: u8,
    minor: u8,
    build: u16,
    revision: u32,
}

/// Windows Server 2022: from this build on, a host runs container builds from here up to its own.
const WINDOWS_SERVER_2022: u16 = 20348;

impl WindowsVersion {
    fn parse(version: Option<&str>) -> Self {
        let Some(version) = version else {
            return Self::default();
        };
        let mut parts = version.split('.');
        let (Some(major), Some(minor), Some(build)) = (parts.next(), parts.next(), parts.next()) else {
            return Self::default();
        };
        let (Ok(major), Ok(minor), Ok(build)) = (major.parse(), minor.parse(), build.parse()) else {
            return Self::default();
        };
        let revision = parts.next().and_then(|r| r.parse().ok()).unwrap_or(0);
        Self {
            major,
            minor,
            build,
            revision,
        }
    }

    fn is_empty(&self) -> bool {
        self.major == 0 && self.minor == 0 && self.build == 0
    }

    /// Whether this host runs a container of `version`, and how much it is preferred.
    fn rank(&self, version: Option<&str>) -> Option<WindowsRank> {
        let Some(version) = version.filter(|v| !v.is_empty()) else {
            return Some((true, Reverse(0), Reverse(0)));
        };
        let ctr = Self::parse(Some(version));
        let same_build = !self.is_empty() && ctr.build == self.build;
        let rank = (!same_build, Reverse(u32::from(ctr.build)), Reverse(ctr.revision));
        if self.is_empty() {
            return Some(rank);
        }
        if self.major != ctr.major || self.minor != ctr.minor {
            return None;
        }
        let compatible = if self.build < WINDOWS_SERVER_2022 {
            ctr.build == self.build
        } else {
            ctr.build >= WINDOWS_SERVER_2022 && ctr.build <= self.build
        };
        compatible.then_some(rank)
    }
}

/// `[A-Za-z0-9_.-]`, containerd's specifier component alphabet.
fn is_specifier_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-')
}

/// containerd's `normalizeArch`.
fn normalize_arch(architecture: &str, variant: &str) -> (String, String) {
    let architecture = architecture.to_ascii_lowercase();
    let variant = variant.to_ascii_lowercase();
    match architecture.as_str() {
        "i386" => ("386".to_owned(), String::new()),
        "x86_64" | "x86-64" | "amd64" => {
            let variant = if variant == "v1" { String::new() } else { variant };
            ("amd64".to_owned(), variant)
        }
        "aarch64" | "arm64" => {
            let variant = match variant.as_str() {
                "8" | "v8" | "v8.0" => String::new(),
                "9" | "9.0" | "v9.0" => "v9".to_owned(),
                _ => variant,
            };
            ("arm64".to_owned(), variant)
        }
        "armhf" => ("arm".to_owned(), "v7".to_owned()),
        "armel" => ("arm".to_owned(), "v6".to_owned()),
        "arm" => {
            let variant = match variant.as_str() {
                "" | "7" => "v7".to_owned(),
                "5" | "6" | "8" => format!("v{variant}"),
                _ => variant,
            };
            ("arm".to_owned(), variant)
        }
        _ => (architecture, variant),
    }
}

/// containerd's `platformVector`: the platforms a host of this (normalized) architecture and
/// variant runs, best first, normalized. The operating system is always the host's.
fn platform_vector(architecture: &str, variant: &str, out: &mut Vec<Step>) {
    let mut one = |arch: &str, variant: &str| {
        let (architecture, variant) = normalize_arch(arch, variant);
        out.push(Step::One { architecture, variant });
    };
    match architecture {
        "amd64" => {
            one("amd64", variant);
            levels_below(out, "amd64", variant, 1);
            out.push(Step::One {
                architecture: "386".to_owned(),
                variant: String::new(),
            });
        }
        "arm" => {
            one("arm", variant);
            levels_below(out, "arm", variant, 5);
        }
        "arm64" => {
            let variant = if variant.is_empty() { "v8" } else { variant };
            if let Some(chain) = arm64_chain(variant) {
                for (major, minor) in chain {
                    let name = if minor == 0 {
                        format!("v{major}")
                    } else {
                        format!("v{major}.{minor}")
                    };
                    one("arm64", &name);
                }
            } else {
                one("arm64", variant);
            }
            // Every arm64 CPU up to v9.x runs 32-bit arm up to v8.
            if variant.starts_with("v8") || variant.starts_with("v9") {
                platform_vector("arm", "v8", out);
            }
        }
        _ => one(architecture, variant),
    }
}

/// The levels a CPU of numbered `variant` (`v3`) runs besides its own: the ones below it, down
/// to `low`, as one step.
fn levels_below(out: &mut Vec<Step>, architecture: &'static str, variant: &str, low: u32) {
    let wanted = variant.strip_prefix('v').and_then(|v| v.parse::<u32>().ok());
    if let Some(high) = wanted.and_then(|v| v.checked_sub(1)).filter(|&high| high >= low) {
        out.push(Step::Levels {
            architecture,
            high,
            low,
        });
    }
}

/// The level `n` whose variant `v{n}` normalizes to this normalized `variant`: `v` and a decimal
/// number without leading zeros, as containerd formats the levels it lists, or the empty
/// variant that `amd64/v1` normalizes to.
fn level(architecture: &str, variant: &str) -> Option<u32> {
    if variant.is_empty() {
        return (architecture == "amd64").then_some(1);
    }
    let digits = variant.strip_prefix('v')?;
    let canonical =
        !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) && (digits == "0" || !digits.starts_with('0'));
    canonical.then(|| digits.parse().ok()).flatten()
}

/// The arm64 variants a CPU of `variant` runs, best first: v8.x runs v8.x down to v8; v9.x runs
/// v9.x down to v9, then v8.(x+5) (at most v8.9) down to v8. `None` for a variant containerd
/// does not know.
fn arm64_chain(variant: &str) -> Option<Vec<(u32, u32)>> {
    let version = variant.strip_prefix('v')?;
    let (major, minor) = match version.split_once('.') {
        Some((major, minor)) => (major.parse::<u32>().ok()?, minor.parse::<u32>().ok()?),
        None => (version.parse::<u32>().ok()?, 0),
    };
    let mut chain = Vec::new();
    match (major, minor) {
        (8, 0..=9) => chain.extend((0..=minor).rev().map(|m| (8, m))),
        (9, 0..=7) => {
            chain.extend((0..=minor).rev().map(|m| (9, m)));
            chain.extend((0..=(minor + 5).min(9)).rev().map(|m| (8, m)));
        }
        _ => return None,
    }
    Some(chain)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The vector as containerd lists it, each level spelled out, as `arch[/variant]`.
    fn names(architecture: &str, variant: &str) -> Vec<String> {
        let mut steps = Vec::new();
        platform_vector(architecture, variant, &mut steps);
        let mut names = Vec::new();
        for step in steps {
            match step {
                Step::One { architecture, variant } => names.push((architecture, variant)),
                Step::Levels {
                    architecture,
                    high,
                    low,
                } => {
                    assert!(high - low < 100, "spelling out {high} levels");
                    for level in (low..=high).rev() {
                        names.push(normalize_arch(architecture, &format!("v{level}")));
                    }
                }
            }
        }
        names
            .into_iter()
            .map(|(a, v)| if v.is_empty() { a } else { format!("{a}/{v}") })
            .collect()
    }

    fn matcher(wanted: &str) -> Matcher {
        let wanted: Platform = wanted.parse().unwrap();
        Matcher::new(&wanted, &MatchOptions::new().cross_architecture(true))
    }

    #[test]
    fn vectors_follow_containerd() {
        assert_eq!(names("arm", "v7"), ["arm/v7", "arm/v6", "arm/v5"]);
        assert_eq!(names("amd64", "v3"), ["amd64/v3", "amd64/v2", "amd64", "386"]);
        assert_eq!(names("amd64", ""), ["amd64", "386"]);
        assert_eq!(names("amd64", "v0"), ["amd64/v0", "386"]);
        assert_eq!(names("arm", "v5"), ["arm/v5"]);
        assert_eq!(names("arm", "v4"), ["arm/v4"]);
        assert_eq!(names("arm64", ""), ["arm64", "arm/v8", "arm/v7", "arm/v6", "arm/v5"]);
        assert_eq!(
            names("arm64", "v9.1")[..9],
            [
                "arm64/v9.1",
                "arm64/v9",
                "arm64/v8.6",
                "arm64/v8.5",
                "arm64/v8.4",
                "arm64/v8.3",
                "arm64/v8.2",
                "arm64/v8.1",
                "arm64"
            ]
        );
        assert_eq!(names("s390x", ""), ["s390x"]);
    }

    /// Before levels were one step, this vector held four billion platforms and the matcher
    /// allocated hundreds of gigabytes.
    #[test]
    fn a_huge_level_is_one_step() {
        for (architecture, low) in [("amd64", 1), ("arm", 5)] {
            let mut steps = Vec::new();
            platform_vector(architecture, "v4000000000", &mut steps);
            assert!(steps.len() <= 3, "{steps:?}");
            assert!(steps.contains(&Step::Levels {
                architecture,
                high: 3_999_999_999,
                low
            }));
        }
        let mut steps = Vec::new();
        platform_vector("amd64", "v4294967295", &mut steps);
        assert_eq!(steps.iter().map(Step::len).sum::<u64>(), 4_294_967_296);

        let host = matcher("linux/amd64/v4000000000");
        assert_eq!(host.position("amd64", "v4000000000"), Some(0));
        assert_eq!(host.position("amd64", "v3999999999"), Some(1));
        assert_eq!(host.position("amd64", "v3"), Some(3_999_999_997));
        assert_eq!(host.position("amd64", ""), Some(3_999_999_999));
        assert_eq!(host.position("386", ""), Some(4_000_000_000));
        for absent in ["v4000000001", "v03", "v0", "v", "v+3", "3", "v99999999999"] {
            assert_eq!(host.position("amd64", absent), None, "{absent}");
        }
        assert_eq!(host.position("arm", "v3"), None);
    }

    /// Levels as steps rank every candidate where containerd's spelled-out vector puts it.
    #[test]
    fn levels_rank_as_the_spelled_out_vector() {
        let variants = [
            "", "v0", "v1", "v2", "v3", "v4", "v5", "v6", "v7", "v8", "v9", "v12", "v03", "v+3", "1", "5", "8", "v8.2",
            "x",
        ];
        for architecture in ["amd64", "arm", "arm64", "386"] {
            for wanted in variants {
                let wanted = Platform::new("linux", architecture).with_variant(wanted);
                let host = Matcher::new(&wanted, &MatchOptions::new().cross_architecture(true));
                let normalized = wanted.normalize();
                let spelled = names(normalized.architecture(), normalized.variant().unwrap_or(""));
                for candidate_arch in ["amd64", "arm", "arm64", "386"] {
                    for variant in variants {
                        let candidate = Platform::new("linux", candidate_arch).with_variant(variant).normalize();
                        let name = match candidate.variant() {
                            Some(v) => format!("{}/{v}", candidate.architecture()),
                            None => candidate.architecture().to_owned(),
                        };
                        let expected = spelled.iter().position(|n| *n == name).map(|p| p as u64);
                        let found = host
                            .rank(&Platform::new("linux", candidate_arch).with_variant(variant))
                            .map(|(position, _)| position);
                        assert_eq!(found, expected, "{wanted} runs {name}? vector {spelled:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn windows_versions() {
        let host = WindowsVersion::parse(Some("10.0.20348.2113"));
        assert!(host.rank(Some("10.0.20348.1")).is_some());
        assert!(host.rank(Some("10.0.17763.5122")).is_none());
        assert!(host.rank(Some("10.0.26100.1")).is_none());
        assert!(host.rank(None).is_some());
        let ws2025 = WindowsVersion::parse(Some("10.0.26100.2314"));
        assert!(ws2025.rank(Some("10.0.20348.1")).is_some());
        assert!(ws2025.rank(Some("10.0.17763.1")).is_none());
        let ws2019 = WindowsVersion::parse(Some("10.0.17763.5122"));
        assert!(ws2019.rank(Some("10.0.20348.1")).is_none());
        assert!(WindowsVersion::parse(Some("garbage")).is_empty());
    }
}
