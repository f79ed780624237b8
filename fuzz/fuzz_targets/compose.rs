#![no_main]
//! Loading one compose file (parse, interpolation, merge, model, schema view,
//! proxies): the loader reads from disk, so the input is written to a scratch
//! directory first.

use libfuzzer_sys::fuzz_target;
use stacklint::compose::discover::ProjectSpec;
use stacklint::compose::stack::{load_project, LoadOptions};
use stacklint_fuzz::{init, scratch, write};

fuzz_target!(|data: &[u8]| {
    init();
    let dir = scratch("compose");
    write(&dir, "compose.yaml", data);
    let spec = ProjectSpec {
        dir: dir.clone(),
        // As discovery names it; an empty list would load nothing.
        files: vec![dir.join("compose.yaml")],
        explicit: false,
        // Bounded as the CLI bounds a directory it is given.
        root: Some(dir.clone()),
    };
    let p = load_project(&spec, &LoadOptions::default());
    for d in &p.diags {
        let f = p.sources.get(d.span.file);
        stacklint_fuzz::check_span(f, &d.span);
    }
});
