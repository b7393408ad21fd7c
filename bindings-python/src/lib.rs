//! Python bindings: to be written.
