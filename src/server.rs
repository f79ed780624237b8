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
    Notification as _, PublishDiagnostics, ShowMessage,
};
use lsp_types::request::{CodeActionRequest, Request as _};
use lsp_types::{
    CodeAction, CodeActionKind, CodeActionOrCommand, CodeActionParams,
    CodeActionProviderCapability, CodeDescription, Diagnostic, DiagnosticRelatedInformation,
    DiagnosticSeverity, DidChangeTextDocumentParams, DidCloseTextDocumentParams,
    DidOpenTextDocumentParams, DidSaveTextDocumentParams, InitializeParams, Location, MessageType,
    NumberOrString, Position, PositionEncodingKind, PublishDiagnosticsParams, Range,
    ServerCapabilities, ServerInfo, ShowMessageParams, TextDocumentSyncCapability,
    TextDocumentSyncKind, TextDocumentSyncOptions, TextDocumentSyncSaveOptions, TextEdit, Url,
    WorkspaceEdit,
};

use crate::cli::{check_all, config_for, load_targets, Input};
use crate::compose::discover::{
    compose_file_target, is_compose_name, kind_of, projects_of_dir, Target,
};
use crate::compose::stack::Project;
use crate::finding::{Applicability, Finding};
use crate::report::config::Overrides;
use crate::source::{FileKind, Overlay, SourceFile, Span};

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
    /// Open documents: absolute, normalized path → text (the client's, saved or not).
    docs: HashMap<PathBuf, String>,
    /// The URI the client named each open document by: diagnostics go back under it
    /// (a client may spell a path its own way, `file:///c%3A/...`).
    uris: HashMap<PathBuf, Url>,
    /// Per stack (its directory, or the lone file): the files it published
    /// diagnostics for, so that a file whose findings are gone is cleared.
    published: HashMap<PathBuf, HashSet<PathBuf>>,
    /// The code actions of each file, with the range of the finding they fix.
    actions: HashMap<PathBuf, Vec<(Range, CodeAction)>>,
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
        let path = params
            .text_document
            .uri
            .to_file_path()
            .ok()
            .map(|p| key(&p));
        let actions: Vec<CodeActionOrCommand> = path
            .and_then(|p| self.actions.get(&p))
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
                        let path = key(&p.text_document.uri.to_file_path().ok()?);
                        self.docs.insert(path.clone(), p.text_document.text);
                        self.uris.insert(path.clone(), p.text_document.uri);
                        Some(path)
                    })
            }
            DidChangeTextDocument::METHOD => {
                serde_json::from_value::<DidChangeTextDocumentParams>(n.params)
                    .ok()
                    .and_then(|p| {
                        let path = key(&p.text_document.uri.to_file_path().ok()?);
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
                    .map(|p| key(&p))
            }
            DidCloseTextDocument::METHOD => {
                serde_json::from_value::<DidCloseTextDocumentParams>(n.params)
                    .ok()
                    .and_then(|p| {
                        let path = key(&p.text_document.uri.to_file_path().ok()?);
                        // From now on the file on disk is what counts.
                        self.docs.remove(&path);
                        Some(path)
                    })
            }
            _ => None,
        };
        match path {
            Some(path) => self.lint_stack_of(&path),
            None => Vec::new(),
        }
    }

    /// Lints the stack `path` belongs to; the diagnostics of each of its files.
    fn lint_stack_of(&mut self, path: &Path) -> Vec<Notification> {
        let (stack, targets, dir) = self.stack_of(path);
        let mut by_file: HashMap<PathBuf, Vec<Diagnostic>> = HashMap::new();
        let mut actions: HashMap<PathBuf, Vec<(Range, CodeAction)>> = HashMap::new();
        let mut out = Vec::new();
        if !targets.is_empty() {
            let overlay = Overlay::new(self.docs.iter().map(|(p, t)| (p.clone(), t.clone())));
            let input = Input {
                paths: vec![dir.clone()],
                ..Default::default()
            };
            let cfg = match config_for(&input, &Overrides::default()) {
                Ok(cfg) => cfg,
                Err(e) => {
                    // Linted with the defaults, and said so: a silent fallback would hide
                    // why the configured rules are not the ones running.
                    out.push(show_message(&format!(
                        "stacklint: {e}; linting with the default configuration"
                    )));
                    Default::default()
                }
            };
            match load_targets(&Input::default(), &targets, overlay, Default::default()) {
                Ok(projects) => {
                    let findings = check_all(&projects, &cfg, false);
                    for (p, mut found) in projects.iter().zip(findings) {
                        let secrets = crate::analysis::secrets::secret_spans(p);
                        crate::analysis::secrets::redact(&mut found, &p.sources, &secrets);
                        // Every file of the stack is published, cleared when it has nothing.
                        for (_, f) in p.sources.iter() {
                            by_file.entry(key(&f.path)).or_default();
                        }
                        for f in found.iter().filter(|f| f.suppressed.is_none()) {
                            self.diagnose(p, f, &mut by_file, &mut actions);
                        }
                    }
                }
                Err(e) => out.push(show_message(&format!("stacklint: {e}"))),
            }
        }
        let now: HashSet<PathBuf> = by_file.keys().cloned().collect();
        let before = self
            .published
            .insert(stack, now.clone())
            .unwrap_or_default();
        for gone in before.difference(&now) {
            by_file.insert(gone.clone(), Vec::new());
            self.actions.remove(gone);
        }
        for file in &now {
            let mut list = actions.remove(file).unwrap_or_default();
            // A file read by two projects of the stack: one action per fix.
            list.dedup_by(|a, b| a.0 == b.0 && a.1.title == b.1.title);
            self.actions.insert(file.clone(), list);
        }
        let mut files: Vec<PathBuf> = by_file.keys().cloned().collect();
        files.sort();
        for file in files {
            let Some(uri) = self.uri(&file) else {
                continue;
            };
            let mut diagnostics = by_file.remove(&file).unwrap_or_default();
            // A file read by two projects of the stack (a base file and each of its
            // variants) gets each finding once.
            diagnostics.sort_by(|a, b| {
                let k = |d: &Diagnostic| {
                    (
                        d.range.start.line,
                        d.range.start.character,
                        d.range.end.line,
                        d.range.end.character,
                        format!("{:?}", d.code),
                        d.message.clone(),
                    )
                };
                k(a).cmp(&k(b))
            });
            diagnostics.dedup();
            out.push(Notification::new(
                PublishDiagnostics::METHOD.to_string(),
                PublishDiagnosticsParams {
                    uri,
                    diagnostics,
                    version: None,
                },
            ));
        }
        out
    }

    /// The URI of a file: the client's own for an open document.
    fn uri(&self, path: &Path) -> Option<Url> {
        match self.uris.get(path) {
            Some(u) => Some(u.clone()),
            None => Url::from_file_path(path).ok(),
        }
    }

    /// The stack of `path`: the nearest directory at or above it with a compose file,
    /// looked for up to the workspace root (only the file's own directory when it lies
    /// outside the workspace); else the file on its own. (Its key, what to load, the
    /// directory configuration is searched from.)
    fn stack_of(&self, path: &Path) -> (PathBuf, Vec<Target>, PathBuf) {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        // Any YAML file is not a compose file here: a Helm values.yaml or a CI config
        // open in the editor is not linted against the compose schema.
        let kind = match kind_of(path) {
            FileKind::Compose if !is_compose_name(&name) => FileKind::Other,
            k => k,
        };
        let parent = path.parent().map(Path::to_path_buf).unwrap_or_default();
        let limit = match &self.root {
            Some(r) if parent.starts_with(r) => r.clone(),
            _ => parent.clone(),
        };
        let open_compose = |d: &Path| -> Vec<PathBuf> {
            self.docs
                .keys()
                .filter(|p| p.parent() == Some(d))
                .filter(|p| {
                    p.file_name()
                        .is_some_and(|n| is_compose_name(&n.to_string_lossy()))
                })
                .cloned()
                .collect()
        };
        let mut found = None;
        for d in parent.ancestors() {
            let on_disk = projects_of_dir(d);
            if !on_disk.is_empty() || !open_compose(d).is_empty() {
                found = Some((d.to_path_buf(), on_disk));
                break;
            }
            if d == limit {
                break;
            }
        }
        let Some((dir, mut targets)) = found.map(|(d, specs)| {
            let t: Vec<Target> = specs.into_iter().map(Target::Project).collect();
            (d, t)
        }) else {
            return match kind {
                FileKind::Env | FileKind::Nginx => (
                    path.to_path_buf(),
                    vec![Target::File(path.to_path_buf(), kind)],
                    parent,
                ),
                _ => (path.to_path_buf(), Vec::new(), parent),
            };
        };
        // A compose buffer of that directory that no project on disk reads (not saved
        // yet): linted as a project of its own.
        for buffer in open_compose(&dir) {
            let covered = targets.iter().any(|t| match t {
                Target::Project(spec) => spec.files.iter().any(|f| key(f) == buffer),
                Target::File(..) => false,
            });
            if !covered {
                targets.push(compose_file_target(&buffer));
            }
        }
        (dir.clone(), targets, dir)
    }

    /// One finding as a diagnostic of its file, and its fix as a code action.
    fn diagnose(
        &self,
        p: &Project,
        f: &Finding,
        by_file: &mut HashMap<PathBuf, Vec<Diagnostic>>,
        actions: &mut HashMap<PathBuf, Vec<(Range, CodeAction)>>,
    ) {
        let (file, at) = range(p, &f.primary, &self.docs);
        let related: Vec<DiagnosticRelatedInformation> = f
            .related
            .iter()
            .filter_map(|l| {
                let (file, range) = range(p, &l.span, &self.docs);
                Some(DiagnosticRelatedInformation {
                    location: Location {
                        uri: self.uri(&file)?,
                        range,
                    },
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
            code_description: Url::parse(&f.rule.page_url())
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
                let (file, r) = range(p, &e.span, &self.docs);
                match self.uri(&file) {
                    Some(u) => changes.entry(u).or_default().push(TextEdit {
                        range: r,
                        new_text: e.replacement.clone(),
                    }),
                    None => whole = false,
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
                actions.entry(file.clone()).or_default().push((
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
        by_file.entry(file).or_default().push(diagnostic);
    }
}

/// How a path is compared: absolute and normalized, as the overlay keys it.
fn key(path: &Path) -> PathBuf {
    Overlay::key(path)
}

fn show_message(text: &str) -> Notification {
    Notification::new(
        ShowMessage::METHOD.to_string(),
        ShowMessageParams {
            typ: MessageType::WARNING,
            message: text.to_string(),
        },
    )
}

fn send(connection: &Connection, msg: Message) {
    // The client went away: the loop ends when the receiver closes.
    let _ = connection.sender.send(msg);
}

fn overlaps(a: &Range, b: &Range) -> bool {
    let key = |p: &Position| (p.line, p.character);
    key(&a.start) <= key(&b.end) && key(&b.start) <= key(&a.end)
}

/// The LSP position (0-based line, UTF-16 column) of a byte offset.
fn position(file: &SourceFile, offset: usize) -> Position {
    let lc = file.line_col(offset);
    let start = file.line_range(lc.line).map_or(0, |(s, _)| s);
    let mut end = offset.clamp(start, file.text.len());
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

/// The file (keyed) and LSP range of a span. The linted text of a buffer that
/// begins with a byte order mark does not hold it (`Overlay::new`, as a file read
/// from disk), while the client counts it as line 0's first character.
fn range(p: &Project, span: &Span, docs: &HashMap<PathBuf, String>) -> (PathBuf, Range) {
    let file = p.sources.get(span.file);
    let path = key(&file.path);
    let marked = docs.get(&path).is_some_and(|t| t.starts_with('\u{feff}'));
    let at = |offset: usize| {
        let mut pos = position(file, offset);
        if marked && pos.line == 0 {
            pos.character = pos.character.saturating_add(1);
        }
        pos
    };
    (
        path,
        Range {
            start: at(span.start()),
            end: at(span.end()),
        },
    )
}
