//! Python values in and out. Every check here is about Python types: a wrong type is `TypeError`, a
//! value that no Rust type of the core can hold (an int beyond 64 bits, a naive datetime) is
//! `ValueError`, and every message names the argument. The contract's own rules on values are the
//! core's `validate` functions, which the callers run afterwards.
//!
//! [`FromPy`] and [`ToPy`] name the conversion of each type the model classes hold, so that a class
//! lists its fields with their types and nothing else (`model.rs`).

use std::fmt::Display;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{NaiveDateTime, TimeDelta};
use pyo3::exceptions::{PyOSError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{
    PyBool, PyByteArray, PyBytes, PyDateTime, PyDict, PyFloat, PyInt, PyList, PySequence, PyString,
};
use pyo3::BoundObject;
use sleeper_pg::{KeyType, KeyValue, RowKeyField, Timestamp};

/// The name of an argument, or of one item of a sequence argument (`references[2]`): formatted only
/// when an error needs it.
#[derive(Clone, Copy)]
pub(crate) enum Arg<'a> {
    Name(&'a str),
    Item(&'a str, usize),
}

impl Display for Arg<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Arg::Name(name) => f.write_str(name),
            Arg::Item(name, index) => write!(f, "{name}[{index}]"),
        }
    }
}

impl<'a> From<&'a str> for Arg<'a> {
    fn from(name: &'a str) -> Self {
        Arg::Name(name)
    }
}

fn type_name(value: &Bound<'_, PyAny>) -> String {
    if value.is_none() {
        return "None".to_owned();
    }
    value
        .get_type()
        .name()
        .map(|name| name.to_string())
        .unwrap_or_else(|_| "an unknown type".to_owned())
}

pub(crate) fn type_error<'a>(
    arg: impl Into<Arg<'a>>,
    expected: &str,
    value: &Bound<'_, PyAny>,
) -> PyErr {
    PyTypeError::new_err(format!(
        "{} must be {expected}, not {}",
        arg.into(),
        type_name(value)
    ))
}

pub(crate) fn string<'a>(arg: impl Into<Arg<'a>>, value: &Bound<'_, PyAny>) -> PyResult<String> {
    let arg = arg.into();
    let text = value
        .cast::<PyString>()
        .map_err(|_| type_error(arg, "a str", value))?;
    text.to_cow()
        .map(|text| text.into_owned())
        .map_err(|e| PyValueError::new_err(format!("{arg} is not valid Unicode: {e}")))
}

pub(crate) fn optional_string<'a>(
    arg: impl Into<Arg<'a>>,
    value: Option<&Bound<'_, PyAny>>,
) -> PyResult<Option<String>> {
    match value {
        Some(value) if !value.is_none() => string(arg, value).map(Some),
        _ => Ok(None),
    }
}

pub(crate) fn boolean<'a>(arg: impl Into<Arg<'a>>, value: &Bound<'_, PyAny>) -> PyResult<bool> {
    let arg = arg.into();
    value
        .cast::<PyBool>()
        .map(|b| b.is_true())
        .map_err(|_| type_error(arg, "a bool", value))
}

/// A Python `int` (not a `bool`) within `min..=max`.
pub(crate) fn integer<'a>(
    arg: impl Into<Arg<'a>>,
    value: &Bound<'_, PyAny>,
    min: i64,
    max: i64,
) -> PyResult<i64> {
    let arg = arg.into();
    if value.is_instance_of::<PyBool>() || !value.is_instance_of::<PyInt>() {
        return Err(type_error(arg, "an int", value));
    }
    match value.extract::<i64>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        _ => Err(PyValueError::new_err(format!(
            "{arg} must be between {min} and {max}, got {value}"
        ))),
    }
}

/// A count of seconds as a `Duration`.
pub(crate) fn seconds<'a>(arg: impl Into<Arg<'a>>, value: &Bound<'_, PyAny>) -> PyResult<Duration> {
    let arg = arg.into();
    if value.is_instance_of::<PyBool>()
        || !(value.is_instance_of::<PyInt>() || value.is_instance_of::<PyFloat>())
    {
        return Err(type_error(arg, "a number of seconds (int or float)", value));
    }
    let seconds: f64 = value.extract()?;
    Duration::try_from_secs_f64(seconds).map_err(|_| {
        PyValueError::new_err(format!(
            "{arg} must be a finite number of seconds >= 0, got {value}"
        ))
    })
}

