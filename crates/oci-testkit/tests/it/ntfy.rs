//! `Ntfy`: the real ntfy server keeps what was published, with its title, tags and priority, and with a user it
//! refuses everyone else.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use oci_testkit::{Ntfy, base64};

/// `POST /TOPIC` over a fresh HTTP/1.1 connection with `headers` and `body`; the status code.
fn publish(server: &Ntfy, topic: &str, headers: &[(&str, &str)], body: &str) -> u16 {
    let mut stream = TcpStream::connect(("127.0.0.1", server.port())).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let mut request = format!(
        "POST /{topic} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nConnection: close\r\nContent-Length: {}\r\n",
        server.port(),
        body.len()
    );
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    request.push_str(body);
    stream.write_all(request.as_bytes()).unwrap();
    let mut reply = String::new();
    stream.read_to_string(&mut reply).unwrap();
    let status = reply.split(' ').nth(1).unwrap_or_default();
    status.parse().unwrap_or_else(|_| panic!("not an HTTP answer: {reply}"))
}

fn basic(user: &str, password: &str) -> String {
    format!("Basic {}", base64(format!("{user}:{password}").as_bytes()))
}

#[test]
fn a_message_is_kept_with_its_title_tags_and_priority() {
    let server = Ntfy::start();
    assert_eq!(server.url(), format!("http://127.0.0.1:{}", server.port()));
    assert_eq!(server.messages("updates"), Vec::<serde_json::Value>::new());

    let headers = [
        ("Title", "2 images have updates"),
        ("Tags", "package,warning"),
        ("Priority", "4"),
    ];
    assert_eq!(publish(&server, "updates", &headers, "nginx:1.27 -> 1.28"), 200);

    let messages = server.messages("updates");
    assert_eq!(messages.len(), 1, "{messages:?}");
    let message = &messages[0];
    assert_eq!(message["topic"], "updates");
    assert_eq!(message["title"], "2 images have updates");
    assert_eq!(message["message"], "nginx:1.27 -> 1.28");
    assert_eq!(message["tags"], serde_json::json!(["package", "warning"]));
    assert_eq!(message["priority"], 4);
    // Topics are apart.
    assert_eq!(server.messages("other"), Vec::<serde_json::Value>::new());
}

#[test]
fn loopback_is_not_held_to_the_visitor_rate_limit() {
    // ntfy's default burst is 60 requests per visitor; a watcher's test may send more than that.
    let server = Ntfy::start();
    for n in 0..70 {
        assert_eq!(
            publish(&server, "burst", &[], &format!("message {n}")),
            200,
            "message {n}"
        );
    }
    let messages = server.messages("burst");
    assert_eq!(messages.len(), 70);
    assert_eq!(messages[69]["message"], "message 69");
}

#[test]
fn with_a_user_only_that_user_may_publish_and_only_to_their_topic() {
    let password = "p@ss:w0rd";
    let server = Ntfy::start_with_user("watcher", password, "updates");
    let debug = format!("{server:?}");
    assert!(!debug.contains(password), "{debug}");
    assert!(debug.contains("watcher"), "{debug}");

    let anonymous = publish(&server, "updates", &[("Title", "anonymous")], "anonymous");
    assert_eq!(anonymous, 403);
    let wrong = basic("watcher", "not-the-password");
    assert_eq!(publish(&server, "updates", &[("Authorization", &wrong)], "wrong"), 401);
    let right = basic("watcher", password);
    assert_eq!(
        publish(&server, "elsewhere", &[("Authorization", &right)], "elsewhere"),
        403
    );
    let headers = [
        ("Authorization", right.as_str()),
        ("Title", "told"),
        ("Priority", "high"),
    ];
    assert_eq!(publish(&server, "updates", &headers, "authorized"), 200);

    let messages = server.messages("updates");
    assert_eq!(messages.len(), 1, "{messages:?}");
    assert_eq!(messages[0]["message"], "authorized");
    assert_eq!(messages[0]["title"], "told");
    assert_eq!(messages[0]["priority"], 4);
}
