//! A token server on loopback that signs ES256 JWTs the registry verifies: the key's self-signed certificate goes
//! into the registry's `rootcertbundle` and the JWT header names the key by its libtrust key ID.
//!
//! Also the two helpers the tests of the token scheme itself need: [`libtrust_key_id`] and [`raw_get`].

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{SystemTime, UNIX_EPOCH};

use rcgen::{CertificateParams, DnType, KeyPair, PublicKeyData};
use ring::rand::SystemRandom;
use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair};

use crate::temp::{base64, base64url};

/// The `service` the registry names in its challenge and the token server insists on.
pub const SERVICE: &str = "oci-testkit-registry";
/// The `iss` of every token, which the registry checks.
pub const ISSUER: &str = "oci-testkit-issuer";

/// A token server on 127.0.0.1 that knows some users and some public repositories, and counts the token requests
/// it answers. Stopped when the last handle is dropped: a [`Registry`](crate::Registry) started with it holds one.
pub struct TokenServer {
    shared: Arc<Shared>,
}

struct Shared {
    port: u16,
    certificate_pem: String,
    state: Arc<State>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

struct State {
    key: EcdsaKeyPair,
    kid: String,
    users: HashMap<String, String>,
    public: Vec<String>,
    requests: AtomicUsize,
    scopes: Mutex<Vec<String>>,
    stop: AtomicBool,
}

impl TokenServer {
    /// A server that lets `users` (name, password) do anything and anonymous clients pull the `public` repositories.
    pub fn start(users: &[(&str, &str)], public: &[&str]) -> Self {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
        let key = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng).unwrap();
        let cert_key = KeyPair::try_from(pkcs8.as_ref()).unwrap();
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params
            .distinguished_name
            .push(DnType::CommonName, "oci-testkit token signer");
        let certificate_pem = params.self_signed(&cert_key).unwrap().pem();
        let kid = libtrust_key_id(&cert_key.subject_public_key_info());

        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        let port = listener.local_addr().unwrap().port();
        let state = Arc::new(State {
            key,
            kid,
            users: users.iter().map(|(u, p)| ((*u).to_owned(), (*p).to_owned())).collect(),
            public: public.iter().map(|p| (*p).to_owned()).collect(),
            requests: AtomicUsize::new(0),
            scopes: Mutex::new(Vec::new()),
            stop: AtomicBool::new(false),
        });
        let thread_state = Arc::clone(&state);
        let thread = std::thread::spawn(move || {
            for stream in listener.incoming() {
                if thread_state.stop.load(Ordering::SeqCst) {
                    break;
                }
                if let Ok(stream) = stream {
                    let state = Arc::clone(&thread_state);
                    std::thread::spawn(move || {
                        let _ = serve(&state, stream);
                    });
                }
            }
        });
        Self {
            shared: Arc::new(Shared {
                port,
                certificate_pem,
                state,
                thread: Mutex::new(Some(thread)),
            }),
        }
    }

    /// The realm the registry sends clients to: `http://127.0.0.1:PORT/token`.
    pub fn realm(&self) -> String {
        format!("http://127.0.0.1:{}/token", self.shared.port)
    }

    /// The signing key's self-signed certificate as PEM, the registry's `rootcertbundle`.
    pub fn certificate_pem(&self) -> &str {
        &self.shared.certificate_pem
    }

    /// How many token requests were answered with a token (refusals are not counted).
    pub fn requests(&self) -> usize {
        self.shared.state.requests.load(Ordering::SeqCst)
    }

    /// The scopes asked for, in order, by every request including refused ones.
    pub fn scopes(&self) -> Vec<String> {
        self.shared.state.scopes.lock().unwrap().clone()
    }

    /// A token for `tester` granting `access` (type, name, actions), signed like the server's own but with the
    /// key ID `kid` (the right one when `None`).
    pub fn sign(&self, kid: Option<&str>, access: &[(&str, &str, Vec<String>)]) -> String {
        let state = &self.shared.state;
        sign(state, kid.unwrap_or(&state.kid), "tester", access)
    }

    /// The signing key's libtrust key ID.
    pub fn kid(&self) -> &str {
        &self.shared.state.kid
    }

    /// Another handle on the same server, which keeps it running.
    pub(crate) fn handle(&self) -> Self {
        Self {
            shared: Arc::clone(&self.shared),
        }
    }
}

impl std::fmt::Debug for TokenServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenServer")
            .field("realm", &self.realm())
            .field("requests", &self.requests())
            .finish_non_exhaustive()
    }
}

impl Drop for Shared {
    fn drop(&mut self) {
        self.state.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect((Ipv4Addr::LOCALHOST, self.port));
        if let Some(thread) = self.thread.lock().unwrap().take() {
            let _ = thread.join();
        }
    }
}

/// libtrust's key ID: SHA-256 of the DER SubjectPublicKeyInfo, first 30 bytes, base32 without padding, 12 groups
/// of 4 characters joined by `:`.
pub fn libtrust_key_id(spki_der: &[u8]) -> String {
    let hash = ring::digest::digest(&ring::digest::SHA256, spki_der);
    let encoded = base32(&hash.as_ref()[..30]);
    encoded
        .as_bytes()
        .chunks(4)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect::<Vec<_>>()
        .join(":")
}

