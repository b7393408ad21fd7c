//! Adds of many references are written by `COPY` without a read first (core/src/store/bulk.rs). They
//! store what the ordinary add stores, and report the contract's errors in its order, nothing written.

use crate::common::*;
use sleeper_pg::testing::COPY_FROM_REFERENCES;
use sleeper_pg::*;

/// Files of three references each (one assigned to a job, one an estimate), enough to be copied.
fn many_references(prefix: &str) -> Vec<FileReference> {
    (0..COPY_FROM_REFERENCES.div_ceil(3) + 1)
        .flat_map(|file| {
            let filename = format!("{prefix}-{file:05}.parquet");
            (0..3).map(move |part| {
                let mut reference =
                    FileReference::new(filename.clone(), format!("p{part}"), 10 + part as u64);
                reference.job_id = (part == 1).then(|| format!("job-{file}"));
                reference.count_approximate = part == 2;
                reference.only_contains_data_for_this_partition = part != 0;
                reference
            })
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_add_stores_what_small_adds_store() {
    let client = client().await;
    let copied = new_store(&client).await;
    let inserted = new_store(&client).await;
    let references = many_references("f");
    for store in [&copied, &inserted] {
        store.fix_file_update_time(Some(at(10, 0, 0, 0))).unwrap();
    }

    copied.add_files(&references).await.unwrap();
    for chunk in references.chunks(30) {
        inserted.add_files(chunk).await.unwrap();
    }

    assert_eq!(
        copied
            .get_all_files_with_max_unreferenced(10)
            .await
            .unwrap(),
        inserted
            .get_all_files_with_max_unreferenced(10)
            .await
            .unwrap()
    );
    assert_eq!(
        copied.get_file_references().await.unwrap().len(),
        references.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_add_takes_the_time_of_the_call() {
    let client = client().await;
    let store = new_store(&client).await;
    let before = truncate_to_millis(chrono::Utc::now());

    store.add_files(&many_references("f")).await.unwrap();

    let after = chrono::Utc::now();
    let references = store.get_file_references().await.unwrap();
    let time = references[0].last_update_time.unwrap();
    assert!(
        before <= time && time <= after,
        "{time} not in {before}..{after}"
    );
    assert!(references.iter().all(|r| r.last_update_time == Some(time)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_add_naming_an_existing_file_raises_file_already_exists_and_adds_nothing() {
    let client = client().await;
    let store = new_store(&client).await;
    let references = many_references("f");
    let last = references.last().unwrap().clone();
    store.add_file(&last).await.unwrap();

    let error = store.add_files(&references).await.unwrap_err();

    assert!(
        matches!(&error, Error::FileAlreadyExists { filename } if *filename == last.filename),
        "{error:?}"
    );
    assert_eq!(store.get_file_references().await.unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_add_reports_the_first_failing_file_in_call_order() {
    let client = client().await;
    let store = new_store(&client).await;
    let mut references = many_references("f");
    let existing = references.last().unwrap().clone();
    store.add_file(&existing).await.unwrap();
    // A reference repeated in the first file: that file fails first, before the existing one.
    references.insert(1, references[0].clone());

    let error = store.add_files(&references).await.unwrap_err();

    assert!(
        matches!(&error, Error::FileReferenceAlreadyExists { filename, .. } if *filename == references[0].filename),
        "{error:?}"
    );
    assert_eq!(store.get_file_references().await.unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_add_to_a_deleted_table_raises_table_not_found() {
    let client = client().await;
    let store = new_store(&client).await;
    client.delete_table(store.table_id()).await.unwrap();

    let error = store.add_files(&many_references("f")).await.unwrap_err();

    assert!(matches!(error, Error::TableNotFound { .. }), "{error:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_large_adds_of_the_same_files_add_them_once() {
    let client = client().await;
    let store = new_store(&client).await;
    let references = many_references("f");

    let adds = (0..4).map(|_| {
        let store = store.clone();
        let references = references.clone();
        tokio::spawn(async move { store.add_files(&references).await })
    });
    let mut outcomes: Vec<Result<()>> = Vec::new();
    for add in adds.collect::<Vec<_>>() {
        outcomes.push(add.await.unwrap());
    }

    assert_eq!(outcomes.iter().filter(|o| o.is_ok()).count(), 1);
    assert!(outcomes
        .iter()
        .filter_map(|o| o.as_ref().err())
        .all(|e| matches!(e, Error::FileAlreadyExists { .. })));
    assert_eq!(
        store.get_file_references().await.unwrap().len(),
        references.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_asynchronous_add_with_an_existing_file_is_skipped_whole() {
    let client = client().await;
    let store = new_store(&client).await;
    let references = many_references("f");
    let existing = references.chunks(3).nth(1).unwrap()[0].clone();
    store.add_file(&existing).await.unwrap();
    let transaction = Transaction::AddFiles {
        files: references
            .chunks(3)
            .map(|file| AllReferencesToAFile::new(file[0].filename.clone(), file.to_vec()))
            .collect(),
        job_run: IngestJobRun::default(),
    };

    let outcome = store
        .apply_transaction(&transaction, CommitMode::Asynchronous)
        .await
        .unwrap();

    assert_eq!(outcome.failures.len(), 1);
    assert_eq!(outcome.failures[0].index, 1);
    assert_eq!(store.get_file_references().await.unwrap().len(), 1);
}
