//! Token requests (GET, OAuth2 POST, fallback) and token responses.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use oci_auth::{
    BearerChallenge, Challenge, Credential, ErrorKind, MAXIMUM_LIFETIME, Method, Registry, ScopeSet, Token, TokenPlan,
    TokenRequest, TokenRequestBuilder,
};

use crate::data;

pub(crate) const NOW: u64 = 1_714_564_800; // 2024-05-01T12:00:00Z

pub(crate) fn at(secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(secs)
}

fn bearer(header: &str) -> BearerChallenge {
    Challenge::parse_header(header).unwrap()[0].bearer().unwrap().unwrap()
}

fn request(plan: TokenPlan) -> TokenRequest {
    match plan {
        TokenPlan::Request(r) => r,
        other => panic!("expected a request, got {other:?}"),
    }
}

const HUB: &str =
    r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/nginx:pull""#;

#[test]
fn anonymous_get() {
    let registry = Registry::https("registry-1.docker.io");
    let challenge = bearer(HUB);
    let scopes = challenge.scope_set().unwrap();
    let r = request(
        TokenRequestBuilder::new(&registry, &challenge)
            .scopes(&scopes)
            .build()
            .unwrap(),
    );
    assert_eq!(r.method(), Method::Get);
    assert_eq!(
        r.url(),
        "https://auth.docker.io/token?service=registry.docker.io&scope=repository%3Alibrary%2Fnginx%3Apull"
    );
    assert_eq!(r.headers().count(), 0);
    assert!(r.body().is_none());
    assert!(r.fallback(405).is_none());
}

