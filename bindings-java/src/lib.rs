//! Java bindings: to be written.
