//! Browser tests of the dashboard (issue 6): a real headless Chromium, driven over WebDriver
//! (`chromedriver` + `fantoccini`), against a real `gridledger devnet` process on 127.0.0.1.
//!
//! Chromium and chromedriver come from Debian (`chromium`, `chromium-driver`, and
//! `fonts-noto-cjk` for the Korean screens; `.ci/run` installs them). The tests find them at
//! `GRIDLEDGER_CHROMEDRIVER` (default `/usr/bin/chromedriver`) and `GRIDLEDGER_CHROMIUM`
//! (default `/usr/bin/chromium`) and fail, saying how to get them, when they are missing.
//! Every step leaves a screenshot in `<target>/browser-screenshots/<test>/<nn>-<step>.png`.
pub mod fixture;
mod home;
mod screens;

use crate::devnet::free_port;
use fantoccini::{
    elements::Element, wd::WebDriverCompatibleCommand, Client, ClientBuilder, Locator,
};
use serde_json::{json, Value};
use std::{
    io::{Read, Write},
    net::TcpStream,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

/// How long a wait for something on the page lasts before the test fails.
pub const WAIT: Duration = Duration::from_secs(20);
/// Between two looks at the page while waiting.
const POLL: Duration = Duration::from_millis(100);
/// At most this much of the page's visible text goes into a failure message.
const TEXT_SHOWN: usize = 4_000;

/// `<target>/browser-screenshots`: beside the build's other outputs.
pub fn screenshots_root() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("CARGO_TARGET_TMPDIR is <target>/tmp")
        .join("browser-screenshots")
}

/// A tool the browser tests need, from its environment variable or its Debian path; fails the
/// test with what to do when it is missing.
fn tool(var: &str, default: &str, package: &str) -> PathBuf {
    let path = PathBuf::from(std::env::var(var).unwrap_or_else(|_| default.to_string()));
    assert!(
        path.is_file(),
        "the browser tests need {package}, not found at {}: run `.ci/run` once (it installs \
         Debian's chromium, chromium-driver and fonts-noto-cjk), or `sudo apt-get install \
         chromium chromium-driver fonts-noto-cjk`, or set {var} to its path",
        path.display()
    );
    path
}

/// One entry of the browser's console log.
#[derive(Clone, Debug)]
pub struct LogEntry {
    pub level: String,
    pub message: String,
}

/// chromedriver's `POST /session/{id}/se/log {"type": "browser"}`: the console entries since
/// the last call.
#[derive(Debug)]
struct BrowserLog;

impl WebDriverCompatibleCommand for BrowserLog {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!("session/{}/se/log", session_id.unwrap_or("")))
    }

    fn method_and_body(&self, _url: &url::Url) -> (http::Method, Option<String>) {
        (
            http::Method::POST,
            Some(json!({ "type": "browser" }).to_string()),
        )
    }
}

/// A headless Chromium session through its own chromedriver, pointed at one node. Dropping it
/// ends the session (Chromium exits) and kills chromedriver.
pub struct Browser {
    client: Client,
    driver: Child,
    driver_port: u16,
    session: Option<String>,
    /// The node's base URL, `http://127.0.0.1:PORT`.
    pub base: String,
    test: String,
    shots: PathBuf,
    step: u32,
    /// Console entries read from the browser and not yet checked.
    log: Vec<LogEntry>,
}

