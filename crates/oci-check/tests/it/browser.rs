//! The page in a real browser: headless Chromium driven over WebDriver (chromedriver, with fantoccini). The rows
//! and their statuses, the filter, sorting, refresh without a reload, and hostile strings from an inspect file
//! (a container named `<script>...` in an inspect file, an image name with quotes in a compose file) shown as text, running nothing; no console error.

use std::time::Duration;

use fantoccini::{ClientBuilder, Locator};
use oci_testkit::{ChromeDriver, TempDir};
use serde_json::json;

use crate::serve::{Watcher, images};

/// The texts of a column (0-based) of the rows the browser shows.
async fn column(client: &fantoccini::Client, index: usize) -> Vec<String> {
    let mut texts = Vec::new();
    for row in client.find_all(Locator::Css("#workloads tbody tr")).await.unwrap() {
        if !row.is_displayed().await.unwrap() {
            continue;
        }
        let cells = row.find_all(Locator::Css("td")).await.unwrap();
        texts.push(cells[index].text().await.unwrap());
    }
    texts
}

#[test]
fn the_page_in_chromium_filters_sorts_refreshes_and_shows_hostile_strings_as_text() {
    let (registry, moved, current) = images();
    // An inspect file from elsewhere: a container named like a script, and one whose image name has quotes.
    let dir = TempDir::new("browser-inspect");
    let inspect = dir.path().join("inspect.json");
    let hostile_name = "<script>window.pwned=1</script><img src=x onerror=\"window.pwned=2\">";
    let quoted_image = format!("{}/serve/app\"quoted'name:1", registry.host());
    let (moved_image, moved_digest) = moved.split_once('@').unwrap();
    std::fs::write(
        &inspect,
        serde_json::to_vec(&json!([
            {"Id": "a".repeat(64), "Name": format!("/{hostile_name}"), "Image": moved_digest,
             "Config": {"Image": moved_image}, "State": {"Status": "running"}},
        ]))
        .unwrap(),
    )
    .unwrap();
    // A compose file from elsewhere whose image name has quotes: not a reference, a row of its own.
    let compose = dir.path().join("compose.yaml");
    std::fs::write(
        &compose,
        format!(
            "services:\n  quoted:\n    image: '{}'\n",
            quoted_image.replace('\'', "''")
        ),
    )
    .unwrap();
    let (watcher, port) = Watcher::listening(&[
        "--inspect",
        inspect.to_str().unwrap(),
        "--compose",
        compose.to_str().unwrap(),
        &current,
    ]);
    watcher.wait_for("round: 3 workloads", 1);

    let driver = ChromeDriver::start();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let client = ClientBuilder::new(connector)
            .capabilities(driver.capabilities())
            .connect(&driver.url())
            .await
            .expect("a WebDriver session");
        let session = client.session_id().await.unwrap().expect("a session id");
        client.goto(&format!("http://127.0.0.1:{port}/")).await.unwrap();

        // Every row, with its status in words.
        let statuses = column(&client, 4).await;
        assert_eq!(statuses.len(), 3, "{statuses:?}");
        assert!(statuses.contains(&"update available".to_owned()), "{statuses:?}");
        assert!(statuses.contains(&"up to date".to_owned()), "{statuses:?}");
        assert!(statuses.contains(&"check failed".to_owned()), "{statuses:?}");

        // Hostile strings are text, and nothing of them ran.
        let containers = column(&client, 2).await;
        assert!(containers.contains(&hostile_name.to_owned()), "{containers:?}");
        let pwned = client
            .execute("return window.pwned === undefined;", vec![])
            .await
            .unwrap();
        assert_eq!(pwned, json!(true));
        let images = column(&client, 3).await;
        assert!(
            images.iter().any(|image| image.contains("app\"quoted'name")),
            "{images:?}"
        );
        let scripts = client.find_all(Locator::Css("script")).await.unwrap();
        assert_eq!(scripts.len(), 1, "only the page's own script");

        // The filter narrows the rows; emptying it shows them all again.
        let filter = client.find(Locator::Id("filter")).await.unwrap();
        filter.send_keys("update").await.unwrap();
        assert_eq!(column(&client, 4).await, ["update available"]);
        filter.clear().await.unwrap();
        filter.send_keys(" ").await.unwrap();
        assert_eq!(column(&client, 4).await.len(), 3);

        // Sorting by a column, both ways.
        let status_header = client
            .find(Locator::Css("#workloads thead th:nth-child(5)"))
            .await
            .unwrap();
        status_header.click().await.unwrap();
        let ascending = column(&client, 4).await;
        let mut sorted = ascending.clone();
        sorted.sort();
        assert_eq!(ascending, sorted);
        assert_eq!(
            status_header.attr("aria-sort").await.unwrap().as_deref(),
            Some("ascending")
        );
        status_header.click().await.unwrap();
        let descending = column(&client, 4).await;
        sorted.reverse();
        assert_eq!(descending, sorted);

        // Refresh replaces the rows without reloading the page.
        client.execute("window.marker = 42;", vec![]).await.unwrap();
        client
            .find(Locator::Id("refresh"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(500)).await;
        let marker = client.execute("return window.marker;", vec![]).await.unwrap();
        assert_eq!(marker, json!(42), "no full reload");
        assert_eq!(
            column(&client, 4).await,
            descending,
            "the sort order survives a refresh"
        );

        let console = driver.console(&session);
        let errors: Vec<_> = console.iter().filter(|entry| entry["level"] == "SEVERE").collect();
        assert!(errors.is_empty(), "console errors: {errors:?}");
        client.close().await.unwrap();
    });
    assert_eq!(watcher.stop(), Some(0));
}
