//! The input generator: grammar fragments, combined and mutated, from a seeded random source so that
//! a run can be repeated.

/// xorshift64*: small, seeded, and the same on every machine.
pub(super) struct Rng(u64);

impl Rng {
    pub(super) fn new(seed: u64) -> Self {
        Self(seed.max(1))
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A number in `0..n`.
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// A number in `low..=high`.
    fn range(&mut self, low: usize, high: usize) -> usize {
        low + self.below(high - low + 1)
    }

    fn percent(&mut self, p: usize) -> bool {
        self.below(100) < p
    }

    /// `low..=high` characters from the alphabet.
    fn text(&mut self, alphabet: &[u8], low: usize, high: usize) -> String {
        let len = self.range(low, high);
        (0..len).map(|_| char::from(*self.pick(alphabet))).collect()
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

const LOWER: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
const HEX: &[u8] = b"0123456789abcdef";
const TAG: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-";
const DOMAINS: &[&str] = &[
    "docker.io",
    "index.docker.io",
    "docker.io:443",
    "registry-1.docker.io",
    "DOCKER.IO",
    "localhost",
    "localhost:5000",
    "LOCALHOST",
    "example.com",
    "example.com:5000",
    "EXAMPLE.com",
    "ex_ample.com",
    "a.c_m",
    "quay.io",
    "ghcr.io",
    "127.0.0.1:5000",
    "256.256.256.256",
    "[::1]",
    "[::1]:5000",
    "[::]",
    "[:]",
    "[fe80::1%eth0]",
    "[::ffff:1.2.3.4]",
    "[2001:DB8::1]:443",
    "Foo",
    "foo:5000",
    "a..b",
    "-a.com",
    "a-.com",
    "a--b.com",
    "example.com:",
    "example.com:00080",
];
const ALGORITHMS: &[&str] = &[
    "sha256",
    "sha256",
    "sha256",
    "sha256",
    "sha384",
    "sha512",
    "sha512",
    "SHA256",
    "Sha512",
    "md5",
    "blake3",
    "sha256+b64u",
    "sha3-256",
    "sha3_256",
    "a.b+c_d-e",
    "x",
    "",
    "9a",
    "a-",
];
/// Characters a mutation inserts: the grammar's punctuation, case, whitespace and Unicode that
/// lowercases (or not) in interesting ways.
const NOISE: &[char] = &[
    ':',
    '/',
    '@',
    '.',
    '_',
    '-',
    '+',
    '~',
    ' ',
    '[',
    ']',
    '%',
    'A',
    'Z',
    'a',
    'z',
    '0',
    '9',
    'f',
    'g',
    '\t',
    '\0',
    '\u{7f}',
    '\u{a0}',
    '\u{feff}',
    '\u{200b}',
    'é',
    'É',
    'İ',
    'ı',
    '\u{212a}',
    'ß',
    '\u{1e9e}',
    'ǅ',
    'Σ',
    'ſ',
    'ｆ',
    '日',
    '🐳',
    '\\',
    '"',
    'Ⱟ',
    '\u{a7c0}',
    '\u{10570}',
    'Ꭰ',
];

/// One generated input.
pub(super) fn generate(rng: &mut Rng) -> String {
    let mut s = match rng.below(20) {
        0 => special(rng),
        1 => format!("{}{}{}", reference(rng), rng.pick(&["/", ":", "@", ""]), reference(rng)),
        // Short strings over the grammar's alphabet reach the corners structured inputs miss.
        2 => rng.text(b"aaz09AF:::///@@..--__[]", 0, 9),
        _ => reference(rng),
    };
    if rng.percent(45) {
        for _ in 0..rng.range(1, 3) {
            mutate(rng, &mut s);
        }
    }
    s.retain(|c| c != '\n' && c != '\r');
    s
}

/// Whole inputs the normalization treats specially.
fn special(rng: &mut Rng) -> String {
    match rng.below(8) {
        0 => rng.text(HEX, 64, 64),
        1 => rng.text(HEX, 62, 66),
        2 => rng.text(HEX, 64, 64).to_uppercase(),
        3 => format!("sha256:{}", rng.text(HEX, 63, 65)),
        4 => format!("sha512:{}", rng.text(HEX, 128, 128)),
        5 => format!("{}:{}", rng.text(HEX, 64, 64), tag(rng)),
        6 => (*rng.pick(&[
            "",
            "localhost",
            "localhost:5000",
            "docker.io",
            "index.docker.io",
            "library",
        ]))
        .to_owned(),
        _ => format!("{}/{}", rng.text(HEX, 64, 64), component(rng)),
    }
}

fn reference(rng: &mut Rng) -> String {
    let mut s = String::new();
    if rng.percent(55) {
        s.push_str(&domain(rng));
        s.push('/');
    }
    let mut path = path(rng);
    if rng.percent(8) {
        // Around the 255-byte limit on the path (247 for a one-component Docker Hub name).
        let target = rng.range(238, 262);
        while path.len() < target {
            path.push(char::from(*rng.pick(LOWER)));
        }
        path.truncate(target);
    }
    s.push_str(&path);
    if rng.percent(40) {
        s.push(':');
        s.push_str(&tag(rng));
    }
    if rng.percent(30) {
        s.push('@');
        s.push_str(&digest(rng));
    }
    s
}

fn domain(rng: &mut Rng) -> String {
    if rng.percent(40) {
        return (*rng.pick(DOMAINS)).to_owned();
    }
    let mut host = if rng.percent(10) {
        let inner: String = (0..rng.range(0, 8))
            .map(|_| char::from(*rng.pick(b"0123456789abcdefABCDEF::::")))
            .collect();
        format!("[{inner}]")
    } else {
        let labels: Vec<String> = (0..rng.range(1, 4))
            .map(|_| {
                let mut label = rng.text(LOWER, 1, 6);
                if rng.percent(15) {
                    label.insert(rng.below(label.len() + 1), *rng.pick(&['-', '-', '_', 'A', 'Q']));
                }
                if rng.percent(3) {
                    label.clear();
                }
                label
            })
            .collect();
        labels.join(".")
    };
    if rng.percent(35) {
        host.push(':');
        let digits = match rng.below(20) {
            0 => rng.text(b"0123456789", 0, 0),
            1 => rng.text(b"0123456789", 20, 300),
            _ => rng.text(b"0123456789", 1, 6),
        };
        host.push_str(&digits);
    }
    host
}

fn path(rng: &mut Rng) -> String {
    let count = *rng.pick(&[1, 1, 1, 2, 2, 2, 3, 4]);
    let components: Vec<String> = (0..count).map(|_| component(rng)).collect();
    components.join("/")
}

fn component(rng: &mut Rng) -> String {
    let mut s = rng.text(LOWER, 1, 8);
    for _ in 0..rng.below(3) {
        let separator = if rng.percent(85) {
            *rng.pick(&[".", "_", "__", "-", "--", "---"])
        } else {
            *rng.pick(&["___", "..", "-_", "_-", "._", ".-", "/"])
        };
        s.push_str(separator);
        s.push_str(&rng.text(LOWER, 1, 5));
    }
    if rng.percent(4) {
        let at = rng.below(s.len());
        let upper = s[at..=at].to_uppercase();
        s.replace_range(at..=at, &upper);
    }
    if rng.percent(3) {
        s = format!("{}{s}", rng.pick(&["_", "-", ".", "library/", "docker.io/"]));
    }
    s
}

fn tag(rng: &mut Rng) -> String {
    let mut tag = if rng.percent(10) {
        rng.text(TAG, 125, 131)
    } else {
        rng.text(TAG, 1, 20)
    };
    if rng.percent(80) {
        let first = char::from(*rng.pick(&TAG[..63]));
        tag.replace_range(0..1, &first.to_string());
    }
    if rng.percent(3) {
        tag.clear();
    }
    tag
}

fn digest(rng: &mut Rng) -> String {
    let algorithm = *rng.pick(ALGORITHMS);
    let exact = match algorithm.to_ascii_lowercase().as_str() {
        "sha384" => 96,
        "sha512" => 128,
        "md5" => 32,
        _ => 64,
    };
    let len = match rng.below(10) {
        0..=5 => exact,
        6 => exact - 1,
        7 => exact + 1,
        8 => *rng.pick(&[0, 31, 32, 33, 63, 65, 95, 97, 127, 129, 200]),
        _ => exact + rng.range(2, 10),
    };
    let mut hex = rng.text(HEX, len, len);
    if len > 0 && rng.percent(10) {
        let at = rng.below(len);
        let replacement = *rng.pick(&["A", "F", "g", "G"]);
        hex.replace_range(at..=at, replacement);
    }
    format!("{algorithm}:{hex}")
}

fn mutate(rng: &mut Rng, s: &mut String) {
    let boundaries: Vec<usize> = (0..=s.len()).filter(|&i| s.is_char_boundary(i)).collect();
    let at = *rng.pick(&boundaries);
    let next = boundaries.iter().copied().find(|&i| i > at).unwrap_or(at);
    match rng.below(7) {
        0 | 1 => s.insert(at, *rng.pick(NOISE)),
        2 => s.replace_range(at..next, ""),
        3 => s.replace_range(at..next, &rng.pick(NOISE).to_string()),
        4 => {
            let end = *rng.pick(&boundaries[boundaries.iter().position(|&i| i == at).unwrap_or(0)..]);
            let copy = s[at..end].to_owned();
            s.insert_str(end, &copy);
        }
        5 => s.truncate(at),
        _ => {
            let upper = s[at..next].to_uppercase();
            s.replace_range(at..next, &upper);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn the_generator_is_seeded_and_writes_single_lines() {
        let run = |seed| {
            let mut rng = Rng::new(seed);
            (0..2000).map(|_| generate(&mut rng)).collect::<Vec<_>>()
        };
        let inputs = run(1);
        assert_eq!(inputs, run(1));
        assert_ne!(inputs, run(2));
        assert!(inputs.iter().all(|s| !s.contains(['\n', '\r'])));
        let distinct: HashSet<&String> = inputs.iter().collect();
        assert!(distinct.len() > 1900, "{} distinct", distinct.len());
    }
}
