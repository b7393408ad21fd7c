//! The life of a Sleeper table, step by step, printing the state store after each step.
//!
//! Runs against `DATABASE_URL`, or a throwaway local PostgreSQL cluster when it is not set:
//! `cargo run -p sleeper-pg --example demo` (or `make demo`).

use sleeper_pg::*;

#[tokio::main]
async fn main() -> Result<()> {
    println!("Connecting (DATABASE_URL, or a throwaway local PostgreSQL cluster)...");
    let client = Client::connect(None).await?;
    let table_id = format!("demo-{}", short(&uuid::Uuid::new_v4().to_string()));
    let row_keys = [RowKeyField::new("key", KeyType::Long)];

    step(
        "1. Create table {table} with one row key field, key: long",
        &table_id,
    );
    let store = client.create_table(&table_id, &row_keys).await?;

    step(
        "2. Initialise partitions from split points 100 and 200",
        &table_id,
    );
    let tree =
        partitions_from_split_points(&row_keys, &[KeyValue::Long(100), KeyValue::Long(200)])?;
    store.initialise_with_partitions(&tree).await?;
    print_partitions(&store).await?;

    step(
        "3. Ingest adds two files on the root partition and one on a leaf",
        &table_id,
    );
    let root = tree
        .iter()
        .find(|p| p.parent_partition_id.is_none())
        .map(|p| p.id.clone())
        .unwrap_or_default();
    // The helper lists the leaves first, left to right.
    let first_leaf = tree[0].id.clone();
    store
        .add_files(&[
            FileReference::new("s3a://bucket/data/ingest-1.parquet", &root, 1_000),
            FileReference::new("s3a://bucket/data/ingest-2.parquet", &root, 400),
            FileReference::new("s3a://bucket/data/ingest-3.parquet", &first_leaf, 250),
        ])
        .await?;
    print_files(&store).await?;

    step(
        "4. Split the root files' references down to the leaves",
        &table_id,
    );
    let requests = split_down_to_leaves(&store, &tree, &root).await?;
    store.split_file_references(&requests).await?;
    print_files(&store).await?;

    step(
        "5. Create a compaction job for the leftmost leaf",
        &table_id,
    );
    let inputs: Vec<String> = store
        .get_partition_to_referenced_files_map()
        .await?
        .remove(&first_leaf)
        .unwrap_or_default();
    store
        .assign_job_ids(&[AssignJobIdRequest::new(
            "compaction-job-1",
            &first_leaf,
            inputs.clone(),
        )])
        .await?;
    print_files(&store).await?;

    step(
        "6. Commit the compaction job: its inputs are replaced by one output file",
        &table_id,
    );
    let output = FileReference::new("s3a://bucket/data/compacted-1.parquet", &first_leaf, 1_200);
    store
        .atomically_replace_file_references_with_new_ones(&[ReplaceFileReferencesRequest::new(
            "compaction-job-1",
            &first_leaf,
            inputs,
            output,
        )])
        .await?;
    print_files(&store).await?;
    print_file_records(&store).await?;

    step(
        "7. Garbage collection: find files with no references, delete them",
        &table_id,
    );
    // Sleeper waits a while before deleting unreferenced files; the demo does not.
    let cutoff = chrono::Utc::now() + chrono::Duration::seconds(1);
    let ready = store.get_ready_for_gc_filenames_before(cutoff).await?;
    println!("Ready for garbage collection: {ready:?}");
    store
        .delete_garbage_collected_file_reference_counts(&ready)
        .await?;
    print_file_records(&store).await?;
    println!("(The other leaves' references wait for their own compaction jobs.)");

    client.delete_table(&table_id).await?;
    println!("\nDeleted table {table_id}. Done.");
    Ok(())
}

/// One request per file on the root: its reference there moves to the root's two children, and
/// those that are not leaves are split again in the same call.
async fn split_down_to_leaves(
    store: &StateStore,
    tree: &[Partition],
    root: &str,
) -> Result<Vec<SplitFileReferenceRequest>> {
    let mut requests = Vec::new();
    let mut pending: Vec<FileReference> = store
        .get_file_references()
        .await?
        .into_iter()
        .filter(|r| r.partition_id == root)
        .collect();
    while let Some(reference) = pending.pop() {
        let Some(partition) = tree.iter().find(|p| p.id == reference.partition_id) else {
            continue;
        };
        if let [left, right] = partition.child_partition_ids.as_slice() {
            let request =
                SplitFileReferenceRequest::split_file_to_child_partitions(&reference, left, right);
            pending.extend(request.new_references.iter().cloned());
            requests.push(request);
        }
    }
    Ok(requests)
}

fn step(title: &str, table_id: &str) {
    println!("\n== {} ==", title.replace("{table}", table_id));
}

fn short(id: &str) -> String {
    id.chars().take(8).collect()
}

async fn print_partitions(store: &StateStore) -> Result<()> {
    println!(
        "{:<10} {:<6} {:<10} {:<24}",
        "partition", "leaf", "parent", "key range"
    );
    for p in store.get_all_partitions().await? {
        let range = &p.region.ranges[0];
        let bound = |v: Option<&KeyValue>| match v {
            Some(KeyValue::Long(v)) if *v == i64::MIN => "MIN".to_owned(),
            Some(KeyValue::Long(v)) => v.to_string(),
            Some(other) => format!("{other:?}"),
            None => "none".to_owned(),
        };
        println!(
            "{:<10} {:<6} {:<10} [{}, {})",
            short(&p.id),
            p.is_leaf_partition,
            p.parent_partition_id
                .as_deref()
                .map(short)
                .unwrap_or_else(|| "-".into()),
            bound(Some(&range.min)),
            bound(range.max.as_ref())
        );
    }
    Ok(())
}

async fn print_files(store: &StateStore) -> Result<()> {
    println!(
        "{:<38} {:<10} {:>6} {:<7} {:<18} updated",
        "file", "partition", "rows", "approx", "job"
    );
    for r in store.get_file_references().await? {
        println!(
            "{:<38} {:<10} {:>6} {:<7} {:<18} {}",
            r.filename,
            short(&r.partition_id),
            r.number_of_rows,
            r.count_approximate,
            r.job_id.as_deref().unwrap_or("-"),
            r.last_update_time
                .map(|t| t.format("%H:%M:%S%.3f").to_string())
                .unwrap_or_default()
        );
    }
    Ok(())
}

async fn print_file_records(store: &StateStore) -> Result<()> {
    println!("{:<38} {:>10} last update", "file record", "references");
    for f in store.get_all_files_with_max_unreferenced(100).await?.files {
        println!(
            "{:<38} {:>10} {}",
            f.filename,
            f.reference_count(),
            f.last_update_time
                .map(|t| t.format("%H:%M:%S%.3f").to_string())
                .unwrap_or_default()
        );
    }
    Ok(())
}
