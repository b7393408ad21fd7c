//! Entry points for Java's tests only (the `testing` feature; the jar's library has none of them):
//! the native methods of the test class `sleeper.statestore.postgres.internal.NativeTesting`.

use jni::sys::{jbyteArray, jint};
use sleeper_pg::testing::error_samples;
use sleeper_pg::{AllReferencesToAllFiles, Result};

use crate::wire::{malformed, Model, Reader, Writer};
use crate::{answer, natives, read, Bytes};

/// Echo kinds beyond the model objects (`WireKind` 0 to 9); Java's `NativeTesting` has the same numbers.
const ECHO_KEY: jint = 100;
const ECHO_UPDATE_TIME: jint = 101;
const ECHO_CUTOFF: jint = 102;
const ECHO_CLIENT_OPTIONS: jint = 103;
const ECHO_STRINGS: jint = 104;
const ECHO_LOCAL_POSTGRES_OPTIONS: jint = 105;
/// A report of `get_all_files_with_max_unreferenced`, which only answers carry: read here for the echo alone.
const ECHO_ALL_FILES: jint = 106;

/// A value Java encoded, as Rust decoded it.
enum Echo {
    Model(Model),
    Key(Option<sleeper_pg::KeyValue>),
    Time(Option<sleeper_pg::Timestamp>),
    Text(String),
    Strings(Vec<String>),
    AllFiles(AllReferencesToAllFiles),
}

fn decode(kind: jint, r: &mut Reader<'_>) -> Result<Echo> {
    Ok(match kind {
        ECHO_KEY => Echo::Key(r.opt_key("key")?),
        ECHO_UPDATE_TIME => Echo::Time(r.update_time()?),
        ECHO_CUTOFF => Echo::Time(r.cutoff()?),
        // The options the core will connect with, defaults included, as the core prints them.
        ECHO_CLIENT_OPTIONS => Echo::Text(format!("{:?}", r.client_options()?)),
        ECHO_STRINGS => Echo::Strings(r.strings("string")?),
        ECHO_LOCAL_POSTGRES_OPTIONS => Echo::Text(format!("{:?}", r.local_postgres_options()?)),
        ECHO_ALL_FILES => Echo::AllFiles(AllReferencesToAllFiles {
            files: r.list(Reader::file)?,
            more_than_max: r.bool()?,
        }),
        kind => Echo::Model(r.model(kind)?),
    })
}

/// Encodes a decoded value back, as answers carry it.
fn encode<'a>(w: &mut Writer<'a>, value: &'a Echo) -> Result<()> {
    match value {
        Echo::Key(key) => w.opt_key(key.as_ref()),
        Echo::Time(time) => {
            w.time(*time);
            Ok(())
        }
        Echo::Text(text) => w.owned_string(text),
        Echo::Strings(strings) => w.strings(strings),
        Echo::AllFiles(files) => w.all_files(files),
        Echo::Model(Model::RowKeyField(field)) => w.row_key_field(field),
        Echo::Model(Model::Range(range)) => w.range(range),
        Echo::Model(Model::Region(region)) => w.list(&region.ranges, Writer::range),
        Echo::Model(Model::Partition(partition)) => w.partition(partition),
        Echo::Model(Model::FileReference(reference)) => w.file_reference(reference),
        Echo::Model(Model::File(file)) => w.file(file),
        Echo::Model(Model::SplitRequest(request)) => w.split_request(request),
        Echo::Model(Model::ReplaceRequest(request)) => w.replace_request(request),
        Echo::Model(Model::AssignRequest(request)) => {
            w.string(&request.job_id)?;
            w.string(&request.partition_id)?;
            w.strings(&request.filenames)
        }
        Echo::Model(Model::CheckRequest(request)) => {
            w.string(&request.job_id)?;
            w.strings(&request.filenames)?;
            w.string(&request.partition_id)
        }
    }
}

natives! { "NativeTesting";
    /// One error of every kind (the core's `testing::error_samples`), each as its exception name and
    /// the error encoded as a call throws it.
    fn errorSamples() -> jbyteArray = |env| {
        let samples = error_samples();
        let encoded = samples
            .iter()
            .map(|error| {
                let mut writer = Writer::new();
                writer.error(error).map(|()| writer.into_bytes())
            })
            .collect::<Result<Vec<_>>>()?;
        answer(env, 4096, |w| {
            w.list(&samples, |w, error| w.string(error.exception_name()))?;
            w.list(&encoded, |w, bytes| w.bytes(bytes))
        })
    };
    /// Decodes a value of `kind` as Java encoded it, and encodes it back as answers carry it.
    fn echo(kind: jint, args: Bytes<'_>) -> jbyteArray = |env| {
        let value = read(env, &args, |r| decode(kind, r))?;
        answer(env, 256, |w| encode(w, &value))
    };
    /// Malformed call data is a bug of the binding, reported as a plain StateStoreException.
    fn malformedCall() = |_| Err(malformed("a test").into());
}
