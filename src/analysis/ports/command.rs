//! Commands: compose `command` / `entrypoint` and the Dockerfile's CMD / ENTRYPOINT,
//! read for the servers they start and the ports those servers bind.

use super::*;

/// One command as written: its words, already split when it is a list (exec form),
/// or one string a shell splits.
#[derive(Clone, Debug)]
pub enum CommandSrc {
    Exec(Vec<Text>),
    Shell(Text),
}

impl CommandSrc {
    /// The healthcheck's test as a command: `CMD` exec form, or a shell string.
    pub fn of_healthcheck(
        test: crate::parse::yaml::NodeRef<'_>,
        sources: &crate::source::Sources,
    ) -> Option<CommandSrc> {
        // Too long to read: no probe is concluded from it.
        if crate::parse::shell::node_too_long(test) {
            return None;
        }
        if let Some(items) = test.as_seq() {
            let first = items.first()?.as_str()?;
            let rest: Vec<Text> = items
                .iter()
                .skip(1)
                .filter(|i| i.as_str().is_some())
                .map(|i| Text::from_node(i, sources))
                .collect();
            return match first {
                "CMD" => Some(CommandSrc::Exec(rest)),
                "CMD-SHELL" => rest.into_iter().next().map(CommandSrc::Shell),
                _ => None,
            };
        }
        test.as_str()?;
        Some(CommandSrc::Shell(Text::from_node(test, sources)))
    }

    /// A command too long to read ([`shell::too_long`]): it stands as a program
    /// stacklint does not know, which is what the rules assume of a project's own
    /// script: nothing is concluded from it.
    fn unread(span: Span) -> CommandSrc {
        CommandSrc::Shell(Text::plain("command-too-long-to-read".into(), span))
    }

    /// The compose `command` / `entrypoint` / healthcheck form of a node.
    pub fn from_node(n: NodeRef<'_>, sources: &crate::source::Sources) -> Option<CommandSrc> {
        if shell::node_too_long(n) {
            return Some(Self::unread(n.span()));
        }
        if let Some(items) = n.as_seq() {
            let words: Vec<Text> = items
                .iter()
                .filter(|i| i.as_str().is_some())
                .map(|i| Text::from_node(i, sources))
                .collect();
            return Some(CommandSrc::Exec(words));
        }
        n.as_str()?;
        Some(CommandSrc::Shell(Text::from_node(n, sources)))
    }

    /// A Dockerfile `CMD` / `ENTRYPOINT`: JSON form is exec form, the rest a shell string.
    pub(super) fn from_instruction(
        ins: &Instruction,
        sources: &crate::source::Sources,
    ) -> CommandSrc {
        let bytes = ins.args.iter().map(|w| w.value.len()).sum();
        if shell::too_long(ins.args.len(), bytes) {
            return Self::unread(ins.span);
        }
        let src = sources.get(ins.span.file);
        let json = ins
            .args
            .first()
            .is_some_and(|w| src.slice(&w.span).starts_with('"'));
        let words: Vec<Text> = ins
            .args
            .iter()
            .map(|w| Text::from_word(&w.value, w.span, sources))
            .collect();
        if json {
            CommandSrc::Exec(words)
        } else {
            CommandSrc::Shell(Text::join(&words, ins.span))
        }
    }

    /// The text of the whole command.
    pub fn full_span(&self) -> Option<Span> {
        match self {
            CommandSrc::Exec(w) => {
                let (a, b) = (w.first()?.full_span(), w.last()?.full_span());
                (a.file == b.file).then(|| Span::new(a.file, a.start(), b.end()))
            }
            CommandSrc::Shell(t) => Some(t.full_span()),
        }
    }

    pub fn is_empty(&self) -> bool {
        match self {
            CommandSrc::Exec(w) => w.is_empty(),
            CommandSrc::Shell(t) => t.s.trim().is_empty(),
        }
    }

    /// The first word, as the program sees it.
    pub fn first_word(&self) -> Option<Text> {
        match self {
            CommandSrc::Exec(w) => w.first().cloned(),
            CommandSrc::Shell(t) => shell::split(t)
                .into_iter()
                .next()
                .and_then(|c| c.words.into_iter().next()),
        }
    }

    /// Every word (the shell form split like a shell does, operators dropped).
    pub fn words(&self) -> Vec<Text> {
        match self {
            CommandSrc::Exec(w) => w.clone(),
            CommandSrc::Shell(t) => shell::split(t).into_iter().flat_map(|c| c.words).collect(),
        }
    }