fn base32(input: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = String::new();
    let (mut buffer, mut bits) = (0u32, 0u32);
    for &byte in input {
        buffer = (buffer << 8) | u32::from(byte);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(ALPHABET[((buffer >> bits) & 31) as usize]));
        }
    }
    if bits > 0 {
        out.push(char::from(ALPHABET[((buffer << (5 - bits)) & 31) as usize]));
    }
    out
}

fn sign(state: &State, kid: &str, subject: &str, access: &[(&str, &str, Vec<String>)]) -> String {
    static JTI: AtomicUsize = AtomicUsize::new(0);
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs();
    let header = serde_json::json!({"typ": "JWT", "alg": "ES256", "kid": kid});
    let access: Vec<_> = access
        .iter()
        .map(|(kind, name, actions)| serde_json::json!({"type": kind, "name": name, "actions": actions}))
        .collect();
    let claims = serde_json::json!({
        "iss": ISSUER,
        "sub": subject,
        "aud": SERVICE,
        "exp": now + 300,
        "nbf": now - 10,
        "iat": now,
        "jti": format!("jti-{}", JTI.fetch_add(1, Ordering::Relaxed)),
        "access": access,
    });
    let signing_input = format!(
        "{}.{}",
        base64url(header.to_string().as_bytes()),
        base64url(claims.to_string().as_bytes())
    );
    let signature = state.key.sign(&SystemRandom::new(), signing_input.as_bytes()).unwrap();
    format!("{signing_input}.{}", base64url(signature.as_ref()))
}

fn serve(state: &State, stream: TcpStream) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    let mut authorization = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 || line == "\r\n" {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            if name.eq_ignore_ascii_case("authorization") {
                authorization = Some(value.trim().to_owned());
            }
        }
    }
    let target = request_line.split(' ').nth(1).unwrap_or_default();
    let query = target.split_once('?').map_or("", |(_, q)| q);
    let mut scopes = Vec::new();
    let mut service = String::new();
    for pair in query.split('&') {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        match name {
            "scope" => scopes.push(percent_decode(value)),
            "service" => service = percent_decode(value),
            _ => {}
        }
    }
    state.scopes.lock().unwrap().extend(scopes.iter().cloned());
    let user = match authorization.as_deref().and_then(|a| a.strip_prefix("Basic ")) {
        None => None,
        Some(encoded) => {
            let known = state
                .users
                .iter()
                .find(|(user, password)| base64(format!("{user}:{password}").as_bytes()) == encoded);
            match known {
                Some((user, _)) => Some(user.clone()),
                None => {
                    return respond(
                        stream,
                        "401 Unauthorized",
                        r#"{"errors":[{"code":"UNAUTHORIZED","message":"bad credentials"}]}"#,
                    );
                }
            }
        }
    };
    if service != SERVICE {
        return respond(
            stream,
            "400 Bad Request",
            r#"{"errors":[{"code":"INVALID","message":"unknown service"}]}"#,
        );
    }
    let mut access = Vec::new();
    for scope in &scopes {
        let mut parts = scope.splitn(2, ':');
        let kind = parts.next().unwrap_or_default();
        let Some((name, actions)) = parts.next().and_then(|rest| rest.rsplit_once(':')) else {
            continue;
        };
        let granted: Vec<String> = actions
            .split(',')
            .filter(|action| user.is_some() || (*action == "pull" && state.public.iter().any(|p| p == name)))
            .map(str::to_owned)
            .collect();
        if !granted.is_empty() {
            access.push((kind, name, granted));
        }
    }
    let token = sign(state, &state.kid, user.as_deref().unwrap_or(""), &access);
    state.requests.fetch_add(1, Ordering::SeqCst);
    respond(
        stream,
        "200 OK",
        &serde_json::json!({"token": token, "expires_in": 300}).to_string(),
    )
}

fn respond(mut stream: TcpStream, status: &str, body: &str) -> std::io::Result<()> {
    write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}

fn percent_decode(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Ok(byte) = u8::from_str_radix(&value[i + 1..i + 3], 16) {
                out.push(byte);
                i += 3;
                continue;
            }
        }
        out.push(if bytes[i] == b'+' { b' ' } else { bytes[i] });
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A bare HTTP/1.1 GET with `Authorization: Bearer BEARER` over plain TCP to `host`, for checking what the registry
/// itself accepts: the status and the `WWW-Authenticate` header (empty when there is none).
pub fn raw_get(host: &str, path: &str, bearer: &str) -> (u16, String) {
    use std::io::Read;
    let mut stream = TcpStream::connect(host).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {bearer}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let status = response.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let challenge = response
        .lines()
        .find_map(|line| {
            line.strip_prefix("Www-Authenticate: ")
                .or_else(|| line.strip_prefix("WWW-Authenticate: "))
        })
        .unwrap_or_default()
        .to_owned();
    (status, challenge)
}