pub(crate) fn optional_seconds<'a>(
    arg: impl Into<Arg<'a>>,
    value: Option<&Bound<'_, PyAny>>,
) -> PyResult<Option<Duration>> {
    match value {
        Some(value) if !value.is_none() => seconds(arg, value).map(Some),
        _ => Ok(None),
    }
}

/// A row key value: `int` within 64 bits, `str` or `bytes`. Ints go in as `Long`; the store fits
/// them to the field's type and range.
pub(crate) fn key_value<'a>(
    arg: impl Into<Arg<'a>>,
    value: &Bound<'_, PyAny>,
) -> PyResult<KeyValue> {
    let arg = arg.into();
    if let Ok(text) = value.cast::<PyString>() {
        return text
            .to_cow()
            .map(|text| KeyValue::String(text.into_owned()))
            .map_err(|e| PyValueError::new_err(format!("{arg} is not valid Unicode: {e}")));
    }
    if let Ok(bytes) = value.cast::<PyBytes>() {
        return Ok(KeyValue::Bytes(bytes.as_bytes().to_vec()));
    }
    if value.is_instance_of::<PyInt>() && !value.is_instance_of::<PyBool>() {
        return integer(arg, value, i64::MIN, i64::MAX).map(KeyValue::Long);
    }
    Err(type_error(arg, "an int, str or bytes", value))
}

pub(crate) fn key_value_to_py<'py>(
    py: Python<'py>,
    value: &KeyValue,
) -> PyResult<Bound<'py, PyAny>> {
    Ok(match value {
        KeyValue::Int(v) => v.into_pyobject(py)?.into_any(),
        KeyValue::Long(v) => v.into_pyobject(py)?.into_any(),
        KeyValue::String(s) => PyString::new(py, s).into_any(),
        KeyValue::Bytes(b) => PyBytes::new(py, b).into_any(),
    })
}

/// A timezone-aware `datetime`, as an instant in UTC. A naive one is refused rather than guessed.
/// The offset is applied here rather than by `astimezone`, whose result must be a Python `datetime`:
/// so `datetime.max` with a negative offset is an instant like any other.
pub(crate) fn instant<'a>(
    arg: impl Into<Arg<'a>>,
    value: &Bound<'_, PyAny>,
) -> PyResult<Timestamp> {
    let arg = arg.into();
    if !value.is_instance_of::<PyDateTime>() {
        return Err(type_error(arg, "a timezone-aware datetime", value));
    }
    let offset = value.call_method0("utcoffset")?;
    if offset.is_none() {
        return Err(PyValueError::new_err(format!(
            "{arg} must be a timezone-aware datetime (such as datetime.now(timezone.utc)), got a naive datetime {value}"
        )));
    }
    let offset: TimeDelta = offset.extract()?;
    let naive = PyDict::new(value.py());
    naive.set_item("tzinfo", value.py().None())?;
    let local: NaiveDateTime = value.call_method("replace", (), Some(&naive))?.extract()?;
    // A Python datetime is within a day of years 1 to 9999, far inside chrono's range.
    local
        .checked_sub_signed(offset)
        .map(|utc| utc.and_utc())
        .ok_or_else(|| PyValueError::new_err(format!("{arg}: {value} is out of range")))
}

/// A time the store keeps and gives back (an update time): an [`instant`] the core accepts as one
/// (years 1 to 9999 in UTC, which only an offset can take an aware `datetime` beyond).
pub(crate) fn time<'a>(arg: impl Into<Arg<'a>>, value: &Bound<'_, PyAny>) -> PyResult<Timestamp> {
    let arg = arg.into();
    sleeper_pg::time::validate_update_time(instant(arg, value)?)
        .map_err(|error| PyValueError::new_err(format!("{arg}: {error}")))
}

pub(crate) fn optional_time<'a>(
    arg: impl Into<Arg<'a>>,
    value: Option<&Bound<'_, PyAny>>,
) -> PyResult<Option<Timestamp>> {
    match value {
        Some(value) if !value.is_none() => time(arg, value).map(Some),
        _ => Ok(None),
    }
}

