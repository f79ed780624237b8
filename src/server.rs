//! `stacklint server`: the language server (LSP over stdio). An editor opens a compose
//! file, an `.env` or an NGINX config; the server lints the whole stack that file belongs
//! to, with the editor's unsaved buffers standing in for the files on disk, and publishes
//! diagnostics for every file of the stack: a finding in nginx.conf that concerns a
//! compose service says so through its related information. Any change to a file of the
//! stack (open, edit, save, close) lints the stack again. Fixes are code actions.
//!
//! Positions are UTF-16 code units, the encoding every client supports.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use lsp_server::{Connection, ErrorCode, Message, Notification, Request, Response};
use lsp_types::notification::{
    DidChangeTextDocument, DidCloseTextDocument, DidOpenTextDocument, DidSaveTextDocument,
    Notification as _, PublishDiagnostics,
};
use lsp_types::request::{CodeActionRequest, Request as _};
use lsp_types::{
    CodeAction, CodeActionKind, CodeActionOrCommand, CodeActionParams,
    CodeActionProviderCapability, CodeDescription, Diagnostic, DiagnosticRelatedInformation,
    DiagnosticSeverity, DidChangeTextDocumentParams, DidCloseTextDocumentParams,
    DidOpenTextDocumentParams, DidSaveTextDocumentParams, InitializeParams, Location,
    NumberOrString, Position, PositionEncodingKind, PublishDiagnosticsParams, Range,
    ServerCapabilities, ServerInfo, TextDocumentSyncCapability, TextDocumentSyncKind,
    TextDocumentSyncOptions, TextDocumentSyncSaveOptions, TextEdit, Url, WorkspaceEdit,
};

use crate::cli::{check_all, config_for, load_targets, stdin_target, Input};
use crate::compose::discover::{discover_with, kind_of, Exclude, Target};
use crate::compose::stack::Project;
use crate::finding::{Applicability, Finding};
use crate::report::config::Overrides;
use crate::source::{FileKind, Overlay, SourceFile, Span};

/// The compose files a directory is a stack by, as compose looks for them.
const DEFAULT_COMPOSE: &[&str] = &[
    "compose.yaml",
    "compose.yml",
    "docker-compose.yaml",
    "docker-compose.yml",
];

/// Runs the server on stdin/stdout until the client says `exit`.
pub fn run() -> Result<(), String> {
    let (connection, io_threads) = Connection::stdio();
    let capabilities = ServerCapabilities {
        position_encoding: Some(PositionEncodingKind::UTF16),
        text_document_sync: Some(TextDocumentSyncCapability::Options(
            TextDocumentSyncOptions {
                open_close: Some(true),
                change: Some(TextDocumentSyncKind::FULL),
                save: Some(TextDocumentSyncSaveOptions::Supported(true)),
                ..Default::default()
            },
        )),
        code_action_provider: Some(CodeActionProviderCapability::Simple(true)),
        ..Default::default()
    };
    let init = serde_json::json!({
        "capabilities": capabilities,
        "serverInfo": ServerInfo {
            name: "stacklint".into(),
            version: Some(env!("CARGO_PKG_VERSION").into()),
        },
    });
    let (id, params) = connection
        .initialize_start()
        .map_err(|e| format!("language server: {e}"))?;
    let params: InitializeParams = serde_json::from_value(params).unwrap_or_default();
    connection
        .initialize_finish(id, init)
        .map_err(|e| format!("language server: {e}"))?;
    #[allow(deprecated)] // root_uri: what clients without workspace folders send
    let root = params
        .workspace_folders
        .as_ref()
        .and_then(|f| f.first())
        .map(|f| f.uri.clone())
        .or(params.root_uri)
        .and_then(|u| u.to_file_path().ok());
    let mut server = Server {
        root,
        ..Default::default()
    };
    server.main_loop(&connection)?;
    drop(connection);
    io_threads
        .join()
        .map_err(|e| format!("language server: {e}"))
}

