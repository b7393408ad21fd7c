//! Tables and clients: CONTRACT.md 3.2 and section 5.

use crate::common::*;
use sleeper_pg::*;

#[tokio::test]
async fn create_table_then_table_opens_it_with_its_row_keys() {
    let client = client().await;
    let id = unique_table_id("tables");
    let row_keys = vec![
        RowKeyField::new("a", KeyType::String),
        RowKeyField::new("b", KeyType::Bytes),
    ];
    client.create_table(&id, &row_keys).await.unwrap();
    assert_eq!(
        client.table(&id).await.unwrap().row_keys(),
        row_keys.as_slice()
    );
}

#[tokio::test]
async fn creating_a_taken_id_raises_table_already_exists() {
    let client = client().await;
    let id = unique_table_id("tables");
    client.create_table(&id, &long_key()).await.unwrap();
    let error = client.create_table(&id, &long_key()).await.unwrap_err();
    assert_eq!(error.to_string(), format!("Table already exists: {id}"));
}

#[tokio::test]
async fn opening_an_unknown_table_raises_table_not_found_with_the_id_quoted() {
    let client = client().await;
    let error = client.table("no such table").await.unwrap_err();
    assert_eq!(
        error.to_string(),
        "Table not found with ID \"no such table\""
    );
}

#[tokio::test]
async fn list_tables_includes_created_tables_in_code_point_order() {
    let client = client().await;
    let upper = unique_table_id("Z-list");
    let lower = unique_table_id("a-list");
    client.create_table(&lower, &long_key()).await.unwrap();
    client.create_table(&upper, &long_key()).await.unwrap();
    let tables = client.list_tables().await.unwrap();
    let position = |id: &str| tables.iter().position(|t| t == id).unwrap();
    assert!(position(&upper) < position(&lower));
}

#[tokio::test]
async fn deleting_an_unknown_table_raises_table_not_found() {
    let client = client().await;
    assert!(matches!(
        client.delete_table("missing").await,
        Err(Error::TableNotFound { .. })
    ));
}

#[tokio::test]
async fn a_deleted_table_is_gone_from_the_list() {
    let client = client().await;
    let store = new_store(&client).await;
    client.delete_table(store.table_id()).await.unwrap();
    assert!(!client
        .list_tables()
        .await
        .unwrap()
        .contains(&store.table_id().to_owned()));
}

#[tokio::test]
async fn a_handle_on_a_deleted_table_raises_table_not_found_for_queries_and_writes() {
    let client = client().await;
    let store = new_store(&client).await;
    client.delete_table(store.table_id()).await.unwrap();
    assert!(matches!(
        store.get_all_partitions().await,
        Err(Error::TableNotFound { .. })
    ));
    assert!(matches!(
        store.has_no_files().await,
        Err(Error::TableNotFound { .. })
    ));
    assert!(matches!(
        store.add_file(&FileReference::new("f", "root", 1)).await,
        Err(Error::TableNotFound { .. })
    ));
    assert!(matches!(
        store.initialise().await,
        Err(Error::TableNotFound { .. })
    ));
}

#[tokio::test]
async fn a_handle_stays_bound_to_the_deleted_table_when_the_id_is_reused() {
    let client = client().await;
    let store = new_store(&client).await;
    client.delete_table(store.table_id()).await.unwrap();
    client
        .create_table(store.table_id(), &long_key())
        .await
        .unwrap();
    assert!(matches!(
        store.get_file_references().await,
        Err(Error::TableNotFound { .. })
    ));
}

#[tokio::test]
async fn tables_are_isolated_from_each_other() {
    let client = client().await;
    let first = new_store(&client).await;
    let second = new_store(&client).await;
    first
        .add_file(&FileReference::new("same", "root", 1))
        .await
        .unwrap();
    second
        .add_file(&FileReference::new("same", "root", 2))
        .await
        .unwrap();
    second.clear_sleeper_table().await.unwrap();
    assert_eq!(first.get_file_references().await.unwrap().len(), 1);
    assert_eq!(first.get_all_partitions().await.unwrap().len(), 1);
}

#[tokio::test]
async fn table_ids_are_case_sensitive() {
    let client = client().await;
    let id = unique_table_id("case");
    client.create_table(&id, &long_key()).await.unwrap();
    assert!(matches!(
        client.table(&id.to_uppercase()).await,
        Err(Error::TableNotFound { .. })
    ));
}

