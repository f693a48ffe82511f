//! Scopes: parsing, display, merging, covering, sets.

use oci_auth::{ErrorKind, Scope, ScopeSet};

/// `expected` is `type|class|name|actions` or `!` for an error.
fn check(input: &str, expected: &str) {
    let got = match Scope::parse(input) {
        Ok(s) => format!(
            "{}|{}|{}|{}",
            s.resource_type(),
            s.class().unwrap_or("-"),
            s.name(),
            s.actions().collect::<Vec<_>>().join(",")
        ),
        Err(err) => {
            assert_eq!(err.kind(), &ErrorKind::InvalidScope);
            assert_eq!(err.input(), input);
            "!".to_owned()
        }
    };
    assert_eq!(got, expected, "{input:?}");
}

#[test]
fn parse() {
    check("repository:library/nginx:pull", "repository|-|library/nginx|pull");
    check("repository:team/app:pull,push", "repository|-|team/app|pull,push");
    check("repository:team/app:push,pull", "repository|-|team/app|pull,push");
    check("repository:team/app:pull,pull", "repository|-|team/app|pull");
    check(
        "repository(plugin):vieux/sshfs:pull",
        "repository|plugin|vieux/sshfs|pull",
    );
    check("registry:catalog:*", "registry|-|catalog|*");
    check(
        "repository:localhost:5000/foo/bar:pull",
        "repository|-|localhost:5000/foo/bar|pull",
    );
    check("repository:a:delete", "repository|-|a|delete");
    check("repository:UPPER.host/x:pull", "repository|-|UPPER.host/x|pull");
    check("", "!");
    check("repository", "!");
    check("repository:name", "!");
    check("repository::pull", "!");
    check("repository:a:", "!");
    check("repository:a:pull,", "!");
    check("repository:a:Pull", "!");
    check("Repository:a:pull", "!");
    check(":a:pull", "!");
    check("repository(plugin:a:pull", "!");
    check("repository():a:pull", "!");
    check("repository:a b:pull", "!");
    check("repository:a,b:pull", "!");
    check("repository:a:pull push", "!");
}

#[test]
fn display() {
    for (input, shown) in [
        ("repository:library/nginx:pull", "repository:library/nginx:pull"),
        ("repository:a:push,pull", "repository:a:pull,push"),
        ("repository(plugin):a:pull", "repository(plugin):a:pull"),
        ("registry:catalog:*", "registry:catalog:*"),
    ] {
        let scope: Scope = input.parse().unwrap();
        assert_eq!(scope.to_string(), shown);
        assert_eq!(shown.parse::<Scope>().unwrap(), scope);
    }
    assert_eq!(Scope::catalog().to_string(), "registry:catalog:*");
    assert_eq!(
        Scope::pull("library/nginx").unwrap().to_string(),
        "repository:library/nginx:pull"
    );
    assert_eq!(
        Scope::repository("a/b", &["push", "pull"]).unwrap().to_string(),
        "repository:a/b:pull,push"
    );
    assert!(Scope::pull("bad name").is_err());
    assert!(Scope::repository("a", &[]).is_err());
}

#[test]
fn merge_and_cover() {
    let s = |t: &str| t.parse::<Scope>().unwrap();
    let mut pull = s("repository:a:pull");
    assert!(pull.merge(&s("repository:a:push")));
    assert_eq!(pull, s("repository:a:pull,push"));
    assert!(!pull.merge(&s("repository:b:delete")));
    assert_eq!(pull, s("repository:a:pull,push"));
    assert!(pull.merge(&s("repository:a:*")));
    assert_eq!(pull.to_string(), "repository:a:*");
    assert!(!pull.merge(&s("repository(plugin):a:pull")));

    assert!(s("repository:a:pull,push").covers(&s("repository:a:pull")));
    assert!(!s("repository:a:pull").covers(&s("repository:a:pull,push")));
    assert!(s("repository:a:*").covers(&s("repository:a:pull,push,delete")));
    assert!(!s("repository:a:*").covers(&s("repository:b:pull")));
    assert!(!s("repository:a:pull").covers(&s("repository(plugin):a:pull")));
}

#[test]
fn sets() {
    let set: ScopeSet = "repository:b:pull repository:a:pull repository:b:push registry:catalog:*"
        .parse()
        .unwrap();
    assert_eq!(set.len(), 3);
    assert_eq!(
        set.to_string(),
        "registry:catalog:* repository:a:pull repository:b:pull,push"
    );
    assert_eq!(set.to_string().parse::<ScopeSet>().unwrap(), set);
    assert!(set.covers(&"repository:b:push".parse().unwrap()));
    assert!(!set.covers(&"repository:a:push".parse().unwrap()));
    let small: ScopeSet = "repository:a:pull".parse().unwrap();
    assert!(set.covers_all(&small));
    assert!(!small.covers_all(&set));
    assert_eq!(
        set.missing_from(&small).to_string(),
        "registry:catalog:* repository:b:pull,push"
    );
    assert!(ScopeSet::parse("").unwrap().is_empty());
    assert!(ScopeSet::parse("  repository:a:pull  ").unwrap().len() == 1);
    assert!(ScopeSet::parse("repository:a:pull bad").is_err());
    let mut removed = set;
    assert!(removed.remove_resource(&"repository:b:delete".parse().unwrap()));
    assert_eq!(removed.len(), 2);
}
