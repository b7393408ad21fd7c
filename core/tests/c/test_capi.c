/*
 * Tests of what is particular to the C API (include/sleeper_pg.h), against a real PostgreSQL:
 * DATABASE_URL when set, else a local cluster started through spg_local_postgres_start. What the
 * store does is the contract, which core's Rust tests check (core/tests/integration); these check what
 * the C boundary adds: every function called once on a success path and its results read and freed
 * (so that ASan and valgrind see each one), NULL and malformed input, status codes and messages, the
 * last error with its cause and SQLSTATE, options left zero, ownership, and threads sharing a client.
 * The mapping of every error kind to its status is checked by the Rust unit tests of
 * core/src/capi/errors.rs, against core's sample of every error.
 * Prints "N passed, N failed" on its own line at the end; exits non-zero if any failed.
 *
 * Run through core/tests/c/run-tests.sh, which builds it under ASan/UBSan and under valgrind.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sleeper_pg.h"

/* ------------------------------------------------------------------------------------------------ */
/* A minimal runner                                                                                 */
/* ------------------------------------------------------------------------------------------------ */

static int tests_passed, tests_failed;
static int current_failed;
static const char *current_test;

#define FAIL(...)                                                                 \
    do {                                                                          \
        fprintf(stderr, "  %s:%d: [%s] ", __FILE__, __LINE__, current_test);      \
        fprintf(stderr, __VA_ARGS__);                                             \
        fputc('\n', stderr);                                                      \
        current_failed = 1;                                                       \
    } while (0)