#[derive(Default)]
struct Server {
    /// The workspace's root: stacks are looked for up to here.
    root: Option<PathBuf>,
    /// Open documents: absolute path → text (the client's, saved or not).
    docs: HashMap<PathBuf, String>,
    /// Per stack (its directory, or the lone file): the documents it published
    /// diagnostics for, so that a file whose findings are gone is cleared.
    published: HashMap<PathBuf, HashSet<Url>>,
    /// The code actions of each document, with the range of the finding they fix.
    actions: HashMap<Url, Vec<(Range, CodeAction)>>,
}

impl Server {
    fn main_loop(&mut self, connection: &Connection) -> Result<(), String> {
        for msg in &connection.receiver {
            match msg {
                Message::Request(req) => {
                    if connection
                        .handle_shutdown(&req)
                        .map_err(|e| format!("language server: {e}"))?
                    {
                        return Ok(());
                    }
                    let response = self.request(req);
                    send(connection, Message::Response(response));
                }
                Message::Notification(n) => {
                    for out in self.notification(n) {
                        send(connection, Message::Notification(out));
                    }
                }
                Message::Response(_) => {}
            }
        }
        Ok(())
    }

    fn request(&self, req: Request) -> Response {
        if req.method != CodeActionRequest::METHOD {
            return Response::new_err(
                req.id,
                ErrorCode::MethodNotFound as i32,
                format!("stacklint does not answer {}", req.method),
            );
        }
        let params: CodeActionParams = match serde_json::from_value(req.params) {
            Ok(p) => p,
            Err(e) => {
                return Response::new_err(req.id, ErrorCode::InvalidParams as i32, e.to_string())
            }
        };
        let actions: Vec<CodeActionOrCommand> = self
            .actions
            .get(&params.text_document.uri)
            .into_iter()
            .flatten()
            .filter(|(range, _)| overlaps(range, &params.range))
            .map(|(_, a)| CodeActionOrCommand::CodeAction(a.clone()))
            .collect();
        Response::new_ok(req.id, actions)
    }

    /// A document opened, changed, saved or closed: its stack is linted again.
    fn notification(&mut self, n: Notification) -> Vec<Notification> {
        let path = match n.method.as_str() {
            DidOpenTextDocument::METHOD => {
                serde_json::from_value::<DidOpenTextDocumentParams>(n.params)
                    .ok()
                    .and_then(|p| {
                        let path = p.text_document.uri.to_file_path().ok()?;
                        self.docs.insert(path.clone(), p.text_document.text);
                        Some(path)
                    })
            }
            DidChangeTextDocument::METHOD => {
                serde_json::from_value::<DidChangeTextDocumentParams>(n.params)
                    .ok()
                    .and_then(|p| {
                        let path = p.text_document.uri.to_file_path().ok()?;
                        // Full sync: the last change is the whole text.
                        let text = p.content_changes.into_iter().last()?.text;
                        self.docs.insert(path.clone(), text);
                        Some(path)
                    })
            }
            DidSaveTextDocument::METHOD => {
                serde_json::from_value::<DidSaveTextDocumentParams>(n.params)
                    .ok()
                    .and_then(|p| p.text_document.uri.to_file_path().ok())
            }
            DidCloseTextDocument::METHOD => {
                serde_json::from_value::<DidCloseTextDocumentParams>(n.params)
                    .ok()
                    .and_then(|p| {
                        let path = p.text_document.uri.to_file_path().ok()?;
                        // From now on the file on disk is what counts.
                        self.docs.remove(&path);
                        Some(path)
                    })
            }
            "initialized" | "$/cancelRequest" | "$/setTrace" => None,
            _ => None,
        };
        match path {
            Some(path) => self.lint_stack_of(&path),
            None => Vec::new(),
        }
    }