#[test]
fn get_with_basic_and_several_scopes() {
    let registry = Registry::https("ghcr.io");
    let challenge = bearer(r#"Bearer realm="https://ghcr.io/token?x=1",service="ghcr.io""#);
    let scopes: ScopeSet = "repository:a/b:pull repository:c:pull,push".parse().unwrap();
    let credential = Credential::basic("us er", "p@ss:w&rd");
    let r = request(
        TokenRequestBuilder::new(&registry, &challenge)
            .scopes(&scopes)
            .credential(Some(&credential))
            .build()
            .unwrap(),
    );
    assert_eq!(
        r.url(),
        "https://ghcr.io/token?x=1&service=ghcr.io&scope=repository%3Aa%2Fb%3Apull&scope=repository%3Ac%3Apull%2Cpush&account=us%20er"
    );
    let headers: Vec<_> = r.headers().collect();
    // base64("us er:p@ss:w&rd")
    assert_eq!(headers, [("Authorization", "Basic dXMgZXI6cEBzczp3JnJk")]);
    let debug = format!("{r:?}");
    assert!(!debug.contains("dXMgZXI6cEBzczp3JnJk"), "{debug}");
    assert!(debug.contains("<redacted>"), "{debug}");
}

#[test]
fn no_service_no_scope() {
    let registry = Registry::https("r.example.com");
    let challenge = bearer(r#"Bearer realm="https://r.example.com/token""#);
    let r = request(TokenRequestBuilder::new(&registry, &challenge).build().unwrap());
    assert_eq!(r.url(), "https://r.example.com/token");
}

#[test]
fn oauth_refresh_token_post_and_fallback() {
    let registry = Registry::https("registry.example.com");
    let challenge = bearer(r#"Bearer realm="https://auth.example.com/token",service="registry.example.com""#);
    let scopes: ScopeSet = "repository:a:pull repository:b:pull,push".parse().unwrap();
    let credential = Credential::IdentityToken("refresh me".into());
    let r = request(
        TokenRequestBuilder::new(&registry, &challenge)
            .scopes(&scopes)
            .credential(Some(&credential))
            .client_id("my-tool")
            .build()
            .unwrap(),
    );
    assert_eq!(r.method(), Method::Post);
    assert_eq!(r.url(), "https://auth.example.com/token");
    assert_eq!(
        r.headers().collect::<Vec<_>>(),
        [("Content-Type", "application/x-www-form-urlencoded")]
    );
    assert_eq!(
        std::str::from_utf8(r.body().unwrap()).unwrap(),
        "grant_type=refresh_token&refresh_token=refresh%20me&service=registry.example.com&client_id=my-tool&scope=repository%3Aa%3Apull%20repository%3Ab%3Apull%2Cpush"
    );
    assert!(!format!("{r:?}").contains("refresh"), "{r:?}");
    for status in [404, 405] {
        let fallback = r.fallback(status).unwrap();
        assert_eq!(fallback.method(), Method::Get);
        assert_eq!(
            fallback.url(),
            "https://auth.example.com/token?service=registry.example.com&scope=repository%3Aa%3Apull&scope=repository%3Ab%3Apull%2Cpush"
        );
    }
    for status in [200, 400, 401, 500] {
        assert!(r.fallback(status).is_none());
    }
}

#[test]
fn oauth_password_post() {
    let registry = Registry::https("registry.example.com");
    let challenge = bearer(r#"Bearer realm="https://auth.example.com/token",service="svc""#);
    let credential = Credential::basic("alice", "pw");
    let r = request(
        TokenRequestBuilder::new(&registry, &challenge)
            .scope("repository:x:pull".parse().unwrap())
            .credential(Some(&credential))
            .oauth_password(true)
            .build()
            .unwrap(),
    );
    assert_eq!(r.method(), Method::Post);
    assert_eq!(
        std::str::from_utf8(r.body().unwrap()).unwrap(),
        "grant_type=password&username=alice&password=pw&access_type=offline&service=svc&client_id=oci-auth&scope=repository%3Ax%3Apull"
    );
    let get = r.fallback(404).unwrap();
    assert_eq!(
        get.headers().collect::<Vec<_>>(),
        [("Authorization", "Basic YWxpY2U6cHc=")]
    );
}

#[test]
fn registry_token_is_used_directly() {
    let registry = Registry::https("r.example.com");
    let challenge = bearer(r#"Bearer realm="https://r.example.com/token""#);
    let credential = Credential::RegistryToken("direct".into());
    let plan = TokenRequestBuilder::new(&registry, &challenge)
        .credential(Some(&credential))
        .build()
        .unwrap();
    match plan {
        TokenPlan::Bearer(token) => assert_eq!(token.expose(), "direct"),
        other => panic!("{other:?}"),
    }
}

/// `expected`: `TOKEN EXPIRES_IN ISSUED_AT_OFFSET REFRESH` or `!kind`.
fn check(body: &str, expected: &str) {
    let got = match Token::parse(body.as_bytes(), at(NOW)) {
        Ok(t) => format!(
            "{} {} {} {}",
            t.token().expose(),
            t.expires_in().as_secs(),
            t.issued_at()
                .duration_since(at(NOW))
                .map_or_else(|e| -(e.duration().as_secs() as i64), |d| d.as_secs() as i64),
            t.refresh_token().map_or("-", |r| r.expose()),
        ),
        Err(err) => match err.kind() {
            ErrorKind::MissingToken => "!missing".to_owned(),
            ErrorKind::InvalidTokenResponse => "!invalid".to_owned(),
            other => panic!("{other:?}"),
        },
    };
    assert_eq!(got, expected, "{body}");
}

#[test]
fn responses() {
    check(r#"{"token":"t"}"#, "t 60 0 -");
    check(r#"{"access_token":"a"}"#, "a 60 0 -");
    check(r#"{"token":"t","access_token":"a"}"#, "t 60 0 -");
    check(r#"{"token":"","access_token":"a"}"#, "a 60 0 -");
    check(r#"{"token":"t","expires_in":300}"#, "t 300 0 -");
    check(r#"{"token":"t","expires_in":59}"#, "t 60 0 -");
    check(r#"{"token":"t","expires_in":0}"#, "t 60 0 -");
    check(r#"{"token":"t","expires_in":-5}"#, "t 60 0 -");
    check(r#"{"token":"t","expires_in":120.7}"#, "t 120 0 -");
    check(r#"{"token":"t","expires_in":null}"#, "t 60 0 -");
    check(
        r#"{"token":"t","issued_at":"2024-05-01T11:59:00Z","expires_in":300}"#,
        "t 300 -60 -",
    );
    check(r#"{"token":"t","issued_at":"2024-05-01T13:59:00+02:00"}"#, "t 60 -60 -");
    check(r#"{"token":"t","issued_at":""}"#, "t 60 0 -");
    check(r#"{"token":"t","refresh_token":"r"}"#, "t 60 0 r");
    check(r#"{"token":"t","refresh_token":""}"#, "t 60 0 -");
    check(r#"{"token":"t","unknown":{"nested":[1,2]}}"#, "t 60 0 -");
    check(r#"{}"#, "!missing");
    check(r#"{"token":""}"#, "!missing");
    check(r#"{"token":null,"access_token":null}"#, "!missing");
    check(r#"{"token":5}"#, "!invalid");
    check(r#"{"token":"t","expires_in":"300"}"#, "!invalid");
    check(r#"{"token":"t","issued_at":"yesterday"}"#, "!invalid");
    check(r#"{"token":"t","issued_at":5}"#, "!invalid");
    check(r#"["token"]"#, "!invalid");
    check("", "!invalid");
    check("not json", "!invalid");
    check(r#"{"token":"t""#, "!invalid");
}

#[test]
fn response_files() {
    let read = |name: &str| std::fs::read(data(&format!("tokens/{name}"))).unwrap();
    let hub = Token::parse(&read("dockerhub.json"), at(NOW + 1)).unwrap();
    assert_eq!(hub.expires_in(), Duration::from_secs(300));
    assert_eq!(hub.issued_at(), at(NOW) + Duration::from_nanos(123_456_789));
    assert_eq!(hub.expires_at(), at(NOW + 300) + Duration::from_nanos(123_456_789));
    let oauth = Token::parse(&read("oauth.json"), at(NOW)).unwrap();
    assert_eq!(oauth.token().expose(), "oauth-access");
    assert_eq!(oauth.refresh_token().unwrap().expose(), "oauth-refresh");
    assert_eq!(oauth.expires_at(), at(NOW + 900));
    assert_eq!(oauth.authorization(), "Bearer oauth-access");
    let ghcr = Token::parse(&read("ghcr.json"), at(NOW)).unwrap();
    assert_eq!(ghcr.expires_at(), at(NOW + 60));
    assert!(ghcr.granted_scopes().is_none());
}

#[test]
fn clock_skew() {
    // issued_at in the future: expiry counts from now.
    let t = Token::parse(
        br#"{"token":"t","expires_in":300,"issued_at":"2024-05-01T13:00:00Z"}"#,
        at(NOW),
    )
    .unwrap();
    assert_eq!(t.expires_at(), at(NOW + 300));
    // issued_at so old the token would already be dead: expiry counts from now.
    let t = Token::parse(
        br#"{"token":"t","expires_in":300,"issued_at":"2024-05-01T10:00:00Z"}"#,
        at(NOW),
    )
    .unwrap();
    assert_eq!(t.expires_at(), at(NOW + 300));
    // A plausible issued_at is trusted.
    let t = Token::parse(
        br#"{"token":"t","expires_in":300,"issued_at":"2024-05-01T11:58:00Z"}"#,
        at(NOW),
    )
    .unwrap();
    assert_eq!(t.expires_at(), at(NOW + 180));
}

#[test]
fn secrets_hidden() {
    let t = Token::parse(
        br#"{"token":"very-secret-token","refresh_token":"very-secret-refresh"}"#,
        at(NOW),
    )
    .unwrap();
    let debug = format!("{t:?}");
    assert!(!debug.contains("very-secret"), "{debug}");
    assert_eq!(format!("{}", t.token()), "<redacted>");
    let c = Credential::basic("user", "very-secret-password");
    assert!(!format!("{c:?}").contains("very-secret"), "{c:?}");
    assert!(format!("{c:?}").contains("user"));
    let c = Credential::IdentityToken("very-secret-identity".into());
    assert!(!format!("{c:?}").contains("very-secret"));
    // Error messages about responses carry no token.
    let err = Token::parse(br#"{"token":"very-secret","issued_at":"bad"}"#, at(NOW)).unwrap_err();
    assert!(!err.to_string().contains("very-secret"), "{err}");
}

/// `issued_at` and `now` at the extremes: the token lives its lifetime from `now` when `issued_at` is not
/// plausible, and nothing panics.
#[test]
fn extreme_issued_at() {
    for issued_at in [
        "9999-12-31T23:59:59Z",
        "9999-12-31T23:59:59.999999999-23:59",
        "0000-01-01T00:00:00Z",
        "0001-01-01T00:00:00+23:59",
        "1970-01-01T00:00:00Z",
        "1969-12-31T23:59:59.5Z",
        "2024-05-01T12:00:00Z",
    ] {
        let body = format!(r#"{{"token":"t","expires_in":300,"issued_at":"{issued_at}"}}"#);
        let t = Token::parse(body.as_bytes(), at(NOW)).unwrap();
        assert_eq!(t.expires_at(), at(NOW + 300), "{issued_at}");
        // At the epoch and before it.
        let early = UNIX_EPOCH - Duration::from_secs(1_000_000);
        let t = Token::parse(body.as_bytes(), early).unwrap();
        assert!(t.expires_at() > early, "{issued_at}");
        assert!(t.expires_at() <= early + Duration::from_secs(300), "{issued_at}");
    }
    let huge = br#"{"token":"t","expires_in":18446744073709551615,"issued_at":"9999-12-31T23:59:59Z"}"#;
    let t = Token::parse(huge, at(NOW)).unwrap();
    assert_eq!(t.expires_at(), at(NOW) + MAXIMUM_LIFETIME);
    // A plausible issued_at with a clamped lifetime counts from issued_at.
    let t = Token::parse(
        br#"{"token":"t","expires_in":18446744073709551615,"issued_at":"2024-05-01T11:00:00Z"}"#,
        at(NOW),
    )
    .unwrap();
    assert_eq!(t.expires_at(), at(NOW - 3600) + MAXIMUM_LIFETIME);
}
