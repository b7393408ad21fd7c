//! The fuzz target of the JNI wire format: the bytes Java encodes for a call, decoded as each entry
//! point decodes them. Not API: `fuzz/fuzz_targets/wire.rs` and this crate's seeded stable test
//! (below) both call [`wire`].

use sleeper_pg::{
    fuzzing::{check_client_options, row_keys},
    partitions_from_split_points, Result, SplitFileReferenceRequest, Transaction, TransactionType,
};

use crate::wire::{Model, Reader, Writer};

/// Decodes `data` as the arguments of one call, as its entry point does, then checks and echoes
/// what decoded the way the entry point goes on: the core's checks, and the answer written back
/// with [`Writer`]. The first byte picks the call: the low nibble 0 to 9 a model object of that
/// `WireKind` (`Native.validate`), 10 client options (`clientConnect`), 11 local cluster options,
/// 12 a read scope, 13 split points (`partitionsFromSplitPoints`), 14 a transaction
/// (`storeApplyTransaction`, with the row keys of the high nibble), 15 a file reference split to
/// child partitions (`splitFileToChildPartitions`). Only a panic is a failure.
pub fn wire(data: &[u8]) {
    let Some((&selector, bytes)) = data.split_first() else {
        return;
    };
    let mut reader = Reader::new(bytes);
    if decode(selector, &mut reader).is_ok() {
        let _ = reader.done(());
    }
}

fn decode(selector: u8, r: &mut Reader<'_>) -> Result<()> {
    let mut w = Writer::new();
    match selector & 0x0f {
        kind @ 0..=9 => {
            let model = r.model(i32::from(kind))?;
            let _ = model.validate();
            match &model {
                Model::RowKeyField(field) => w.row_key_field(field)?,
                Model::Range(range) => w.range(range)?,
                Model::Region(region) => w.list(&region.ranges, Writer::range)?,
                Model::Partition(partition) => w.partition(partition)?,
                Model::FileReference(reference) => w.file_reference(reference)?,
                Model::File(file) => w.file(file)?,
                Model::SplitRequest(request) => w.split_request(request)?,
                Model::ReplaceRequest(request) => w.replace_request(request)?,
                Model::AssignRequest(_) | Model::CheckRequest(_) => {}
            }
        }
        10 => check_client_options(&r.client_options()?),
        11 => drop(r.local_postgres_options()?),
        12 => drop(crate::read_scope(r)?),
        13 => {
            let row_keys = r.list(Reader::row_key_field)?;
            let split_points = r.list(|r| r.key("split point"))?;
            if let Ok(partitions) = partitions_from_split_points(&row_keys, &split_points) {
                w.partitions(&partitions)?;
            }
        }
        14 => {
            let (type_name, json, _synchronous) = (
                r.string("transaction type")?,
                r.string("transaction JSON")?,
                r.bool()?,
            );
            let transaction_type: TransactionType = type_name.parse()?;
            let _ =
                Transaction::from_json(transaction_type, json.as_bytes(), &row_keys(selector >> 4));
        }
        _ => {
            let file = r.file_reference()?;
            let (left, right) = (
                r.string("left partition id")?,
                r.string("right partition id")?,
            );
            let request =
                SplitFileReferenceRequest::split_file_to_child_partitions(&file, &left, &right);
            if request.validate().is_ok() {
                w.split_request(&request)?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    /// The wire target over its corpus (`fuzz/corpus/wire/`) and inputs mutated from it with a fixed
    /// seed, so that the target runs in every `make test` without nightly.
    #[test]
    fn the_wire_target_survives_its_corpus_and_mutations() {
        let corpus = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus/wire");
        sleeper_pg::fuzzing::run_seeded("wire", super::wire, &corpus, 20_000, 0x5eed_f022);
    }
}
