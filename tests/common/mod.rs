//! What the integration tests share: temporary stacks and running the binary.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

static NEXT: AtomicUsize = AtomicUsize::new(0);

/// A temporary directory, removed when dropped.
pub struct Dir(PathBuf);

impl std::ops::Deref for Dir {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A fresh directory holding `files` (path, content).
pub fn tree(files: &[(&str, &str)]) -> Dir {
    let dir = std::env::temp_dir().join(format!(
        "stacklint-test-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::SeqCst)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("mkdir");
    for (path, text) in files {
        let p = dir.join(path);
        std::fs::create_dir_all(p.parent().expect("has a parent")).expect("mkdir");
        std::fs::write(&p, text).expect("write");
    }
    Dir(dir)
}

/// Copies the directory `from` (recursively) to `to`.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("read_dir").flatten() {
        let target = to.join(e.file_name());
        if e.file_type().is_ok_and(|t| t.is_dir()) {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), &target).expect("copy");
        }
    }
}

/// A fresh directory holding a copy of the fixture `fixtures/<name>`.
pub fn fixture_copy(name: &str) -> Dir {
    let dir = tree(&[]);
    copy_dir(&manifest().join("fixtures").join(name), &dir);
    dir
}

/// Runs stacklint in `dir`: (exit code, stdout, stderr).
pub fn stacklint_in(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_stacklint"))
        .args(args)
        .current_dir(dir)
        // The "no colour when piped" tests must not pass because of the caller's NO_COLOR.
        .env_remove("NO_COLOR")
        .env_remove("FORCE_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .output()
        .expect("binary runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// As [`stacklint_in`], but killed (and the test failed) when it runs past `limit`:
/// a hang fails instead of stalling the suite. Both pipes are read on threads, so a
/// large report cannot block the child.
///
/// The child's peak resident memory is held to [`HOSTILE_MEMORY`] (measured by GNU
/// `time`, where it exists), and its address space to [`ADDRESS_SPACE`] by `prlimit
/// --as` (util-linux), so a run that eats memory is stopped instead of taking the
/// machine down. Address space is not the bound itself: jemalloc maps more than
/// it uses, and a growing vector is copied rather than remapped.
/// `STACKLINT_BIN` runs another build (the release binary) and
/// `STACKLINT_LIMIT_MS` replaces every deadline: `benches/hostile.sh` uses both to
/// hold the hostile suites to the bound of 2 s per case.
pub fn stacklint_within(limit: Duration, dir: &Path, args: &[&str]) -> (i32, String, String) {
    let limit = std::env::var("STACKLINT_LIMIT_MS")
        .ok()
        .and_then(|ms| ms.parse().ok())
        .map_or(limit, Duration::from_millis);
    let bin = std::env::var("STACKLINT_BIN").map_or_else(
        |_| PathBuf::from(env!("CARGO_BIN_EXE_stacklint")),
        PathBuf::from,
    );
    let rss_file = std::env::temp_dir().join(format!(
        "stacklint-rss-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::SeqCst)
    ));
    let mut wrappers: Vec<std::ffi::OsString> = Vec::new();
    if let Some(time) = tool("time", &["/usr/bin/time"]) {
        wrappers.extend([time.into(), "-f".into(), "%M".into(), "-o".into()]);
        wrappers.push(rss_file.clone().into());
    }
    if let Some(prlimit) = tool("prlimit", &["/usr/bin/prlimit", "/bin/prlimit"]) {
        wrappers.extend([
            prlimit.into(),
            format!("--as={ADDRESS_SPACE}").into(),
            "--".into(),
        ]);
    }
    wrappers.push(bin.into());
    let mut command = Command::new(&wrappers[0]);
    command.args(&wrappers[1..]);
    // Its own process group: GNU time forks stacklint, and a deadline kills both.
    std::os::unix::process::CommandExt::process_group(&mut command, 0);
    let mut child = command
        .args(args)
        .current_dir(dir)
        .env_remove("NO_COLOR")
        .env_remove("FORCE_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("binary runs");
    let drain = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut s = Vec::new();
            let _ = pipe.read_to_end(&mut s);
            s
        })
    };
    let out = drain(Box::new(child.stdout.take().expect("piped")));
    let err = drain(Box::new(child.stderr.take().expect("piped")));
    let deadline = Instant::now() + limit;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = Command::new("kill")
                .args(["-KILL", "--", &format!("-{}", child.id())])
                .status();
            let _ = child.kill();
            let _ = child.wait();
            panic!("stacklint {args:?} in {} ran past {limit:?}", dir.display());
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let text = |h: std::thread::JoinHandle<Vec<u8>>| {
        String::from_utf8_lossy(&h.join().expect("reader")).into_owned()
    };
    // GNU time writes the peak in KiB on its last line (after "Command terminated
    // by signal N" when the child was killed).
    if let Ok(report) = std::fs::read_to_string(&rss_file) {
        let _ = std::fs::remove_file(&rss_file);
        let kib: u64 = report
            .lines()
            .last()
            .and_then(|l| l.trim().parse().ok())
            .unwrap_or_else(|| panic!("GNU time wrote {report:?}"));
        assert!(
            kib * 1024 <= HOSTILE_MEMORY,
            "stacklint {args:?} in {} peaked at {} MiB resident, over {} MiB",
            dir.display(),
            kib / 1024,
            HOSTILE_MEMORY >> 20
        );
    }
    (status.code().unwrap_or(-1), text(out), text(err))
}

/// The resident memory a hostile-input run may use at its peak: 256 MiB.
pub const HOSTILE_MEMORY: u64 = 256 * 1024 * 1024;

/// The address space it may map: a safety net, well above what it uses.
pub const ADDRESS_SPACE: u64 = 1024 * 1024 * 1024;

/// A program the hostile runs are wrapped in, when this machine has it (`.ci/run`
/// installs both); said once per test binary when it does not.
fn tool(name: &'static str, paths: &[&str]) -> Option<PathBuf> {
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock};
    static FOUND: OnceLock<Mutex<HashMap<&'static str, Option<PathBuf>>>> = OnceLock::new();
    let mut found = FOUND
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    found
        .entry(name)
        .or_insert_with(|| {
            let path = paths.iter().map(PathBuf::from).find(|p| p.exists());
            if path.is_none() {
                eprintln!("{name} not found: hostile-input runs are not held to a memory bound");
            }
            path
        })
        .clone()
}

