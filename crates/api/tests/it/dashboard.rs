//! The dashboard's files: served at their paths with their content types, and every string the
//! page names exists in every language's dictionary.
use crate::fake::FakeNode;
use crate::{app, send};
use axum::{body::Body, http::Request, http::StatusCode};
use gridledger_api::dashboard::{ASSETS, LANGUAGES, SCREENS};
use std::collections::BTreeSet;

#[tokio::test]
async fn every_dashboard_file_is_served_with_its_content_type() {
    let app = app(&FakeNode::new());
    for (path, content_type, body) in ASSETS {
        let req = Request::get(*path).body(Body::empty()).unwrap();
        let (s, ctype, got) = send(&app, req).await;
        assert_eq!(s, StatusCode::OK, "{path}");
        assert_eq!(ctype, *content_type, "{path}");
        assert_eq!(got, body.as_bytes(), "{path}");
    }
    // The page loads its script and style from where they are served.
    let index = ASSETS.iter().find(|a| a.0 == "/").unwrap().2;
    for path in ["/ui/app.js", "/ui/style.css"] {
        assert!(index.contains(&format!("\"{path}\"")), "{path}");
        assert!(ASSETS.iter().any(|a| a.0 == path));
    }
    // Every module the shell imports is served, and every screen is imported.
    let app_js = ASSETS.iter().find(|a| a.0 == "/ui/app.js").unwrap().2;
    for part in app_js.split("from \"./").skip(1) {
        let file = part.split('"').next().unwrap();
        assert!(
            ASSETS.iter().any(|a| a.0 == format!("/ui/{file}")),
            "app.js imports {file}, which is not served"
        );
    }
    for screen in SCREENS {
        assert!(
            app_js.contains(&format!("\"./screens/{screen}.js\"")),
            "{screen}"
        );
    }
    // Anything else under /ui is the API's JSON 404.
    let req = Request::get("/ui/nope.js").body(Body::empty()).unwrap();
    let (s, ctype, _) = send(&app, req).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    assert!(ctype.starts_with("application/json"));
}

/// Every dictionary file of `lang` (common and per screen) merged; a key in two files fails.
fn dictionary(lang: &str) -> serde_json::Map<String, serde_json::Value> {
    let mut all = serde_json::Map::new();
    let prefix = format!("/ui/i18n/{lang}");
    let files: Vec<_> = ASSETS
        .iter()
        .filter(|a| a.0 == format!("{prefix}.json") || a.0.starts_with(&format!("{prefix}/")))
        .collect();
    assert_eq!(
        files.len(),
        1 + SCREENS.len(),
        "{lang}: one common file and one per screen"
    );
    for (path, _, body) in files {
        let part: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(body).unwrap_or_else(|e| panic!("{path}: {e}"));
        for (k, v) in part {
            assert!(
                all.insert(k.clone(), v).is_none(),
                "{path}: {k} is also in another file"
            );
        }
    }
    all
}

/// Keys named by `data-i18n="..."` in the page and, in the scripts, by `t("...")`,
/// `"data-i18n": "..."`, `fail("...")`, `key: "..."`, `dataset.i18n = "..."` or the title of
/// `section("id", "...")`: the dashboard writes every literal key in one of these forms.
fn keys_used() -> BTreeSet<String> {
    let mut keys = BTreeSet::new();
    for (_, _, body) in ASSETS {
        for marker in [
            "data-i18n=\"",
            "\"data-i18n\": \"",
            " t(\"",
            "(t(\"",
            "[t(\"",
            "fail(\"",
            "key: \"",
            "dataset.i18n = \"",
        ] {
            for part in body.split(marker).skip(1) {
                let key = part.split('"').next().unwrap();
                if !key.is_empty() {
                    keys.insert(key.to_string());
                }
            }
        }
        // `section("<element id>", "<title key>", ...)`
        for part in body.split("section(\"").skip(1) {
            if let Some(rest) = part.split_once("\", \"") {
                let key = rest.1.split('"').next().unwrap();
                if !key.is_empty() {
                    keys.insert(key.to_string());
                }
            }
        }
    }
    keys
}

