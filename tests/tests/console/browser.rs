//! Headless Chromium through chromedriver (WebDriver, with `fantoccini`):
//! the helpers the flows use to act as a person and read what a person sees.
//!
//! Every [`Browser`] has its own chromedriver and Chromium profile, so tests
//! share no browser state, and dropping it (also when the test panics) stops
//! both: chromedriver runs in its own process group, which the drop kills.
//! A chromedriver shared through a `static` would never be dropped and would
//! outlive the test binary.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::mpsc;
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
    ///
    /// A browser that fails to start is started once more, on a new
    /// chromedriver and profile, after the failure and chromedriver's log
    /// are printed: starting Chromium is the harness's set-up, not the flow
    /// under test, and on a 2-core machine a first start right after
    /// installing Chromium has been seen to fail after about 60 seconds.
    pub async fn open() -> Option<Self> {
        let driver = Chromedriver::start()?;
        match Self::connect(driver).await {
            Ok(browser) => Some(browser),
            Err(first) => {
                eprintln!("Chromium did not start; starting it once more. {first}");
                let driver = Chromedriver::start()?;
                Some(
                    Self::connect(driver)
                        .await
                        .unwrap_or_else(|second| panic!("{second}")),
                )
            }
        }
    }

    /// A Chromium session on `driver`; the error names the cause and holds
    /// chromedriver's log.
    async fn connect(driver: Chromedriver) -> Result<Self, String> {
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
        match ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(capabilities)
            .connect(&driver.url)
            .await
        {
            Ok(client) => Ok(Self {
                client,
                _driver: driver,
            }),
            Err(e) => Err(format!(
                "start Chromium through chromedriver: {e}\nchromedriver log:\n{}",
                driver.log()
            )),
        }
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

    /// Wait until the combobox `id` shows the results of the whole `query`
    /// (its status names the text it answers) and they include `name`.
    /// Results of an earlier keystroke ("L" while "Lynne" is typed) do not
    /// count: acting on them would pick from a list about to be replaced.
    pub async fn wait_combobox_results(&self, id: &str, query: &str, name: &str) {
        let status = format!("#{id}-status");
        let list = format!("#{id}-list");
        let answers_query = format!("for “{query}”");
        self.wait_until(
            &format!("the results for {query:?} in #{id}, with {name:?}"),
            || async {
                self.text(&status).await.contains(&answers_query)
                    && self.is_displayed(&list).await
                    && self.text(&list).await.contains(name)
            },
        )
        .await;
    }

    /// In the combobox `id`, whose list is open, move with the down arrow
    /// to the option named `name` and press Enter to pick it.
    pub async fn pick_combobox_option(&self, id: &str, name: &str) {
        let input = format!("#{id}");
        let options = self
            .client
            .find_all(Locator::Css(&format!("#{id}-list [role=option]")))
            .await
            .map(|found| found.len())
            .unwrap_or_default();
        for _ in 0..options {
            self.press(&input, Key::Down).await;
            let active = self.attr(&input, "aria-activedescendant").await;
            let active_name = match active {
                Some(option) => self.attr(&format!("#{option}"), "data-name").await,
                None => None,
            };
            if active_name.as_deref() == Some(name) {
                self.press(&input, Key::Enter).await;
                return;
            }
        }
        panic!(
            "no option named {name:?} in #{id}; page:\n{}",
            self.page_text().await
        );
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
        // Port 0: chromedriver binds a free port itself and prints it. A
        // port picked here and handed over could be taken by a parallel
        // test's server in between.
        let mut command = Command::new(&program);
        command
            .arg("--port=0")
            .arg(format!("--log-path={}", log_path.display()))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        // Its own process group, so dropping it also stops Chromium.
        std::os::unix::process::CommandExt::process_group(&mut command, 0);
        let mut child = command
            .spawn()
            .unwrap_or_else(|e| panic!("start {}: {e}", program.display()));
        let stdout = child.stdout.take().expect("chromedriver's stdout is piped");
        let port = listening_port(stdout).unwrap_or_else(|| {
            let _ = child.kill();
            panic!(
                "chromedriver did not say which port it listens on; log:\n{}",
                std::fs::read_to_string(&log_path).unwrap_or_default()
            )
        });
        Some(Self {
            child,
            url: format!("http://127.0.0.1:{port}"),
            profile,
            log_path,
        })
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

/// The port of chromedriver's "ChromeDriver was started successfully on
/// port N." line, read within 30 seconds; the rest of its output is drained
/// so that it never blocks on a full pipe.
fn listening_port(stdout: ChildStdout) -> Option<u16> {
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        let mut sender = Some(sender);
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            let port = line
                .strip_prefix("ChromeDriver was started successfully on port ")
                .and_then(|rest| rest.trim_end_matches('.').parse::<u16>().ok());
            if let Some(port) = port
                && let Some(sender) = sender.take()
            {
                let _ = sender.send(port);
            }
        }
    });
    receiver.recv_timeout(Duration::from_secs(30)).ok()
}
