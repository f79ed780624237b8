//! Where a YAML text's events come from: the fast reader (`fast`), or
//! libyaml-safer where it declines, on this thread or, for a large text, on a
//! second one.

use libyaml_safer::{Event, Parser, ScalarStyle};

use super::fast;

/// The YAML reader stopped by a panic inside `libyaml-safer`.
#[derive(Debug)]
pub struct ReaderPanicked;

/// What [`events`] hands over.
#[derive(Debug)]
pub enum Step<'t> {
    /// libyaml's next event.
    Event(Event),
    /// libyaml's next event when it is a scalar without anchor or tag, as the fast
    /// reader gives it: its value borrowed from the text where it can be (most
    /// values are short enough to be kept inline in the tree, and a `String` for
    /// each would be allocated only to be freed).
    Scalar {
        value: std::borrow::Cow<'t, str>,
        style: ScalarStyle,
        start: libyaml_safer::Mark,
        end: libyaml_safer::Mark,
    },
    /// libyaml's error: nothing follows it.
    Failed(libyaml_safer::Error),
    /// Forget every event handed over so far: they come again from the start.
    /// The fast reader (`fast/`) declined part way through, and libyaml reads
    /// the text instead. It comes at most once, and may follow an event the
    /// caller answered `false` to: the caller then starts over as new.
    Restart,
}

impl Step<'_> {
    /// As libyaml's iterator gives it (`None` for a restart).
    pub fn into_event(self) -> Option<Result<Event, libyaml_safer::Error>> {
        match self {
            Step::Event(ev) => Some(Ok(ev)),
            Step::Scalar {
                value,
                style,
                start,
                end,
            } => {
                let plain = style == ScalarStyle::Plain;
                let mut ev = Event::scalar(None, None, &value, plain, !plain, style);
                ev.start_mark = start;
                ev.end_mark = end;
                Some(Ok(ev))
            }
            Step::Failed(e) => Some(Err(e)),
            Step::Restart => None,
        }
    }
}

/// Feeds libyaml's events for `text` to `on` until it returns false, the stream
/// ends or an error is handed over (but see [`Step::Restart`]).
///
/// The fast reader (`fast/`) reads the text first; where it declines, libyaml-safer
/// reads it. Either way the events are libyaml's.
///
/// Two known panics of libyaml-safer 0.3 are kept away from the caller: it panics
/// when the text ends inside a block scalar without a final line break, so that
/// line break is added (it changes no verdict, and marks past the text are
/// clamped by the caller); and a tag followed straight by `,` in a flow
/// collection panics too, as may other rare inputs, so a panic becomes an error
/// here instead of a crash.
pub fn events(text: &str, mut on: impl FnMut(Step<'_>) -> bool) -> Result<(), ReaderPanicked> {
    let text = &*with_final_break(text);
    // On this thread: it reads faster than the builder builds, so a second thread
    // would only hold events in batches (2,000 services: 26.6 ms a run against 28.3
    // with the fast reader on a thread of its own, and 2.2 MiB less; with borrowed
    // scalars in batches of 256 steps, 22.7 against 24.6 ms).
    let mut handed = false;
    let fast = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        fast::read(text, |step| {
            handed = true;
            on(step)
        })
    }));
    match fast {
        Ok(Ok(())) => return Ok(()),
        Ok(Err(fast::Declined)) => {}
        // The caller's own code panicked (the fast reader does not).
        Err(_) => return Err(ReaderPanicked),
    }
    if handed {
        on(Step::Restart);
    }
    let bytes = text.as_bytes();
    match bytes.len() >= PIPELINE_FROM {
        true => pipelined(bytes, on),
        false => in_turn(bytes, on),
    }
}

/// `text`, ending with a line break unless it is empty (see [`events`]).
pub(super) fn with_final_break(text: &str) -> std::borrow::Cow<'_, str> {
    match text.is_empty() || text.ends_with('\n') {
        true => std::borrow::Cow::Borrowed(text),
        false => std::borrow::Cow::Owned(format!("{text}\n")),
    }
}

fn step(ev: Result<Event, libyaml_safer::Error>) -> Step<'static> {
    match ev {
        Ok(ev) => Step::Event(ev),
        Err(e) => Step::Failed(e),
    }
}

/// [`events`] on this thread.
pub(super) fn in_turn(
    bytes: &[u8],
    mut on: impl FnMut(Step<'_>) -> bool,
) -> Result<(), ReaderPanicked> {
    let run = std::panic::AssertUnwindSafe(|| {
        for ev in reader(bytes) {
            let failed = ev.is_err();
            if !on(step(ev)) || failed {
                break;
            }
        }
    });
    std::panic::catch_unwind(run).map_err(|_| ReaderPanicked)
}

/// The text handed to libyaml-safer a slice at a time, as C libyaml reads it.
/// Handed a whole `&[u8]`, its reader decodes the whole text into a buffer of
/// `char`s before the first event: four bytes of memory for each byte of input,
/// held through the parse, and no event (so no work for the builder) until
/// then. In slices, it decodes a slice when the scanner reaches it.
pub(super) struct Slices<'a> {
    rest: &'a [u8],
    size: usize,
}

/// The size of a slice: a few pages, decoded while they are in cache.
pub(super) const SLICE: usize = 16 * 1024;