    /// Lints the stack `path` belongs to; the diagnostics of each of its files.
    fn lint_stack_of(&mut self, path: &Path) -> Vec<Notification> {
        let (key, targets, dir) = self.stack_of(path);
        let mut by_uri: HashMap<Url, Vec<Diagnostic>> = HashMap::new();
        let mut actions: HashMap<Url, Vec<(Range, CodeAction)>> = HashMap::new();
        if !targets.is_empty() {
            let overlay = Overlay::new(self.docs.iter().map(|(p, t)| (p.clone(), t.clone())));
            let input = Input {
                paths: vec![dir.clone()],
                ..Default::default()
            };
            let cfg = config_for(&input, &Overrides::default()).unwrap_or_default();
            let no_paths = Input::default();
            if let Ok(projects) = load_targets(&no_paths, &targets, overlay) {
                let findings = check_all(&projects, &cfg, false);
                for (p, mut found) in projects.iter().zip(findings) {
                    let secrets = crate::analysis::secrets::secret_spans(p);
                    crate::analysis::secrets::redact(&mut found, &p.sources, &secrets);
                    // Every file of the stack is published, cleared when it has nothing.
                    for (_, f) in p.sources.iter() {
                        if let Some(uri) = uri_of(&f.path) {
                            by_uri.entry(uri).or_default();
                        }
                    }
                    for f in found.iter().filter(|f| f.suppressed.is_none()) {
                        diagnose(p, f, &mut by_uri, &mut actions);
                    }
                }
            }
        }
        let now: HashSet<Url> = by_uri.keys().cloned().collect();
        let before = self.published.insert(key, now.clone()).unwrap_or_default();
        for gone in before.difference(&now) {
            by_uri.insert(gone.clone(), Vec::new());
            self.actions.remove(gone);
        }
        for uri in &now {
            self.actions
                .insert(uri.clone(), actions.remove(uri).unwrap_or_default());
        }
        let mut uris: Vec<&Url> = by_uri.keys().collect();
        uris.sort();
        uris.into_iter()
            .map(|uri| {
                let mut diagnostics = by_uri[uri].clone();
                diagnostics.sort_by_key(|d| (d.range.start.line, d.range.start.character));
                diagnostics.dedup();
                Notification::new(
                    PublishDiagnostics::METHOD.to_string(),
                    PublishDiagnosticsParams {
                        uri: uri.clone(),
                        diagnostics,
                        version: None,
                    },
                )
            })
            .collect()
    }

    /// The stack of `path`: the nearest directory at or above it (up to the workspace
    /// root) with a compose file, linted as the CLI lints that directory; else the file
    /// on its own. (Its key, what to load, the directory configuration is searched from.)
    fn stack_of(&self, path: &Path) -> (PathBuf, Vec<Target>, PathBuf) {
        let kind = kind_of(path);
        let parent = path.parent().map(Path::to_path_buf).unwrap_or_default();
        let has_compose = |d: &Path| {
            DEFAULT_COMPOSE.iter().any(|n| {
                let f = d.join(n);
                f.is_file() || self.docs.contains_key(&f)
            })
        };
        let mut found = None;
        for d in parent.ancestors() {
            if has_compose(d) || (kind == FileKind::Compose && d == parent) {
                found = Some(d.to_path_buf());
                break;
            }
            if self.root.as_deref().is_some_and(|r| d == r) {
                break;
            }
        }
        let Some(dir) = found else {
            return match kind {
                FileKind::Env | FileKind::Nginx => (
                    path.to_path_buf(),
                    vec![Target::File(path.to_path_buf(), kind)],
                    parent,
                ),
                _ => (path.to_path_buf(), Vec::new(), parent),
            };
        };
        let mut targets: Vec<Target> =
            discover_with(std::slice::from_ref(&dir), &[], &Exclude::default())
                .unwrap_or_default()
                .into_iter()
                .filter(|t| match t {
                    Target::Project(spec) => crate::paths::absolute(&spec.dir) == dir,
                    Target::File(..) => false,
                })
                .collect();
        // A compose file that is not on disk yet (or that discovery left out): itself.
        let covered = targets.iter().any(|t| match t {
            Target::Project(spec) => {
                spec.files.is_empty()
                    || spec.files.iter().any(|f| crate::paths::absolute(f) == path)
            }
            Target::File(..) => false,
        });
        if kind == FileKind::Compose && !covered && !path.is_file() {
            targets.push(stdin_target(path));
        }
        (dir.clone(), targets, dir)
    }
}

fn send(connection: &Connection, msg: Message) {
    // The client went away: the loop ends when the receiver closes.
    let _ = connection.sender.send(msg);
}

