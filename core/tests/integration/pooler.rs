//! A client behind a transaction-pooling PgBouncer, with the one option it needs (the statement cache
//! off), does every kind of call: its statements are unnamed and every call runs in a transaction.

use crate::common::*;
use sleeper_pg::testing::PgBouncer;
use sleeper_pg::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_kind_of_call_works_through_pgbouncer_in_transaction_mode() {
    let server = tokio::task::spawn_blocking(LocalPostgres::start)
        .await
        .unwrap()
        .unwrap();
    // Migrations need a session of their own: a direct connection.
    Client::connect(Some(&server.url())).await.unwrap();
    let pooler = PgBouncer::start(&server, 2).unwrap();
    let client = Client::connect_with(pooler.client_options(4))
        .await
        .unwrap();

    let store = client.create_table("pooled", &long_key()).await.unwrap();
    assert_eq!(client.list_tables().await.unwrap(), strings(&["pooled"]));
    let store_again = client.table("pooled").await.unwrap();
    store.initialise().await.unwrap();
    let root = store_again.get_partition("root").await.unwrap();
    let (split, left, right) = split_of(&root, "L", "R", 0);
    store
        .atomically_update_partition_and_create_new_ones(&split, &left, &right)
        .await
        .unwrap();
    assert_eq!(
        store.get_leaf_partitions().await.unwrap(),
        vec![left, right]
    );

    store.fix_file_update_time(Some(at(10, 0, 0, 0))).unwrap();
    let file = FileReference::new("f", "root", 100);
    store.add_file(&file).await.unwrap();
    store
        .split_file_references(&[SplitFileReferenceRequest::split_file_to_child_partitions(
            &file, "L", "R",
        )])
        .await
        .unwrap();
    store
        .assign_job_ids(&[AssignJobIdRequest::new("job", "L", strings(&["f"]))])
        .await
        .unwrap();
    assert!(store
        .is_partition_files_assigned_to_job("L", &strings(&["f"]), "job")
        .await
        .unwrap());
    let commit = ReplaceFileReferencesRequest::new(
        "job",
        "L",
        strings(&["f"]),
        FileReference::new("g", "L", 50),
    );
    store
        .atomically_replace_file_references_with_new_ones(&[commit])
        .await
        .unwrap();
    assert_eq!(
        store
            .get_partition_to_referenced_files_map()
            .await
            .unwrap()
            .len(),
        2
    );
    assert_eq!(
        store
            .get_file_references_with_no_job_id()
            .await
            .unwrap()
            .len(),
        2
    );
    assert_eq!(
        store
            .get_all_files_with_max_unreferenced(10)
            .await
            .unwrap()
            .files
            .len(),
        2
    );
    assert!(store
        .get_ready_for_gc_filenames_before(at(11, 0, 0, 0))
        .await
        .unwrap()
        .is_empty());
    assert!(!store.has_no_files().await.unwrap());
    let taken = store
        .add_file(&FileReference::new("g", "R", 1))
        .await
        .unwrap_err();
    assert_eq!(
        taken,
        Error::FileAlreadyExists {
            filename: "g".into()
        }
    );
    let many: Vec<FileReference> = (0..testing::COPY_FROM_REFERENCES)
        .map(|i| FileReference::new(format!("bulk-{i}"), "R", 1))
        .collect();
    store.add_files(&many).await.unwrap();
    assert_eq!(
        store.get_file_references().await.unwrap().len(),
        2 + many.len()
    );

    client.delete_table("pooled").await.unwrap();
    assert!(matches!(
        store.get_file_references().await,
        Err(Error::TableNotFound { .. })
    ));
}
