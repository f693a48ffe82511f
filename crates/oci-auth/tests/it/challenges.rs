//! `WWW-Authenticate` parsing: a table of real and synthetic headers.

use oci_auth::{AuthScheme, BearerError, Challenge, ErrorKind};

/// Expected challenges, written `Scheme k=v|k=v` per challenge, `;` between challenges, `Scheme #token68` for
/// token68, or `!N` for an error at byte N.
fn check(header: &str, expected: &str) {
    let got = match Challenge::parse_header(header) {
        Ok(challenges) => challenges
            .iter()
            .map(|c| {
                let mut s = c.scheme().as_str().to_owned();
                if let Some(t) = c.token68() {
                    s.push_str(" #");
                    s.push_str(t);
                }
                let params: Vec<String> = c.params().map(|(k, v)| format!("{k}={v}")).collect();
                if !params.is_empty() {
                    s.push(' ');
                    s.push_str(&params.join("|"));
                }
                s
            })
            .collect::<Vec<_>>()
            .join(";"),
        Err(err) => {
            assert!(matches!(err.kind(), ErrorKind::InvalidChallenge { .. }), "{err}");
            assert_eq!(err.input(), header);
            assert!(err.to_string().contains("invalid WWW-Authenticate header"), "{err}");
            format!("!{}", err.position().unwrap())
        }
    };
    assert_eq!(got, expected, "header {header:?}");
}