/// Text given as `str` (sent as UTF-8) or `bytes`, such as a JSON document.
pub(crate) fn text_or_bytes<'a>(
    arg: impl Into<Arg<'a>>,
    value: &Bound<'_, PyAny>,
) -> PyResult<Vec<u8>> {
    let arg = arg.into();
    if let Ok(bytes) = value.cast::<PyBytes>() {
        return Ok(bytes.as_bytes().to_vec());
    }
    if value.is_instance_of::<PyString>() {
        return string(arg, value).map(String::into_bytes);
    }
    Err(type_error(arg, "a str or bytes", value))
}

/// A file system path: a `str` or an `os.PathLike` giving one (such as `pathlib.Path`).
pub(crate) fn path<'a>(arg: impl Into<Arg<'a>>, value: &Bound<'_, PyAny>) -> PyResult<PathBuf> {
    let arg = arg.into();
    value.extract::<PathBuf>().map_err(|error| {
        if error.is_instance_of::<PyTypeError>(value.py()) {
            type_error(arg, "a str or os.PathLike[str]", value)
        } else {
            error
        }
    })
}

/// A callable, or None.
pub(crate) fn optional_callable<'a>(
    arg: impl Into<Arg<'a>>,
    value: Option<&Bound<'_, PyAny>>,
) -> PyResult<Option<Py<PyAny>>> {
    match value {
        Some(value) if !value.is_none() => {
            if !value.is_callable() {
                return Err(type_error(arg, "a callable or None", value));
            }
            Ok(Some(value.clone().unbind()))
        }
        _ => Ok(None),
    }
}

/// Python's `OSError` for a file that could not be opened, as `open()` raises it: the subclass its
/// errno stands for (`FileNotFoundError`, `PermissionError` ...), with the reason and the filename.
pub(crate) fn os_error(py: Python<'_>, error: &std::io::Error, path: &Path) -> PyErr {
    let Some(code) = error.raw_os_error() else {
        return PyOSError::new_err(error.to_string());
    };
    let raised = (|| {
        let reason = py.import("os")?.call_method1("strerror", (code,))?;
        Ok::<_, PyErr>(PyOSError::new_err((
            code,
            reason.unbind(),
            path.as_os_str().into_pyobject(py)?.unbind(),
        )))
    })();
    raised.unwrap_or_else(|failed| failed)
}

/// Any sequence but a string or byte string, converting each item with `item`.
pub(crate) fn sequence<'py, T>(
    arg: &str,
    what: &str,
    value: &Bound<'py, PyAny>,
    mut item: impl FnMut(Arg<'_>, &Bound<'py, PyAny>) -> PyResult<T>,
) -> PyResult<Vec<T>> {
    let not_a_sequence = || type_error(arg, &format!("a sequence of {what}"), value);
    if value.is_instance_of::<PyString>()
        || value.is_instance_of::<PyBytes>()
        || value.is_instance_of::<PyByteArray>()
    {
        return Err(not_a_sequence());
    }
    let sequence = value.cast::<PySequence>().map_err(|_| not_a_sequence())?;
    let mut items = Vec::with_capacity(sequence.len().unwrap_or(0));
    for (index, element) in sequence.try_iter()?.enumerate() {
        items.push(item(Arg::Item(arg, index), &element?)?);
    }
    Ok(items)
}

pub(crate) fn strings(arg: &str, value: &Bound<'_, PyAny>) -> PyResult<Vec<String>> {
    sequence(arg, "str", value, |arg, item| string(arg, item))
}

/// `[(name, type), ...]` with type one of `int`, `long`, `string`, `bytes`.
pub(crate) fn row_keys(arg: &str, value: &Bound<'_, PyAny>) -> PyResult<Vec<RowKeyField>> {
    sequence(arg, "(name, type) pairs", value, |arg, pair| {
        let parts = sequence("", "", pair, |_, part| Ok(part.clone()))
            .ok()
            .filter(|parts| parts.len() == 2)
            .ok_or_else(|| type_error(arg, "a (name, type) pair", pair))?;
        let name = string(arg, &parts[0])?;
        let key_type: KeyType = string(arg, &parts[1])?
            .parse()
            .map_err(|e: sleeper_pg::Error| PyValueError::new_err(format!("{arg}: {e}")))?;
        Ok(RowKeyField::new(name, key_type))
    })
}

