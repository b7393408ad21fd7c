//! The one way into Rust from Java. Every native method runs its body through [`call`] (the table of
//! `natives!` makes sure of it), which catches
//! panics and turns every error into a pending Java exception, so that nothing unwinds into the JVM.

use std::panic::{catch_unwind, AssertUnwindSafe};

use jni::objects::{JByteArray, JThrowable, JValue};
use jni::sys::{jboolean, jbyteArray, jlong, JNI_FALSE};
use jni::JNIEnv;
use sleeper_pg::Error;

use crate::wire::Writer;

/// Builds the exception for an encoded error: `static Throwable create(byte[])`.
const ERRORS_CLASS: &str = "sleeper/statestore/postgres/internal/Errors";
const ERRORS_CREATE_SIGNATURE: &str = "([B)Ljava/lang/Throwable;";

/// Why a native call did not return a value.
pub enum Failure {
    /// The store refused or failed: becomes the matching Java exception.
    Store(Error),
    /// A JNI call failed; it has usually left a Java exception pending already.
    Jni(jni::errors::Error),
}

impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        Failure::Store(error)
    }
}

impl From<jni::errors::Error> for Failure {
    fn from(error: jni::errors::Error) -> Self {
        Failure::Jni(error)
    }
}

pub type Outcome<T> = Result<T, Failure>;

/// What a native method returns when it throws instead (Java ignores the value).
pub trait JavaReturn {
    fn on_throw() -> Self;
}

impl JavaReturn for () {
    fn on_throw() -> Self {}
}

impl JavaReturn for jlong {
    fn on_throw() -> Self {
        0
    }
}

impl JavaReturn for jboolean {
    fn on_throw() -> Self {
        JNI_FALSE
    }
}

impl JavaReturn for jbyteArray {
    fn on_throw() -> Self {
        std::ptr::null_mut()
    }
}

/// Runs the body of a native method: its value, or a Java exception and a dummy value.
pub fn call<'local, T: JavaReturn>(
    env: &mut JNIEnv<'local>,
    body: impl FnOnce(&mut JNIEnv<'local>) -> Outcome<T>,
) -> T {
    let outcome = catch_unwind(AssertUnwindSafe(|| body(env)));
    match outcome {
        Ok(Ok(value)) => value,
        Ok(Err(Failure::Store(error))) => {
            throw_error(env, &error);
            T::on_throw()
        }
        Ok(Err(Failure::Jni(error))) => {
            if !env.exception_check().unwrap_or(false) {
                throw_plain(
                    env,
                    "java/lang/IllegalStateException",
                    &format!("sleeper-pg JNI call failed: {error}"),
                );
            }
            T::on_throw()
        }
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown cause".to_owned());
            // A pending exception from before the panic would hide this one: replace it.
            let _ = env.exception_clear();
            throw_plain(
                env,
                "java/lang/IllegalStateException",
                &format!("sleeper-pg internal error (a bug, please report it): {what}"),
            );
            T::on_throw()
        }
    }
}

/// Raises the Java exception for a store error, as built by `Errors.create` from the error's kind,
/// fields and cause (`Writer::error`).
fn throw_error(env: &mut JNIEnv<'_>, error: &Error) {
    let thrown = (|| -> Outcome<()> {
        let mut writer = Writer::new();
        writer.error(error)?;
        let bytes = env.byte_array_from_slice(&writer.into_bytes())?;
        let exception = env
            .call_static_method(
                ERRORS_CLASS,
                "create",
                ERRORS_CREATE_SIGNATURE,
                &[JValue::Object(&bytes)],
            )?
            .l()?;
        env.throw(JThrowable::from(exception))?;
        Ok(())
    })();
    if thrown.is_err() && !env.exception_check().unwrap_or(false) {
        throw_plain(env, "java/lang/IllegalStateException", &error.to_string());
    }
}

fn throw_plain(env: &mut JNIEnv<'_>, class: &str, message: &str) {
    // Nothing more can be done if even this fails: the JVM then has an exception of its own pending.
    let _ = env.throw_new(class, message);
}

/// The bytes of a Java `byte[]` argument, copied.
pub fn bytes(env: &JNIEnv<'_>, array: &JByteArray<'_>) -> Outcome<Vec<u8>> {
    Ok(env.convert_byte_array(array)?)
}

/// A new Java `byte[]` holding `bytes`.
pub fn java_bytes(env: &JNIEnv<'_>, bytes: &[u8]) -> Outcome<jbyteArray> {
    Ok(env.byte_array_from_slice(bytes)?.into_raw())
}

/// A handle Java holds for a Rust value: the address of a leaked `Box`.
pub fn into_handle<T>(value: T) -> jlong {
    Box::into_raw(Box::new(value)) as jlong
}

/// The value behind a handle.
///
/// # Safety
/// `handle` must come from [`into_handle`] for a `T` and not yet be given to [`free_handle`]. The Java
/// class `NativeHandle` guarantees it: a handle is freed only once no call is using it.
pub unsafe fn borrow_handle<'a, T>(handle: jlong) -> Outcome<&'a T> {
    let pointer = handle as *const T;
    // SAFETY: the caller's promise above; null is reported rather than dereferenced.
    unsafe { pointer.as_ref() }.ok_or_else(|| {
        Failure::Store(Error::state_store(
            "sleeper-pg Java binding: null native handle",
        ))
    })
}

/// Drops the value behind a handle.
///
/// # Safety
/// As for [`borrow_handle`], and no call may use the handle afterwards.
pub unsafe fn free_handle<T>(handle: jlong) {
    let pointer = handle as *mut T;
    if !pointer.is_null() {
        // SAFETY: the caller's promise: the pointer came from `Box::into_raw` and is freed once.
        drop(unsafe { Box::from_raw(pointer) });
    }
}