#define CHECK(cond)                                  \
    do {                                             \
        if (!(cond)) FAIL("CHECK failed: %s", #cond); \
    } while (0)

/* Expects a call to return `want`; on a mismatch says what it returned and why. */
#define EXPECT(call, want)                                                                           \
    do {                                                                                             \
        spg_status got_ = (call);                                                                    \
        if (got_ != (want))                                                                          \
            FAIL("%s returned %s, expected %s (%s)", #call, spg_status_name(got_), spg_status_name(want), \
                 got_ == SPG_OK ? "" : spg_last_error_message());                                    \
    } while (0)

#define OK(call) EXPECT(call, SPG_OK)

#define CHECK_STR(actual, expected)                                                          \
    do {                                                                                     \
        const char *a_ = (actual), *e_ = (expected);                                         \
        if ((a_ == NULL) != (e_ == NULL) || (a_ && strcmp(a_, e_) != 0))                     \
            FAIL("%s is \"%s\", expected \"%s\"", #actual, a_ ? a_ : "(null)", e_ ? e_ : "(null)"); \
    } while (0)

/* The last error message contains `part`. */
#define CHECK_MESSAGE(part)                                                                    \
    do {                                                                                       \
        const char *m_ = spg_last_error_message();                                             \
        if (strstr(m_, (part)) == NULL) FAIL("last error \"%s\" lacks \"%s\"", m_, (part));    \
    } while (0)

typedef void (*test_fn)(void);

static void run(const char *name, test_fn test) {
    current_test = name;
    current_failed = 0;
    test();
    if (current_failed) {
        tests_failed++;
        printf("FAIL %s\n", name);
    } else {
        tests_passed++;
        printf("ok   %s\n", name);
    }
    fflush(stdout);
}

/* ------------------------------------------------------------------------------------------------ */
/* Shared fixtures                                                                                  */
/* ------------------------------------------------------------------------------------------------ */

static char *database_url;           /* owned: strdup'd or from spg_local_postgres_url */
static int url_from_library;         /* free database_url with spg_string_free */
static spg_local_postgres *local;    /* NULL when DATABASE_URL is set */
static spg_client *client;

static const char *const BAD_UTF8 = "bad\xff\xfe";
static const spg_row_key_field LONG_KEY[] = {{"key", SPG_KEY_LONG}};

/* 2024-01-01T10:MM:00Z in milliseconds since the epoch. */
static int64_t at_minute(int minute) { return INT64_C(1704103200000) + (int64_t)minute * 60000; }

static void unique_id(char *buffer, size_t size, const char *prefix) {
    static int next;
    snprintf(buffer, size, "%s-%ld-%d", prefix, (long)getpid(), __sync_fetch_and_add(&next, 1));
}

/* A new table with one long row key "key"; its id is written to `id` if not NULL. */
static spg_store *new_table_with(const spg_row_key_field *keys, size_t count, char *id) {
    char buffer[96];
    unique_id(buffer, sizeof buffer, "c");
    spg_store *store = NULL;
    spg_status status = spg_create_table(client, buffer, keys, count, &store);
    if (status != SPG_OK) FAIL("create_table: %s", spg_last_error_message());
    if (id) strcpy(id, buffer);
    return store;
}

static spg_store *new_table(void) { return new_table_with(LONG_KEY, 1, NULL); }

static spg_key_value long_value(int64_t v) {
    spg_key_value value = {SPG_KEY_LONG, v, NULL, 0};
    return value;
}

static spg_key_value int_value(int64_t v) {
    spg_key_value value = {SPG_KEY_INT, v, NULL, 0};
    return value;
}

static spg_key_value string_value(const char *s) {
    spg_key_value value = {SPG_KEY_STRING, 0, (const uint8_t *)s, strlen(s)};
    return value;
}

static spg_key_value bytes_value(const uint8_t *data, size_t len) {
    spg_key_value value = {SPG_KEY_BYTES, 0, data, len};
    return value;
}

static spg_file_reference reference(const char *filename, const char *partition, uint64_t rows) {
    spg_file_reference r;
    memset(&r, 0, sizeof r);
    r.filename = filename;
    r.partition_id = partition;
    r.number_of_rows = rows;
    r.only_contains_data_for_this_partition = true;
    return r;
}

/* The root of a long-keyed table, and its split at 100 into "L" and "R" (CONTRACT.md 10, step 2). */
static spg_range root_range, left_range, right_range;
static const char *const LR[] = {"L", "R"};
static spg_partition root_p, split_root_p, left_p, right_p;

static void init_partitions(void) {
    spg_range whole = {"key", long_value(INT64_MIN), false, {0}};
    spg_range below = {"key", long_value(INT64_MIN), true, long_value(100)};
    spg_range above = {"key", long_value(100), false, {0}};
    root_range = whole;
    left_range = below;
    right_range = above;
    spg_partition root = {"root", &root_range, 1, true, NULL, NULL, 0, -1};
    root_p = root;
    split_root_p = root;
    split_root_p.is_leaf_partition = false;
    split_root_p.child_partition_ids = LR;
    split_root_p.child_partition_id_count = 2;
    split_root_p.dimension = 0;
    spg_partition left = {"L", &left_range, 1, true, "root", NULL, 0, -1};
    spg_partition right = {"R", &right_range, 1, true, "root", NULL, 0, -1};
    left_p = left;
    right_p = right;
}

/* A table initialised and split into L and R. */
static spg_store *split_table(void) {
    spg_store *store = new_table();
    OK(spg_initialise(store));
    OK(spg_atomically_update_partition_and_create_new_ones(store, &split_root_p, &left_p, &right_p));
    return store;
}

static int string_list_equals(const spg_string_list *list, const char *const *expected, size_t count) {
    if (list == NULL || list->count != count) return 0;
    for (size_t i = 0; i < count; i++)
        if (strcmp(list->items[i], expected[i]) != 0) return 0;
    return 1;
}

static const spg_file_reference *find_reference(const spg_file_reference_list *list, const char *filename,
                                                const char *partition) {
    for (size_t i = 0; list && i < list->count; i++)
        if (strcmp(list->references[i].filename, filename) == 0 &&
            strcmp(list->references[i].partition_id, partition) == 0)
            return &list->references[i];
    return NULL;
}


static size_t partition_count(const spg_store *store, int leaves_only) {
    spg_partition_list *list = NULL;
    spg_status status = leaves_only ? spg_get_leaf_partitions(store, &list) : spg_get_all_partitions(store, &list);
    if (status != SPG_OK) FAIL("listing partitions: %s", spg_last_error_message());
    size_t count = list ? list->count : 0;
    spg_partition_list_free(list);
    return count;
}

/* The last error's SQLSTATE is `expected`. */
#define CHECK_SQLSTATE(expected) CHECK_STR(spg_last_error_sqlstate(), (expected))

/* ------------------------------------------------------------------------------------------------ */
/* Errors and status codes                                                                          */
/* ------------------------------------------------------------------------------------------------ */

static void *first_error_in_new_thread(void *unused) {
    (void)unused;
    return (void *)(strcmp(spg_last_error_message(), "") == 0 && spg_last_error_cause() == SPG_OK &&
                            strcmp(spg_last_error_cause_message(), "") == 0 &&
                            strcmp(spg_last_error_sqlstate(), "") == 0
                        ? "empty"
                        : NULL);
}

static void test_status_names(void) {
    /* The header's constants are the library's statuses: each has its own name. */
    static const spg_status statuses[] = {
        SPG_FILE_ALREADY_EXISTS, SPG_FILE_NOT_FOUND, SPG_FILE_REFERENCE_NOT_FOUND,
        SPG_FILE_REFERENCE_ALREADY_EXISTS, SPG_FILE_REFERENCE_ASSIGNED_TO_JOB,
        SPG_FILE_REFERENCE_NOT_ASSIGNED_TO_JOB, SPG_NEW_REFERENCE_SAME_AS_OLD_REFERENCE, SPG_FILE_HAS_REFERENCES,
        SPG_SPLIT_REQUESTS_FAILED, SPG_REPLACE_REQUESTS_FAILED, SPG_INITIALISE_WITH_FILES_PRESENT,
        SPG_PARTITION_NOT_FOUND, SPG_TABLE_NOT_FOUND, SPG_TABLE_ALREADY_EXISTS, SPG_STATE_STORE_CONNECTION,
        SPG_STATE_STORE, SPG_INVALID_ARGUMENT,
    };
    size_t count = sizeof statuses / sizeof statuses[0];
    for (size_t i = 0; i < count; i++) {
        CHECK(statuses[i] == (spg_status)(i + 1));
        CHECK(strcmp(spg_status_name(statuses[i]), "Unknown") != 0);
        for (size_t j = 0; j < i; j++) CHECK(strcmp(spg_status_name(statuses[i]), spg_status_name(statuses[j])) != 0);
    }
    CHECK_STR(spg_status_name(SPG_OK), "OK");
    CHECK_STR(spg_status_name(SPG_FILE_NOT_FOUND), "FileNotFoundException");
    CHECK_STR(spg_status_name(SPG_STATE_STORE_CONNECTION), "StateStoreConnectionException");
    CHECK_STR(spg_status_name(SPG_STATE_STORE), "StateStoreException");
    CHECK_STR(spg_status_name(SPG_INVALID_ARGUMENT), "InvalidArgument");
    CHECK_STR(spg_status_name(-1), "Unknown");
    CHECK_STR(spg_status_name((spg_status)count + 1), "Unknown");
    CHECK_STR(spg_status_name(INT32_MIN), "Unknown");
}

static void test_last_error_is_per_thread_and_kept_by_successful_calls(void) {
    pthread_t thread;
    void *result = NULL;
    EXPECT(spg_table(client, "", NULL), SPG_INVALID_ARGUMENT);
    CHECK(strlen(spg_last_error_message()) > 0);
    /* Another thread has seen no failure of its own. */
    CHECK(pthread_create(&thread, NULL, first_error_in_new_thread, NULL) == 0);
    CHECK(pthread_join(thread, &result) == 0);
    CHECK(result != NULL);
    /* A successful call leaves the message as it was. */
    char before[256];
    snprintf(before, sizeof before, "%s", spg_last_error_message());
    spg_string_list *tables = NULL;
    OK(spg_list_tables(client, &tables));
    spg_string_list_free(tables);
    CHECK_STR(spg_last_error_message(), before);
}

/* ------------------------------------------------------------------------------------------------ */
/* Local cluster and client                                                                         */
/* ------------------------------------------------------------------------------------------------ */

/* A cluster of its own is up: its URL works and its database has no tables yet. */
static void check_cluster(const spg_local_postgres *cluster) {
    char *url = NULL;
    OK(spg_local_postgres_url(cluster, &url));
    CHECK(url != NULL && strncmp(url, "postgresql://", 13) == 0);
    spg_client *other = NULL;
    OK(spg_connect(url, &other));
    spg_string_list *tables = NULL;
    OK(spg_list_tables(other, &tables));
    CHECK(tables != NULL && tables->count == 0 && tables->items == NULL);
    spg_string_list_free(tables);
    spg_client_free(other);
    spg_string_free(url);
}

static void test_local_postgres(void) {
    spg_local_postgres *second = (spg_local_postgres *)1;
    char *url = (char *)1;
    EXPECT(spg_local_postgres_start(NULL), SPG_INVALID_ARGUMENT);
    EXPECT(spg_local_postgres_url(NULL, &url), SPG_INVALID_ARGUMENT);
    CHECK(url == NULL);
    OK(spg_local_postgres_start(&second));
    CHECK(second != NULL);
    EXPECT(spg_local_postgres_url(second, NULL), SPG_INVALID_ARGUMENT);
    if (second) check_cluster(second);
    spg_local_postgres_free(second);
    spg_local_postgres_free(NULL);
    spg_string_free(NULL);
}

static void test_local_postgres_with_options(void) {
    spg_setting settings[] = {{"work_mem", "8MB"}, {"log_min_messages", "warning"}};
    spg_local_postgres_options options = {0};
    options.has_durable = true;
    options.durable = false;
    options.settings = settings;
    options.setting_count = 2;
    spg_local_postgres *third = (spg_local_postgres *)1;
    EXPECT(spg_local_postgres_start_with(NULL, &third), SPG_INVALID_ARGUMENT);
    CHECK(third == NULL);
    CHECK_MESSAGE("options must not be NULL");
    EXPECT(spg_local_postgres_start_with(&options, NULL), SPG_INVALID_ARGUMENT);
    options.settings = NULL;
    EXPECT(spg_local_postgres_start_with(&options, &third), SPG_INVALID_ARGUMENT);
    CHECK_MESSAGE("options.settings is NULL but its count is 2");
    spg_setting bad[] = {{"work_mem", NULL}};
    options.settings = bad;
    options.setting_count = 1;
    EXPECT(spg_local_postgres_start_with(&options, &third), SPG_INVALID_ARGUMENT);
    CHECK_MESSAGE("options.settings[0].value must not be NULL");
    bad[0].value = BAD_UTF8;
    EXPECT(spg_local_postgres_start_with(&options, &third), SPG_INVALID_ARGUMENT);
    CHECK(third == NULL);
    options.settings = settings;
    options.setting_count = 2;
    OK(spg_local_postgres_start_with(&options, &third));
    if (third) check_cluster(third);
    spg_local_postgres_free(third);
}

static void test_reads_through_a_replica_of_a_local_cluster(void) {
    spg_local_postgres *primary = NULL, *replica = (spg_local_postgres *)1;
    EXPECT(spg_local_postgres_start_replica(NULL, &replica), SPG_INVALID_ARGUMENT);
    CHECK(replica == NULL);
    OK(spg_local_postgres_start(&primary));
    OK(spg_local_postgres_start_replica(primary, &replica));
    char *primary_url = NULL, *replica_url = NULL;
    OK(spg_local_postgres_url(primary, &primary_url));
    OK(spg_local_postgres_url(replica, &replica_url));
    const char *replicas[] = {replica_url};
    spg_client_options options = {0};
    options.url = primary_url;
    options.replica_urls = replicas;
    options.replica_url_count = 1;
    options.replica_wait_ms = 10000;
    spg_client *c = NULL;
    OK(spg_connect_with(&options, &c));
    spg_store *store = NULL;
    OK(spg_create_table(c, "replicated", LONG_KEY, 1, &store));
    OK(spg_initialise(store));
    for (size_t i = 0; i < 10; i++) {
        char name[16];
        snprintf(name, sizeof name, "file-%zu", i);
        spg_file_reference file = reference(name, "root", 1);
        OK(spg_add_file(store, &file));
        spg_file_reference_list *refs = NULL;
        OK(spg_get_file_references(store, &refs)); /* the client's own write, on the replica */
        CHECK(refs && refs->count == i + 1);
        spg_file_reference_list_free(refs);
    }
    options.replica_urls = NULL; /* with a count of 1 */
    spg_client *refused = (spg_client *)1;
    EXPECT(spg_connect_with(&options, &refused), SPG_INVALID_ARGUMENT);
    CHECK_MESSAGE("options.replica_urls is NULL but its count is 1");
    spg_store_free(store);
    spg_client_free(c);
    spg_string_free(primary_url);
    spg_string_free(replica_url);
    spg_local_postgres_free(replica);
    spg_local_postgres_free(primary);
}

static void test_connect_arguments(void) {
    spg_client *c = (spg_client *)1;
    EXPECT(spg_connect(database_url, NULL), SPG_INVALID_ARGUMENT);
    EXPECT(spg_connect(BAD_UTF8, &c), SPG_INVALID_ARGUMENT);
    CHECK(c == NULL);
    CHECK_MESSAGE("url is not valid UTF-8");
    c = (spg_client *)1;
    EXPECT(spg_connect("not a url", &c), SPG_INVALID_ARGUMENT); /* core's check */
    CHECK(c == NULL);
    CHECK_MESSAGE("Invalid database URL");

    spg_client_options options = {0};
    EXPECT(spg_connect_with(NULL, &c), SPG_INVALID_ARGUMENT);
    CHECK_MESSAGE("options must not be NULL");
    options.url = database_url;
    EXPECT(spg_connect_with(&options, NULL), SPG_INVALID_ARGUMENT);
    options.schema = BAD_UTF8;
    EXPECT(spg_connect_with(&options, &c), SPG_INVALID_ARGUMENT);
    CHECK_MESSAGE("options.schema is not valid UTF-8");
    options.schema = ""; /* set, and refused by core */
    EXPECT(spg_connect_with(&options, &c), SPG_INVALID_ARGUMENT);
    CHECK(c == NULL);
    options.schema = NULL;
    options.url = BAD_UTF8;
    EXPECT(spg_connect_with(&options, &c), SPG_INVALID_ARGUMENT);
    CHECK_MESSAGE("options.url is not valid UTF-8");
    CHECK(c == NULL);
}

static void test_client_options_default_is_all_zero(void) {
    spg_client_options d = spg_client_options_default();
    CHECK(d.url == NULL && d.schema == NULL && d.max_connections == 0);
    CHECK(d.acquire_timeout_ms == 0 && d.connect_timeout_ms == 0);
    CHECK(!d.has_statement_timeout && d.statement_timeout_ms == 0);
    CHECK(!d.has_idle_timeout && d.idle_timeout_ms == 0);
    CHECK(!d.has_migrate && !d.migrate && !d.has_statement_cache && !d.statement_cache);
    CHECK(d.retry_max_attempts == 0);
    CHECK(!d.has_retry_initial_backoff && d.retry_initial_backoff_ms == 0);
    CHECK(!d.has_retry_max_backoff && d.retry_max_backoff_ms == 0);
    CHECK(d.replica_urls == NULL && d.replica_url_count == 0 && d.replica_wait_ms == 0);
    CHECK(!d.has_change_feed && !d.change_feed);
    CHECK(!d.has_server_wait_timeout && d.server_wait_timeout_ms == 0);
    CHECK(!d.has_attempt_timeout && d.attempt_timeout_ms == 0);
    CHECK(!d.has_call_timeout && d.call_timeout_ms == 0);
    /* Left zero but for the URL: core's defaults, which work. */
    d.url = database_url;
    spg_client *c = NULL;
    OK(spg_connect_with(&d, &c));
    spg_string_list *tables = NULL;
    OK(spg_list_tables(c, &tables));
    spg_string_list_free(tables);
    spg_client_free(c);
}

static void test_connect_with_every_option_set(void) {
    spg_client_options options = {0};
    options.url = database_url;
    options.schema = "sleeper";
    options.max_connections = 2;
    options.acquire_timeout_ms = 20000;
    options.connect_timeout_ms = 5000;
    options.has_statement_timeout = true;
    options.statement_timeout_ms = 60000;
    options.has_idle_timeout = true;
    options.idle_timeout_ms = 0; /* never closed */
    options.has_migrate = true;
    options.migrate = false; /* the schema is there already */
    options.has_statement_cache = true;
    options.statement_cache = false;
    options.retry_max_attempts = 3;
    options.has_retry_initial_backoff = true;
    options.retry_initial_backoff_ms = 0; /* retry at once */
    options.has_retry_max_backoff = true;
    options.retry_max_backoff_ms = 1000;
    options.has_server_wait_timeout = true;
    options.server_wait_timeout_ms = 20000;
    options.has_attempt_timeout = true;
    options.attempt_timeout_ms = 0; /* no limit */
    options.has_call_timeout = true;
    options.call_timeout_ms = 120000;
    spg_client *c = NULL;
    OK(spg_connect_with(&options, &c));
    char id[96];
    spg_store *store = new_table_with(LONG_KEY, 1, id);
    spg_store *same = NULL;
    OK(spg_table(c, id, &same));
    OK(spg_initialise(same));
    spg_store_free(same);
    spg_store_free(store);
    spg_client_free(c);
}

static void test_connect_null_url_takes_database_url(void) {
    /* main() sets DATABASE_URL before anything else runs, so NULL connects to the same server. */
    spg_client *c = NULL;
    char id[96];
    spg_store *store = new_table_with(LONG_KEY, 1, id);
    OK(spg_connect(NULL, &c));
    spg_store *same = NULL;
    OK(spg_table(c, id, &same));
    CHECK(same != NULL);
    spg_store_free(same);
    spg_store_free(store);
    spg_client_free(c);
}

static void test_connection_errors_and_their_sqlstate(void) {
    /* Nobody listens: no answer from a database, so no SQLSTATE. */
    spg_client_options options = {0};
    options.url = "postgresql://nobody@127.0.0.1:1/none";
    options.connect_timeout_ms = 5000;
    /* Fail at the first refusal rather than wait for a server to start. */
    options.has_server_wait_timeout = true;
    options.server_wait_timeout_ms = 0;
    spg_client *c = (spg_client *)1;
    EXPECT(spg_connect_with(&options, &c), SPG_STATE_STORE_CONNECTION);
    CHECK(c == NULL);
    CHECK_SQLSTATE("");

    /* The database answers with an error: its SQLSTATE (42P01, undefined_table). */
    options.url = database_url;
    options.schema = "spg_no_such_schema";
    options.has_migrate = true;
    options.migrate = false;
    OK(spg_connect_with(&options, &c));
    spg_string_list *tables = (spg_string_list *)1;
    EXPECT(spg_list_tables(c, &tables), SPG_STATE_STORE_CONNECTION);
    CHECK(tables == NULL);
    CHECK_SQLSTATE("42P01");
    CHECK_MESSAGE("spg_no_such_schema");
    CHECK(spg_last_error_cause() == SPG_OK);
    /* The next failure replaces it. */
    EXPECT(spg_list_tables(NULL, &tables), SPG_INVALID_ARGUMENT);
    CHECK_SQLSTATE("");
    spg_client_free(c);

    /* A client whose pool is closed fails every call with a connection error, through its stores too. */
    OK(spg_connect(database_url, &c));
    char id[96];
    spg_store *mine = new_table_with(LONG_KEY, 1, id);
    spg_store *store = NULL;
    OK(spg_table(c, id, &store));
    OK(spg_client_close(c));
    EXPECT(spg_list_tables(c, &tables), SPG_STATE_STORE_CONNECTION);
    CHECK(tables == NULL);
    EXPECT(spg_initialise(store), SPG_STATE_STORE_CONNECTION);
    EXPECT(spg_client_close(NULL), SPG_INVALID_ARGUMENT);
    spg_store_free(store);
    spg_store_free(mine);
    spg_client_free(c);
    spg_client_free(NULL);
}

static void test_store_outlives_its_client(void) {
    spg_client *c = NULL;
    OK(spg_connect(database_url, &c));
    char id[96];
    unique_id(id, sizeof id, "outlive");
    spg_store *store = NULL;
    OK(spg_create_table(c, id, LONG_KEY, 1, &store));
    spg_client_free(c);
    OK(spg_initialise(store));
    bool none = false;
    OK(spg_has_no_files(store, &none));
    CHECK(none);
    spg_store_free(store);
    OK(spg_delete_table(client, id));
}

static void test_a_filename_over_its_limit_is_invalid(void) {
    spg_store *store = new_table();
    char name[2050];
    memset(name, 'f', 2049);
    name[2049] = '\0';
    spg_file_reference over = reference(name, "root", 1);
    EXPECT(spg_add_file(store, &over), SPG_INVALID_ARGUMENT);
    CHECK_STR(spg_last_error_message(), "filename must be at most 2048 bytes long, got 2049 bytes");
    bool none = false;
    OK(spg_has_no_files(store, &none));
    CHECK(none);
    name[2048] = '\0'; /* at the limit */
    spg_file_reference at_limit = reference(name, "root", 1);
    OK(spg_add_file(store, &at_limit));
    spg_file_reference_list *refs = NULL;
    OK(spg_get_file_references(store, &refs));
    CHECK(refs && refs->count == 1 && strcmp(refs->references[0].filename, name) == 0);
    spg_file_reference_list_free(refs);
    spg_store_free(store);
}

/* ------------------------------------------------------------------------------------------------ */
/* Tables                                                                                           */
/* ------------------------------------------------------------------------------------------------ */

static void test_create_table(void) {
    char id[96];
    unique_id(id, sizeof id, "create");
    spg_store *store = (spg_store *)1;
    OK(spg_create_table(client, id, LONG_KEY, 1, &store));
    CHECK(store != NULL);
    spg_store *again = (spg_store *)1;
    EXPECT(spg_create_table(client, id, LONG_KEY, 1, &again), SPG_TABLE_ALREADY_EXISTS);
    CHECK(again == NULL);
    char expected[160];
    snprintf(expected, sizeof expected, "Table already exists: %s", id);
    CHECK_STR(spg_last_error_message(), expected);
    spg_store_free(store);
}

static void test_create_table_arguments(void) {
    spg_store *store = (spg_store *)1;
    spg_row_key_field unknown_type[] = {{"key", 7}};
    spg_row_key_field null_name[] = {{NULL, SPG_KEY_LONG}};
    spg_row_key_field bad_name[] = {{BAD_UTF8, SPG_KEY_LONG}};
    EXPECT(spg_create_table(NULL, "t", LONG_KEY, 1, &store), SPG_INVALID_ARGUMENT);
    CHECK(store == NULL);
    CHECK_MESSAGE("client must not be NULL");
    EXPECT(spg_create_table(client, NULL, LONG_KEY, 1, &store), SPG_INVALID_ARGUMENT);
    CHECK_MESSAGE("table_id must not be NULL");
    EXPECT(spg_create_table(client, BAD_UTF8, LONG_KEY, 1, &store), SPG_INVALID_ARGUMENT);
    CHECK_MESSAGE("table_id is not valid UTF-8");
    EXPECT(spg_create_table(client, "t", NULL, 1, &store), SPG_INVALID_ARGUMENT);
    CHECK_MESSAGE("row_keys is NULL but its count is 1");
    EXPECT(spg_create_table(client, "t", unknown_type, 1, &store), SPG_INVALID_ARGUMENT);
    CHECK_MESSAGE("unknown key type 7");
    EXPECT(spg_create_table(client, "t", null_name, 1, &store), SPG_INVALID_ARGUMENT);
    CHECK_MESSAGE("row_keys[0].name must not be NULL");
    EXPECT(spg_create_table(client, "t", bad_name, 1, &store), SPG_INVALID_ARGUMENT);
    EXPECT(spg_create_table(client, "t", LONG_KEY, 1, NULL), SPG_INVALID_ARGUMENT);
    CHECK_MESSAGE("out must not be NULL");
    CHECK(store == NULL);
}

static void test_table_list_and_delete(void) {
    char id[96];
    spg_store *created = new_table_with(LONG_KEY, 1, id);
    spg_store *opened = (spg_store *)1;
    OK(spg_table(client, id, &opened));
    CHECK(opened != NULL);
    spg_store *failed = (spg_store *)1;
    EXPECT(spg_table(client, "no-such-table", &failed), SPG_TABLE_NOT_FOUND);
    CHECK(failed == NULL);
    CHECK_STR(spg_last_error_message(), "Table not found with ID \"no-such-table\"");
    EXPECT(spg_table(NULL, id, &failed), SPG_INVALID_ARGUMENT);
    EXPECT(spg_table(client, NULL, &failed), SPG_INVALID_ARGUMENT);
    EXPECT(spg_table(client, BAD_UTF8, &failed), SPG_INVALID_ARGUMENT);
    EXPECT(spg_table(client, id, NULL), SPG_INVALID_ARGUMENT);

    spg_string_list *tables = (spg_string_list *)1;
    EXPECT(spg_list_tables(NULL, &tables), SPG_INVALID_ARGUMENT);
    CHECK(tables == NULL);
    EXPECT(spg_list_tables(client, NULL), SPG_INVALID_ARGUMENT);
    OK(spg_list_tables(client, &tables));
    int found = 0;
    for (size_t i = 0; tables && i < tables->count; i++)
        if (strcmp(tables->items[i], id) == 0) found = 1;
    CHECK(found);
    spg_string_list_free(tables);

    EXPECT(spg_delete_table(NULL, id), SPG_INVALID_ARGUMENT);
    EXPECT(spg_delete_table(client, NULL), SPG_INVALID_ARGUMENT);
    EXPECT(spg_delete_table(client, BAD_UTF8), SPG_INVALID_ARGUMENT);
    OK(spg_delete_table(client, id));
    spg_store_free(opened);
    spg_store_free(created);
    spg_store_free(NULL);
}

/* ------------------------------------------------------------------------------------------------ */
/* Partitions                                                                                       */
/* ------------------------------------------------------------------------------------------------ */

static void check_root(const spg_partition *p) {
    CHECK_STR(p->id, "root");
    CHECK(p->is_leaf_partition && p->parent_partition_id == NULL);
    CHECK(p->child_partition_id_count == 0 && p->child_partition_ids == NULL && p->dimension == -1);
    CHECK(p->range_count == 1);
    if (p->range_count == 1) {
        CHECK_STR(p->ranges[0].field_name, "key");
        CHECK(p->ranges[0].min.key_type == SPG_KEY_LONG && p->ranges[0].min.int_value == INT64_MIN);
        CHECK(!p->ranges[0].has_max);
    }
}

static void test_initialise_and_get_partitions(void) {
    spg_store *store = new_table();
    OK(spg_initialise(store));
    spg_partition_list *all = NULL;
    OK(spg_get_all_partitions(store, &all));
    CHECK(all && all->count == 1);
    if (all && all->count == 1) check_root(&all->partitions[0]);
    spg_partition_list_free(all);

    spg_partition *root = (spg_partition *)1;
    OK(spg_get_partition(store, "root", &root));
    if (root) check_root(root);
    spg_partition_free(root);
    EXPECT(spg_get_partition(store, "nope", &root), SPG_PARTITION_NOT_FOUND);
    CHECK(root == NULL);
    CHECK_STR(spg_last_error_message(), "Partition not found: nope");
    EXPECT(spg_get_partition(store, NULL, &root), SPG_INVALID_ARGUMENT);
    EXPECT(spg_get_partition(store, BAD_UTF8, &root), SPG_INVALID_ARGUMENT);
    EXPECT(spg_get_partition(NULL, "root", &root), SPG_INVALID_ARGUMENT);
    EXPECT(spg_get_partition(store, "root", NULL), SPG_INVALID_ARGUMENT);
    EXPECT(spg_initialise(NULL), SPG_INVALID_ARGUMENT);
    EXPECT(spg_get_all_partitions(NULL, &all), SPG_INVALID_ARGUMENT);
    EXPECT(spg_get_all_partitions(store, NULL), SPG_INVALID_ARGUMENT);
    EXPECT(spg_get_leaf_partitions(NULL, &all), SPG_INVALID_ARGUMENT);
    EXPECT(spg_get_leaf_partitions(store, NULL), SPG_INVALID_ARGUMENT);
    spg_partition_free(NULL);
    spg_partition_list_free(NULL);
    spg_store_free(store);
}

static void test_update_partition_and_create_new_ones(void) {
    spg_store *store = split_table();
    spg_partition_list *all = NULL, *leaves = NULL;
    OK(spg_get_all_partitions(store, &all));
    CHECK(all && all->count == 3);
    if (all && all->count == 3) {
        CHECK_STR(all->partitions[0].id, "L");
        CHECK_STR(all->partitions[2].id, "root");
        const spg_partition *l = &all->partitions[0], *root = &all->partitions[2];
        CHECK_STR(l->parent_partition_id, "root");
        CHECK(l->ranges[0].has_max && l->ranges[0].max.int_value == 100);
        CHECK(!root->is_leaf_partition && root->dimension == 0 && root->child_partition_id_count == 2);
        if (root->child_partition_id_count == 2) {
            CHECK_STR(root->child_partition_ids[0], "L");
            CHECK_STR(root->child_partition_ids[1], "R");
        }
    }
    spg_partition_list_free(all);
    OK(spg_get_leaf_partitions(store, &leaves));
    CHECK(leaves && leaves->count == 2);
    spg_partition_list_free(leaves);

    EXPECT(spg_atomically_update_partition_and_create_new_ones(NULL, &split_root_p, &left_p, &right_p),
           SPG_INVALID_ARGUMENT);
    EXPECT(spg_atomically_update_partition_and_create_new_ones(store, NULL, &left_p, &right_p),
           SPG_INVALID_ARGUMENT);
    EXPECT(spg_atomically_update_partition_and_create_new_ones(store, &split_root_p, NULL, &right_p),
           SPG_INVALID_ARGUMENT);
    EXPECT(spg_atomically_update_partition_and_create_new_ones(store, &split_root_p, &left_p, NULL),
           SPG_INVALID_ARGUMENT);
    CHECK_MESSAGE("new_partition_2 must not be NULL");
    spg_store_free(store);
}

/* Malformed partitions are refused at the boundary, each naming the field at fault. */
static void test_initialise_with_partitions(void) {
    spg_store *store = new_table();
    spg_partition tree[] = {split_root_p, left_p, right_p};
    OK(spg_initialise_with_partitions(store, tree, 3));
    spg_partition_list *leaves = NULL;
    OK(spg_get_leaf_partitions(store, &leaves));
    CHECK(leaves && leaves->count == 2);
    spg_partition_list_free(leaves);

    EXPECT(spg_initialise_with_partitions(store, NULL, 2), SPG_INVALID_ARGUMENT);
    EXPECT(spg_initialise_with_partitions(NULL, tree, 3), SPG_INVALID_ARGUMENT);
    spg_partition bad = root_p;
    bad.id = NULL;
    EXPECT(spg_initialise_with_partitions(store, &bad, 1), SPG_INVALID_ARGUMENT);
    CHECK_MESSAGE("partitions[0].id must not be NULL");
    bad = root_p;
    bad.ranges = NULL;
    EXPECT(spg_initialise_with_partitions(store, &bad, 1), SPG_INVALID_ARGUMENT);
    CHECK_MESSAGE("partitions[0].ranges is NULL but its count is 1");
    bad = root_p;
    bad.parent_partition_id = BAD_UTF8;
    EXPECT(spg_initialise_with_partitions(store, &bad, 1), SPG_INVALID_ARGUMENT);
    CHECK_MESSAGE("partitions[0].parent_partition_id is not valid UTF-8");
    bad = split_root_p;
    bad.child_partition_ids = NULL;
    EXPECT(spg_initialise_with_partitions(store, &bad, 1), SPG_INVALID_ARGUMENT);
    const char *null_child[] = {"L", NULL};
    bad.child_partition_ids = null_child;
    EXPECT(spg_initialise_with_partitions(store, &bad, 1), SPG_INVALID_ARGUMENT);
    CHECK_MESSAGE("partitions[0].child_partition_ids[1] must not be NULL");

    spg_range range = root_range;
    bad = root_p;
    bad.ranges = &range;
    range.field_name = NULL;
    EXPECT(spg_initialise_with_partitions(store, &bad, 1), SPG_INVALID_ARGUMENT);
    CHECK_MESSAGE("partitions[0].ranges[0].field_name must not be NULL");
    range = root_range;
    range.min.key_type = 42;
    EXPECT(spg_initialise_with_partitions(store, &bad, 1), SPG_INVALID_ARGUMENT);
    CHECK_MESSAGE("partitions[0].ranges[0].min has unknown key type 42");
    range = root_range;
    range.has_max = true;
    range.max.key_type = 42;
    EXPECT(spg_initialise_with_partitions(store, &bad, 1), SPG_INVALID_ARGUMENT);
    CHECK_MESSAGE("partitions[0].ranges[0].max has unknown key type 42");
    range = root_range;
    range.min = int_value(INT64_C(1) << 40); /* an int must fit in 32 bits */
    EXPECT(spg_initialise_with_partitions(store, &bad, 1), SPG_INVALID_ARGUMENT);
    CHECK_MESSAGE("does not fit in 32 bits");
    range = root_range;
    range.min.key_type = SPG_KEY_STRING;
    range.min.data = NULL;
    range.min.len = 3;
    EXPECT(spg_initialise_with_partitions(store, &bad, 1), SPG_INVALID_ARGUMENT);
    CHECK_MESSAGE("partitions[0].ranges[0].min.data is NULL but its count is 3");
    range.min = string_value(BAD_UTF8);
    EXPECT(spg_initialise_with_partitions(store, &bad, 1), SPG_INVALID_ARGUMENT);
    CHECK_MESSAGE("partitions[0].ranges[0].min is not valid UTF-8");
    spg_store_free(store);
}

static void test_clear_partition_data_and_partition_clock(void) {
    spg_store *store = split_table();
    OK(spg_fix_partition_update_time(store, true, at_minute(0)));
    OK(spg_fix_partition_update_time(store, false, INT64_MIN)); /* no time: time_ms is ignored */
    EXPECT(spg_fix_partition_update_time(NULL, true, 0), SPG_INVALID_ARGUMENT);
    OK(spg_clear_partition_data(store));
    spg_partition_list *all = NULL;
    OK(spg_get_all_partitions(store, &all));
    CHECK(all && all->count == 0 && all->partitions == NULL);
    spg_partition_list_free(all);
    EXPECT(spg_clear_partition_data(NULL), SPG_INVALID_ARGUMENT);
    spg_store_free(store);
}

static void test_partitions_from_split_points(void) {
    spg_partition_list *list = (spg_partition_list *)1;
    /* No split points: the root partition. */
    OK(spg_partitions_from_split_points(LONG_KEY, 1, NULL, 0, &list));
    CHECK(list && list->count == 1);
    if (list && list->count == 1) check_root(&list->partitions[0]);
    spg_partition_list_free(list);

    /* Three split points: the list is a tree the store takes as it is. */
    spg_key_value points[] = {long_value(10), long_value(20), long_value(30)};
    OK(spg_partitions_from_split_points(LONG_KEY, 1, points, 3, &list));
    CHECK(list && list->count == 7);
    spg_store *store = new_table();
    if (list) OK(spg_initialise_with_partitions(store, list->partitions, list->count));
    spg_partition_list_free(list);
    spg_store_free(store);

    /* A core check: out of order. */
    spg_key_value unsorted[] = {long_value(20), long_value(10)};
    EXPECT(spg_partitions_from_split_points(LONG_KEY, 1, unsorted, 2, &list), SPG_INVALID_ARGUMENT);
    CHECK(list == NULL);
    spg_key_value bad_tag[] = {{99, 0, NULL, 0}};
    EXPECT(spg_partitions_from_split_points(LONG_KEY, 1, bad_tag, 1, &list), SPG_INVALID_ARGUMENT);
    CHECK_MESSAGE("split_points[0] has unknown key type 99");
    EXPECT(spg_partitions_from_split_points(LONG_KEY, 1, NULL, 2, &list), SPG_INVALID_ARGUMENT);
    EXPECT(spg_partitions_from_split_points(NULL, 1, points, 1, &list), SPG_INVALID_ARGUMENT);
    EXPECT(spg_partitions_from_split_points(LONG_KEY, 1, points, 1, NULL), SPG_INVALID_ARGUMENT);
}

/* Every key type through a store and back: values come back exactly as given. */
static void test_key_types_round_trip(void) {
    static const uint8_t high[] = {0x80};
    static const uint8_t low[] = {0x00, 0x7f};
    spg_row_key_field keys[] = {{"b", SPG_KEY_BYTES}, {"i", SPG_KEY_INT}, {"s", SPG_KEY_STRING}};
    /* Signed byte order: 0x80 < 0x00 0x7f. */
    spg_key_value points[] = {bytes_value(high, 1), bytes_value(low, 2)};
    spg_partition_list *tree = NULL;
    OK(spg_partitions_from_split_points(keys, 3, points, 2, &tree));
    CHECK(tree && tree->count == 5);
    spg_store *store = new_table_with(keys, 3, NULL);
    if (tree) OK(spg_initialise_with_partitions(store, tree->partitions, tree->count));
    spg_partition_list *leaves = NULL;
    OK(spg_get_leaf_partitions(store, &leaves));
    CHECK(leaves && leaves->count == 3);
    int seen_low_split = 0;
    for (size_t i = 0; leaves && i < leaves->count; i++) {
        const spg_partition *p = &leaves->partitions[i];
        CHECK(p->range_count == 3);
        if (p->range_count != 3) continue;
        CHECK_STR(p->ranges[0].field_name, "b");
        CHECK_STR(p->ranges[1].field_name, "i");
        CHECK_STR(p->ranges[2].field_name, "s");
        CHECK(p->ranges[1].min.key_type == SPG_KEY_INT && p->ranges[1].min.int_value == INT32_MIN);
        CHECK(p->ranges[2].min.key_type == SPG_KEY_STRING && p->ranges[2].min.len == 0);
        CHECK(p->ranges[2].min.data != NULL && p->ranges[2].min.data[0] == 0);
        const spg_key_value *min = &p->ranges[0].min;
        CHECK(min->key_type == SPG_KEY_BYTES);
        if (min->len == 2) {
            CHECK(memcmp(min->data, low, 2) == 0 && !p->ranges[0].has_max);
            seen_low_split = 1;
        }
    }
    CHECK(seen_low_split);
    spg_partition_list_free(leaves);
    spg_partition_list_free(tree);
    spg_store_free(store);

    /* Strings keep any character but U+0000, emoji included. */
    spg_row_key_field string_key[] = {{"key", SPG_KEY_STRING}};
    spg_key_value words[] = {string_value("m"), string_value("\xf0\x9f\x98\x80")};
    OK(spg_partitions_from_split_points(string_key, 1, words, 2, &tree));
    store = new_table_with(string_key, 1, NULL);
    if (tree) OK(spg_initialise_with_partitions(store, tree->partitions, tree->count));
    spg_partition_list_free(tree);
    OK(spg_get_leaf_partitions(store, &leaves));
    int seen_emoji = 0;
    for (size_t i = 0; leaves && i < leaves->count; i++) {
        const spg_key_value *min = &leaves->partitions[i].ranges[0].min;
        if (min->len == 4 && strcmp((const char *)min->data, "\xf0\x9f\x98\x80") == 0) seen_emoji = 1;
    }
    CHECK(seen_emoji);
    spg_partition_list_free(leaves);
    spg_store_free(store);
}

/* ------------------------------------------------------------------------------------------------ */
/* Files                                                                                            */
/* ------------------------------------------------------------------------------------------------ */

static void test_add_files(void) {
    spg_store *store = split_table();
    spg_file_reference one = reference("one", "L", 10);
    one.has_last_update_time = true; /* ignored on input */
    one.last_update_time_ms = 1;
    OK(spg_fix_file_update_time(store, true, at_minute(0)));
    OK(spg_add_file(store, &one));
    EXPECT(spg_add_file(store, &one), SPG_FILE_ALREADY_EXISTS);
    CHECK_STR(spg_last_error_message(), "File already exists: one");
    CHECK(spg_last_error_cause() == SPG_OK);

    OK(spg_fix_file_update_time(store, false, INT64_MAX)); /* no time: time_ms is ignored */
    spg_file_reference spanning[] = {reference("two", "L", 5), reference("two", "R", 6)};
    spanning[1].job_id = "job";
    spanning[1].count_approximate = true;
    spanning[1].only_contains_data_for_this_partition = false;
    OK(spg_add_files(store, spanning, 2));
    OK(spg_add_files(store, NULL, 0)); /* an empty call */
    spg_file_reference three = reference("three", "R", 3);
    spg_all_references_to_a_file files[] = {
        {"three", &three, 1, false, 0},
        {"unreferenced", NULL, 0, false, 0},
    };
    OK(spg_add_files_with_references(store, files, 2));

    spg_file_reference_list *refs = NULL;
    OK(spg_get_file_references(store, &refs));
    CHECK(refs && refs->count == 4);
    const spg_file_reference *r = find_reference(refs, "one", "L");
    CHECK(r && r->number_of_rows == 10 && r->job_id == NULL && !r->count_approximate &&
          r->only_contains_data_for_this_partition);
    CHECK(r && r->has_last_update_time && r->last_update_time_ms == at_minute(0));
    r = find_reference(refs, "two", "R");
    CHECK(r && r->number_of_rows == 6 && r->job_id && strcmp(r->job_id, "job") == 0);
    CHECK(r && r->count_approximate && !r->only_contains_data_for_this_partition);
    CHECK(r && r->has_last_update_time && r->last_update_time_ms > at_minute(0)); /* the database clock */
    spg_file_reference_list_free(refs);
    bool none = true;
    OK(spg_has_no_files(store, &none));
    CHECK(!none);
    spg_store_free(store);
}

static void test_store_status(void) {
    spg_store *store = split_table();
    OK(spg_fix_file_update_time(store, true, at_minute(0)));
    spg_file_reference r = reference("f", "L", 1);
    OK(spg_add_file(store, &r));
    spg_table_status status;
    OK(spg_store_status(store, &status));
    CHECK(status.partitions == 3 && status.leaf_partitions == 2);
    CHECK(status.files == 1 && status.references == 1 && status.references_with_no_job == 1);
    CHECK(status.jobs_in_flight == 0 && status.unreferenced_files == 0);
    CHECK(status.has_oldest_reference_with_no_job && status.oldest_reference_with_no_job_ms == at_minute(0));
    CHECK(!status.has_oldest_unreferenced_file);
    EXPECT(spg_store_status(NULL, &status), SPG_INVALID_ARGUMENT);
    EXPECT(spg_store_status(store, NULL), SPG_INVALID_ARGUMENT);
    spg_store_free(store);
}

static void test_client_stats_as_json(void) {
    spg_client *own = NULL;
    OK(spg_connect(database_url, &own));
    spg_string_list *tables = NULL;
    OK(spg_list_tables(own, &tables));
    spg_string_list_free(tables);
    char *json = NULL;
    OK(spg_client_stats(own, &json));
    CHECK(json && strstr(json, "\"operation\":\"list_tables\",\"calls\":1,"));
    spg_string_free(json);
    EXPECT(spg_client_stats(NULL, &json), SPG_INVALID_ARGUMENT);
    CHECK(json == NULL);
    spg_client_free(own);
}

/* The table's feed once its entry `last` is numbered (entries can wait on any transaction of the
 * server that began before them, other tests' included), read whole. */
static spg_change_list *changes_through(const spg_store *store, uint64_t last) {
    for (;;) {
        spg_change_list *waited = NULL;
        spg_status status = spg_store_wait_for_changes(store, last - 1, 1, 60000, &waited);
        size_t count = waited ? waited->count : 0;
        spg_change_list_free(waited);
        if (status != SPG_OK) {
            FAIL("wait_for_changes: %s", spg_last_error_message());
            return NULL;
        }
        if (count > 0) break;
    }
    spg_change_list *all = NULL;
    OK(spg_store_read_changes(store, 0, 1000, &all));
    return all;
}

/* A new initialised table through a client of the test's own, `*own`, which the test frees: a wait
 * starts the client's LISTEN task, which freeing the client ends, and a client freed in its test has
 * its task reclaimed long before the process exits (freed just before exit, the task's memory can still
 * be the runtime's at exit, which valgrind reports as possibly lost). Its id is written to `id` if not
 * NULL. */
static spg_store *feed_table(spg_client **own, char *id) {
    char buffer[96];
    unique_id(buffer, sizeof buffer, "c-feed");
    spg_store *store = NULL;
    OK(spg_connect(database_url, own));
    OK(spg_create_table(*own, buffer, LONG_KEY, 1, &store));
    OK(spg_initialise(store));
    if (id) strcpy(id, buffer);
    return store;
}

static void test_change_feed_entries_come_back_in_order_with_their_types_and_json(void) {
    spg_client *own = NULL;
    spg_store *store = feed_table(&own, NULL);
    OK(spg_atomically_update_partition_and_create_new_ones(store, &split_root_p, &left_p, &right_p));
    spg_file_reference r = reference("f", "L", 7);
    OK(spg_add_file(store, &r));
    spg_change_list *changes = changes_through(store, 3);
    CHECK(changes && changes->count == 3);
    if (changes && changes->count == 3) {
        const char *const types[] = {"INITIALISE_PARTITIONS", "SPLIT_PARTITION", "ADD_FILES"};
        for (size_t i = 0; i < 3; i++) {
            CHECK(changes->changes[i].sequence == i + 1);
            CHECK_STR(changes->changes[i].transaction_type, types[i]);
            CHECK(changes->changes[i].recorded_at_ms > at_minute(0));
        }
        const spg_change *added = &changes->changes[2];
        CHECK(added->transaction_json && strstr(added->transaction_json, "\"filename\":\"f\""));
        CHECK(added->transaction_json && added->transaction_json_len == strlen(added->transaction_json));
        CHECK(added->summary.files == 1 && added->summary.references == 1);
        CHECK(added->summary.jobs == 0 && added->summary.partitions == 0);
    }
    spg_change_list_free(changes);
    spg_change_list *after_two = NULL;
    OK(spg_store_read_changes(store, 2, 1000, &after_two));
    CHECK(after_two && after_two->count == 1 && after_two->changes[0].sequence == 3);
    spg_change_list_free(after_two);
    spg_store_free(store);
    spg_client_free(own);
}

struct follower {
    const spg_store *store;
    spg_status status;
    spg_change_list *given;
};

static void *follow(void *arg) {
    struct follower *f = arg;
    f->status = spg_store_wait_for_changes(f->store, 1, 10, 60000, &f->given);
    return NULL;
}

static void test_change_feed_wait_is_given_another_clients_write(void) {
    char id[96];
    spg_client *own = NULL;
    spg_store *store = feed_table(&own, id);
    spg_change_list_free(changes_through(store, 1));
    struct follower f = {store, SPG_OK, NULL};
    pthread_t thread;
    CHECK(pthread_create(&thread, NULL, follow, &f) == 0);
    spg_client *writer = NULL;
    OK(spg_connect(database_url, &writer));
    spg_store *written = NULL;
    OK(spg_table(writer, id, &written));
    spg_file_reference r = reference("a", "root", 1);
    OK(spg_add_file(written, &r));
    CHECK(pthread_join(thread, NULL) == 0);
    CHECK(f.status == SPG_OK);
    CHECK(f.given && f.given->count == 1);
    if (f.given && f.given->count == 1) CHECK_STR(f.given->changes[0].transaction_type, "ADD_FILES");
    spg_change_list_free(f.given);
    spg_store_free(written);
    spg_client_free(writer);
    spg_store_free(store);
    spg_client_free(own);
}

static void test_change_feed_wait_with_nothing_written_returns_empty(void) {
    spg_client *own = NULL;
    spg_store *store = feed_table(&own, NULL);
    spg_change_list_free(changes_through(store, 1));
    spg_change_list *waited = NULL;
    OK(spg_store_wait_for_changes(store, 1, 10, 50, &waited));
    CHECK(waited && waited->count == 0 && waited->changes == NULL);
    spg_change_list_free(waited);
    spg_store_free(store);
    spg_client_free(own);
}

static void test_change_feed_delete_through_n_removes_the_entries_up_to_n(void) {
    spg_client *own = NULL;
    spg_store *store = feed_table(&own, NULL);
    const char *const names[] = {"a", "b", "c"};
    for (size_t i = 0; i < 3; i++) {
        spg_file_reference r = reference(names[i], "root", 1);
        OK(spg_add_file(store, &r));
    }
    spg_change_list_free(changes_through(store, 4));
    uint64_t deleted = 0;
    OK(spg_store_delete_changes_through(store, 2, &deleted));
    CHECK(deleted == 2);
    spg_change_list *left = NULL;
    OK(spg_store_read_changes(store, 0, 1000, &left));
    CHECK(left && left->count == 2 && left->changes[0].sequence == 3 && left->changes[1].sequence == 4);
    spg_change_list_free(left);
    spg_store_free(store);
    spg_client_free(own);
}

static void test_change_feed_delete_past_the_last_numbered_entry_is_invalid_argument(void) {
    spg_client *own = NULL;
    spg_store *store = feed_table(&own, NULL);
    spg_change_list_free(changes_through(store, 1));
    uint64_t deleted = 99;
    EXPECT(spg_store_delete_changes_through(store, 5, &deleted), SPG_INVALID_ARGUMENT);
    CHECK(deleted == 0);
    CHECK_MESSAGE("numbered through 1");
    spg_change_list *left = NULL;
    OK(spg_store_read_changes(store, 0, 1000, &left));
    CHECK(left && left->count == 1);
    spg_change_list_free(left);
    spg_store_free(store);
    spg_client_free(own);
}

static void test_change_feed_client_with_it_off_records_nothing(void) {
    char id[96];
    spg_client *own = NULL;
    spg_store *store = feed_table(&own, id);
    spg_client_options options = {0};
    options.url = database_url;
    options.has_change_feed = true;
    options.change_feed = false;
    spg_client *quiet = NULL;
    OK(spg_connect_with(&options, &quiet));
    spg_store *quiet_store = NULL;
    OK(spg_table(quiet, id, &quiet_store));
    spg_file_reference unrecorded = reference("unrecorded", "root", 1);
    OK(spg_add_file(quiet_store, &unrecorded));
    spg_file_reference recorded = reference("recorded", "root", 1);
    OK(spg_add_file(store, &recorded));
    spg_change_list *changes = changes_through(store, 2);
    CHECK(changes && changes->count == 2);
    if (changes && changes->count == 2)
        CHECK(changes->changes[1].transaction_json &&
              strstr(changes->changes[1].transaction_json, "\"filename\":\"recorded\""));
    spg_change_list_free(changes);
    spg_store_free(quiet_store);
    spg_client_free(quiet);
    spg_store_free(store);
    spg_client_free(own);
}

static void test_change_feed_arguments(void) {
    spg_change_list *list = (spg_change_list *)1;
    EXPECT(spg_store_read_changes(NULL, 0, 10, &list), SPG_INVALID_ARGUMENT);
    CHECK(list == NULL);
    EXPECT(spg_store_wait_for_changes(NULL, 0, 10, 0, &list), SPG_INVALID_ARGUMENT);
    spg_store *store = new_table();
    EXPECT(spg_store_read_changes(store, 0, 10, NULL), SPG_INVALID_ARGUMENT);
    EXPECT(spg_store_wait_for_changes(store, 0, 10, 0, NULL), SPG_INVALID_ARGUMENT);
    EXPECT(spg_store_delete_changes_through(store, 0, NULL), SPG_INVALID_ARGUMENT);
    uint64_t deleted = 0;
    EXPECT(spg_store_delete_changes_through(NULL, 0, &deleted), SPG_INVALID_ARGUMENT);
    spg_change_list_free(NULL);
    spg_store_free(store);
}

static void test_add_files_arguments(void) {
    spg_store *store = split_table();
    spg_file_reference r = reference("f", "L", 1);
    EXPECT(spg_add_file(NULL, &r), SPG_INVALID_ARGUMENT);
    EXPECT(spg_add_file(store, NULL), SPG_INVALID_ARGUMENT);
    r.filename = NULL;
    EXPECT(spg_add_file(store, &r), SPG_INVALID_ARGUMENT);
    CHECK_MESSAGE("reference.filename must not be NULL");
    r.filename = BAD_UTF8;
    EXPECT(spg_add_file(store, &r), SPG_INVALID_ARGUMENT);
    r = reference("f", NULL, 1);
    EXPECT(spg_add_file(store, &r), SPG_INVALID_ARGUMENT);
    CHECK_MESSAGE("reference.partition_id must not be NULL");
    r = reference("f", "L", 1);
    r.job_id = BAD_UTF8;
    EXPECT(spg_add_file(store, &r), SPG_INVALID_ARGUMENT);
    CHECK_MESSAGE("reference.job_id is not valid UTF-8");

    spg_file_reference refs[] = {reference("a", "L", 1), reference(NULL, "L", 1)};
    EXPECT(spg_add_files(store, refs, 2), SPG_INVALID_ARGUMENT);
    CHECK_MESSAGE("references[1].filename must not be NULL");
    EXPECT(spg_add_files(store, NULL, 1), SPG_INVALID_ARGUMENT);
    EXPECT(spg_add_files(NULL, refs, 1), SPG_INVALID_ARGUMENT);

    spg_all_references_to_a_file null_refs = {"mine", NULL, 2, false, 0};
    EXPECT(spg_add_files_with_references(store, &null_refs, 1), SPG_INVALID_ARGUMENT);
    CHECK_MESSAGE("files[0].references is NULL but its count is 2");
    spg_all_references_to_a_file null_name = {NULL, NULL, 0, false, 0};
    EXPECT(spg_add_files_with_references(store, &null_name, 1), SPG_INVALID_ARGUMENT);
    EXPECT(spg_add_files_with_references(store, NULL, 1), SPG_INVALID_ARGUMENT);
    EXPECT(spg_add_files_with_references(NULL, &null_name, 1), SPG_INVALID_ARGUMENT);

    bool none = false;
    OK(spg_has_no_files(store, &none));
    CHECK(none);
    none = true;
    EXPECT(spg_has_no_files(NULL, &none), SPG_INVALID_ARGUMENT);
    CHECK(!none);
    EXPECT(spg_has_no_files(store, NULL), SPG_INVALID_ARGUMENT);
    EXPECT(spg_fix_file_update_time(NULL, false, 0), SPG_INVALID_ARGUMENT);
    spg_store_free(store);
}

static void test_split_file_references(void) {
    spg_store *store = new_table();
    OK(spg_initialise(store));
    spg_file_reference file1 = reference("file1", "root", 1000);
    OK(spg_add_file(store, &file1));
    OK(spg_atomically_update_partition_and_create_new_ones(store, &split_root_p, &left_p, &right_p));

    spg_split_file_reference_request *request = (spg_split_file_reference_request *)1;
    EXPECT(spg_split_file_to_child_partitions(NULL, "L", "R", &request), SPG_INVALID_ARGUMENT);
    CHECK(request == NULL);
    EXPECT(spg_split_file_to_child_partitions(&file1, NULL, "R", &request), SPG_INVALID_ARGUMENT);
    EXPECT(spg_split_file_to_child_partitions(&file1, "L", BAD_UTF8, &request), SPG_INVALID_ARGUMENT);
    EXPECT(spg_split_file_to_child_partitions(&file1, "L", "R", NULL), SPG_INVALID_ARGUMENT);
    OK(spg_split_file_to_child_partitions(&file1, "L", "R", &request));
    CHECK(request && request->new_reference_count == 2);
    if (request && request->new_reference_count == 2) {
        CHECK_STR(request->old_reference.filename, "file1");
        CHECK_STR(request->new_references[0].partition_id, "L");
        CHECK_STR(request->new_references[1].partition_id, "R");
        CHECK(request->new_references[0].number_of_rows == 500);
        CHECK(request->new_references[0].count_approximate);
        CHECK(!request->new_references[0].only_contains_data_for_this_partition);
    }
    OK(spg_split_file_references(store, request, 1));

    /* The same split again fails with the first request's error as its cause. */
    EXPECT(spg_split_file_references(store, request, 1), SPG_SPLIT_REQUESTS_FAILED);
    CHECK_STR(spg_last_error_message(), "1 split requests failed to update the state store");
    EXPECT(spg_last_error_cause(), SPG_FILE_REFERENCE_NOT_FOUND);
    CHECK_STR(spg_last_error_cause_message(), "File reference not found in partition root, filename file1");
    CHECK_SQLSTATE("");
    spg_split_file_reference_request_free(request);
    spg_split_file_reference_request_free(NULL);

    /* Malformed requests; a failure without a cause clears the last one's. */
    spg_file_reference on_r = reference("file1", "R", 1);
    spg_split_file_reference_request null_new = {on_r, NULL, 2};
    EXPECT(spg_split_file_references(store, &null_new, 1), SPG_INVALID_ARGUMENT);
    CHECK_MESSAGE("requests[0].new_references is NULL but its count is 2");
    CHECK(spg_last_error_cause() == SPG_OK);
    CHECK_STR(spg_last_error_cause_message(), "");
    spg_split_file_reference_request null_old = {reference(NULL, "R", 1), &on_r, 1};
    EXPECT(spg_split_file_references(store, &null_old, 1), SPG_INVALID_ARGUMENT);
    CHECK_MESSAGE("requests[0].old_reference.filename must not be NULL");
    EXPECT(spg_split_file_references(store, NULL, 1), SPG_INVALID_ARGUMENT);
    EXPECT(spg_split_file_references(NULL, &null_new, 1), SPG_INVALID_ARGUMENT);

    spg_file_reference_list *refs = NULL;
    OK(spg_get_file_references(store, &refs));
    CHECK(refs && refs->count == 2);
    spg_file_reference_list_free(refs);
    spg_store_free(store);
}

static void test_assign_and_check_jobs(void) {
    spg_store *store = split_table();
    spg_file_reference files[] = {reference("a", "L", 1), reference("b", "L", 1), reference("c", "R", 1)};
    OK(spg_add_files(store, files, 3));
    const char *ab[] = {"a", "b"}, *c[] = {"c"};
    spg_assign_job_id_request request = {"job1", "L", ab, 2};
    bool assigned = true;
    OK(spg_is_partition_files_assigned_to_job(store, "L", ab, 2, "job1", &assigned));
    CHECK(!assigned);
    OK(spg_assign_job_ids(store, &request, 1));
    OK(spg_is_partition_files_assigned_to_job(store, "L", ab, 2, "job1", &assigned));
    CHECK(assigned);
    /* On failure the bool result is false. */
    EXPECT(spg_is_partition_files_assigned_to_job(store, "L", c, 1, "job1", &assigned),
           SPG_FILE_REFERENCE_NOT_FOUND);
    CHECK(!assigned);

    spg_file_reference_list *unassigned = NULL;
    OK(spg_get_file_references_with_no_job_id(store, &unassigned));
    CHECK(unassigned && unassigned->count == 1 && find_reference(unassigned, "c", "R"));
    spg_file_reference_list_free(unassigned);
    spg_file_reference_list *all = NULL;
    OK(spg_get_file_references(store, &all));
    const spg_file_reference *a = find_reference(all, "a", "L");
    CHECK(a && a->job_id && strcmp(a->job_id, "job1") == 0);
    spg_file_reference_list_free(all);

    /* Malformed input. */
    const char *with_null[] = {"a", NULL};
    spg_assign_job_id_request bad = {"job3", "R", with_null, 2};
    EXPECT(spg_assign_job_ids(store, &bad, 1), SPG_INVALID_ARGUMENT);
    CHECK_MESSAGE("requests[0].filenames[1] must not be NULL");
    bad.filenames = NULL;
    EXPECT(spg_assign_job_ids(store, &bad, 1), SPG_INVALID_ARGUMENT);
    bad.filenames = c;
    bad.filename_count = 1;
    bad.job_id = NULL;
    EXPECT(spg_assign_job_ids(store, &bad, 1), SPG_INVALID_ARGUMENT);
    CHECK_MESSAGE("requests[0].job_id must not be NULL");
    bad.job_id = "job3";
    bad.partition_id = BAD_UTF8;
    EXPECT(spg_assign_job_ids(store, &bad, 1), SPG_INVALID_ARGUMENT);
    EXPECT(spg_assign_job_ids(store, NULL, 1), SPG_INVALID_ARGUMENT);
    EXPECT(spg_assign_job_ids(NULL, &request, 1), SPG_INVALID_ARGUMENT);
    EXPECT(spg_is_partition_files_assigned_to_job(NULL, "L", ab, 2, "job1", &assigned), SPG_INVALID_ARGUMENT);
    EXPECT(spg_is_partition_files_assigned_to_job(store, NULL, ab, 2, "job1", &assigned), SPG_INVALID_ARGUMENT);
    EXPECT(spg_is_partition_files_assigned_to_job(store, "L", NULL, 2, "job1", &assigned), SPG_INVALID_ARGUMENT);
    EXPECT(spg_is_partition_files_assigned_to_job(store, "L", with_null, 2, "job1", &assigned),
           SPG_INVALID_ARGUMENT);
    EXPECT(spg_is_partition_files_assigned_to_job(store, "L", ab, 2, NULL, &assigned), SPG_INVALID_ARGUMENT);
    EXPECT(spg_is_partition_files_assigned_to_job(store, "L", ab, 2, "job1", NULL), SPG_INVALID_ARGUMENT);
    EXPECT(spg_get_file_references(NULL, &all), SPG_INVALID_ARGUMENT);
    EXPECT(spg_get_file_references(store, NULL), SPG_INVALID_ARGUMENT);
    EXPECT(spg_get_file_references_with_no_job_id(NULL, &all), SPG_INVALID_ARGUMENT);
    EXPECT(spg_get_file_references_with_no_job_id(store, NULL), SPG_INVALID_ARGUMENT);
    spg_file_reference_list_free(NULL);
    spg_store_free(store);
}

static void test_replace_file_references(void) {
    spg_store *store = split_table();
    spg_file_reference inputs[] = {reference("in1", "L", 1), reference("in2", "L", 2)};
    OK(spg_add_files(store, inputs, 2));
    const char *both[] = {"in1", "in2"};
    spg_assign_job_id_request assign = {"job1", "L", both, 2};
    OK(spg_assign_job_ids(store, &assign, 1));

    spg_replace_file_references_request commit = {"job1", "L", both, 2, reference("out", "L", 3)};
    OK(spg_fix_file_update_time(store, true, at_minute(3)));
    OK(spg_atomically_replace_file_references_with_new_ones(store, &commit, 1));
    /* Committing again fails with the first request's error as its cause. */
    EXPECT(spg_atomically_replace_file_references_with_new_ones(store, &commit, 1), SPG_REPLACE_REQUESTS_FAILED);
    CHECK_STR(spg_last_error_message(), "1 replace file reference requests failed to update the state store");
    EXPECT(spg_last_error_cause(), SPG_FILE_REFERENCE_NOT_FOUND);
    CHECK_STR(spg_last_error_cause_message(), "File reference not found in partition L, filename in1");

    /* Malformed requests. */
    spg_replace_file_references_request bad = commit;
    bad.input_files = NULL;
    EXPECT(spg_atomically_replace_file_references_with_new_ones(store, &bad, 1), SPG_INVALID_ARGUMENT);
    CHECK_MESSAGE("requests[0].input_files is NULL but its count is 2");
    bad = commit;
    bad.job_id = NULL;
    EXPECT(spg_atomically_replace_file_references_with_new_ones(store, &bad, 1), SPG_INVALID_ARGUMENT);
    bad = commit;
    bad.partition_id = BAD_UTF8;
    EXPECT(spg_atomically_replace_file_references_with_new_ones(store, &bad, 1), SPG_INVALID_ARGUMENT);
    bad = commit;
    bad.new_reference.filename = NULL;
    EXPECT(spg_atomically_replace_file_references_with_new_ones(store, &bad, 1), SPG_INVALID_ARGUMENT);
    CHECK_MESSAGE("requests[0].new_reference.filename must not be NULL");
    EXPECT(spg_atomically_replace_file_references_with_new_ones(store, NULL, 1), SPG_INVALID_ARGUMENT);
    EXPECT(spg_atomically_replace_file_references_with_new_ones(NULL, &commit, 1), SPG_INVALID_ARGUMENT);

    spg_file_reference_list *refs = NULL;
    OK(spg_get_file_references(store, &refs));
    CHECK(refs && refs->count == 1);
    const spg_file_reference *out = find_reference(refs, "out", "L");
    CHECK(out && out->number_of_rows == 3 && out->job_id == NULL && out->last_update_time_ms == at_minute(3));
    spg_file_reference_list_free(refs);
    spg_store_free(store);
}

static void test_garbage_collection(void) {
    spg_store *store = split_table();
    spg_all_references_to_a_file unreferenced[] = {{"gone", NULL, 0, false, 0}, {"also", NULL, 0, false, 0}};
    OK(spg_fix_file_update_time(store, true, at_minute(0)));
    OK(spg_add_files_with_references(store, unreferenced, 2));

    const char *ready_names[] = {"also", "gone"};
    spg_string_list *ready = (spg_string_list *)1;
    OK(spg_get_ready_for_gc_filenames_before(store, at_minute(1), &ready));
    CHECK(string_list_equals(ready, ready_names, 2));
    spg_string_list_free(ready);
    EXPECT(spg_get_ready_for_gc_filenames_before(NULL, 0, &ready), SPG_INVALID_ARGUMENT);
    CHECK(ready == NULL);
    EXPECT(spg_get_ready_for_gc_filenames_before(store, 0, NULL), SPG_INVALID_ARGUMENT);

    OK(spg_delete_garbage_collected_file_reference_counts(store, ready_names, 2));
    OK(spg_delete_garbage_collected_file_reference_counts(store, NULL, 0));
    EXPECT(spg_delete_garbage_collected_file_reference_counts(store, NULL, 1), SPG_INVALID_ARGUMENT);
    const char *bad[] = {BAD_UTF8};
    EXPECT(spg_delete_garbage_collected_file_reference_counts(store, bad, 1), SPG_INVALID_ARGUMENT);
    CHECK_MESSAGE("filenames[0] is not valid UTF-8");
    EXPECT(spg_delete_garbage_collected_file_reference_counts(NULL, ready_names, 1), SPG_INVALID_ARGUMENT);
    bool none = false;
    OK(spg_has_no_files(store, &none));
    CHECK(none);
    spg_string_list_free(NULL);
    spg_store_free(store);
}

/* Reads of part of a table: on partitions named, and in a region (both ends of its ranges included). */
static void test_region_reads(void) {
    spg_store *store = split_table();
    spg_file_reference refs[] = {reference("f1", "L", 1), reference("f1", "R", 1), reference("f2", "R", 1)};
    OK(spg_add_files(store, refs, 3));

    const char *right_only[] = {"R"};
    spg_file_reference_list *on = NULL;
    OK(spg_get_file_references_on_partitions(store, right_only, 1, &on));
    CHECK(on && on->count == 2);
    if (on && on->count == 2) {
        CHECK_STR(on->references[0].filename, "f1");
        CHECK_STR(on->references[1].filename, "f2");
    }
    spg_file_reference_list_free(on);
    const char *unknown[] = {"nowhere"};
    EXPECT(spg_get_file_references_on_partitions(store, unknown, 1, &on), SPG_PARTITION_NOT_FOUND);
    CHECK(on == NULL);
    EXPECT(spg_get_file_references_on_partitions(store, NULL, 1, &on), SPG_INVALID_ARGUMENT);

    spg_partition_files_map *map = NULL;
    OK(spg_get_partition_to_referenced_files_map_on_partitions(store, right_only, 1, &map));
    CHECK(map && map->count == 1 && map->entries[0].filename_count == 2);
    spg_partition_files_map_free(map);

    spg_range at_split = {"key", long_value(99), true, long_value(100)};
    spg_partition_list *partitions = NULL;
    OK(spg_get_partitions_in_region(store, &at_split, 1, &partitions));
    CHECK(partitions && partitions->count == 3);
    spg_partition_list_free(partitions);
    spg_range above = {"key", long_value(200), false, {0}};
    map = NULL;
    OK(spg_get_partition_to_referenced_files_map_in_region(store, &above, 1, &map));
    CHECK(map && map->count == 1);
    if (map && map->count == 1) CHECK_STR(map->entries[0].partition_id, "R");
    spg_partition_files_map_free(map);
    spg_range reversed = {"key", long_value(5), true, long_value(4)};
    EXPECT(spg_get_partitions_in_region(store, &reversed, 1, &partitions), SPG_INVALID_ARGUMENT);
    CHECK(partitions == NULL);
    EXPECT(spg_get_partitions_in_region(store, NULL, 1, &partitions), SPG_INVALID_ARGUMENT);
    EXPECT(spg_get_partition_to_referenced_files_map_in_region(NULL, &above, 1, &map), SPG_INVALID_ARGUMENT);
    spg_store_free(store);
}

/* Reads every batch of an Arrow stream and releases it; the rows it held, or -1 on a stream error. */
static int64_t arrow_rows(struct ArrowArrayStream *stream, const char *first_column) {
    int64_t rows = 0;
    struct ArrowSchema schema;
    if (stream->get_schema(stream, &schema) != 0) return -1;
    if (first_column) CHECK(schema.n_children > 0 && strcmp(schema.children[0]->name, first_column) == 0);
    schema.release(&schema);
    for (;;) {
        struct ArrowArray array;
        if (stream->get_next(stream, &array) != 0) {
            rows = -1;
            break;
        }
        if (array.release == NULL) break; /* the end of the stream */
        rows += array.length;
        array.release(&array);
    }
    stream->release(stream);
    return rows;
}

/* Reads as Arrow C streams: the caller's stream is filled, read, and released by the caller. */
static void test_arrow_reads(void) {
    spg_store *store = split_table();
    spg_file_reference refs[] = {reference("f1", "L", 1), reference("f1", "R", 1), reference("f2", "R", 1)};
    OK(spg_add_files(store, refs, 3));

    struct ArrowArrayStream stream;
    OK(spg_get_file_references_arrow(store, &stream));
    CHECK(arrow_rows(&stream, "filename") == 3);
    const char *right_only[] = {"R"};
    OK(spg_get_file_references_on_partitions_arrow(store, right_only, 1, &stream));
    CHECK(arrow_rows(&stream, "filename") == 2);
    spg_range above = {"key", long_value(200), false, {0}};
    OK(spg_get_file_references_in_region_arrow(store, &above, 1, &stream));
    CHECK(arrow_rows(&stream, "filename") == 2);
    OK(spg_get_partitions_arrow(store, &stream));
    CHECK(arrow_rows(&stream, "partition_id") == 3);
    OK(spg_get_partitions_in_region_arrow(store, &above, 1, &stream));
    CHECK(arrow_rows(&stream, "partition_id") == 2);

    const char *unknown[] = {"nowhere"};
    EXPECT(spg_get_file_references_on_partitions_arrow(store, unknown, 1, &stream), SPG_PARTITION_NOT_FOUND);
    CHECK(stream.release == NULL);
    EXPECT(spg_get_file_references_arrow(NULL, &stream), SPG_INVALID_ARGUMENT);
    CHECK(stream.release == NULL);
    EXPECT(spg_get_file_references_arrow(store, NULL), SPG_INVALID_ARGUMENT);
    EXPECT(spg_get_partitions_in_region_arrow(store, NULL, 1, &stream), SPG_INVALID_ARGUMENT);
    spg_store_free(store);
}

static void test_reports_and_maps(void) {
    spg_store *store = split_table();
    spg_file_reference refs[] = {reference("f1", "L", 1), reference("f1", "R", 1), reference("f2", "L", 1)};
    OK(spg_fix_file_update_time(store, true, at_minute(5)));
    OK(spg_add_files(store, refs, 3));
    spg_all_references_to_a_file unreferenced[] = {{"u1", NULL, 0, false, 0}, {"u2", NULL, 0, false, 0}};
    OK(spg_add_files_with_references(store, unreferenced, 2));

    spg_partition_files_map *map = (spg_partition_files_map *)1;
    OK(spg_get_partition_to_referenced_files_map(store, &map));
    CHECK(map && map->count == 2);
    if (map && map->count == 2) {
        const char *l_files[] = {"f1", "f2"};
        CHECK_STR(map->entries[0].partition_id, "L");
        CHECK(map->entries[0].filename_count == 2);
        for (size_t i = 0; i < 2 && map->entries[0].filename_count == 2; i++)
            CHECK_STR(map->entries[0].filenames[i], l_files[i]);
        CHECK_STR(map->entries[1].partition_id, "R");
        CHECK(map->entries[1].filename_count == 1);
    }
    spg_partition_files_map_free(map);
    EXPECT(spg_get_partition_to_referenced_files_map(NULL, &map), SPG_INVALID_ARGUMENT);
    CHECK(map == NULL);
    EXPECT(spg_get_partition_to_referenced_files_map(store, NULL), SPG_INVALID_ARGUMENT);
    spg_partition_files_map_free(NULL);

    spg_all_references_to_all_files *report = (spg_all_references_to_all_files *)1;
    OK(spg_get_all_files_with_max_unreferenced(store, 1, &report));
    CHECK(report && report->file_count == 3 && report->more_than_max);
    if (report && report->file_count == 3) {
        CHECK_STR(report->files[0].filename, "f1");
        CHECK(report->files[0].reference_count == 2);
        CHECK_STR(report->files[0].references[1].partition_id, "R");
        CHECK(report->files[0].references[1].last_update_time_ms == at_minute(5));
        CHECK(report->files[0].has_last_update_time && report->files[0].last_update_time_ms == at_minute(5));
        CHECK_STR(report->files[2].filename, "u1");
        CHECK(report->files[2].reference_count == 0 && report->files[2].references == NULL);
    }
    spg_all_references_to_all_files_free(report);
    EXPECT(spg_get_all_files_with_max_unreferenced(NULL, 1, &report), SPG_INVALID_ARGUMENT);
    CHECK(report == NULL);
    EXPECT(spg_get_all_files_with_max_unreferenced(store, 1, NULL), SPG_INVALID_ARGUMENT);
    spg_all_references_to_all_files_free(NULL);
    spg_store_free(store);
}

static void test_clearing(void) {
    spg_store *store = split_table();
    spg_file_reference r = reference("f", "L", 1);
    OK(spg_add_file(store, &r));
    OK(spg_clear_file_data(store));
    bool none = false;
    OK(spg_has_no_files(store, &none));
    CHECK(none);
    CHECK(partition_count(store, 0) == 3);

    OK(spg_add_file(store, &r));
    OK(spg_clear_sleeper_table(store));
    OK(spg_has_no_files(store, &none));
    CHECK(none);
    CHECK(partition_count(store, 0) == 0);
    EXPECT(spg_clear_file_data(NULL), SPG_INVALID_ARGUMENT);
    EXPECT(spg_clear_sleeper_table(NULL), SPG_INVALID_ARGUMENT);
    spg_store_free(store);
}

/* ------------------------------------------------------------------------------------------------ */
/* Sleeper v0.36 operations (docs/sleeper-transactions.md)                                          */
/* ------------------------------------------------------------------------------------------------ */

static void test_split_partition(void) {
    spg_store *store = new_table();
    OK(spg_initialise(store));
    spg_partition children[] = {left_p, right_p};
    OK(spg_split_partition(store, &split_root_p, children, 2));
    CHECK(partition_count(store, 0) == 3);
    CHECK(partition_count(store, 1) == 2);
    spg_store_free(store);
}

/* A plain StateStoreException with a cause gives the cause; the next one without a cause clears it. */
static void test_a_state_store_error_has_its_cause_or_none(void) {
    spg_store *store = new_table();
    OK(spg_initialise(store));
    EXPECT(spg_split_partition(store, &split_root_p, &left_p, 1), SPG_STATE_STORE);
    CHECK_STR(spg_last_error_message(), "Failed to validate partition split: Expected 2 child partitions under root, "
                                         "left and right of split point, found 1");
    EXPECT(spg_last_error_cause(), SPG_INVALID_ARGUMENT);
    CHECK_STR(spg_last_error_cause_message(),
              "Expected 2 child partitions under root, left and right of split point, found 1");
    spg_partition ghost = split_root_p;
    ghost.id = "ghost";
    EXPECT(spg_extend_partition_tree(store, &ghost, 1, NULL, 0), SPG_STATE_STORE);
    CHECK_STR(spg_last_error_message(), "Attempted to update a partition which does not exist: ghost");
    EXPECT(spg_last_error_cause(), SPG_OK);
    CHECK_STR(spg_last_error_cause_message(), "");
    spg_store_free(store);
}

static void test_split_partition_arguments(void) {
    spg_store *store = new_table();
    OK(spg_initialise(store));
    spg_partition children[] = {left_p, right_p};
    EXPECT(spg_split_partition(NULL, &split_root_p, children, 2), SPG_INVALID_ARGUMENT);
    CHECK_MESSAGE("store must not be NULL");
    EXPECT(spg_split_partition(store, NULL, children, 2), SPG_INVALID_ARGUMENT);
    CHECK_MESSAGE("parent must not be NULL");
    EXPECT(spg_split_partition(store, &split_root_p, NULL, 2), SPG_INVALID_ARGUMENT);
    CHECK_MESSAGE("new_children is NULL but its count is 2");
    children[1].id = NULL;
    EXPECT(spg_split_partition(store, &split_root_p, children, 2), SPG_INVALID_ARGUMENT);
    CHECK_MESSAGE("new_children[1].id must not be NULL");
    children[1] = right_p;
    children[1].parent_partition_id = BAD_UTF8;
    EXPECT(spg_split_partition(store, &split_root_p, children, 2), SPG_INVALID_ARGUMENT);
    CHECK(partition_count(store, 0) == 1);
    spg_store_free(store);
}

/* L of split_root_p split at 50 into LL and LR. */
static spg_range below_50, from_50_to_100;
static const char *const LL_LR[] = {"LL", "LR"};
static spg_partition split_left_p, left_left_p, left_right_p;

static void init_second_level(void) {
    spg_range below = {"key", long_value(INT64_MIN), true, long_value(50)};
    spg_range above = {"key", long_value(50), true, long_value(100)};
    below_50 = below;
    from_50_to_100 = above;
    split_left_p = left_p;
    split_left_p.is_leaf_partition = false;
    split_left_p.child_partition_ids = LL_LR;
    split_left_p.child_partition_id_count = 2;
    split_left_p.dimension = 0;
    spg_partition ll = {"LL", &below_50, 1, true, "L", NULL, 0, -1};
    spg_partition lr = {"LR", &from_50_to_100, 1, true, "L", NULL, 0, -1};
    left_left_p = ll;
    left_right_p = lr;
}

static void test_extend_partition_tree(void) {
    spg_store *store = new_table();
    OK(spg_initialise(store));
    spg_partition added[] = {split_left_p, right_p, left_left_p, left_right_p};
    OK(spg_extend_partition_tree(store, &split_root_p, 1, added, 4));
    CHECK(partition_count(store, 0) == 5);
    CHECK(partition_count(store, 1) == 3);
    spg_store_free(store);
}

static void test_extend_partition_tree_arguments(void) {
    spg_store *store = new_table();
    OK(spg_initialise(store));
    OK(spg_extend_partition_tree(store, NULL, 0, NULL, 0)); /* an empty call */
    EXPECT(spg_extend_partition_tree(NULL, &split_root_p, 1, &left_p, 1), SPG_INVALID_ARGUMENT);
    EXPECT(spg_extend_partition_tree(store, NULL, 1, &left_p, 1), SPG_INVALID_ARGUMENT);
    CHECK_MESSAGE("update is NULL but its count is 1");
    EXPECT(spg_extend_partition_tree(store, &split_root_p, 1, NULL, 2), SPG_INVALID_ARGUMENT);
    CHECK_MESSAGE("added is NULL but its count is 2");
    spg_partition added[] = {left_p, right_p};
    added[0].id = BAD_UTF8;
    EXPECT(spg_extend_partition_tree(store, &split_root_p, 1, added, 2), SPG_INVALID_ARGUMENT);
    CHECK_MESSAGE("added[0].id is not valid UTF-8");
    spg_partition update = split_root_p;
    update.ranges = NULL;
    added[0] = left_p;
    EXPECT(spg_extend_partition_tree(store, &update, 1, added, 2), SPG_INVALID_ARGUMENT);
    CHECK_MESSAGE("update[0].ranges is NULL but its count is 1");
    CHECK(partition_count(store, 0) == 1);
    spg_store_free(store);
}

/* A split table with a and b on L assigned to job1, c on R with no job. */
static spg_store *table_with_assignments(void) {
    spg_store *store = split_table();
    spg_file_reference files[] = {reference("a", "L", 1), reference("b", "L", 1), reference("c", "R", 1)};
    OK(spg_add_files(store, files, 3));
    const char *ab[] = {"a", "b"};
    spg_assign_job_id_request assign = {"job1", "L", ab, 2};
    OK(spg_assign_job_ids(store, &assign, 1));
    return store;
}

static void test_is_assigned(void) {
    spg_store *store = table_with_assignments();
    const char *ab[] = {"a", "b"}, *c[] = {"c"};
    spg_check_file_assignments_request requests[] = {{"job1", ab, 2, "L"}, {"job1", c, 1, "R"}};
    bool assigned = false;
    OK(spg_is_assigned(store, requests, 1, &assigned));
    CHECK(assigned);
    OK(spg_is_assigned(store, requests, 2, &assigned)); /* c has no job */
    CHECK(!assigned);
    /* On failure the bool result is false. */
    spg_check_file_assignments_request other_job = {"job2", ab, 1, "L"};
    assigned = true;
    EXPECT(spg_is_assigned(store, &other_job, 1, &assigned), SPG_FILE_REFERENCE_ASSIGNED_TO_JOB);
    CHECK(!assigned);
    spg_store_free(store);
}

static void test_is_assigned_arguments(void) {
    spg_store *store = table_with_assignments();
    const char *a[] = {"a"}, *with_null[] = {"a", NULL};
    spg_check_file_assignments_request request = {"job1", a, 1, "L"};
    bool assigned = true;
    EXPECT(spg_is_assigned(NULL, &request, 1, &assigned), SPG_INVALID_ARGUMENT);
    CHECK(!assigned);
    EXPECT(spg_is_assigned(store, &request, 1, NULL), SPG_INVALID_ARGUMENT);
    EXPECT(spg_is_assigned(store, NULL, 1, &assigned), SPG_INVALID_ARGUMENT);
    CHECK_MESSAGE("requests is NULL but its count is 1");
    spg_check_file_assignments_request bad = request;
    bad.job_id = NULL;
    EXPECT(spg_is_assigned(store, &bad, 1, &assigned), SPG_INVALID_ARGUMENT);
    CHECK_MESSAGE("requests[0].job_id must not be NULL");
    bad = request;
    bad.partition_id = BAD_UTF8;
    EXPECT(spg_is_assigned(store, &bad, 1, &assigned), SPG_INVALID_ARGUMENT);
    CHECK_MESSAGE("requests[0].partition_id is not valid UTF-8");
    bad = request;
    bad.filenames = with_null;
    bad.filename_count = 2;
    EXPECT(spg_is_assigned(store, &bad, 1, &assigned), SPG_INVALID_ARGUMENT);
    CHECK_MESSAGE("requests[0].filenames[1] must not be NULL");
    bad.filenames = NULL;
    EXPECT(spg_is_assigned(store, &bad, 1, &assigned), SPG_INVALID_ARGUMENT);
    spg_store_free(store);
}

/* Transactions as Sleeper's TransactionSerDe writes them. */
#define FILE_ON_ROOT_JSON(name)                                                                  \
    "{\"filename\":\"" name "\",\"references\":[{\"partitionId\":\"root\",\"numberOfRows\":5," \
    "\"countApproximate\":false,\"onlyContainsDataForThisPartition\":true}]}"
#define JOB_JSON(job, inputs, output)                                                         \
    "{\"jobId\":\"" job "\",\"inputFiles\":[" inputs "],\"newReference\":{\"filename\":\"" output \
    "\",\"partitionId\":\"root\",\"numberOfRows\":10,\"countApproximate\":false,"              \
    "\"onlyContainsDataForThisPartition\":true}}"

/* Four compaction jobs: 0 and 3 valid, 1 names a reference job 0 removed, 2 names c with job3. */
static const char *const BATCH_JSON =
    "{\"jobs\":[" JOB_JSON("job1", "\"a\",\"b\"", "ab") "," JOB_JSON("job1", "\"a\"", "again") ","
    JOB_JSON("job3", "\"c\"", "c3") "," JOB_JSON("job2", "\"c\"", "c2") "]}";

static spg_status apply(spg_store *store, const char *type, const char *json, bool synchronous,
                        spg_transaction_outcome **out) {
    return spg_apply_transaction(store, type, json, strlen(json), synchronous, out);
}

/* A table with a, b, c on the root, a and b assigned to job1, c to job2. */
static spg_store *table_with_jobs(void) {
    spg_store *store = new_table();
    OK(spg_initialise(store));
    spg_file_reference files[] = {reference("a", "root", 1), reference("b", "root", 1), reference("c", "root", 1)};
    OK(spg_add_files(store, files, 3));
    const char *ab[] = {"a", "b"}, *c[] = {"c"};
    spg_assign_job_id_request assign[] = {{"job1", "root", ab, 2}, {"job2", "root", c, 1}};
    OK(spg_assign_job_ids(store, assign, 2));
    return store;
}

/* The filenames referenced, in order, joined by spaces. */
static void referenced_files(const spg_store *store, char *buffer, size_t size) {
    buffer[0] = '\0';
    spg_file_reference_list *refs = NULL;
    OK(spg_get_file_references(store, &refs));
    for (size_t i = 0; refs && i < refs->count; i++) {
        size_t used = strlen(buffer);
        snprintf(buffer + used, size - used, "%s%s", i ? " " : "", refs->references[i].filename);
    }
    spg_file_reference_list_free(refs);
}

static void test_apply_transaction_synchronously(void) {
    spg_store *store = new_table();
    OK(spg_initialise(store));
    spg_transaction_outcome *outcome = NULL;
    OK(apply(store, "ADD_FILES", "{\"files\":[" FILE_ON_ROOT_JSON("f1") "]}", true, &outcome));
    CHECK(outcome && outcome->failure_count == 0 && outcome->failures == NULL);
    spg_transaction_outcome_free(outcome);
    char files[256];
    referenced_files(store, files, sizeof files);
    CHECK_STR(files, "f1");
    spg_store_free(store);
}

static void test_apply_transaction_asynchronously_lists_skipped_jobs(void) {
    spg_store *store = table_with_jobs();
    spg_transaction_outcome *outcome = NULL;
    OK(apply(store, "REPLACE_FILE_REFERENCES", BATCH_JSON, false, &outcome));
    CHECK(outcome && outcome->failure_count == 2);
    if (outcome && outcome->failure_count == 2) {
        CHECK(outcome->failures[0].index == 1);
        CHECK(outcome->failures[0].status == SPG_FILE_REFERENCE_NOT_FOUND);
        CHECK_STR(outcome->failures[0].message, "File reference not found in partition root, filename a");
        CHECK(outcome->failures[1].index == 2);
        CHECK(outcome->failures[1].status == SPG_FILE_REFERENCE_NOT_ASSIGNED_TO_JOB);
        CHECK_STR(outcome->failures[1].message,
                  "Reference to file is not assigned to job job3, in partition root, filename c");
    }
    spg_transaction_outcome_free(outcome);
    char files[256];
    referenced_files(store, files, sizeof files);
    CHECK_STR(files, "ab c2");
    spg_store_free(store);
}

static void test_apply_transaction_reads_exactly_json_len_bytes(void) {
    spg_store *store = new_table();
    OK(spg_initialise(store));
    spg_file_reference f = reference("f", "root", 1);
    OK(spg_add_file(store, &f));
    /* Not NUL-terminated: the bytes after the two of "{}" are not JSON. */
    const char body[4] = {'{', '}', 'x', 'y'};
    spg_transaction_outcome *outcome = NULL;
    OK(spg_apply_transaction(store, "CLEAR_FILES", body, 2, false, &outcome));
    spg_transaction_outcome_free(outcome);
    bool none = false;
    OK(spg_has_no_files(store, &none));
    CHECK(none);
    spg_store_free(store);
}

static void test_apply_transaction_arguments(void) {
    spg_store *store = new_table();
    OK(spg_initialise(store));
    const char *json = "{\"files\":[" FILE_ON_ROOT_JSON("f1") "]}";
    spg_transaction_outcome *outcome = (spg_transaction_outcome *)1;
    EXPECT(apply(NULL, "ADD_FILES", json, true, &outcome), SPG_INVALID_ARGUMENT);
    CHECK(outcome == NULL);
    EXPECT(apply(store, "ADD_FILES", json, true, NULL), SPG_INVALID_ARGUMENT);
    outcome = (spg_transaction_outcome *)1;
    EXPECT(apply(store, NULL, json, true, &outcome), SPG_INVALID_ARGUMENT);
    CHECK(outcome == NULL);
    CHECK_MESSAGE("transaction_type must not be NULL");
    EXPECT(apply(store, BAD_UTF8, json, true, &outcome), SPG_INVALID_ARGUMENT);
    CHECK_MESSAGE("transaction_type is not valid UTF-8");
    EXPECT(spg_apply_transaction(store, "ADD_FILES", NULL, 5, true, &outcome), SPG_INVALID_ARGUMENT);
    CHECK_MESSAGE("json is NULL but its count is 5");
    /* Malformed JSON is core's to refuse, invalid UTF-8 in it included. */
    EXPECT(apply(store, "ADD_FILES", "{\"files\":[{\"filename\":\"\xff\"}]}", true, &outcome), SPG_INVALID_ARGUMENT);
    CHECK(outcome == NULL);
    spg_transaction_outcome_free(NULL);
    bool none = false;
    OK(spg_has_no_files(store, &none));
    CHECK(none);
    spg_store_free(store);
}

/* A log file of its own: `path` receives its name (remove it with unlink). */
static int write_log(char *path, size_t size, const char *content) {
    const char *dir = getenv("TMPDIR");
    snprintf(path, size, "%s/spg-log-XXXXXX", dir && *dir ? dir : "/tmp");
    int fd = mkstemp(path);
    if (fd < 0) {
        FAIL("mkstemp %s: %s", path, strerror(errno));
        return 0;
    }
    size_t length = strlen(content);
    ssize_t written = write(fd, content, length);
    close(fd);
    if (written != (ssize_t)length) {
        FAIL("could not write %s", path);
        return 0;
    }
    return 1;
}

struct progress {
    int calls;
    int in_order; /* every call had the next entry and more bytes */
    uint64_t entries, bytes;
};

static void count_progress(uint64_t entries, uint64_t bytes, void *context) {
    struct progress *p = context;
    p->calls++;
    if (entries != (uint64_t)p->calls || bytes <= p->bytes) p->in_order = 0;
    p->entries = entries;
    p->bytes = bytes;
}

#define ADD_ENTRY(time, files) \
    "{\"updateTime\":" #time ",\"transactionType\":\"ADD_FILES\",\"transaction\":{\"files\":[" files "]}}\n"

static void test_apply_transaction_log_reports_progress_after_each_entry(void) {
    spg_store *store = new_table();
    OK(spg_initialise(store));
    const char *log = ADD_ENTRY(1704103260000, FILE_ON_ROOT_JSON("f1")) "\n"
        "{\"transactionNumber\":2,\"transactionType\":\"ASSIGN_JOB_IDS\",\"transaction\":"
        "{\"requests\":[{\"jobId\":\"job\",\"partitionId\":\"root\",\"filenames\":[\"f1\"]}]}}\n"
        ADD_ENTRY(1704103320000, FILE_ON_ROOT_JSON("f2"));
    char path[256];
    if (write_log(path, sizeof path, log)) {
        struct progress progress = {0, 1, 0, 0};
        spg_log_replay *replay = NULL;
        OK(spg_apply_transaction_log(store, path, count_progress, &progress, &replay));
        CHECK(progress.calls == 3 && progress.in_order);
        CHECK(progress.entries == 3 && progress.bytes == strlen(log));
        CHECK(replay && replay->entries == 3 && replay->failure_count == 0 && replay->failures == NULL);
        spg_log_replay_free(replay);
        unlink(path);
    }
    char files[256];
    referenced_files(store, files, sizeof files);
    CHECK_STR(files, "f1 f2");
    spg_store_free(store);
}

static void test_apply_transaction_log_lists_skipped_parts_by_entry(void) {
    spg_store *store = new_table();
    OK(spg_initialise(store));
    /* The second ingest names f1, which the first added: skipped whole, as Sleeper's committer does. */
    const char *log = ADD_ENTRY(1704103260000, FILE_ON_ROOT_JSON("f1"))
        ADD_ENTRY(1704103320000, FILE_ON_ROOT_JSON("f2") "," FILE_ON_ROOT_JSON("f1"));
    char path[256];
    if (write_log(path, sizeof path, log)) {
        spg_log_replay *replay = NULL;
        OK(spg_apply_transaction_log(store, path, NULL, NULL, &replay)); /* no progress function */
        CHECK(replay && replay->entries == 2 && replay->failure_count == 1);
        if (replay && replay->failure_count == 1) {
            CHECK(replay->failures[0].entry == 2 && replay->failures[0].index == 1);
            CHECK(replay->failures[0].status == SPG_FILE_ALREADY_EXISTS);
            CHECK_STR(replay->failures[0].message, "File already exists: f1");
        }
        spg_log_replay_free(replay);
        unlink(path);
    }
    spg_store_free(store);
}

static void test_apply_transaction_log_arguments(void) {
    spg_store *store = new_table();
    OK(spg_initialise(store));
    char path[256];
    if (write_log(path, sizeof path, ADD_ENTRY(1704103260000, FILE_ON_ROOT_JSON("f1")))) {
        spg_log_replay *replay = (spg_log_replay *)1;
        EXPECT(spg_apply_transaction_log(NULL, path, NULL, NULL, &replay), SPG_INVALID_ARGUMENT);
        CHECK(replay == NULL);
        EXPECT(spg_apply_transaction_log(store, path, NULL, NULL, NULL), SPG_INVALID_ARGUMENT);
        EXPECT(spg_apply_transaction_log(store, NULL, NULL, NULL, &replay), SPG_INVALID_ARGUMENT);
        CHECK_MESSAGE("path must not be NULL");
        EXPECT(spg_apply_transaction_log(store, BAD_UTF8, NULL, NULL, &replay), SPG_INVALID_ARGUMENT);
        EXPECT(spg_apply_transaction_log(store, "/nonexistent/spg.log", NULL, NULL, &replay), SPG_INVALID_ARGUMENT);
        CHECK_MESSAGE("Could not open the transaction log /nonexistent/spg.log");
        CHECK(replay == NULL);
        spg_log_replay_free(NULL);
        unlink(path);
    }
    bool none = false;
    OK(spg_has_no_files(store, &none));
    CHECK(none);
    spg_store_free(store);
}

/* ------------------------------------------------------------------------------------------------ */
/* Threads                                                                                          */
/* ------------------------------------------------------------------------------------------------ */

#define FILES_PER_THREAD 20

struct worker {
    int index;
    spg_store *shared;      /* one store used by both threads */
    int failures;
    int own_errors_ok;      /* this thread's last error was its own */
    spg_status contended;   /* the status of adding the one contended filename */
};

static void *work(void *argument) {
    struct worker *w = argument;
    char id[96], name[64];
    unique_id(id, sizeof id, "thread");
    /* A table of its own through the shared client. */
    spg_store *own = NULL;
    if (spg_create_table(client, id, LONG_KEY, 1, &own) != SPG_OK || spg_initialise(own) != SPG_OK) w->failures++;
    for (int i = 0; i < FILES_PER_THREAD; i++) {
        snprintf(name, sizeof name, "t%d-file%d", w->index, i);
        spg_file_reference r = reference(name, "root", (uint64_t)i);
        if (spg_add_file(own, &r) != SPG_OK) w->failures++;
        if (spg_add_file(w->shared, &r) != SPG_OK) w->failures++;
        spg_partition *p = NULL;
        if (spg_get_partition(w->shared, "root", &p) != SPG_OK) w->failures++;
        spg_partition_free(p);
    }
    /* Both threads add the same filename: exactly one succeeds. */
    spg_file_reference same = reference("contended", "root", 1);
    w->contended = spg_add_file(w->shared, &same);
    /* An error of this thread's own: its message is not the other thread's. */
    char table[96];
    snprintf(table, sizeof table, "missing-%d", w->index);
    spg_store *missing = NULL;
    if (spg_table(client, table, &missing) == SPG_TABLE_NOT_FOUND) {
        char expected[160];
        snprintf(expected, sizeof expected, "Table not found with ID \"%s\"", table);
        for (int i = 0; i < 50; i++) {
            spg_string_list *tables = NULL;
            if (spg_list_tables(client, &tables) != SPG_OK) w->failures++;
            spg_string_list_free(tables);
        }
        w->own_errors_ok = strcmp(spg_last_error_message(), expected) == 0;
    }
    spg_file_reference_list *refs = NULL;
    if (spg_get_file_references(own, &refs) != SPG_OK || refs->count != FILES_PER_THREAD) w->failures++;
    spg_file_reference_list_free(refs);
    spg_store_free(own);
    return NULL;
}

static void test_two_threads_share_one_client(void) {
    spg_store *shared = new_table();
    OK(spg_initialise(shared));
    struct worker workers[2] = {{0, shared, 0, 0, -1}, {1, shared, 0, 0, -1}};
    pthread_t threads[2];
    for (int i = 0; i < 2; i++) CHECK(pthread_create(&threads[i], NULL, work, &workers[i]) == 0);
    for (int i = 0; i < 2; i++) CHECK(pthread_join(threads[i], NULL) == 0);
    for (int i = 0; i < 2; i++) {
        CHECK(workers[i].failures == 0);
        CHECK(workers[i].own_errors_ok);
    }
    CHECK((workers[0].contended == SPG_OK) != (workers[1].contended == SPG_OK));
    CHECK(workers[0].contended == SPG_FILE_ALREADY_EXISTS || workers[1].contended == SPG_FILE_ALREADY_EXISTS);
    spg_file_reference_list *refs = NULL;
    OK(spg_get_file_references(shared, &refs));
    CHECK(refs && refs->count == 2 * FILES_PER_THREAD + 1);
    spg_file_reference_list_free(refs);
    spg_store_free(shared);
}

/* ------------------------------------------------------------------------------------------------ */

int main(void) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    init_partitions();
    init_second_level();
    const char *from_environment = getenv("DATABASE_URL");
    if (from_environment && *from_environment) {
        database_url = strdup(from_environment);
    } else {
        if (spg_local_postgres_start(&local) != SPG_OK ||
            spg_local_postgres_url(local, &database_url) != SPG_OK) {
            fprintf(stderr, "could not start a local PostgreSQL cluster: %s\n", spg_last_error_message());
            printf("0 passed, 1 failed\n");
            return 1;
        }
        url_from_library = 1;
        /* Before any other thread of the library runs, so that spg_connect(NULL) finds it. */
        setenv("DATABASE_URL", database_url, 1);
    }
    if (spg_connect(database_url, &client) != SPG_OK) {
        fprintf(stderr, "could not connect: %s\n", spg_last_error_message());
        printf("0 passed, 1 failed\n");
        return 1;
    }

    run("status_names", test_status_names);
    run("last_error_is_per_thread_and_kept_by_successful_calls",
        test_last_error_is_per_thread_and_kept_by_successful_calls);
    run("local_postgres", test_local_postgres);
    run("local_postgres_with_options", test_local_postgres_with_options);
    run("reads_through_a_replica_of_a_local_cluster", test_reads_through_a_replica_of_a_local_cluster);
    run("connect_arguments", test_connect_arguments);
    run("client_options_default_is_all_zero", test_client_options_default_is_all_zero);
    run("connect_with_every_option_set", test_connect_with_every_option_set);
    run("connect_null_url_takes_database_url", test_connect_null_url_takes_database_url);
    run("connection_errors_and_their_sqlstate", test_connection_errors_and_their_sqlstate);
    run("store_outlives_its_client", test_store_outlives_its_client);
    run("create_table", test_create_table);
    run("create_table_arguments", test_create_table_arguments);
    run("table_list_and_delete", test_table_list_and_delete);
    run("initialise_and_get_partitions", test_initialise_and_get_partitions);
    run("update_partition_and_create_new_ones", test_update_partition_and_create_new_ones);
    run("initialise_with_partitions", test_initialise_with_partitions);
    run("clear_partition_data_and_partition_clock", test_clear_partition_data_and_partition_clock);
    run("partitions_from_split_points", test_partitions_from_split_points);
    run("key_types_round_trip", test_key_types_round_trip);
    run("add_files", test_add_files);
    run("add_files_arguments", test_add_files_arguments);
    run("store_status", test_store_status);
    run("client_stats_as_json", test_client_stats_as_json);
    run("change_feed_entries_come_back_in_order_with_their_types_and_json",
        test_change_feed_entries_come_back_in_order_with_their_types_and_json);
    run("change_feed_wait_is_given_another_clients_write", test_change_feed_wait_is_given_another_clients_write);
    run("change_feed_wait_with_nothing_written_returns_empty", test_change_feed_wait_with_nothing_written_returns_empty);
    run("change_feed_delete_through_n_removes_the_entries_up_to_n",
        test_change_feed_delete_through_n_removes_the_entries_up_to_n);
    run("change_feed_delete_past_the_last_numbered_entry_is_invalid_argument",
        test_change_feed_delete_past_the_last_numbered_entry_is_invalid_argument);
    run("change_feed_client_with_it_off_records_nothing", test_change_feed_client_with_it_off_records_nothing);
    run("change_feed_arguments", test_change_feed_arguments);
    run("split_file_references", test_split_file_references);
    run("assign_and_check_jobs", test_assign_and_check_jobs);
    run("replace_file_references", test_replace_file_references);
    run("garbage_collection", test_garbage_collection);
    run("a_filename_over_its_limit_is_invalid", test_a_filename_over_its_limit_is_invalid);
    run("reports_and_maps", test_reports_and_maps);
    run("region_reads", test_region_reads);
    run("arrow_reads", test_arrow_reads);
    run("clearing", test_clearing);
    run("split_partition", test_split_partition);
    run("a_state_store_error_has_its_cause_or_none", test_a_state_store_error_has_its_cause_or_none);
    run("split_partition_arguments", test_split_partition_arguments);
    run("extend_partition_tree", test_extend_partition_tree);
    run("extend_partition_tree_arguments", test_extend_partition_tree_arguments);
    run("is_assigned", test_is_assigned);
    run("is_assigned_arguments", test_is_assigned_arguments);
    run("apply_transaction_synchronously", test_apply_transaction_synchronously);
    run("apply_transaction_asynchronously_lists_skipped_jobs",
        test_apply_transaction_asynchronously_lists_skipped_jobs);
    run("apply_transaction_reads_exactly_json_len_bytes", test_apply_transaction_reads_exactly_json_len_bytes);
    run("apply_transaction_arguments", test_apply_transaction_arguments);
    run("apply_transaction_log_reports_progress_after_each_entry",
        test_apply_transaction_log_reports_progress_after_each_entry);
    run("apply_transaction_log_lists_skipped_parts_by_entry",
        test_apply_transaction_log_lists_skipped_parts_by_entry);
    run("apply_transaction_log_arguments", test_apply_transaction_log_arguments);
    run("two_threads_share_one_client", test_two_threads_share_one_client);

    spg_client_free(client);
    spg_local_postgres_free(local);
    if (url_from_library)
        spg_string_free(database_url);
    else
        free(database_url);
    printf("%d passed, %d failed\n", tests_passed, tests_failed);
    return tests_failed == 0 ? 0 : 1;
}