pub(crate) fn row_keys_to_py<'py>(
    py: Python<'py>,
    row_keys: &[RowKeyField],
) -> PyResult<Vec<Bound<'py, PyAny>>> {
    row_keys
        .iter()
        .map(|field| {
            Ok((field.name.as_str(), field.key_type.name())
                .into_pyobject(py)?
                .into_any())
        })
        .collect()
}

/// A Rust value of a type the model classes hold, from the Python argument (or sequence item) `arg`.
pub(crate) trait FromPy: Sized {
    /// What the value is called in a `TypeError`: "a {NAME}", "a sequence of {NAME}".
    const NAME: &'static str;

    fn from_py(arg: Arg<'_>, value: &Bound<'_, PyAny>) -> PyResult<Self>;
}

/// A value of type `T` from the argument `name`: `arg::<Vec<FileReference>>("references", value)`.
pub(crate) fn arg<T: FromPy>(name: &str, value: &Bound<'_, PyAny>) -> PyResult<T> {
    T::from_py(Arg::Name(name), value)
}

impl FromPy for String {
    const NAME: &'static str = "str";

    fn from_py(arg: Arg<'_>, value: &Bound<'_, PyAny>) -> PyResult<Self> {
        string(arg, value)
    }
}

impl FromPy for bool {
    const NAME: &'static str = "bool";

    fn from_py(arg: Arg<'_>, value: &Bound<'_, PyAny>) -> PyResult<Self> {
        boolean(arg, value)
    }
}

/// A row count: at most `i64::MAX`, what the store keeps (PostgreSQL's `bigint`).
impl FromPy for u64 {
    const NAME: &'static str = "int";

    fn from_py(arg: Arg<'_>, value: &Bound<'_, PyAny>) -> PyResult<Self> {
        Ok(integer(arg, value, 0, i64::MAX)?.unsigned_abs())
    }
}

/// An update time: see [`time`].
impl FromPy for Timestamp {
    const NAME: &'static str = "timezone-aware datetime";

    fn from_py(arg: Arg<'_>, value: &Bound<'_, PyAny>) -> PyResult<Self> {
        time(arg, value)
    }
}

impl FromPy for KeyValue {
    const NAME: &'static str = "int, str or bytes";

    fn from_py(arg: Arg<'_>, value: &Bound<'_, PyAny>) -> PyResult<Self> {
        key_value(arg, value)
    }
}

/// None, or a `T`.
impl<T: FromPy> FromPy for Option<T> {
    const NAME: &'static str = T::NAME;

    fn from_py(arg: Arg<'_>, value: &Bound<'_, PyAny>) -> PyResult<Self> {
        if value.is_none() {
            return Ok(None);
        }
        T::from_py(arg, value).map(Some)
    }
}

/// Any sequence of `T` but a string (see [`sequence`]).
impl<T: FromPy> FromPy for Vec<T> {
    const NAME: &'static str = "sequence";

    fn from_py(arg: Arg<'_>, value: &Bound<'_, PyAny>) -> PyResult<Self> {
        match arg {
            Arg::Name(name) => sequence(name, T::NAME, value, T::from_py),
            Arg::Item(..) => sequence(&arg.to_string(), T::NAME, value, T::from_py),
        }
    }
}

/// A value the model classes hold, as the Python object their getters return.
pub(crate) trait ToPy {
    fn to_py<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>>;
}

macro_rules! to_py_as_itself {
    ($($ty:ty),*) => {$(
        impl ToPy for $ty {
            fn to_py<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
                Ok(self.into_pyobject(py).map_err(Into::<PyErr>::into)?.into_any().into_bound())
            }
        }
    )*};
}
to_py_as_itself!(String, bool, u64, i32, Timestamp);

impl ToPy for KeyValue {
    fn to_py<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        key_value_to_py(py, self)
    }
}

impl<T: ToPy> ToPy for Option<T> {
    fn to_py<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        match self {
            Some(value) => value.to_py(py),
            None => Ok(py.None().into_bound(py)),
        }
    }
}

impl<T: ToPy> ToPy for Vec<T> {
    fn to_py<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let items = self
            .iter()
            .map(|item| item.to_py(py))
            .collect::<PyResult<Vec<_>>>()?;
        Ok(PyList::new(py, items)?.into_any())
    }
}