#[tokio::test]
async fn invalid_row_keys_are_rejected() {
    let client = client().await;
    let duplicate = vec![
        RowKeyField::new("k", KeyType::Long),
        RowKeyField::new("k", KeyType::Int),
    ];
    assert!(matches!(
        client
            .create_table(&unique_table_id("rk"), &duplicate)
            .await,
        Err(Error::InvalidArgument { .. })
    ));
    assert!(matches!(
        client.create_table(&unique_table_id("rk"), &[]).await,
        Err(Error::InvalidArgument { .. })
    ));
}

#[tokio::test]
async fn a_custom_schema_keeps_its_own_tables() {
    let schema = unique_table_id("schema").replace('-', "_");
    let custom = client_with(ClientOptions::default().with(|o| {
        o.schema = schema;
    }))
    .await;
    let id = unique_table_id("in-schema");
    custom.create_table(&id, &long_key()).await.unwrap();
    let default = client().await;
    assert!(matches!(
        default.table(&id).await,
        Err(Error::TableNotFound { .. })
    ));
}

#[tokio::test]
async fn clients_connecting_at_once_to_a_fresh_schema_all_migrate_it() {
    let schema = unique_table_id("fresh").replace('-', "_");
    let connects = (0..4).map(|_| {
        client_with(ClientOptions::default().with(|o| {
            o.schema = schema.clone();
        }))
    });
    let clients = futures_join_all(connects).await;
    for client in &clients {
        client.list_tables().await.unwrap();
    }
}

/// A schema whose record of migrations names one after those this version knows, as a later
/// version of the library would leave it.
async fn schema_migrated_by_a_newer_version() -> String {
    use sqlx::{Connection, Executor};
    let schema = unique_table_id("newer").replace('-', "_");
    drop(client_with(ClientOptions::default().with(|o| o.schema = schema.clone())).await);
    let url = tokio::task::spawn_blocking(database_url).await.unwrap();
    let mut admin = sqlx::PgConnection::connect(&url).await.unwrap();
    admin
        .execute(
            format!(
                "INSERT INTO \"{schema}\"._sqlx_migrations \
                 (version, description, success, checksum, execution_time) \
                 VALUES (9999, 'from the future', true, '\\x00', 0)"
            )
            .as_str(),
        )
        .await
        .unwrap();
    schema
}

async fn connect_to_schema(schema: &str, migrate: bool) -> Result<Client> {
    let url = tokio::task::spawn_blocking(database_url).await.unwrap();
    Client::connect_with(ClientOptions::default().with(|o| {
        o.url = Some(url);
        o.schema = schema.to_owned();
        o.migrate = migrate;
    }))
    .await
}

#[tokio::test]
async fn a_client_refuses_a_schema_a_newer_version_migrated() {
    let schema = schema_migrated_by_a_newer_version().await;
    let error = connect_to_schema(&schema, true).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Connection);
    assert!(
        error
            .to_string()
            .contains("at migration 9999, which this version of sleeper-pg"),
        "{error}"
    );
}

#[tokio::test]
async fn a_client_that_does_not_migrate_refuses_a_schema_a_newer_version_migrated_at_its_first_call(
) {
    let schema = schema_migrated_by_a_newer_version().await;
    let client = connect_to_schema(&schema, false).await.unwrap();
    let error = client.list_tables().await.unwrap_err();
    assert!(error.to_string().contains("migration 9999"), "{error}");
}

async fn futures_join_all<F: std::future::Future + Send + 'static>(
    futures: impl Iterator<Item = F>,
) -> Vec<F::Output>
where
    F::Output: Send + 'static,
{
    let handles: Vec<_> = futures.map(tokio::spawn).collect();
    let mut outputs = Vec::new();
    for handle in handles {
        outputs.push(handle.await.unwrap());
    }
    outputs
}

#[tokio::test]
async fn a_connection_failure_raises_a_connection_error_without_the_password() {
    let options = ClientOptions::default().with(|o| {
        o.url = Some("postgresql://user:s3cret-pw@127.0.0.1:1/db".into());
        o.acquire_timeout = std::time::Duration::from_secs(2);
        o.connect_timeout = std::time::Duration::from_secs(2);
        // Nothing listens there: fail at the first refusal rather than wait for a server to start.
        o.server_wait_timeout = std::time::Duration::ZERO;
    });
    let error = Client::connect_with(options).await.unwrap_err();
    assert!(matches!(error, Error::Connection { .. }));
    assert!(!format!("{error} {error:?}").contains("s3cret-pw"));
}

#[test]
fn the_blocking_facade_runs_a_call_from_a_plain_thread() {
    let url = database_url();
    let tables = block_on(async {
        let client = Client::connect(Some(&url)).await?;
        client.list_tables().await
    });
    assert!(tables.is_ok());
}
