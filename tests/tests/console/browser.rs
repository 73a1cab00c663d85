//! Headless Chromium through chromedriver (WebDriver, with `fantoccini`):
//! the helpers the flows use to act as a person and read what a person sees.
//!
//! Every [`Browser`] has its own chromedriver and Chromium profile, so tests
//! share no browser state, and dropping it (also when the test panics) stops
//! both: chromedriver runs in its own process group, which the drop kills.
//! A chromedriver shared through a `static` would never be dropped and would
//! outlive the test binary.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::key::Key;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

/// How long the page may take to show what a step expects.
const PATIENCE: Duration = Duration::from_secs(20);

/// One browser session on its own chromedriver.
pub struct Browser {
    client: Client,
    // Dropped after the client: stops chromedriver and Chromium.
    _driver: Chromedriver,
}

impl Browser {
    /// A fresh Chromium at 1280×900; `None` (after a SKIPPED message) when
    /// chromedriver is not installed and `SEATWISE_REQUIRE_BROWSER` is not 1.
    pub async fn open() -> Option<Self> {
        let driver = Chromedriver::start()?;
        let mut args = vec![
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--window-size=1280,900",
        ]
        .into_iter()
        .map(str::to_owned)
        .collect::<Vec<_>>();
        args.push(format!("--user-data-dir={}", driver.profile.display()));
        let mut options = json!({ "args": args });
        if let Some(binary) = chromium_binary() {
            options["binary"] = json!(binary);
        }
        let mut capabilities = serde_json::Map::new();
        capabilities.insert("goog:chromeOptions".into(), options);
        let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(capabilities)
            .connect(&driver.url)
            .await
            .unwrap_or_else(|e| {
                panic!("start Chromium through chromedriver: {e}\n{}", driver.log())
            });
        Some(Self {
            client,
            _driver: driver,
        })
    }

    pub async fn goto(&self, url: &str) {
        self.client
            .goto(url)
            .await
            .unwrap_or_else(|e| panic!("open {url}: {e}"));
    }

    /// Open `url` as a fresh page load (a plain `goto` to the same page
    /// with another `#` only changes the route).
    pub async fn reload(&self, url: &str) {
        self.goto(url).await;
        self.client
            .refresh()
            .await
            .unwrap_or_else(|e| panic!("reload {url}: {e}"));
    }

    pub async fn current_url(&self) -> String {
        self.client
            .current_url()
            .await
            .expect("current URL")
            .to_string()
    }

    /// Paste `token` into the sign-in page and press Sign in.
    pub async fn sign_in(&self, token: &str) {
        self.wait_text("h1", "Sign in to Seatwise").await;
        self.clear("#token").await;
        self.type_into("#token", token).await;
        self.click("button[type=submit]")
            .await
            .expect("press Sign in");
    }

