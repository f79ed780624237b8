//! A work counter for the structural linearity tests (`tests/linearity.rs`): the
//! passes that were once quadratic call [`step`] per unit of work, and a test
//! compares [`take`] for N and 4N services. Only debug builds count; in a release
//! build `step` is nothing and `take` is 0.

#[cfg(debug_assertions)]
thread_local! {
    static STEPS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// One unit of work on this thread.
#[inline]
pub fn step() {
    #[cfg(debug_assertions)]
    STEPS.with(|s| s.set(s.get() + 1));
}

/// The steps counted on this thread since the last call.
pub fn take() -> usize {
    #[cfg(debug_assertions)]
    return STEPS.with(|s| s.replace(0));
    #[cfg(not(debug_assertions))]
    0
}
