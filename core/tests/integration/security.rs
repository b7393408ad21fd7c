//! Security (issue 8): TLS with certificate verification, least privilege for the runtime role,
//! hostile strings stored verbatim, and no password in any error, debug output or log line.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex, OnceLock};

use crate::common::*;
use sleeper_pg::*;
use sqlx::{Connection, Executor};

// ---- A server with TLS and password authentication ----

/// Files made for the secured server: a test CA, a second CA that signed nothing of ours, and the
/// server's certificate for `localhost` signed by the first.
struct Secured {
    server: LocalPostgres,
    ca: PathBuf,
    wrong_ca: PathBuf,
    _files: TempDirectory,
}

struct TempDirectory(PathBuf);

impl Drop for TempDirectory {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The user whose password the tests use, and the password: scram over TCP, trust otherwise.
const USER: &str = "secretive";
const PASSWORD: &str = "Correct-Horse-7f3a9c";

static SECURED: Mutex<Option<Arc<Secured>>> = Mutex::new(None);

extern "C" fn stop_secured() {
    if let Ok(mut secured) = SECURED.lock() {
        secured.take();
    }
}

fn openssl(args: &[&str], directory: &Path) {
    let output = Command::new("openssl")
        .args(args)
        .current_dir(directory)
        .output()
        .expect("run openssl (Debian: apt-get install openssl)");
    assert!(
        output.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

fn make_ca(directory: &Path, name: &str) {
    openssl(
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-keyout",
            &format!("{name}.key"),
            "-out",
            &format!("{name}.crt"),
            "-subj",
            &format!("/CN=sleeper-pg {name}"),
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
        ],
        directory,
    );
}

/// The server's uid and gid when this process is root (the server then runs as `postgres`).
fn server_owner() -> Option<(u32, u32)> {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return None;
    }
    let output = Command::new("id").args(["-u", "postgres"]).output().ok()?;
    let uid = String::from_utf8_lossy(&output.stdout)
        .trim()
        .parse()
        .ok()?;
    let output = Command::new("id").args(["-g", "postgres"]).output().ok()?;
    let gid = String::from_utf8_lossy(&output.stdout)
        .trim()
        .parse()
        .ok()?;
    Some((uid, gid))
}

fn secured() -> Arc<Secured> {
    let mut slot = SECURED.lock().unwrap();
    if let Some(secured) = &*slot {
        return secured.clone();
    }
    let directory =
        std::env::temp_dir().join(format!("sleeper-pg-security-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&directory);
    std::fs::create_dir_all(&directory).unwrap();
    let files = TempDirectory(directory.clone());
    make_ca(&directory, "ca");
    make_ca(&directory, "wrong-ca");
    openssl(
        &[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
            "-subj",
            "/CN=localhost",
        ],
        &directory,
    );
    std::fs::write(
        directory.join("server.ext"),
        "subjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\n\
         keyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    openssl(
        &[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.crt",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "2",
            "-out",
            "server.crt",
            "-extfile",
            "server.ext",
        ],
        &directory,
    );
    let mut hba = std::fs::File::create(directory.join("pg_hba.conf")).unwrap();
    writeln!(hba, "local all all trust").unwrap();
    writeln!(hba, "host all {USER} 127.0.0.1/32 scram-sha-256").unwrap();
    writeln!(hba, "host all all 127.0.0.1/32 trust").unwrap();
    drop(hba);
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&directory, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(
        directory.join("server.key"),
        std::fs::Permissions::from_mode(0o600),
    )
    .unwrap();
    if let Some((uid, gid)) = server_owner() {
        for file in ["server.key", "server.crt", "pg_hba.conf"] {
            std::os::unix::fs::chown(directory.join(file), Some(uid), Some(gid)).unwrap();
        }
    }
    let path = |name: &str| directory.join(name).display().to_string();
    let server = LocalPostgres::start_with(&LocalPostgresOptions::default().with(|o| {
        o.durable = false;
        o.settings = vec![
            ("ssl".to_owned(), "on".to_owned()),
            ("ssl_cert_file".to_owned(), path("server.crt")),
            ("ssl_key_file".to_owned(), path("server.key")),
            ("hba_file".to_owned(), path("pg_hba.conf")),
        ];
    }))
    .expect("start a server with TLS");
    let secured = Arc::new(Secured {
        ca: directory.join("ca.crt"),
        wrong_ca: directory.join("wrong-ca.crt"),
        server,
        _files: files,
    });
    let url = secured.server.url();
    std::thread::spawn(move || {
        block_on(async {
            let mut admin = sqlx::PgConnection::connect(&url).await.unwrap();
            admin
                .execute(
                    format!("CREATE ROLE {USER} LOGIN SUPERUSER PASSWORD '{PASSWORD}'").as_str(),
                )
                .await
                .unwrap();
            Ok(())
        })
    })
    .join()
    .unwrap()
    .unwrap();
    *slot = Some(secured.clone());
    // SAFETY: registers a plain extern "C" function to run at exit.
    unsafe { libc::atexit(stop_secured) };
    secured
}

fn tls_url(host: &str, port: u16, ca: &Path) -> String {
    format!(
        "postgresql://postgres@{host}:{port}/postgres?sslmode=verify-full&sslrootcert={}",
        ca.display()
    )
}

async fn secured_server() -> Arc<Secured> {
    tokio::task::spawn_blocking(secured).await.unwrap()
}

#[tokio::test]
async fn verify_full_with_the_right_ca_connects_over_tls() {
    let secured = secured_server().await;
    let url = tls_url("localhost", secured.server.port(), &secured.ca);
    let client = Client::connect(Some(&url)).await.expect("connect over TLS");
    let store = client
        .create_table(&unique_table_id("tls"), &long_key())
        .await
        .unwrap();
    store.initialise().await.unwrap();
    // The server says the client's connections are encrypted.
    let mut admin = sqlx::PgConnection::connect(&secured.server.url())
        .await
        .unwrap();
    let encrypted: Vec<bool> = sqlx::query_scalar(
        "SELECT s.ssl FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) \
         WHERE a.application_name = 'sleeper-pg'",
    )
    .fetch_all(&mut admin)
    .await
    .unwrap();
    assert!(
        !encrypted.is_empty() && encrypted.iter().all(|&e| e),
        "{encrypted:?}"
    );
}

/// Connecting with `url` fails with a connection error whose message names the certificate problem.
async fn tls_refused(url: &str) -> String {
    match Client::connect(Some(url)).await {
        Ok(_) => panic!("connected despite a certificate that should not be trusted"),
        Err(Error::Connection { message, .. }) => {
            let lower = message.to_lowercase();
            assert!(lower.contains("certificate"), "unclear error: {message}");
            eprintln!("refused: {message}");
            message
        }
        Err(other) => panic!("not a connection error: {other:?}"),
    }
}

#[tokio::test]
async fn verify_full_with_a_wrong_ca_fails_with_a_certificate_error() {
    let secured = secured_server().await;
    let message = tls_refused(&tls_url(
        "localhost",
        secured.server.port(),
        &secured.wrong_ca,
    ))
    .await;
    assert!(
        message.contains("UnknownIssuer") || message.to_lowercase().contains("issuer"),
        "{message}"
    );
}

#[tokio::test]
async fn verify_full_with_a_wrong_host_name_fails_with_a_certificate_error() {
    let secured = secured_server().await;
    // The certificate names localhost only.
    let message = tls_refused(&tls_url("127.0.0.1", secured.server.port(), &secured.ca)).await;
    assert!(
        message.contains("NotValidForName") || message.to_lowercase().contains("name"),
        "{message}"
    );
}

// ---- Passwords never shown ----

/// Every log line of this test binary, at every level, from every crate.
fn captured_logs() -> Arc<Mutex<Vec<u8>>> {
    static LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOGS.get_or_init(|| {
        let logs = Arc::new(Mutex::new(Vec::new()));
        let writer = logs.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(move || Capture(writer.clone()))
            .finish();
        tracing::subscriber::set_global_default(subscriber).expect("one subscriber");
        logs
    })
    .clone()
}

struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Connects with `url` (a wrong password or an unreachable server) and checks that neither the error
/// (shown and debugged) nor any log line holds any of `secrets`.
async fn fails_without_showing(url: &str, options: ClientOptions, secrets: &[&str]) {
    let logs = captured_logs();
    let options = options.with(|o| {
        o.url = Some(url.to_owned());
        o.connect_timeout = std::time::Duration::from_secs(5);
        o.acquire_timeout = std::time::Duration::from_secs(5);
        // Nothing listens on an unreachable server's port: fail at the first refusal.
        o.server_wait_timeout = std::time::Duration::ZERO;
    });
    let debugged = format!("{options:?}");
    let error = match Client::connect_with(options).await {
        // A lazy client fails at its first call.
        Ok(client) => {
            assert!(!format!("{client:?}").contains(secrets[0]));
            client
                .table("anything")
                .await
                .expect_err("a failing connection")
        }
        Err(error) => error,
    };
    assert!(matches!(error, Error::Connection { .. }), "{error:?}");
    eprintln!("failed as expected: {error}");
    let shown = format!("{error} {error:?} {debugged}");
    let logged = String::from_utf8_lossy(&logs.lock().unwrap()).into_owned();
    assert!(!logged.is_empty(), "nothing was logged");
    for secret in secrets {
        assert!(!shown.contains(secret), "the password shows in: {shown}");
        assert!(!logged.contains(secret), "the password shows in the logs");
    }
}

fn password_url(user: &str, password: &str, port: u16) -> String {
    format!("postgresql://{user}:{password}@127.0.0.1:{port}/postgres")
}

#[tokio::test]
async fn a_wrong_password_never_shows_in_errors_or_logs() {
    let secured = secured_server().await;
    let wrong = "Wrong-Battery-91c2e4";
    fails_without_showing(
        &password_url(USER, wrong, secured.server.port()),
        ClientOptions::default(),
        &[wrong],
    )
    .await;
}

#[tokio::test]
async fn a_password_of_a_lazy_client_never_shows_when_its_first_call_fails() {
    let secured = secured_server().await;
    let wrong = "Lazy-Staple-55d0b1";
    fails_without_showing(
        &password_url(USER, wrong, secured.server.port()),
        ClientOptions::default().with(|o| {
            o.migrate = false;
        }),
        &[wrong],
    )
    .await;
}

#[tokio::test]
async fn a_password_given_as_a_url_parameter_never_shows() {
    let secured = secured_server().await;
    let wrong = "Param-Secret-2b8e77";
    let url = format!(
        "postgresql://127.0.0.1:{}/postgres?user={USER}&password={wrong}",
        secured.server.port()
    );
    fails_without_showing(&url, ClientOptions::default(), &[wrong]).await;
}

#[tokio::test]
async fn a_percent_encoded_password_never_shows_in_either_form() {
    let secured = secured_server().await;
    // "Odd@Pass:w/rd%9" written percent-encoded in the URL.
    let encoded = "Odd%40Pass%3Aw%2Frd%259";
    fails_without_showing(
        &password_url(USER, encoded, secured.server.port()),
        ClientOptions::default(),
        &[encoded, "Odd@Pass:w/rd%9", "Pass:w/rd"],
    )
    .await;
}

#[tokio::test]
async fn the_password_of_an_unreachable_server_never_shows() {
    // A port nothing listens on: bind one, then free it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let secret = "Nowhere-Secret-a41f06";
    fails_without_showing(
        &password_url(USER, secret, port),
        ClientOptions::default(),
        &[secret],
    )
    .await;
}

#[tokio::test]
async fn the_right_password_connects_and_never_shows_in_debug_output_or_logs() {
    let secured = secured_server().await;
    let logs = captured_logs();
    let url = password_url(USER, PASSWORD, secured.server.port());
    let client = Client::connect(Some(&url))
        .await
        .expect("connect with the password");
    let store = client
        .create_table(&unique_table_id("pw"), &long_key())
        .await
        .unwrap();
    store.initialise().await.unwrap();
    let shown = format!(
        "{client:?} {store:?} {:?}",
        ClientOptions::default().with(|o| {
            o.url = Some(url.clone());
        })
    );
    assert!(!shown.contains(PASSWORD), "{shown}");
    let logged = String::from_utf8_lossy(&logs.lock().unwrap()).into_owned();
    assert!(!logged.contains(PASSWORD), "the password shows in the logs");
}

// ---- Least privilege ----

async fn admin() -> sqlx::PgConnection {
    let url = tokio::task::spawn_blocking(database_url).await.unwrap();
    sqlx::PgConnection::connect(&url).await.unwrap()
}

/// The database URL for another role (trust authentication on the local socket).
async fn url_as(role: &str) -> String {
    let url = tokio::task::spawn_blocking(database_url).await.unwrap();
    url.replacen(
        "postgresql://postgres@",
        &format!("postgresql://{role}@"),
        1,
    )
}

/// An owner role that migrates schema `schema`, and a runtime role given only data rights on it.
async fn owner_and_runtime(name: &str) -> (String, String, String) {
    let (owner, runtime, schema) = (
        format!("{name}_owner_{}", std::process::id()),
        format!("{name}_runtime_{}", std::process::id()),
        format!("{name}_schema_{}", std::process::id()),
    );
    // Concurrent GRANTs on one database fail with "tuple concurrently updated": one setup at a time.
    static SETUP: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    let _one_at_a_time = SETUP.lock().await;
    let mut admin = admin().await;
    for statement in [
        format!("CREATE ROLE {owner} LOGIN"),
        format!("CREATE ROLE {runtime} LOGIN"),
        format!("GRANT CREATE ON DATABASE postgres TO {owner}"),
    ] {
        admin.execute(statement.as_str()).await.unwrap();
    }
    let url = url_as(&owner).await;
    let migrated = Client::connect_with(ClientOptions::default().with(|o| {
        o.url = Some(url);
        o.schema = schema.clone();
    }))
    .await
    .expect("the owner migrates");
    drop(migrated);
    let mut as_owner = sqlx::PgConnection::connect(&url_as(&owner).await)
        .await
        .unwrap();
    for statement in [
        format!("GRANT USAGE ON SCHEMA {schema} TO {runtime}"),
        format!(
            "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO {runtime}"
        ),
        format!("GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA {schema} TO {runtime}"),
    ] {
        as_owner.execute(statement.as_str()).await.unwrap();
    }
    (owner, runtime, schema)
}

#[tokio::test]
async fn a_runtime_role_with_only_data_rights_can_do_every_operation() {
    let (_, runtime, schema) = owner_and_runtime("lp_ops").await;
    let url = url_as(&runtime).await;
    let client = Client::connect_with(ClientOptions::default().with(|o| {
        o.url = Some(url);
        o.schema = schema;
        o.migrate = false;
    }))
    .await
    .unwrap();
    let store = client
        .create_table("least-privilege", &long_key())
        .await
        .expect("create a table");
    assert!(client
        .list_tables()
        .await
        .unwrap()
        .contains(&"least-privilege".to_owned()));
    let store2 = client.table("least-privilege").await.unwrap();
    store.initialise().await.unwrap();
    let root = store.get_partition("root").await.unwrap();
    let (split, left, right) = split_of(&root, "L", "R", 100);
    store
        .atomically_update_partition_and_create_new_ones(&split, &left, &right)
        .await
        .unwrap();
    assert_eq!(store.get_leaf_partitions().await.unwrap().len(), 2);
    store.fix_file_update_time(Some(at(10, 0, 0, 0))).unwrap();
    store
        .add_files(&[
            FileReference::new("f1", "root", 100),
            FileReference::new("f2", "L", 10),
        ])
        .await
        .unwrap();
    let f1 = store.get_file_references().await.unwrap()[0].clone();
    store
        .split_file_references(&[SplitFileReferenceRequest::split_file_to_child_partitions(
            &f1, "L", "R",
        )])
        .await
        .unwrap();
    store
        .assign_job_ids(&[AssignJobIdRequest::new("job", "L", strings(&["f1", "f2"]))])
        .await
        .unwrap();
    assert!(store
        .is_partition_files_assigned_to_job("L", &strings(&["f1", "f2"]), "job")
        .await
        .unwrap());
    store
        .atomically_replace_file_references_with_new_ones(&[ReplaceFileReferencesRequest::new(
            "job",
            "L",
            strings(&["f1", "f2"]),
            FileReference::new("f3", "L", 110),
        )])
        .await
        .unwrap();
    let ready = store
        .get_ready_for_gc_filenames_before(at(11, 0, 0, 0))
        .await
        .unwrap();
    assert_eq!(ready, strings(&["f2"]));
    store
        .delete_garbage_collected_file_reference_counts(&ready)
        .await
        .unwrap();
    assert_eq!(
        store2
            .get_all_files_with_max_unreferenced(10)
            .await
            .unwrap()
            .files
            .len(),
        2
    );
    assert_eq!(
        store
            .get_partition_to_referenced_files_map()
            .await
            .unwrap()
            .len(),
        2
    );
    assert!(!store
        .get_file_references_with_no_job_id()
        .await
        .unwrap()
        .is_empty());
    assert!(!store.has_no_files().await.unwrap());
    store.clear_file_data().await.unwrap();
    store.clear_partition_data().await.unwrap();
    store.initialise().await.unwrap();
    store.clear_sleeper_table().await.unwrap();
    client.delete_table("least-privilege").await.unwrap();
}

#[tokio::test]
async fn a_runtime_role_cannot_change_the_schema() {
    let (_, runtime, schema) = owner_and_runtime("lp_ddl").await;
    let mut connection = sqlx::PgConnection::connect(&url_as(&runtime).await)
        .await
        .unwrap();
    for statement in [
        format!("CREATE TABLE {schema}.intruder (x int)"),
        format!("DROP TABLE {schema}.file_references"),
        format!("ALTER TABLE {schema}.files ADD COLUMN intruder int"),
        format!("TRUNCATE {schema}.partitions"),
        format!("CREATE INDEX intruder ON {schema}.files (created_at)"),
        format!("DROP FUNCTION {schema}.lock_table"),
        format!("DROP SCHEMA {schema} CASCADE"),
        format!("CREATE SCHEMA {schema}_intruder"),
    ] {
        let error = connection
            .execute(statement.as_str())
            .await
            .expect_err(&statement);
        let code = error
            .as_database_error()
            .and_then(|e| e.code())
            .map(|c| c.into_owned());
        assert_eq!(code.as_deref(), Some("42501"), "{statement}: {error}");
    }
    // Nor can it migrate: a client that tries fails, with a connection error.
    let url = url_as(&runtime).await;
    let migrating = Client::connect_with(ClientOptions::default().with(|o| {
        o.url = Some(url);
        o.schema = format!("{schema}_new");
        o.migrate = true;
    }))
    .await;
    assert!(
        matches!(migrating, Err(Error::Connection { .. })),
        "{migrating:?}"
    );
}

// ---- Hostile strings, stored verbatim ----

/// Hostile names, the longest leaving 24 bytes of `limit` for the suffix a test adds.
fn hostile(limit: usize) -> Vec<String> {
    let mut names: Vec<String> = [
        "'; DROP TABLE sleeper.files; --",
        "\"; DELETE FROM sleeper.sleeper_tables; --",
        "Robert'); DROP TABLE students;--",
        "back\\slash\\\\ and \\' \\\" \\0",
        "%_*?[a-z]$1 {s} {{s}} $$ E'\\n'",
        "emoji 😀👍🏽 and 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 and \u{FFFF}\u{E000}",
        "tab\tnew\nline\r end ",
        " ",
        "s3a://bucket/with space/and+plus/file.parquet",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    // Very long: as long as the field's limit allows (`limits.rs` tests the limits themselves), once
    // repetitive and once not.
    names.push(format!("long-{}", "x".repeat(limit - 29)));
    names.push(incompressible(limit - 24));
    names
}

#[tokio::test]
async fn hostile_table_ids_are_stored_and_returned_verbatim() {
    let client = client().await;
    for (i, name) in hostile(validate::MAX_TABLE_ID_BYTES)
        .into_iter()
        .enumerate()
    {
        let id = format!("{name}-{i}-{}", std::process::id());
        let store = client.create_table(&id, &long_key()).await.unwrap();
        store.initialise().await.unwrap();
        assert!(client.list_tables().await.unwrap().contains(&id), "{id:?}");
        let reopened = client.table(&id).await.unwrap();
        assert_eq!(reopened.table_id(), id);
        assert_eq!(reopened.get_all_partitions().await.unwrap().len(), 1);
        client.delete_table(&id).await.unwrap();
        assert!(!client.list_tables().await.unwrap().contains(&id));
    }
}

#[tokio::test]
async fn hostile_partition_ids_are_stored_and_returned_verbatim() {
    let client = client().await;
    for (i, name) in hostile(validate::MAX_PARTITION_ID_BYTES)
        .into_iter()
        .enumerate()
    {
        let store = new_store(&client).await;
        let root = Partition::new(format!("{name}/root{i}"), long_range(i64::MIN, None));
        let (split, left, right) = split_of(&root, &format!("{name}/L"), &format!("{name}/R"), 0);
        store
            .initialise_with_partitions(&[split.clone(), left.clone(), right.clone()])
            .await
            .unwrap();
        let mut expected = vec![split, left.clone(), right];
        expected.sort_by(|a, b| a.id.cmp(&b.id));
        assert_eq!(store.get_all_partitions().await.unwrap(), expected);
        assert_eq!(store.get_partition(&left.id).await.unwrap(), left);
        store
            .add_file(&FileReference::new("f", &left.id, 1))
            .await
            .unwrap();
        assert_eq!(
            store.get_partition_to_referenced_files_map().await.unwrap(),
            [(left.id.clone(), strings(&["f"]))].into_iter().collect()
        );
    }
}

#[tokio::test]
async fn hostile_filenames_and_job_ids_are_stored_and_returned_verbatim() {
    let client = client().await;
    let store = new_store(&client).await;
    // Each name is a filename and, after "job ", a job id.
    let names = hostile(validate::MAX_JOB_ID_BYTES);
    let references: Vec<FileReference> = names
        .iter()
        .map(|name| FileReference::new(name, "root", 1))
        .collect();
    store.add_files(&references).await.unwrap();
    let requests: Vec<AssignJobIdRequest> = names
        .iter()
        .map(|name| AssignJobIdRequest::new(format!("job {name}"), "root", vec![name.clone()]))
        .collect();
    store.assign_job_ids(&requests).await.unwrap();
    let mut expected: Vec<(String, Option<String>)> = names
        .iter()
        .map(|name| (name.clone(), Some(format!("job {name}"))))
        .collect();
    expected.sort();
    let stored: Vec<(String, Option<String>)> = store
        .get_file_references()
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r.filename, r.job_id))
        .collect();
    assert_eq!(stored, expected);
    let commits: Vec<ReplaceFileReferencesRequest> = names
        .iter()
        .map(|name| {
            ReplaceFileReferencesRequest::new(
                format!("job {name}"),
                "root",
                vec![name.clone()],
                FileReference::new(format!("{name} compacted"), "root", 1),
            )
        })
        .collect();
    store
        .atomically_replace_file_references_with_new_ones(&commits)
        .await
        .unwrap();
    let mut ready = store
        .get_ready_for_gc_filenames_before(chrono::Utc::now() + chrono::Duration::days(1))
        .await
        .unwrap();
    ready.sort();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(ready, sorted);
    store
        .delete_garbage_collected_file_reference_counts(&ready)
        .await
        .unwrap();
    let left: Vec<String> = store
        .get_file_references()
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.filename)
        .collect();
    let mut compacted: Vec<String> = names.iter().map(|n| format!("{n} compacted")).collect();
    compacted.sort();
    assert_eq!(left, compacted);
}