impl Browser {
    /// Starts chromedriver on a free loopback port and a headless Chromium session, and opens
    /// the dashboard of the node at `base`. `test` names the screenshot directory (emptied).
    pub async fn start(test: &str, base: &str) -> Self {
        let driver_bin = tool(
            "GRIDLEDGER_CHROMEDRIVER",
            "/usr/bin/chromedriver",
            "chromedriver (Debian package chromium-driver)",
        );
        let chromium = tool(
            "GRIDLEDGER_CHROMIUM",
            "/usr/bin/chromium",
            "Chromium (Debian package chromium)",
        );
        let shots = screenshots_root().join(test);
        let _ = std::fs::remove_dir_all(&shots);
        std::fs::create_dir_all(&shots).unwrap();
        let driver_port = free_port();
        let driver_log = std::fs::File::create(shots.join("chromedriver.log")).unwrap();
        let mut driver = Command::new(&driver_bin)
            .arg(format!("--port={driver_port}"))
            .stdout(driver_log.try_clone().unwrap())
            .stderr(driver_log)
            .stdin(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", driver_bin.display()));
        let url = format!("http://127.0.0.1:{driver_port}/");
        wait_for_driver(&mut driver, &url, &shots).await;

        let caps = json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chromium,
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1400,1000",
                    "--disable-dev-shm-usage", "--no-first-run", "--lang=en-US",
                ],
                "prefs": { "intl.accept_languages": "en-US,en" },
            },
            "goog:loggingPrefs": { "browser": "ALL" },
        });
        let Value::Object(caps) = caps else {
            unreachable!()
        };
        let connected =
            ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
                .capabilities(caps)
                .connect(&url)
                .await;
        let client = match connected {
            Ok(c) => c,
            Err(e) => {
                let _ = driver.kill();
                let _ = driver.wait();
                panic!(
                    "chromedriver could not start {} headless: {e}; its log: {}",
                    chromium.display(),
                    shots.join("chromedriver.log").display()
                )
            }
        };
        let session = client.session_id().await.unwrap();
        let mut b = Self {
            client,
            driver,
            driver_port,
            session,
            base: base.trim_end_matches('/').to_string(),
            test: test.to_string(),
            shots,
            step: 0,
            log: Vec::new(),
        };
        b.open().await;
        b
    }

    /// Loads the dashboard (`/`) and waits until the shell is up: a screen rendered into
    /// `main#view` and the event stream connected.
    pub async fn open(&mut self) {
        self.client.goto(&format!("{}/", self.base)).await.unwrap();
        self.wait_for("main#view[data-screen]", "the dashboard shell")
            .await;
        self.wait_for("#live[data-i18n='live.on']", "the event stream connected")
            .await;
    }

    /// Navigates to `#/<screen>?...` (as a link would) and waits until `main#view` shows that
    /// screen. A screen the session may not see shows the sign-in form instead: that fails here.
    pub async fn goto(&mut self, hash: &str) {
        let hash = if hash.starts_with('#') {
            hash.to_string()
        } else {
            format!("#/{hash}")
        };
        let id = hash
            .trim_start_matches('#')
            .trim_start_matches('/')
            .split('?')
            .next()
            .unwrap_or("")
            .to_string();
        let id = if id.is_empty() { "home".into() } else { id };
        // As a link does: the same hash again changes nothing (no `hashchange`).
        self.js("location.hash = arguments[0];", vec![json!(hash)])
            .await;
        self.wait_for(
            &format!("main#view[data-screen='{id}']"),
            &format!("screen {id} after navigating to {hash}"),
        )
        .await;
    }

    /// Runs `script` (a function body; `arguments[i]` are `args`) in the page; its result.
    pub async fn js(&self, script: &str, args: Vec<Value>) -> Value {
        self.client
            .execute(script, args)
            .await
            .unwrap_or_else(|e| panic!("script failed: {e}\n{script}"))
    }

    /// Waits until `css` matches an element; the first one. On timeout: fails with `what`, a
    /// screenshot, the page's visible text and console.
    pub async fn wait_for(&mut self, css: &str, what: &str) -> Element {
        let start = Instant::now();
        loop {
            if let Ok(mut found) = self.client.find_all(Locator::Css(css)).await {
                if !found.is_empty() {
                    return found.swap_remove(0);
                }
            }
            if start.elapsed() > WAIT {
                self.fail(&format!("waited {WAIT:?} for {what} (`{css}`)"))
                    .await;
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Waits until the JavaScript expression `condition` (with `arguments`) is truthy; its value.
    pub async fn wait_until(&mut self, what: &str, condition: &str, args: Vec<Value>) -> Value {
        let start = Instant::now();
        let script = format!("return ({condition});");
        loop {
            if let Ok(v) = self.client.execute(&script, args.clone()).await {
                let truthy = !matches!(&v, Value::Null | Value::Bool(false))
                    && v != json!(0)
                    && v != json!("");
                if truthy {
                    return v;
                }
            }
            if start.elapsed() > WAIT {
                self.fail(&format!("waited {WAIT:?} for {what} (`{condition}`)"))
                    .await;
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// Waits until the text of the first element matching `css` contains `text`; that text.
    pub async fn wait_text(&mut self, css: &str, text: &str) -> String {
        let v = self
            .wait_until(
                &format!("`{css}` to show {text:?}"),
                "(() => { const e = document.querySelector(arguments[0]); \
                  return e && e.textContent.includes(arguments[1]) ? e.textContent : null; })()",
                vec![json!(css), json!(text)],
            )
            .await;
        v.as_str().unwrap_or_default().to_string()
    }

    /// The text content of the first element matching `css` (waiting for it).
    pub async fn text(&mut self, css: &str) -> String {
        self.wait_for(css, css).await;
        let v = self
            .js(
                "return document.querySelector(arguments[0]).textContent;",
                vec![json!(css)],
            )
            .await;
        v.as_str().unwrap_or_default().to_string()
    }

    /// How many elements match `css` now.
    pub async fn count(&self, css: &str) -> usize {
        self.client
            .find_all(Locator::Css(css))
            .await
            .map(|v| v.len())
            .unwrap_or(0)
    }

    /// Clicks the first element matching `css` (waiting for it). Live screens re-render as
    /// blocks arrive, so an element found a moment ago may be replaced before the click: it is
    /// then found again (a few times) rather than failing.
    pub async fn click(&mut self, css: &str) {
        let mut tries = 0;
        loop {
            let el = self.wait_for(css, &format!("{css} to click")).await;
            match el.click().await {
                Ok(_) => return,
                Err(e) if tries < 5 && e.to_string().contains("stale element") => {
                    tries += 1;
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                }
                Err(e) => self.fail(&format!("cannot click `{css}`: {e}")).await,
            }
        }
    }

    /// Fills the fields of `form` (a CSS selector) by name: a select gets the option with that
    /// value (waiting for it to be offered), an input is cleared and typed into.
    pub async fn fill(&mut self, form: &str, fields: &[(&str, &str)]) {
        for (name, value) in fields {
            let css = format!("{form} [name='{name}']");
            let el = self
                .wait_for(&css, &format!("field {name} of {form}"))
                .await;
            if el.tag_name().await.unwrap().eq_ignore_ascii_case("select") {
                self.choose(&css, value).await;
            } else {
                el.clear().await.unwrap();
                el.send_keys(value).await.unwrap();
            }
        }
    }

    /// Chooses the option `value` of the select `css` with a click (waiting for the option).
    pub async fn choose(&mut self, css: &str, value: &str) {
        let option = self
            .wait_for(
                &format!("{css} option[value='{value}']"),
                &format!("option {value} offered in {css}"),
            )
            .await;
        if let Err(e) = option.click().await {
            self.fail(&format!("cannot choose {value} in `{css}`: {e}"))
                .await;
        }
    }

    /// Fills `form` and clicks its submit button.
    pub async fn submit(&mut self, form: &str, fields: &[(&str, &str)]) {
        self.fill(form, fields).await;
        self.click(&format!("{form} [type='submit']")).await;
    }

    /// Saves a screenshot as `<nn>-<step>.png` in this test's directory; its path.
    pub async fn screenshot(&mut self, step: &str) -> PathBuf {
        self.step += 1;
        let name: String = step
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect();
        let path = self.shots.join(format!("{:02}-{name}.png", self.step));
        match self.client.screenshot().await {
            Ok(png) => std::fs::write(&path, png).unwrap(),
            Err(e) => eprintln!("no screenshot {}: {e}", path.display()),
        }
        path
    }

    /// Reads the browser's console entries since the last read into the unchecked ones.
    async fn read_log(&mut self) {
        let Ok(v) = self.client.issue_cmd(BrowserLog).await else {
            return;
        };
        for e in v.as_array().into_iter().flatten() {
            self.log.push(LogEntry {
                level: e["level"].as_str().unwrap_or("").to_string(),
                message: e["message"].as_str().unwrap_or("").to_string(),
            });
        }
    }

    /// Fails if the console logged an error (`SEVERE`: an uncaught exception, `console.error`,
    /// a failed request) since the last check, except entries containing one of `allow` (for a
    /// step that provokes an error answer on purpose, e.g. a wrong password's 401). Each
    /// allowed pattern must have matched an entry. Also fails if the shell shows `#app-error`.
    pub async fn assert_no_console_errors(&mut self, allow: &[&str]) {
        self.read_log().await;
        let entries = std::mem::take(&mut self.log);
        let severe: Vec<&LogEntry> = entries.iter().filter(|e| e.level == "SEVERE").collect();
        let unexpected: Vec<&&LogEntry> = severe
            .iter()
            .filter(|e| !allow.iter().any(|a| e.message.contains(a)))
            .collect();
        let unused: Vec<&&str> = allow
            .iter()
            .filter(|a| !severe.iter().any(|e| e.message.contains(**a)))
            .collect();
        let app_error = self
            .js(
                "const p = document.getElementById('app-error'); \
                 return p && !p.hidden ? p.textContent : null;",
                vec![],
            )
            .await;
        if !unexpected.is_empty() || !unused.is_empty() || app_error.is_string() {
            self.log = entries.clone();
            self.fail(&format!(
                "console errors: {unexpected:#?}\nallowed but not seen: {unused:?}\n\
                 #app-error: {app_error}"
            ))
            .await;
        }
    }

    /// Fails the test: a screenshot, where the page is, its visible text and its console.
    pub async fn fail(&mut self, why: &str) -> ! {
        let shot = self.screenshot("failure").await;
        let url = self
            .client
            .current_url()
            .await
            .map(|u| u.to_string())
            .unwrap_or_default();
        let text = self
            .client
            .execute(
                "return document.body ? document.body.innerText : '';",
                vec![],
            )
            .await
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        let text: String = text.chars().take(TEXT_SHOWN).collect();
        self.read_log().await;
        panic!(
            "{}: {why}\n  screenshot {}\n  at {url}\n---- visible text ----\n{text}\n---- console ----\n{:#?}",
            self.test,
            shot.display(),
            self.log
        );
    }

    /// Ends the session (Chromium exits) and chromedriver.
    pub async fn close(mut self) {
        let client = self.client.clone();
        if client.close().await.is_ok() {
            self.session = None;
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // A test that failed never reached `close`: end the session synchronously so Chromium
        // exits, then stop chromedriver.
        if let Some(id) = self.session.take() {
            delete_session(self.driver_port, &id);
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// `DELETE /session/{id}` with a plain blocking HTTP/1.1 request (usable in `Drop`).
fn delete_session(port: u16, id: &str) {
    let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) else {
        return;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(10)));
    let req = format!(
        "DELETE /session/{id} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 0\r\n\
         Connection: close\r\n\r\n"
    );
    if s.write_all(req.as_bytes()).is_ok() {
        let mut sink = Vec::new();
        let _ = s.read_to_end(&mut sink);
    }
}

/// Waits until chromedriver answers `GET /status` with `ready`.
async fn wait_for_driver(driver: &mut Child, url: &str, shots: &Path) {
    let http = reqwest::Client::new();
    let start = Instant::now();
    loop {
        if let Some(status) = driver.try_wait().unwrap() {
            panic!(
                "chromedriver exited ({status}); its log: {}",
                shots.join("chromedriver.log").display()
            );
        }
        if let Ok(r) = http.get(format!("{url}status")).send().await {
            if let Ok(v) = r.json::<Value>().await {
                if v["value"]["ready"] == true {
                    return;
                }
            }
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "chromedriver not ready in 20 s; its log: {}",
            shots.join("chromedriver.log").display()
        );
        tokio::time::sleep(POLL).await;
    }
}
