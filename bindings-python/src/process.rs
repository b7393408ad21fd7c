//! Values that belong to the process that made them. After `fork()` the child holds copies of the
//! parent's connection pool (sockets registered with the parent's event loop) and of the handle on
//! the parent's local cluster. Dropping them in the child would deregister the parent's sockets and
//! stop the parent's server, so the child leaks them instead; the core refuses to use a client in a
//! process other than its own.

use std::mem::ManuallyDrop;
use std::ops::Deref;

pub(crate) struct ProcessBound<T> {
    process_id: u32,
    value: ManuallyDrop<T>,
}

impl<T> ProcessBound<T> {
    pub(crate) fn new(value: T) -> Self {
        ProcessBound {
            process_id: std::process::id(),
            value: ManuallyDrop::new(value),
        }
    }

    /// True in the process that made the value, false in a forked child.
    pub(crate) fn in_owning_process(&self) -> bool {
        std::process::id() == self.process_id
    }
}

impl<T> Deref for ProcessBound<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.value
    }
}

impl<T> Drop for ProcessBound<T> {
    fn drop(&mut self) {
        if self.in_owning_process() {
            // SAFETY: `value` is dropped only here, once, and never used afterwards.
            unsafe { ManuallyDrop::drop(&mut self.value) }
        }
    }
}
