#![no_main]
//! The NGINX config parser: no panic, no hang, spans inside the text.

use libfuzzer_sys::fuzz_target;
use stacklint::parse::nginx::{self, Directive};
use stacklint::source::{FileKind, SourceFile, Sources};
use stacklint_fuzz::{check_diags, check_span, init, text};

fn walk(src: &SourceFile, ds: &[Directive]) {
    for d in ds {
        check_span(src, &d.span);
        check_span(src, &d.name_span);
        for a in &d.args {
            check_span(src, &a.span);
        }
        walk(src, d.children());
    }
}

fuzz_target!(|data: &[u8]| {
    init();
    let mut sources = Sources::new();
    let id = sources.add(SourceFile::new("nginx.conf", FileKind::Nginx, text(data)));
    let src = sources.get(id);
    let parsed = nginx::parse(id, src);
    check_diags(src, &parsed.diags);
    walk(src, &parsed.directives);
    // The queries rules make over a config.
    let _ = parsed.find_all("proxy_pass").count();
    for v in parsed.walk() {
        let _ = v.context();
    }
});