/// libyaml's parser on `bytes`, which are UTF-8 (they come from a `&str`). Said
/// so rather than left for the reader to find out: libyaml-safer takes a leading
/// byte 0xEF for the start of a byte order mark, and rejects a text that begins
/// with a character from U+F000 to U+FFFF, which libyaml reads. The reader then
/// drops no byte order mark: a text comes without the file's (`decode_text`,
/// `Overlay::new`), and one left at its start is a character, which the scanner
/// skips while counting a column, as libyaml does with a second one.
pub(super) fn reader(bytes: &[u8]) -> Parser<Slices<'_>> {
    reader_sliced(bytes, SLICE)
}

/// [`reader`] with slices of `size` bytes (tests try sizes that cut every character).
pub(super) fn reader_sliced(bytes: &[u8], size: usize) -> Parser<Slices<'_>> {
    let mut parser = Parser::new();
    parser.set_encoding(libyaml_safer::Encoding::Utf8);
    parser.set_input(Slices {
        rest: bytes,
        size: size.max(1),
    });
    parser
}

// The reader reads through this only to finish a character that a slice cut
// before its first byte was taken (slices shorter than a character).
impl std::io::Read for Slices<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = buf.len().min(self.rest.len());
        buf[..n].copy_from_slice(&self.rest[..n]);
        self.rest = &self.rest[n..];
        Ok(n)
    }
}

impl std::io::BufRead for Slices<'_> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        // A slice may end inside a character: the reader then takes the
        // characters before it and asks again from that character on.
        Ok(&self.rest[..self.rest.len().min(self.size)])
    }

    fn consume(&mut self, n: usize) {
        self.rest = &self.rest[n.min(self.rest.len())..];
    }
}

/// From this size on, a text's events are read on a thread of their own while
/// the caller builds from them: reading is two thirds of the work, and a large
/// file is usually one project's only file, with the other core idle.
pub(super) const PIPELINE_FROM: usize = 256 * 1024;

/// The most events [`pipelined`] hands over at a time: 128 KiB of them (128
/// bytes each). Against 512, a 2,000-service file's parse took 14.1 instead of
/// 14.7 ms (in process, with jemalloc); 2,048 saves 0.7 ms more, for up to
/// 2.4 MiB more of batches held through the parse ([`AHEAD`] + 3 of them).
pub(super) const BATCH: usize = 1024;

/// The batches the reader may be ahead of the builder. The reader is the parse's
/// critical path; the builder shares a core with the secrets' text pass and the
/// schema's compile, and is set aside for a time slice now and then. Four batches
/// (4,096 events) were not enough to ride that out: the reader waited on a full
/// channel, and read a 2,000-service file in 20 ms instead of 17.5. (With 16, up
/// to 19 batches of 128 KiB exist: a batch is allocated only when the builder
/// lags, and then goes round until the parse ends.)
pub(super) const AHEAD: usize = 16;

/// [`events`] with the reader on a second thread, handing events over in
/// batches: the same events as [`in_turn`], up to a panic on either side, which
/// ends both as one [`ReaderPanicked`]. Where no thread can be started, in turn.
///
/// The builder hands each emptied batch back, and the reader refills it when
/// one has come back: at most [`AHEAD`] + 3 batches are ever allocated, however long
/// the file. With jemalloc this is no faster than fresh batches; with the system
/// allocator (tests, Windows) it saves about 8% of the parse.
pub(super) fn pipelined(
    bytes: &[u8],
    mut on: impl FnMut(Step<'_>) -> bool,
) -> Result<(), ReaderPanicked> {
    type Batch = Vec<Result<Event, libyaml_safer::Error>>;
    // At most AHEAD batches ahead: the reader cannot outrun the builder by a file.
    let (tx, rx) = std::sync::mpsc::sync_channel::<Batch>(AHEAD);
    // Unbounded, so the builder never waits to hand a batch back: bounded, it
    // could wait on a reader that waits on a full `tx`.
    let (emptied, refill) = std::sync::mpsc::channel::<Batch>();
    std::thread::scope(|scope| {
        let read = move || {
            let mut batch = Vec::with_capacity(BATCH);
            let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                for ev in reader(bytes) {
                    let failed = ev.is_err();
                    batch.push(ev);
                    if failed || batch.len() == BATCH {
                        let next = refill
                            .try_recv()
                            .unwrap_or_else(|_| Vec::with_capacity(BATCH));
                        let full = std::mem::replace(&mut batch, next);
                        // The builder stopped: so does the reader.
                        if tx.send(full).is_err() || failed {
                            return;
                        }
                    }
                }
            }));
            // The events read before the end, or before a panic, as in turn.
            let _ = tx.send(batch);
            run.is_ok()
        };
        let Ok(reader) = std::thread::Builder::new().spawn_scoped(scope, read) else {
            return in_turn(bytes, on);
        };
        // `rx` moves in and is dropped when the builder stops, which stops the reader.
        let built = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || {
            for mut batch in rx {
                for ev in batch.drain(..) {
                    let failed = ev.is_err();
                    if !on(step(ev)) || failed {
                        return;
                    }
                }
                // The reader may have finished: then the batch is simply dropped.
                let _ = emptied.send(batch);
            }
        }));
        match (built, reader.join()) {
            (Ok(()), Ok(true)) => Ok(()),
            _ => Err(ReaderPanicked),
        }
    })
}

/// Whether the fast reader (`fast/`) gives libyaml's events for `text`: `None`
/// when it declines the text. For the fuzz target and tests.
#[doc(hidden)]
pub fn fast_reader_agrees(text: &str) -> Option<bool> {
    fast::agrees_with_libyaml(text)
}