#[test]
fn every_language_has_every_string_the_page_uses() {
    let used = keys_used();
    assert!(used.len() >= 15, "{used:?}");
    let en: BTreeSet<String> = dictionary("en").keys().cloned().collect();
    for lang in LANGUAGES {
        let d = dictionary(lang);
        let keys: BTreeSet<String> = d.keys().cloned().collect();
        // Same keys in every language, each a non-empty string.
        assert_eq!(keys, en, "{lang} and en differ");
        for (k, v) in &d {
            assert!(v.as_str().is_some_and(|s| !s.is_empty()), "{lang}: {k}");
        }
        let missing: Vec<_> = used.difference(&keys).collect();
        assert!(missing.is_empty(), "{lang} lacks {missing:?}");
    }
    // Roles are looked up as `role.<status role>`: both roles the node reports exist.
    for role in ["role.validator", "role.full"] {
        assert!(en.contains(role), "{role}");
    }
    // Korean really is Korean.
    let ko = dictionary("ko");
    assert!(ko["node.title"]
        .as_str()
        .unwrap()
        .chars()
        .any(|c| ('\u{AC00}'..='\u{D7A3}').contains(&c)));
}

/// Failure codes the dashboard names (its `CODES` / `ERRORS` tables, `code === "..."` checks
/// and the common `error.<code>` strings) are the chain's and the API's own names: a renamed
/// or misspelt code would silently fall back to a generic message.
#[test]
fn every_failure_code_the_dashboard_names_exists() {
    use gridledger_api_types::ErrorCode;
    use gridledger_execution::FailCode;
    let mut known: BTreeSet<String> = FailCode::ALL.iter().map(|c| c.as_str().into()).collect();
    known.extend(ErrorCode::API.iter().map(|c| c.as_str().to_string()));
    known.extend(
        ErrorCode::MEMBER_SERVICE
            .iter()
            .map(|c| c.as_str().to_string()),
    );
    let mut named = BTreeSet::new();
    for (path, _, body) in ASSETS.iter().filter(|a| a.0.ends_with(".js")) {
        // `const CODES = { code: { key: ... }, ... };` and `const ERRORS = { ... };`
        for table in ["const CODES = {", "const ERRORS = {"] {
            if let Some(i) = body.find(table) {
                let rest = &body[i + table.len()..];
                let end = rest.find("\n};").expect("a code table ends with `};`");
                for line in rest[..end].lines() {
                    if let Some((name, _)) = line.trim().split_once(':') {
                        named.insert(((*path).to_string(), name.trim().to_string()));
                    }
                }
            }
        }
        for part in body.split("code === \"").skip(1) {
            let name = part.split('"').next().unwrap();
            named.insert(((*path).to_string(), name.to_string()));
        }
    }
    let common: serde_json::Value = serde_json::from_str(
        ASSETS
            .iter()
            .find(|a| a.0 == "/ui/i18n/en.json")
            .expect("the English dictionary")
            .2,
    )
    .unwrap();
    for key in common.as_object().unwrap().keys() {
        if let Some(name) = key.strip_prefix("error.") {
            if !CLIENT_MESSAGES.contains(&name) {
                named.insert(("/ui/i18n/en.json".into(), name.to_string()));
            }
        }
    }
    assert!(
        named.len() > 20,
        "the scan found the dashboard's codes: {named:?}"
    );
    let unknown: Vec<_> = named.iter().filter(|(_, n)| !known.contains(n)).collect();
    assert!(unknown.is_empty(), "codes no one returns: {unknown:?}");
}

/// `error.<name>` strings the dashboard shows for its own conditions, not for a returned code.
const CLIENT_MESSAGES: &[&str] = &["screen", "unknown", "timeout"];