#[test]
fn real_registries() {
    // Docker Hub
    check(
        r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/nginx:pull""#,
        "Bearer realm=https://auth.docker.io/token|service=registry.docker.io|scope=repository:library/nginx:pull",
    );
    check(
        r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io""#,
        "Bearer realm=https://auth.docker.io/token|service=registry.docker.io",
    );
    check(
        r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="registry:catalog:*""#,
        "Bearer realm=https://auth.docker.io/token|service=registry.docker.io|scope=registry:catalog:*",
    );
    // GHCR
    check(
        r#"Bearer realm="https://ghcr.io/token",service="ghcr.io",scope="repository:user/image:pull""#,
        "Bearer realm=https://ghcr.io/token|service=ghcr.io|scope=repository:user/image:pull",
    );
    // Quay
    check(
        r#"Bearer realm="https://quay.io/v2/auth",service="quay.io",scope="repository:coreos/etcd:pull""#,
        "Bearer realm=https://quay.io/v2/auth|service=quay.io|scope=repository:coreos/etcd:pull",
    );
    // ECR
    check(
        r#"Basic realm="https://123456789012.dkr.ecr.us-east-1.amazonaws.com/",service="ecr.amazonaws.com""#,
        "Basic realm=https://123456789012.dkr.ecr.us-east-1.amazonaws.com/|service=ecr.amazonaws.com",
    );
    // Harbor: Bearer on most endpoints, Basic on the catalog or with a bad token.
    check(
        r#"Bearer realm="https://demo.goharbor.io/service/token",service="harbor-registry""#,
        "Bearer realm=https://demo.goharbor.io/service/token|service=harbor-registry",
    );
    check(r#"Basic realm="harbor""#, "Basic realm=harbor");
    // GitLab
    check(
        r#"Bearer realm="https://gitlab.com/jwt/auth",service="container_registry",scope="repository:group/project:pull""#,
        "Bearer realm=https://gitlab.com/jwt/auth|service=container_registry|scope=repository:group/project:pull",
    );
    check(
        r#"Bearer realm="https://gitlab.example.com/jwt/auth",service="container_registry",scope="registry:catalog:*""#,
        "Bearer realm=https://gitlab.example.com/jwt/auth|service=container_registry|scope=registry:catalog:*",
    );
    // distribution: htpasswd, token auth with an error, push scopes.
    check(r#"Basic realm="Registry Realm""#, "Basic realm=Registry Realm");
    check(
        r#"Bearer realm="http://127.0.0.1:5001/auth",service="test-registry",scope="repository:library/x:pull",error="insufficient_scope""#,
        "Bearer realm=http://127.0.0.1:5001/auth|service=test-registry|scope=repository:library/x:pull|error=insufficient_scope",
    );
    check(
        r#"Bearer realm="https://auth.example.com/token",service="registry.example.com",scope="repository:samalba/my-app:pull,push""#,
        "Bearer realm=https://auth.example.com/token|service=registry.example.com|scope=repository:samalba/my-app:pull,push",
    );
    check(
        r#"Bearer realm="https://auth.example.com/token",service="registry.example.com",error="invalid_token""#,
        "Bearer realm=https://auth.example.com/token|service=registry.example.com|error=invalid_token",
    );
    // GCR, ACR, Gitea
    check(
        r#"Bearer realm="https://gcr.io/v2/token",service="gcr.io""#,
        "Bearer realm=https://gcr.io/v2/token|service=gcr.io",
    );
    check(
        r#"Bearer realm="https://myregistry.azurecr.io/oauth2/token",service="myregistry.azurecr.io""#,
        "Bearer realm=https://myregistry.azurecr.io/oauth2/token|service=myregistry.azurecr.io",
    );
    check(
        r#"Bearer realm="https://git.example.com/v2/token",service="container_registry",scope="*""#,
        "Bearer realm=https://git.example.com/v2/token|service=container_registry|scope=*",
    );
}

#[test]
fn grammar() {
    // Case-insensitive schemes and names, values as written.
    check(r#"bearer Realm="X",SERVICE="Y""#, "Bearer realm=X|service=Y");
    check(r#"BASIC REALM="MiXeD""#, "Basic realm=MiXeD");
    // Token values, BWS around `=`, OWS around commas, empty list elements.
    check("Bearer realm=https,service=reg", "Bearer realm=https|service=reg");
    check(r#"Bearer realm = "a" , service= "b""#, "Bearer realm=a|service=b");
    check(r#"  , Bearer realm="a",, ,service="b" ,"#, "Bearer realm=a|service=b");
    check("Bearer\trealm=\"a\"", "Bearer realm=a");
    // Quoted strings: commas, escapes, empty.
    check(
        r#"Bearer scope="repository:a:pull,push""#,
        "Bearer scope=repository:a:pull,push",
    );
    check(r#"Basic realm="say \"hi\"""#, r#"Basic realm=say "hi""#);
    check(r#"Basic realm="back\\slash\x""#, r"Basic realm=back\slashx");
    check(r#"Basic realm="""#, "Basic realm=");
    check(r#"Basic realm="héllo""#, "Basic realm=héllo");
    // Unknown parameters kept in order; repeated parameters kept.
    check(
        r#"Bearer realm="a",foo="bar",scope="x:y:z",scope="p:q:r""#,
        "Bearer realm=a|foo=bar|scope=x:y:z|scope=p:q:r",
    );
    // Several challenges in one header.
    check(
        r#"Bearer realm="a",service="b", Basic realm="c""#,
        "Bearer realm=a|service=b;Basic realm=c",
    );
    check(r#"Basic realm="c", Bearer realm="a""#, "Basic realm=c;Bearer realm=a");
    check("Negotiate, Basic realm=x", "Negotiate;Basic realm=x");
    check("Negotiate", "Negotiate");
    // token68.
    check("Negotiate YWJjZA==", "Negotiate #YWJjZA==");
    check("Negotiate abc==, Basic realm=x", "Negotiate #abc==;Basic realm=x");
    check("NTLM TlRMTVNTUAAB/+.~_-", "NTLM #TlRMTVNTUAAB/+.~_-");
    check("Custom a=", "Custom #a=");
}

#[test]
fn malformed() {
    check("", "!0");
    check("   ", "!3");
    check(",", "!1");
    check(r#"realm="x""#, "!5");
    check(r#"Bearer realm="unterminated"#, "!26");
    check(r#"Bearer realm="a" service="b""#, "!17");
    check(r#"Bearer realm="a",service="#, "!24");
    // A bare token after a comma is a new challenge with no parameters, as RFC 7235 reads it.
    check(r#"Bearer realm="a",service"#, "Bearer realm=a;service");
    check("Bearer realm=\"a\nb\"", "!15");
    check("Bearer realm=\"a\u{7f}\"", "!15");
    check(r#"Bearer @"#, "!7");
    check(r#"Negotiate abc, realm="x""#, "!15");
    check(r#"Bearer realm="a"junk"#, "!16");
    check("Bé", "!1");
    check(r#"Bearer realm=="x""#, "!14");
}

#[test]
fn across_headers() {
    let headers = [
        r#"Basic realm="one""#,
        r#"Bearer realm="https://two/token",service="two""#,
    ];
    let all = Challenge::parse_headers(headers).unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(Challenge::preferred(&all).unwrap().scheme(), &AuthScheme::Bearer);
    let basic_only = Challenge::parse_headers([r#"Negotiate"#, r#"Basic realm="x""#]).unwrap();
    assert_eq!(Challenge::preferred(&basic_only).unwrap().scheme(), &AuthScheme::Basic);
    assert!(Challenge::preferred(&Challenge::parse_header("Negotiate").unwrap()).is_none());
    let err = Challenge::parse_headers([r#"Basic realm="x""#, "Bearer ="]).unwrap_err();
    assert_eq!(err.input(), "Bearer =");
}

#[test]
fn bearer_view() {
    let header = r#"Bearer realm="https://r/t",service="svc",scope="repository:a:pull repository:b:push",scope="registry:catalog:*",error="insufficient_scope",error_description="need more""#;
    let c = &Challenge::parse_header(header).unwrap()[0];
    let b = c.bearer().unwrap().unwrap();
    assert_eq!(b.realm(), "https://r/t");
    assert_eq!(b.service(), Some("svc"));
    assert_eq!(
        b.scopes().collect::<Vec<_>>(),
        ["repository:a:pull", "repository:b:push", "registry:catalog:*"]
    );
    assert_eq!(b.scope_set().unwrap().len(), 3);
    assert_eq!(b.error(), Some(&BearerError::InsufficientScope));
    assert_eq!(b.error_description(), Some("need more"));

    let other = &Challenge::parse_header(r#"Bearer realm="x",error="weird""#).unwrap()[0];
    assert_eq!(
        other.bearer().unwrap().unwrap().error(),
        Some(&BearerError::Other("weird".into()))
    );
    let basic = &Challenge::parse_header(r#"Basic realm="x""#).unwrap()[0];
    assert!(basic.bearer().unwrap().is_none());
    assert_eq!(basic.realm(), Some("x"));
    let no_realm = &Challenge::parse_header(r#"Bearer service="x""#).unwrap()[0];
    assert_eq!(no_realm.bearer().unwrap_err().kind(), &ErrorKind::IncompleteChallenge);
    let no_scope = &Challenge::parse_header(r#"Bearer realm="x""#).unwrap()[0];
    assert!(no_scope.bearer().unwrap().unwrap().scope_set().unwrap().is_empty());
}

#[test]
fn display_round_trips() {
    for header in [
        r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/nginx:pull""#,
        r#"Basic realm="say \"hi\" \\ there""#,
        "Negotiate YWJjZA==",
        "Negotiate",
        r#"bearer REALM=x, basic realm=y, Other a="b""#,
    ] {
        let parsed = Challenge::parse_header(header).unwrap();
        let shown: Vec<String> = parsed.iter().map(ToString::to_string).collect();
        let again = Challenge::parse_header(&shown.join(", ")).unwrap();
        assert_eq!(again, parsed, "{header} -> {shown:?}");
    }
    let c = &Challenge::parse_header(r#"bearer REALM="x",Service=y"#).unwrap()[0];
    assert_eq!(c.to_string(), r#"Bearer realm="x",service="y""#);
}