    /// The programs it runs, through `sh -c`, `exec`, `gosu` and the like.
    pub fn invocations(&self) -> Vec<Invocation> {
        match self {
            CommandSrc::Exec(w) => shell::expand_words(w),
            CommandSrc::Shell(t) => shell::invocations(t),
        }
    }
}

/// The instructions the final image is made of, in build order: the stages the
/// last one builds on (`FROM base`) first.
pub(super) fn image_instructions(d: &Dockerfile) -> Vec<&Instruction> {
    crate::compose::base::final_instructions(d)
        .into_iter()
        .rev()
        .flatten()
        .collect()
}

/// The image's ENTRYPOINT and CMD, inherited from earlier stages. A stage that sets
/// ENTRYPOINT without a CMD of its own drops the CMD it inherits, as the builder does.
pub(super) fn image_commands(d: &Dockerfile) -> (Option<&Instruction>, Option<&Instruction>) {
    let (mut ep, mut cmd, mut cmd_done) = (None, None, false);
    for stage in crate::compose::base::final_instructions(d) {
        let stage_cmd = stage.iter().rev().find(|i| i.name == "CMD");
        let stage_ep = stage.iter().rev().find(|i| i.name == "ENTRYPOINT");
        if !cmd_done && stage_cmd.is_some() {
            cmd = stage_cmd;
            cmd_done = true;
        }
        if ep.is_none() && stage_ep.is_some() {
            ep = stage_ep;
            cmd_done = true;
        }
    }
    (ep, cmd)
}

/// The commands that decide what runs in the container.
#[derive(Debug, Default)]
pub(super) struct Commands {
    /// compose `entrypoint` (replaces the image's, and drops its CMD).
    pub(super) entrypoint: Option<CommandSrc>,
    /// compose `command` (replaces the image's CMD).
    pub(super) command: Option<CommandSrc>,
    /// The Dockerfile's ENTRYPOINT, when compose keeps it.
    pub(super) df_entrypoint: Option<CommandSrc>,
    /// The Dockerfile's CMD, when compose keeps it.
    pub(super) df_cmd: Option<CommandSrc>,
}

impl Commands {
    pub(super) fn of(p: &Project, node: Option<NodeRef<'_>>, df: Option<&Dockerfile>) -> Commands {
        let get = |k: &str| {
            node.and_then(|n| n.get(k))
                .and_then(|n| CommandSrc::from_node(n, &p.sources))
        };
        let mut c = Commands {
            entrypoint: get("entrypoint"),
            command: get("command"),
            ..Default::default()
        };
        if let Some(d) = df {
            let (ep, cmd) = image_commands(d);
            if c.entrypoint.is_none() {
                c.df_entrypoint = ep
                    .map(|i| CommandSrc::from_instruction(i, &p.sources))
                    .filter(|c| !c.is_empty());
                if c.command.is_none() {
                    c.df_cmd = cmd
                        .map(|i| CommandSrc::from_instruction(i, &p.sources))
                        .filter(|c| !c.is_empty());
                }
            }
        }
        c
    }

    /// Whether an entrypoint (compose's, or the Dockerfile's that compose keeps)
    /// runs something other than a server or an init such as `tini`: a script
    /// that may read the environment before it hands over to the command.
    pub(super) fn entrypoint_script(&self, env: &RuntimeEnv) -> bool {
        let Some(e) = self.entrypoint.as_ref().or(self.df_entrypoint.as_ref()) else {
            return false;
        };
        // The words, not the invocations: those skip `docker-entrypoint.sh`, which
        // in a local build is the project's own script.
        let runs_server = e
            .invocations()
            .iter()
            .any(|inv| server::parse(inv, env).is_some());
        !runs_server
            && e.words().iter().any(|w| {
                let b = shell::basename(&w.s);
                !w.s.starts_with('-')
                    && !matches!(
                        b.as_str(),
                        "tini" | "tini-static" | "dumb-init" | "catatonit"
                    )
            })
    }

    /// Each command with the evidence kind it gives.
    pub(super) fn all(&self) -> Vec<(&CommandSrc, EvidenceKind)> {
        [
            (&self.entrypoint, EvidenceKind::Command),
            (&self.command, EvidenceKind::Command),
            (&self.df_entrypoint, EvidenceKind::DockerfileCmd),
            (&self.df_cmd, EvidenceKind::DockerfileCmd),
        ]
        .into_iter()
        .filter_map(|(c, k)| c.as_ref().map(|c| (c, k)))
        .collect()
    }
}

