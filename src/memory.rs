//! When freed memory goes back to the system. The binary's allocator gives freed
//! pages back at once (`.cargo/config.toml`), which keeps a one-project run's peak
//! low. A run of many projects keeps them instead (`many_projects`): each
//! project reuses the pages of those before it rather than faulting in fresh
//! ones. A large project's tree is then still given back once dropped
//! (`give_back`, from `compose::stack`). Only the binary knows its allocator,
//! so it says how ([`set`]); without it (tests, other allocators) nothing is done.

use std::sync::OnceLock;

/// What the binary's allocator is asked to do.
#[derive(Clone, Copy, Debug)]
pub struct Allocator {
    /// Keep freed pages for reuse from now on.
    pub keep_freed: fn(),
    /// Give every freed page back to the system now.
    pub give_back: fn(),
}

static ALLOCATOR: OnceLock<Allocator> = OnceLock::new();

/// Says how to ask the allocator, once, at the binary's start.
pub fn set(allocator: Allocator) {
    let _ = ALLOCATOR.set(allocator);
}

/// The run has a second project: freed pages are kept from now on.
pub(crate) fn many_projects() {
    if let Some(a) = ALLOCATOR.get() {
        (a.keep_freed)();
    }
}

/// Every freed page goes back to the system now.
pub(crate) fn give_back() {
    if let Some(a) = ALLOCATOR.get() {
        (a.give_back)();
    }
}
