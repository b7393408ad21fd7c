//! The client of `scripts/upgrade-test.sh`, built twice from this one source: against the version of
//! sleeper-pg before the newest migration, and against this one. Only calls both versions have.
//!
//! - `serve`: starts a local cluster, prints its URL, and stops it when stdin closes;
//! - `fill URL TABLE N`: a new table with N files on its root;
//! - `check URL TABLE N`: the table still has exactly those N files;
//! - `work URL TABLE SECONDS NAME`: for that long, compaction jobs of its own on the table (add two
//!   files, assign a job, commit it, collect the inputs), every call required to succeed, then checks
//!   that exactly its outputs are left; prints how many jobs it ran;
//! - `connect URL`: connects (migrating), and fails if that fails.

use std::collections::BTreeSet;
use std::io::Read;
use std::time::{Duration, Instant};

use sleeper_pg::*;

type Outcome = std::result::Result<(), String>;

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let outcome = match args.as_slice() {
        ["serve"] => serve(),
        ["fill", url, table, n] => fill(url, table, n.parse().unwrap()).await,
        ["check", url, table, n] => check(url, table, n.parse().unwrap()).await,
        ["work", url, table, seconds, name] => {
            work(url, table, seconds.parse().unwrap(), name).await
        }
        ["connect", url] => connect(url).await.map(drop),
        _ => Err(format!("unknown arguments {args:?}")),
    };
    if let Err(error) = outcome {
        eprintln!("driver {}: {error}", args.join(" "));
        std::process::exit(1);
    }
}

fn serve() -> Outcome {
    let cluster = LocalPostgres::start().map_err(|e| e.to_string())?;
    println!("{}", cluster.url());
    let _ = std::io::stdin().read_to_end(&mut Vec::new());
    drop(cluster);
    Ok(())
}

async fn connect(url: &str) -> std::result::Result<Client, String> {
    Client::connect_with(ClientOptions::default().with(|o| {
        o.url = Some(url.to_owned());
        o.max_connections = 2;
    }))
    .await
    .map_err(|e| format!("connect: {e}"))
}

fn file(name: &str) -> FileReference {
    FileReference::new(name, "root", 10)
}

async fn fill(url: &str, table: &str, n: usize) -> Outcome {
    let client = connect(url).await?;
    let key = [RowKeyField::new("key", KeyType::Long)];
    let store = client
        .create_table(table, &key)
        .await
        .map_err(|e| e.to_string())?;
    store.initialise().await.map_err(|e| e.to_string())?;
    let files: Vec<FileReference> = (0..n).map(|i| file(&format!("{table}-{i:07}"))).collect();
    store.add_files(&files).await.map_err(|e| e.to_string())
}

async fn check(url: &str, table: &str, n: usize) -> Outcome {
    let client = connect(url).await?;
    let store = client.table(table).await.map_err(|e| e.to_string())?;
    let found: BTreeSet<String> = store
        .get_file_references()
        .await
        .map_err(|e| e.to_string())?
        .into_iter()
        .map(|r| r.filename)
        .collect();
    let expected: BTreeSet<String> = (0..n).map(|i| format!("{table}-{i:07}")).collect();
    if found == expected {
        Ok(())
    } else {
        Err(format!("{} files, expected {n}", found.len()))
    }
}

async fn work(url: &str, table: &str, seconds: u64, name: &str) -> Outcome {
    let client = connect(url).await?;
    let store = client.table(table).await.map_err(|e| e.to_string())?;
    let until = Instant::now() + Duration::from_secs(seconds);
    let mut jobs = 0;
    while Instant::now() < until {
        let (a, b, out) = (
            format!("{name}-{jobs}-a"),
            format!("{name}-{jobs}-b"),
            format!("{name}-{jobs}-out"),
        );
        let job = format!("{name}-{jobs}");
        let failed = |call: &str, e: Error| format!("job {jobs}: {call}: {e}");
        store
            .add_files(&[file(&a), file(&b)])
            .await
            .map_err(|e| failed("add", e))?;
        store
            .assign_job_ids(&[AssignJobIdRequest::new(
                &job,
                "root",
                vec![a.clone(), b.clone()],
            )])
            .await
            .map_err(|e| failed("assign", e))?;
        let commit = ReplaceFileReferencesRequest {
            job_id: job.clone(),
            partition_id: "root".into(),
            input_files: vec![a.clone(), b.clone()],
            new_reference: FileReference::new(&out, "root", 20),
        };
        store
            .atomically_replace_file_references_with_new_ones(&[commit])
            .await
            .map_err(|e| failed("commit", e))?;
        store
            .delete_garbage_collected_file_reference_counts(&[a, b])
            .await
            .map_err(|e| failed("collect", e))?;
        jobs += 1;
    }
    let prefix = format!("{name}-");
    let left: BTreeSet<String> = store
        .get_file_references()
        .await
        .map_err(|e| e.to_string())?
        .into_iter()
        .map(|r| r.filename)
        .filter(|f| f.starts_with(&prefix))
        .collect();
    let outputs: BTreeSet<String> = (0..jobs).map(|j| format!("{name}-{j}-out")).collect();
    if left != outputs {
        return Err(format!("after {jobs} jobs {} files are left", left.len()));
    }
    println!("{name}: {jobs} jobs");
    Ok(())
}