    async fn find(&self, css: &str) -> fantoccini::elements::Element {
        let deadline = Instant::now() + PATIENCE;
        loop {
            match self.client.find(Locator::Css(css)).await {
                Ok(element) => return element,
                Err(e) if Instant::now() > deadline => panic!(
                    "no {css} on the page ({e}); page:\n{}",
                    self.page_text().await
                ),
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
    }

    pub async fn click(&self, css: &str) -> Result<(), fantoccini::error::CmdError> {
        self.find(css).await.click().await
    }

    pub async fn click_link(&self, text: &str) {
        let deadline = Instant::now() + PATIENCE;
        loop {
            match self.client.find(Locator::LinkText(text)).await {
                Ok(link) => {
                    link.click()
                        .await
                        .unwrap_or_else(|e| panic!("click {text}: {e}"));
                    return;
                }
                Err(e) if Instant::now() > deadline => {
                    panic!("no link {text:?} ({e}); page:\n{}", self.page_text().await)
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
    }

    pub async fn type_into(&self, css: &str, text: &str) {
        self.find(css)
            .await
            .send_keys(text)
            .await
            .unwrap_or_else(|e| panic!("type into {css}: {e}"));
    }

    pub async fn press(&self, css: &str, key: Key) {
        let key: char = key.into();
        self.find(css)
            .await
            .send_keys(&key.to_string())
            .await
            .unwrap_or_else(|e| panic!("press a key in {css}: {e}"));
    }

    pub async fn clear(&self, css: &str) {
        let element = self.find(css).await;
        element
            .clear()
            .await
            .unwrap_or_else(|e| panic!("clear {css}: {e}"));
        // clear() fires no input event; a typed-and-erased character does.
        let backspace: char = Key::Backspace.into();
        element
            .send_keys(&format!(" {backspace}"))
            .await
            .expect("type");
    }

    pub async fn text(&self, css: &str) -> String {
        self.find(css).await.text().await.unwrap_or_default()
    }

    pub async fn attr(&self, css: &str, name: &str) -> Option<String> {
        self.find(css).await.attr(name).await.ok().flatten()
    }

    /// Whether `css` is on the page now (no waiting).
    pub async fn exists(&self, css: &str) -> bool {
        self.client.find(Locator::Css(css)).await.is_ok()
    }

    pub async fn is_displayed(&self, css: &str) -> bool {
        match self.client.find(Locator::Css(css)).await {
            Ok(element) => element.is_displayed().await.unwrap_or(false),
            Err(_) => false,
        }
    }

    /// Run `script` in the page; its value.
    pub async fn execute(&self, script: &str) -> Value {
        self.client
            .execute(script, vec![])
            .await
            .unwrap_or_else(|e| panic!("run {script:?}: {e}"))
    }

    pub async fn set_window_size(&self, width: u32, height: u32) {
        self.client
            .set_window_size(width, height)
            .await
            .unwrap_or_else(|e| panic!("resize the window to {width}×{height}: {e}"));
    }

    async fn page_text(&self) -> String {
        match self.client.find(Locator::Css("body")).await {
            Ok(body) => body.text().await.unwrap_or_default(),
            Err(e) => format!("<no page: {e}>"),
        }
    }

    /// The visible text of `css` once it contains `needle`.
    pub async fn wait_text(&self, css: &str, needle: &str) -> String {
        let deadline = Instant::now() + PATIENCE;
        let mut last = String::new();
        loop {
            if let Ok(element) = self.client.find(Locator::Css(css)).await
                && let Ok(text) = element.text().await
            {
                if text.contains(needle) {
                    return text;
                }
                last = text;
            }
            if Instant::now() > deadline {
                panic!(
                    "waited for {needle:?} in {css}; it showed {last:?}\nwhole page:\n{}",
                    self.page_text().await
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub async fn wait_until<F, Fut>(&self, what: &str, mut check: F)
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = bool>,
    {
        self.wait_for(what, || {
            let checked = check();
            async move { checked.await.then_some(()) }
        })
        .await;
    }

    /// Poll `read` until it gives a value; that value.
    pub async fn wait_for<T, F, Fut>(&self, what: &str, mut read: F) -> T
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Option<T>>,
    {
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Some(value) = read().await {
                return value;
            }
            assert!(
                Instant::now() < deadline,
                "waited for {what}; page:\n{}",
                self.page_text().await
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Save a picture of the page to `target/console-screenshots/` on every
    /// run, and to `docs/screenshots/` when a picture there is missing or
    /// `SEATWISE_UPDATE_SCREENSHOTS=1` (so a plain test run leaves the work
    /// tree clean).
    pub async fn screenshot(&self, name: &str) {
        // Let fonts and focus rings settle.
        tokio::time::sleep(Duration::from_millis(300)).await;
        let png = self.client.screenshot().await.expect("take a screenshot");
        let workspace = Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .expect("workspace root");
        let scratch = workspace.join("target").join("console-screenshots");
        std::fs::create_dir_all(&scratch).expect("create target/console-screenshots");
        std::fs::write(scratch.join(format!("{name}.png")), &png).expect("write a screenshot");
        let docs = workspace
            .join("docs")
            .join("screenshots")
            .join(format!("{name}.png"));
        if std::env::var("SEATWISE_UPDATE_SCREENSHOTS").is_ok_and(|v| v == "1") || !docs.exists() {
            std::fs::create_dir_all(docs.parent().expect("docs/screenshots"))
                .expect("create docs/screenshots");
            std::fs::write(&docs, &png).expect("write a screenshot into docs/");
        }
    }
}

// --- chromedriver and Chromium -------------------------------------------

/// A chromedriver on a free local port; dropping it stops it and every
/// browser it started.
struct Chromedriver {
    child: Child,
    url: String,
    profile: PathBuf,
    log_path: PathBuf,
}

impl Chromedriver {
    /// `None` (after a SKIPPED message) when chromedriver is not installed
    /// and `SEATWISE_REQUIRE_BROWSER` is not 1.
    fn start() -> Option<Self> {
        let Some(program) = find_program("SEATWISE_CHROMEDRIVER", &["chromedriver"]) else {
            let message = "chromedriver not found (install Debian's `chromium` and `chromium-driver`, \
                           or set SEATWISE_CHROMEDRIVER)";
            if std::env::var("SEATWISE_REQUIRE_BROWSER").is_ok_and(|v| v == "1") {
                panic!("{message}; SEATWISE_REQUIRE_BROWSER=1 forbids skipping the browser tests");
            }
            eprintln!("SKIPPED console browser test: {message}");
            return None;
        };
        let dir = std::env::temp_dir().join(format!(
            "seatwise-console-{}",
            uuid::Uuid::new_v4().simple()
        ));
        let profile = dir.join("chromium-profile");
        std::fs::create_dir_all(&profile).expect("create a Chromium profile folder");
        let log_path = dir.join("chromedriver.log");
        let port = free_port();
        let mut command = Command::new(&program);
        command
            .arg(format!("--port={port}"))
            .arg(format!("--log-path={}", log_path.display()))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        // Its own process group, so dropping it also stops Chromium.
        std::os::unix::process::CommandExt::process_group(&mut command, 0);
        let child = command
            .spawn()
            .unwrap_or_else(|e| panic!("start {}: {e}", program.display()));
        let driver = Self {
            child,
            url: format!("http://127.0.0.1:{port}"),
            profile,
            log_path,
        };
        driver.wait_until_ready();
        Some(driver)
    }

    fn wait_until_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        let address = self.url.trim_start_matches("http://").to_owned();
        while std::net::TcpStream::connect(&address).is_err() {
            assert!(
                Instant::now() < deadline,
                "chromedriver did not start; log:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log_path).unwrap_or_default()
    }
}

impl Drop for Chromedriver {
    fn drop(&mut self) {
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill").args(["-TERM", "--", &group]).status();
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Some(dir) = self.profile.parent() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

fn chromium_binary() -> Option<PathBuf> {
    // Debian's /usr/bin/chromium is a wrapper script; the real program
    // beside it starts faster and takes the same flags.
    find_program(
        "SEATWISE_CHROMIUM",
        &["/usr/lib/chromium/chromium", "chromium", "chromium-browser"],
    )
}

/// `env` if set, else the first of `names` that exists (absolute, or on PATH).
fn find_program(env: &str, names: &[&str]) -> Option<PathBuf> {
    if let Some(path) = std::env::var_os(env) {
        return Some(PathBuf::from(path));
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    names.iter().find_map(|name| {
        let name = Path::new(name);
        if name.is_absolute() {
            return name.is_file().then(|| name.to_path_buf());
        }
        std::env::split_paths(&path)
            .map(|dir| dir.join(name))
            .find(|p| p.is_file())
    })
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free local port")
        .port()
}