/// Programs that start nothing that listens, so a command running them besides
/// the server is still readable.
pub(super) fn is_benign(prog: &str) -> bool {
    matches!(
        prog,
        "echo"
            | "printf"
            | "sleep"
            | "true"
            | "false"
            | "set"
            | "export"
            | "ulimit"
            | "umask"
            | "cd"
            | "test"
            | "["
            | "[["
            | "wait"
            | ":"
            | "trap"
            | "mkdir"
            | "chown"
            | "chmod"
            | "date"
            | "id"
            | "whoami"
    )
}

/// A generic service: server flags found in its commands.
pub(super) fn server_flags(cmds: &Commands, env: &RuntimeEnv, l: &mut Listening) {
    // `ENTRYPOINT ["uvicorn", "app"]` with `command: ["--port", "9000"]`: the command
    // is more flags of the entrypoint's server; read the two as one command line.
    let ep = cmds.entrypoint.as_ref().or(cmds.df_entrypoint.as_ref());
    let cmd = cmds.command.as_ref().or(cmds.df_cmd.as_ref());
    if let (Some(e), Some(c)) = (ep, cmd) {
        if c.first_word().is_some_and(|w| w.s.starts_with('-')) {
            let mut words = e.words();
            words.extend(c.words());
            let kind = if cmds.entrypoint.is_some() || cmds.command.is_some() {
                EvidenceKind::Command
            } else {
                EvidenceKind::DockerfileCmd
            };
            let joined = CommandSrc::Exec(words);
            let others: Vec<(&CommandSrc, EvidenceKind)> = cmds
                .all()
                .into_iter()
                .filter(|(x, _)| !std::ptr::eq(*x, e) && !std::ptr::eq(*x, c))
                .collect();
            for (x, k) in std::iter::once((&joined, kind)).chain(others) {
                read_generic(x, k, env, l);
            }
            return;
        }
    }
    for (cmd, kind) in cmds.all() {
        read_generic(cmd, kind, env, l);
    }
}

pub(super) fn read_generic(
    cmd: &CommandSrc,
    kind: EvidenceKind,
    env: &RuntimeEnv,
    l: &mut Listening,
) {
    for inv in &cmd.invocations() {
        match server::parse(inv, env) {
            Some(info) => apply_found(l, &info, kind),
            None if !is_benign(&inv.prog) => {
                if inv.background {
                    // Something else started in the background may listen too.
                    l.unknown(
                        format!("`{}` runs in the background", inv.prog),
                        Some(inv.prog_word.full_span()),
                    );
                }
                for (port, span) in generic_port_args(inv, env) {
                    l.candidates.push((port, kind, span));
                }
            }
            None => {}
        }
    }
}

/// A background-job worker the service runs instead of a server.
#[derive(Clone, Debug)]
pub struct Worker {
    /// How it is named in messages: `celery worker`, `sidekiq`.
    pub name: String,
    /// The command (compose `command` / `entrypoint`, or the Dockerfile's) that runs it.
    pub span: Span,
    /// A check that asks the worker itself, for the help text.
    pub check: Option<&'static str>,
}

/// What a worker program is, from its invocation: (name, a check of its own).
pub(super) fn worker_of(inv: &Invocation) -> Option<(String, Option<&'static str>)> {
    let first = inv.args.iter().find(|w| !w.s.starts_with('-'));
    let has = |x: &str| inv.args.iter().any(|w| w.s == x);
    let prog = inv.prog.as_str();
    match prog {
        "sidekiq" | "sidekiqswarm" => Some((prog.into(), None)),
        // Subcommands that listen on nothing; `flower` and `inspect` are not workers.
        "celery" if has("worker") && !has("flower") => Some((
            "celery worker".into(),
            Some("celery -A <app> inspect ping -d celery@$$HOSTNAME"),
        )),
        "celery" if has("beat") && !has("flower") => Some(("celery beat".into(), None)),
        "rq" if first.is_some_and(|w| w.s == "worker") => Some(("rq worker".into(), None)),
        "rqworker" | "dramatiq" | "arq" | "huey_consumer" | "huey_consumer.py" => {
            Some((prog.into(), None))
        }
        "manage.py" | "django-admin"
            if first.is_some_and(|w| {
                matches!(
                    w.s.as_str(),
                    "rqworker" | "qcluster" | "run_huey" | "process_tasks"
                )
            }) =>
        {
            let sub = first.map(|w| w.s.clone()).unwrap_or_default();
            Some((format!("manage.py {sub}"), None))
        }
        "php" | "artisan"
            if inv.args.iter().any(|w| {
                matches!(
                    w.s.as_str(),
                    "queue:work" | "queue:listen" | "horizon" | "schedule:work"
                )
            }) =>
        {
            let sub = inv
                .args
                .iter()
                .find(|w| w.s.contains(':') || w.s == "horizon")
                .map(|w| w.s.clone())
                .unwrap_or_default();
            Some((format!("artisan {sub}"), None))
        }
        // `python -m app.worker`, `python worker.py`.
        "worker.py" => Some(("worker.py".into(), None)),
        m if m.ends_with(".worker") => Some((format!("python -m {m}"), None)),
        _ => None,
    }
}

