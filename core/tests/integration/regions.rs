//! Reads of part of a table (issue 13, core/src/store/regions.rs): the references on some partitions,
//! and the partitions and references of a key range, each as of one moment, the partition tree cached
//! by the handle and read again when a partition write has moved it on.

use crate::common::*;
use sleeper_pg::*;

/// A table split at 0 into `L` (below) and `R`, with a file on each partition: `on-root`, `on-L` and
/// `on-R`, and `both` on `L` and `R`.
async fn split_store(client: &Client) -> StateStore {
    let store = store_split_at(client, 0).await;
    store
        .add_files(&[
            FileReference::new("on-root", "root", 10),
            FileReference::new("on-L", "L", 10),
            FileReference::new("on-R", "R", 10),
            FileReference::new("both", "L", 5),
            FileReference::new("both", "R", 5),
        ])
        .await
        .unwrap();
    store
}

/// The closed range `[min, max]` on the key, `max` `None` for no upper bound.
fn keys(min: i64, max: Option<i64>) -> Region {
    long_range(min, max)
}

fn ids(partitions: &[Partition]) -> Vec<&str> {
    partitions.iter().map(|p| p.id.as_str()).collect()
}

fn pairs(references: &[FileReference]) -> Vec<(&str, &str)> {
    references
        .iter()
        .map(|r| (r.partition_id.as_str(), r.filename.as_str()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn references_on_partitions_are_those_partitions_live_references_by_partition_then_filename()
{
    let client = client().await;
    let store = split_store(&client).await;

    let references = store
        .get_file_references_on_partitions(&strings(&["R", "root", "R"]))
        .await
        .unwrap();

    assert_eq!(
        pairs(&references),
        vec![("R", "both"), ("R", "on-R"), ("root", "on-root")]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn references_on_an_unknown_partition_raise_partition_not_found() {
    let client = client().await;
    let store = split_store(&client).await;

    let error = store
        .get_file_references_on_partitions(&strings(&["L", "nowhere"]))
        .await
        .unwrap_err();

    assert!(
        matches!(&error, Error::PartitionNotFound { partition_id, .. } if partition_id == "nowhere"),
        "{error:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_map_on_partitions_leaves_out_partitions_without_references() {
    let client = client().await;
    let store = split_store(&client).await;
    let left = store.get_partition("L").await.unwrap();
    let (split, low, high) = split_of(&left, "L-low", "L-high", -100);
    store
        .atomically_update_partition_and_create_new_ones(&split, &low, &high)
        .await
        .unwrap();

    let map = store
        .get_partition_to_referenced_files_map_on_partitions(&strings(&["L-low", "L", "root"]))
        .await
        .unwrap();

    assert_eq!(
        map.into_iter().collect::<Vec<_>>(),
        vec![
            ("L".to_owned(), strings(&["both", "on-L"])),
            ("root".to_owned(), strings(&["on-root"]))
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn partitions_in_a_region_are_every_partition_overlapping_it_with_both_ends_included() {
    let client = client().await;
    let store = split_store(&client).await;

    let right = store
        .get_partitions_in_region(&keys(0, Some(0)))
        .await
        .unwrap();
    let left = store
        .get_partitions_in_region(&keys(-5, Some(-1)))
        .await
        .unwrap();
    let both = store
        .get_partitions_in_region(&keys(-1, Some(0)))
        .await
        .unwrap();
    let above = store
        .get_partitions_in_region(&keys(7, None))
        .await
        .unwrap();

    assert_eq!(ids(&right), vec!["R", "root"]);
    assert_eq!(ids(&left), vec!["L", "root"]);
    assert_eq!(ids(&both), vec!["L", "R", "root"]);
    assert_eq!(ids(&above), vec!["R", "root"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_region_without_a_range_on_a_field_matches_any_value_of_it() {
    let client = client().await;
    let store = split_store(&client).await;

    let partitions = store
        .get_partitions_in_region(&Region::new(vec![]))
        .await
        .unwrap();

    assert_eq!(ids(&partitions), vec!["L", "R", "root"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_map_in_a_region_holds_the_files_of_its_leaves_and_of_their_ancestors() {
    let client = client().await;
    let store = split_store(&client).await;

    let map = store
        .get_partition_to_referenced_files_map_in_region(&keys(3, Some(4)))
        .await
        .unwrap();

    assert_eq!(
        map.into_iter().collect::<Vec<_>>(),
        vec![
            ("R".to_owned(), strings(&["both", "on-R"])),
            ("root".to_owned(), strings(&["on-root"]))
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_sees_partitions_split_since_the_handle_last_read_the_tree() {
    let client = client().await;
    let store = split_store(&client).await;
    store
        .get_partitions_in_region(&keys(3, Some(4)))
        .await
        .unwrap();
    let other = client.table(store.table_id()).await.unwrap();
    let right = other.get_partition("R").await.unwrap();
    let (split, low, high) = split_of(&right, "R-low", "R-high", 100);
    other
        .atomically_update_partition_and_create_new_ones(&split, &low, &high)
        .await
        .unwrap();
    other
        .add_file(&FileReference::new("on-R-low", "R-low", 1))
        .await
        .unwrap();

    let map = store
        .get_partition_to_referenced_files_map_in_region(&keys(3, Some(4)))
        .await
        .unwrap();
    let on_new = store
        .get_file_references_on_partitions(&strings(&["R-low"]))
        .await
        .unwrap();

    assert_eq!(map.keys().collect::<Vec<_>>(), vec!["R", "R-low", "root"]);
    assert_eq!(pairs(&on_new), vec![("R-low", "on-R-low")]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_region_on_no_field_of_the_table_is_invalid() {
    let client = client().await;
    let store = split_store(&client).await;
    let region = Region::new(vec![Range::new("other", KeyValue::Long(1), None)]);

    let error = store.get_partitions_in_region(&region).await.unwrap_err();

    assert_eq!(error.kind(), ErrorKind::InvalidArgument, "{error:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_region_whose_min_is_above_its_max_is_invalid() {
    let client = client().await;
    let store = split_store(&client).await;

    let error = store
        .get_partition_to_referenced_files_map_in_region(&keys(5, Some(4)))
        .await
        .unwrap_err();

    assert_eq!(error.kind(), ErrorKind::InvalidArgument, "{error:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_region_of_the_wrong_key_type_is_invalid() {
    let client = client().await;
    let store = split_store(&client).await;
    let region = Region::new(vec![Range::new("key", KeyValue::String("a".into()), None)]);

    let error = store.get_partitions_in_region(&region).await.unwrap_err();

    assert_eq!(error.kind(), ErrorKind::InvalidArgument, "{error:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn partial_reads_of_a_deleted_table_raise_table_not_found() {
    let client = client().await;
    let store = split_store(&client).await;
    store
        .get_partitions_in_region(&keys(0, None))
        .await
        .unwrap();
    client.delete_table(store.table_id()).await.unwrap();

    let in_region = store.get_partitions_in_region(&keys(0, None)).await;
    let on_partitions = store
        .get_file_references_on_partitions(&strings(&["L"]))
        .await;

    assert!(
        matches!(in_region, Err(Error::TableNotFound { .. })),
        "{in_region:?}"
    );
    assert!(
        matches!(on_partitions, Err(Error::TableNotFound { .. })),
        "{on_partitions:?}"
    );
}