fn overlaps(a: &Range, b: &Range) -> bool {
    let key = |p: &Position| (p.line, p.character);
    key(&a.start) <= key(&b.end) && key(&b.start) <= key(&a.end)
}

fn uri_of(path: &Path) -> Option<Url> {
    Url::from_file_path(crate::paths::absolute(path)).ok()
}

/// The LSP position (0-based line, UTF-16 column) of a byte offset.
fn position(file: &SourceFile, offset: usize) -> Position {
    let lc = file.line_col(offset);
    let start = file.line_range(lc.line).map_or(0, |(s, _)| s);
    let end = offset.clamp(start, file.text.len());
    let mut end = end;
    while end > start && !file.text.is_char_boundary(end) {
        end -= 1;
    }
    let character = file
        .text
        .get(start..end)
        .map_or(0, |t| t.encode_utf16().count());
    Position {
        line: u32::try_from(lc.line.saturating_sub(1)).unwrap_or(u32::MAX),
        character: u32::try_from(character).unwrap_or(u32::MAX),
    }
}

fn range(p: &Project, span: &Span) -> (Option<Url>, Range) {
    let file = p.sources.get(span.file);
    (
        uri_of(&file.path),
        Range {
            start: position(file, span.start),
            end: position(file, span.end),
        },
    )
}

/// One finding as a diagnostic of its file, and its fix as a code action.
fn diagnose(
    p: &Project,
    f: &Finding,
    by_uri: &mut HashMap<Url, Vec<Diagnostic>>,
    actions: &mut HashMap<Url, Vec<(Range, CodeAction)>>,
) {
    let (Some(uri), at) = range(p, &f.primary) else {
        return;
    };
    let related: Vec<DiagnosticRelatedInformation> = f
        .related
        .iter()
        .filter_map(|l| {
            let (uri, range) = range(p, &l.span);
            Some(DiagnosticRelatedInformation {
                location: Location { uri: uri?, range },
                message: l.message.clone(),
            })
        })
        .collect();
    let severity = match f.severity.row().lsp {
        1 => DiagnosticSeverity::ERROR,
        2 => DiagnosticSeverity::WARNING,
        _ => DiagnosticSeverity::INFORMATION,
    };
    let message = match &f.help {
        Some(help) => format!("{}\nhelp: {help}", f.message),
        None => f.message.clone(),
    };
    let diagnostic = Diagnostic {
        range: at,
        severity: Some(severity),
        code: Some(NumberOrString::String(f.rule.code.to_string())),
        code_description: Url::parse(&format!(
            "{}/blob/main/rules/{}.md",
            env!("CARGO_PKG_REPOSITORY"),
            f.rule.name
        ))
        .ok()
        .map(|href| CodeDescription { href }),
        source: Some("stacklint".into()),
        message,
        related_information: (!related.is_empty()).then_some(related),
        tags: None,
        data: None,
    };
    if let Some(fix) = &f.fix {
        let mut changes: HashMap<Url, Vec<TextEdit>> = HashMap::new();
        let mut whole = true;
        for e in &fix.edits {
            match range(p, &e.span) {
                (Some(u), r) => changes.entry(u).or_default().push(TextEdit {
                    range: r,
                    new_text: e.replacement.clone(),
                }),
                (None, _) => whole = false,
            }
        }
        // All of a fix's edits or none of them.
        if whole && !changes.is_empty() {
            let safe = fix.applicability == Applicability::Safe;
            let title = match safe {
                true => format!("{} ({})", fix.title, f.rule.code),
                false => format!(
                    "{} ({}, changes what the stack does)",
                    fix.title, f.rule.code
                ),
            };
            actions.entry(uri.clone()).or_default().push((
                at,
                CodeAction {
                    title,
                    kind: Some(CodeActionKind::QUICKFIX),
                    diagnostics: Some(vec![diagnostic.clone()]),
                    edit: Some(WorkspaceEdit {
                        changes: Some(changes),
                        ..Default::default()
                    }),
                    is_preferred: Some(safe),
                    ..Default::default()
                },
            ));
        }
    }
    by_uri.entry(uri).or_default().push(diagnostic);
}
