//! [`Kind`] and [`KindSet`]: which events a target is told (`?on=update,newer,error`).

use std::fmt;
use std::str::FromStr;

use crate::document::{EventKind, Jump};
use crate::error::{Error, ErrorKind};
use crate::text;

/// One word of an `on` list.
#[non_exhaustive]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// A tag that names a new image.
    Update,
    /// Any newer version.
    Newer,
    /// A newer major version.
    Major,
    /// A newer minor version.
    Minor,
    /// A newer patch version.
    Patch,
    /// A check that starts failing.
    Error,
    /// A check that works again.
    Recovered,
    /// An update or newer version refused for its signature (`--require-signed`).
    Untrusted,
}

/// The kinds a target is told about, in the order `update, newer, major, minor, patch, error,
/// recovered, untrusted`; parsed from and displayed as a comma list that round-trips.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct KindSet(u8);

const ALL: [Kind; 8] = [
    Kind::Update,
    Kind::Newer,
    Kind::Major,
    Kind::Minor,
    Kind::Patch,
    Kind::Error,
    Kind::Recovered,
    Kind::Untrusted,
];

impl Kind {
    /// The word: `update`, `newer`, `major`, `minor`, `patch`, `error`, `recovered`, `untrusted`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Update => "update",
            Self::Newer => "newer",
            Self::Major => "major",
            Self::Minor => "minor",
            Self::Patch => "patch",
            Self::Error => "error",
            Self::Recovered => "recovered",
            Self::Untrusted => "untrusted",
        }
    }

    fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

impl KindSet {
    /// `update,newer,error`: what a target is told unless it says otherwise.
    pub const DEFAULT: Self = Self(1 << Kind::Update as u8 | 1 << Kind::Newer as u8 | 1 << Kind::Error as u8);

    /// Parses a comma list such as `update,major,error`; an empty list or an unknown word is a
    /// [`ErrorKind::UnknownKind`] error. Repeated words are allowed.
    pub fn parse(list: &str) -> Result<Self, Error> {
        let mut set = 0;
        for word in list.split(',') {
            let word = word.trim();
            let Some(kind) = ALL.iter().find(|kind| kind.as_str() == word) else {
                let detail = format!(
                    "unknown kind {}; expected a comma list of update, newer, major, minor, patch, error, recovered and untrusted",
                    text::quote(word)
                );
                return Err(Error::about(
                    "notification kinds",
                    ErrorKind::UnknownKind,
                    list.to_owned(),
                    Some(detail),
                ));
            };
            set |= kind.bit();
        }
        Ok(Self(set))
    }

    /// A set of the given kinds.
    pub fn of(kinds: &[Kind]) -> Self {
        Self(kinds.iter().fold(0, |set, kind| set | kind.bit()))
    }

    /// Whether `kind` is in the set.
    pub fn contains(self, kind: Kind) -> bool {
        self.0 & kind.bit() != 0
    }

    /// The kinds in the set, in their order.
    pub fn iter(self) -> impl Iterator<Item = Kind> {
        ALL.into_iter().filter(move |kind| self.contains(*kind))
    }

    /// Whether an event of this kind is told: `newer` takes every newer version, `major`,
    /// `minor` and `patch` only theirs (a `build` jump only through `newer`); a recovery goes
    /// wherever its failure went (`error`), or with `recovered` alone; a refused update goes
    /// wherever updates or newer versions go (`update`, `newer`), or with `untrusted` alone, so
    /// that turning on `--require-signed` never silences what a target was told before.
    pub fn matches(self, event: EventKind) -> bool {
        match event {
            EventKind::Update => self.contains(Kind::Update),
            EventKind::Newer { jump } => {
                self.contains(Kind::Newer)
                    || match jump {
                        Jump::Major => self.contains(Kind::Major),
                        Jump::Minor => self.contains(Kind::Minor),
                        Jump::Patch => self.contains(Kind::Patch),
                        Jump::Build => false,
                    }
            }
            EventKind::Error => self.contains(Kind::Error),
            EventKind::Recovered => self.contains(Kind::Recovered) || self.contains(Kind::Error),
            EventKind::Untrusted => {
                self.contains(Kind::Untrusted) || self.contains(Kind::Update) || self.contains(Kind::Newer)
            }
        }
    }
}

impl Default for KindSet {
    fn default() -> Self {
        Self::DEFAULT
    }
}

impl FromStr for KindSet {
    type Err = Error;

    fn from_str(list: &str) -> Result<Self, Error> {
        Self::parse(list)
    }
}

impl fmt::Display for KindSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, kind) in self.iter().enumerate() {
            if index > 0 {
                f.write_str(",")?;
            }
            f.write_str(kind.as_str())?;
        }
        Ok(())
    }
}

impl fmt::Debug for KindSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KindSet({self})")
    }
}
