/*
 * The cost of one spg_get_partition call: a loop of calls on one table, reporting microseconds per
 * call, beside the cost of a call refused before it reaches the database (the C layer alone).
 * Connects to DATABASE_URL, or without it to a throwaway local PostgreSQL cluster.
 *
 *   make -C examples/c bench [ITERATIONS=5000]
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "sleeper_pg.h"

#define CALL(call)                                                                                        \
    do {                                                                                                  \
        spg_status status_ = (call);                                                                      \
        if (status_ != SPG_OK) {                                                                          \
            fprintf(stderr, "%s failed: %s: %s\n", #call, spg_status_name(status_), spg_last_error_message()); \
            exit(1);                                                                                      \
        }                                                                                                 \
    } while (0)

static double now_us(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

int main(int argc, char **argv) {
    int iterations = argc > 1 ? atoi(argv[1]) : 5000;
    if (iterations <= 0) iterations = 5000;
    spg_client *client = NULL;
    CALL(spg_connect(NULL, &client));
    char table_id[64];
    snprintf(table_id, sizeof table_id, "c-bench-%ld", (long)getpid());
    spg_row_key_field row_keys[] = {{"key", SPG_KEY_LONG}};
    spg_store *store = NULL;
    CALL(spg_create_table(client, table_id, row_keys, 1, &store));
    CALL(spg_initialise(store));

    for (int i = 0; i < 200; i++) { /* warm up the pool and the prepared statement */
        spg_partition *p = NULL;
        CALL(spg_get_partition(store, "root", &p));
        spg_partition_free(p);
    }
    double start = now_us();
    for (int i = 0; i < iterations; i++) {
        spg_partition *p = NULL;
        CALL(spg_get_partition(store, "root", &p));
        spg_partition_free(p);
    }
    double per_call = (now_us() - start) / iterations;

    start = now_us();
    for (int i = 0; i < iterations; i++) {
        spg_partition *p = NULL;
        if (spg_get_partition(store, NULL, &p) != SPG_INVALID_ARGUMENT) exit(1);
    }
    double refused = (now_us() - start) / iterations;

    printf("spg_get_partition: %.1f us/call over %d calls\n", per_call, iterations);
    printf("spg_get_partition refused for a NULL id (no database): %.2f us/call\n", refused);
    spg_store_free(store);
    CALL(spg_delete_table(client, table_id));
    spg_client_free(client);
    return 0;
}