/// What the container runs first, and where that is written.
#[derive(Clone, Debug, Default)]
pub struct Running {
    /// The programs: the compose entrypoint's unless it only hands over to the
    /// command, else the compose command's, else the Dockerfile's CMD (when its
    /// ENTRYPOINT, if any, only hands over).
    pub invocations: Vec<Invocation>,
    /// The command they come from: compose's `entrypoint` or `command` value, or
    /// the Dockerfile's instruction.
    pub span: Option<Span>,
}

/// What `svc` runs first ([`Running`]).
pub fn running(p: &Project, svc: &Service) -> Running {
    let node = service_node(p, &svc.name.value);
    let df = p.dockerfiles.get(svc.name.value.as_str()).map(|(_, d)| d);
    let cmds = Commands::of(p, node, df);
    let value_span = |key: &str| node.and_then(|n| n.get(key)).map(|n| n.span());
    // An entrypoint script of the image usually ends with `exec "$@"`, so with a
    // compose `command` that is what runs.
    let (cmd, span) = match (&cmds.entrypoint, &cmds.command) {
        (Some(e), _) if !is_wrapper_only(e) => (e, value_span("entrypoint")),
        (_, Some(c)) => (c, value_span("command")),
        _ => match &cmds.df_cmd {
            Some(c) if cmds.df_entrypoint.as_ref().is_none_or(is_wrapper_only) => {
                (c, c.full_span())
            }
            _ => return Running::default(),
        },
    };
    Running {
        // Kept for every service: without the spare room of its growth.
        invocations: crate::parse::yaml::fitted(cmd.invocations()),
        span,
    }
}

/// The worker a service runs, when everything it runs first is a known worker
/// (besides harmless setup such as `echo` or `sleep`): such a command listens on
/// no port.
pub fn worker(running: &Running) -> Option<Worker> {
    let span = running.span?;
    let mut found = None;
    for inv in &running.invocations {
        if is_benign(&inv.prog) {
            continue;
        }
        match worker_of(inv) {
            Some(w) if !inv.background => found = Some(w),
            _ => return None,
        }
    }
    let (name, check) = found?;
    Some(Worker { name, span, check })
}

/// An entrypoint that only hands over to the command: an init (`tini`,
/// `dumb-init`) or an entrypoint script.
pub(super) fn is_wrapper_only(c: &CommandSrc) -> bool {
    let words = c.words();
    !words.is_empty()
        && words.iter().all(|w| {
            let b = shell::basename(&w.s);
            w.s.starts_with('-')
                || matches!(b.as_str(), "tini" | "dumb-init" | "--")
                || b.ends_with(".sh")
                || b.contains("entrypoint")
        })
}

/// `--port 3000`, `--port=3000` or `-p 3000` of a program stacklint does not know:
/// only a hint, until something else says the same.
pub(super) fn generic_port_args(inv: &Invocation, env: &RuntimeEnv) -> Vec<(u16, Span)> {
    let mut out = Vec::new();
    for (k, w) in inv.args.iter().enumerate() {
        let (value, off) = match w.s.as_str() {
            "--port" | "-p" => match inv.args.get(k + 1) {
                Some(v) => (v, 0),
                None => continue,
            },
            s if s.starts_with("--port=") => (w, "--port=".len()),
            _ => continue,
        };
        if let server::Found::Port(port, span) = server::port_text(value, off, value.s.len(), env) {
            out.push((port, span));
        }
    }
    out
}

pub(super) fn apply_found(l: &mut Listening, info: &server::Info, kind: EvidenceKind) {
    if info.found.is_empty() {
        let why = match info.config {
            Some(_) => format!("`{}` reads its port from a config file", info.program),
            None => format!("`{}` listens on a port set elsewhere", info.program),
        };
        l.unknown(why, info.config.or(Some(info.span)));
    }
    for f in &info.found {
        match f {
            server::Found::Port(port, span) => l.add(*port, kind, Some(*span), true),
            server::Found::Unknown(why, span) => l.unknown(why.clone(), Some(*span)),
        }
    }
}