/// `../shared/<rel>` beside the checkout (the corpus of real stacks), or `None` after
/// one line on stderr saying that `what` was skipped: a fresh clone has no `../shared`,
/// and its `cargo test` must say what it did not run rather than pass in silence.
/// `STACKLINT_SHARED` points elsewhere (an absent path shows what a fresh clone skips).
pub fn shared(rel: &str, what: &str) -> Option<PathBuf> {
    let path = shared_path(rel);
    if path.exists() {
        return Some(path);
    }
    // Straight to the stream, not `eprintln!`: the test harness captures the macro's
    // output of a passing test, and this line is meant to be seen.
    let _ = writeln!(
        std::io::stderr(),
        "skipped: {what} ({} is absent)",
        path.display()
    );
    None
}

/// Where `../shared/<rel>` is (or would be), without looking.
pub fn shared_path(rel: &str) -> PathBuf {
    std::env::var_os("STACKLINT_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| manifest().join("../shared"))
        .join(rel)
}

/// The checkout: fixtures are found from here, and runs without a directory start here.
pub fn manifest() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Runs stacklint in the checkout: (exit code, stdout, stderr).
pub fn stacklint(args: &[&str]) -> (i32, String, String) {
    stacklint_in(manifest(), args)
}

/// Every project (and single file) below `dir`, loaded as the CLI loads them.
pub fn projects_in(
    dir: &Path,
    opts: &stacklint::compose::stack::LoadOptions,
) -> Vec<stacklint::compose::stack::Project> {
    use stacklint::compose::discover::{discover, Target};
    discover(&[dir.to_path_buf()], &[])
        .expect("the directory exists")
        .iter()
        .map(|t| match t {
            Target::Project(spec) => stacklint::compose::stack::load_project(spec, opts),
            Target::File(path, kind) => stacklint::compose::stack::load_single(path, *kind),
        })
        .collect()
}

/// The first compose project of `fixtures/<dir>`.
pub fn fixture_with(
    dir: &str,
    opts: &stacklint::compose::stack::LoadOptions,
) -> stacklint::compose::stack::Project {
    projects_in(&manifest().join("fixtures").join(dir), opts)
        .into_iter()
        .find(|p| !p.compose_files.is_empty())
        .unwrap_or_else(|| panic!("no project in fixtures/{dir}"))
}

/// The first compose project of `fixtures/<dir>`, with default options.
pub fn fixture(dir: &str) -> stacklint::compose::stack::Project {
    fixture_with(dir, &stacklint::compose::stack::LoadOptions::default())
}
