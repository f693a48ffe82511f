//! [`Policy`]: which tags may be proposed, and [`Skip`], why one is not. [`Jump`] names how far
//! a candidate is from the current tag.

use std::fmt;
use std::str::FromStr;

use crate::{Error, ErrorKind, Glob, NoiseKind, Tag, TagKind};

/// How far a newer tag is from the current one: named after the first number that differs.
///
/// The first number is `major`, the second `minor`, the third `patch`, and any later one `build`
/// (`4.0.12.2823-ls267` to `4.0.12.2823-ls268` is a build jump). Jumps are ordered by size:
/// `Build < Patch < Minor < Major`. The text forms are those names.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Jump {
    /// The fourth number or a later one differs.
    Build,
    /// The third number differs.
    Patch,
    /// The second number differs.
    Minor,
    /// The first number differs.
    Major,
}

/// Which tags may be proposed: include and exclude globs, and the largest [`Jump`] allowed.
///
/// The default has no globs and allows any jump.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Policy {
    include: Vec<Glob>,
    exclude: Vec<Glob>,
    max_jump: Jump,
}

/// Why a tag is not a candidate. The variants are checked in their order here, and a tag gets
/// the first that applies.
#[non_exhaustive]
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Skip {
    /// Not a tag by the distribution grammar (only from lists of strings).
    Invalid,
    /// The same text came earlier in the list (only from lists of strings).
    Duplicate,
    /// Noise: never a candidate.
    Noise(NoiseKind),
    /// Matched this exclude glob (the first one that matched).
    Excluded(Glob),
    /// The policy has include globs, and none matched.
    NotIncluded,
    /// A shape other than the current tag's, so not comparable; also every tag when the current
    /// tag is not a version.
    OtherShape,
    /// The same numbers as the current tag, perhaps written with other leading zeros; the
    /// current tag itself is skipped so.
    SameVersion,
    /// Older than the current tag.
    Older,
    /// Newer, but by a jump larger than the policy allows.
    TooFar(Jump),
}

impl Jump {
    /// Every jump, smallest first.
    pub const ALL: [Self; 4] = [Self::Build, Self::Patch, Self::Minor, Self::Major];

    /// The name used in the text form, such as `minor`.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Build => "build",
            Self::Patch => "patch",
            Self::Minor => "minor",
            Self::Major => "major",
        }
    }

    /// The jump named by the number at `index`, counting from 0.
    pub(crate) fn at(index: usize) -> Self {
        match index {
            0 => Self::Major,
            1 => Self::Minor,
            2 => Self::Patch,
            _ => Self::Build,
        }
    }
}

impl fmt::Display for Jump {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Jump {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        Self::ALL
            .into_iter()
            .find(|jump| jump.name() == s)
            .ok_or_else(|| Error::new(ErrorKind::UnknownJump, s))
    }
}

impl Policy {
    /// No globs, any jump: the same as [`Policy::default`].
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds an include glob: once there is one, a tag must match at least one.
    #[must_use]
    pub fn with_include(mut self, glob: Glob) -> Self {
        self.include.push(glob);
        self
    }

    /// Adds an exclude glob: a tag that matches one is never a candidate.
    #[must_use]
    pub fn with_exclude(mut self, glob: Glob) -> Self {
        self.exclude.push(glob);
        self
    }

    /// Sets the largest jump a candidate may make (`Major`, any, by default).
    #[must_use]
    pub fn with_max_jump(mut self, max_jump: Jump) -> Self {
        self.max_jump = max_jump;
        self
    }

    /// The include globs.
    pub fn include(&self) -> &[Glob] {
        &self.include
    }

    /// The exclude globs.
    pub fn exclude(&self) -> &[Glob] {
        &self.exclude
    }

    /// The largest jump a candidate may make.
    pub fn max_jump(&self) -> Jump {
        self.max_jump
    }

    /// Decides whether `tag` is a newer candidate for `current`: the jump if it is, why not if
    /// it is not. [`newer_candidates`](crate::newer_candidates) asks this of every tag.
    ///
    /// ```
    /// use oci_version::{Jump, Policy, Skip, Tag};
    ///
    /// let current: Tag = "1.27.3-alpine".parse()?;
    /// let policy = Policy::new().with_max_jump(Jump::Minor);
    /// assert_eq!(policy.judge(&current, &"1.28.0-alpine".parse()?), Ok(Jump::Minor));
    /// assert_eq!(policy.judge(&current, &"2.0.0-alpine".parse()?), Err(Skip::TooFar(Jump::Major)));
    /// assert_eq!(policy.judge(&current, &"1.28.0".parse()?), Err(Skip::OtherShape));
    /// # Ok::<(), oci_version::Error>(())
    /// ```
    pub fn judge(&self, current: &Tag, tag: &Tag) -> Result<Jump, Skip> {
        if let TagKind::Noise(noise) = tag.kind() {
            return Err(Skip::Noise(noise));
        }
        self.admits(tag)?;
        if !current.is_version() || current.shape() != tag.shape() {
            return Err(Skip::OtherShape);
        }
        let Some(jump) = current.jump(tag) else {
            return Err(Skip::SameVersion);
        };
        // With the numbers not all equal, the order is by value, so it agrees with the jump.
        if current.compare(tag) != Some(std::cmp::Ordering::Less) {
            return Err(Skip::Older);
        }
        if jump > self.max_jump {
            return Err(Skip::TooFar(jump));
        }
        Ok(jump)
    }

    /// Whether the globs let `tag` through.
    pub(crate) fn admits(&self, tag: &Tag) -> Result<(), Skip> {
        if let Some(glob) = self.exclude.iter().find(|glob| glob.matches(tag.as_str())) {
            return Err(Skip::Excluded(glob.clone()));
        }
        if !self.include.is_empty() && !self.include.iter().any(|glob| glob.matches(tag.as_str())) {
            return Err(Skip::NotIncluded);
        }
        Ok(())
    }
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            include: Vec::new(),
            exclude: Vec::new(),
            max_jump: Jump::Major,
        }
    }
}

impl fmt::Display for Skip {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Invalid => f.write_str("not a valid tag"),
            Self::Duplicate => f.write_str("listed more than once"),
            Self::Noise(noise) => noise.fmt(f),
            Self::Excluded(glob) => write!(f, "excluded by `{glob}`"),
            Self::NotIncluded => f.write_str("matches no include glob"),
            Self::OtherShape => f.write_str("another shape"),
            Self::SameVersion => f.write_str("the same version"),
            Self::Older => f.write_str("older"),
            Self::TooFar(jump) => write!(f, "a {jump} jump, more than allowed"),
        }
    }
}
