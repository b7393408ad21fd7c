/*
 * The life of one Sleeper table through the C API: create it with a row key, initialise its
 * partitions from split points, add files, push a root file's reference down to the leaves, assign a
 * compaction job, commit it, and garbage-collect the file it left behind, printing the state as it
 * goes. Connects to DATABASE_URL, or without it to a throwaway local PostgreSQL cluster.
 *
 *   make -C examples/c run
 */
#define _POSIX_C_SOURCE 200809L
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sleeper_pg.h"

/* Stops the demo with the library's message when a call fails. */
#define CALL(call)                                                                         \
    do {                                                                                   \
        spg_status status_ = (call);                                                       \
        if (status_ != SPG_OK) {                                                           \
            fprintf(stderr, "%s failed: %s: %s\n", #call, spg_status_name(status_),        \
                    spg_last_error_message());                                             \
            exit(1);                                                                       \
        }                                                                                  \
    } while (0)

/* 2024-01-01T10:MM:00Z, in milliseconds since the epoch (UTC). */
static int64_t at_minute(int minute) { return INT64_C(1704103200000) + (int64_t)minute * 60000; }

static const char *format_time(bool has_time, int64_t ms, char *buffer, size_t size) {
    if (!has_time) return "-";
    time_t seconds = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&seconds, &tm);
    size_t n = strftime(buffer, size, "%H:%M:%S", &tm);
    snprintf(buffer + n, size - n, ".%03d", (int)(ms % 1000));
    return buffer;
}

static const char *format_key(const spg_key_value *key, char *buffer, size_t size) {
    if (key->key_type == SPG_KEY_LONG && key->int_value == INT64_MIN) return "MIN";
    snprintf(buffer, size, "%" PRId64, key->int_value);
    return buffer;
}

/* Partition ids are UUIDs: the first 8 characters are enough to tell them apart here. */
static const char *short_id(const char *id) {
    static char buffers[4][9];
    static int next;
    if (id == NULL) return "-";
    char *buffer = buffers[next++ % 4];
    snprintf(buffer, 9, "%s", id);
    return buffer;
}

static void print_partitions(const spg_store *store) {
    spg_partition_list *partitions = NULL;
    CALL(spg_get_all_partitions(store, &partitions));
    printf("%-9s %-5s %-9s %-19s %s\n", "partition", "leaf", "parent", "children", "key range");
    for (size_t i = 0; i < partitions->count; i++) {
        const spg_partition *p = &partitions->partitions[i];
        char children[32] = "-", min[24], max[24];
        if (p->child_partition_id_count == 2)
            snprintf(children, sizeof children, "%s,%s", short_id(p->child_partition_ids[0]),
                     short_id(p->child_partition_ids[1]));
        const spg_range *range = &p->ranges[0];
        printf("%-9s %-5s %-9s %-19s [%s, %s)\n", short_id(p->id), p->is_leaf_partition ? "yes" : "no",
               short_id(p->parent_partition_id), children, format_key(&range->min, min, sizeof min),
               range->has_max ? format_key(&range->max, max, sizeof max) : "none");
    }
    spg_partition_list_free(partitions);
}

static void print_files(const spg_store *store) {
    spg_all_references_to_all_files *report = NULL;
    CALL(spg_get_all_files_with_max_unreferenced(store, 100, &report));
    printf("%-6s %-9s %-6s %-7s %-5s %-12s %s\n", "file", "partition", "rows", "approx", "job", "updated",
           "file updated");
    for (size_t i = 0; i < report->file_count; i++) {
        const spg_all_references_to_a_file *file = &report->files[i];
        char file_time[16], ref_time[16];
        format_time(file->has_last_update_time, file->last_update_time_ms, file_time, sizeof file_time);
        if (file->reference_count == 0)
            printf("%-6s %-9s %-6s %-7s %-5s %-12s %s\n", file->filename, "(none)", "-", "-", "-", "-", file_time);
        for (size_t j = 0; j < file->reference_count; j++) {
            const spg_file_reference *r = &file->references[j];
            printf("%-6s %-9s %-6" PRIu64 " %-7s %-5s %-12s %s\n", r->filename, short_id(r->partition_id),
                   r->number_of_rows, r->count_approximate ? "yes" : "no", r->job_id ? r->job_id : "-",
                   format_time(r->has_last_update_time, r->last_update_time_ms, ref_time, sizeof ref_time),
                   file_time);
        }
    }
    spg_all_references_to_all_files_free(report);
}

static void step(const char *title) { printf("\n== %s\n", title); }

int main(void) {
    spg_client *client = NULL;
    CALL(spg_connect(NULL, &client)); /* DATABASE_URL, or a local cluster owned by the client */

    char table_id[64];
    snprintf(table_id, sizeof table_id, "c-demo-%ld", (long)getpid());
    spg_row_key_field row_keys[] = {{"key", SPG_KEY_LONG}};
    spg_store *store = NULL;
    CALL(spg_create_table(client, table_id, row_keys, 1, &store));
    printf("created table %s with row key (key, long)\n", table_id);

    step("initialise from split point 100");
    spg_key_value split_points[] = {{SPG_KEY_LONG, 100, NULL, 0}};
    spg_partition_list *tree = NULL;
    CALL(spg_partitions_from_split_points(row_keys, 1, split_points, 1, &tree));
    CALL(spg_initialise_with_partitions(store, tree->partitions, tree->count));
    print_partitions(store);
    /* The root is the partition with no parent; the leaves are its children, left (min side) first. */
    const char *root_id = NULL;
    for (size_t i = 0; i < tree->count; i++)
        if (tree->partitions[i].parent_partition_id == NULL) root_id = tree->partitions[i].id;
    spg_partition *root = NULL;
    CALL(spg_get_partition(store, root_id, &root));
    spg_partition_list_free(tree);
    const char *left = root->child_partition_ids[0], *right = root->child_partition_ids[1];

    step("10:00 add file1 on the root and file2 on the left leaf");
    CALL(spg_fix_file_update_time(store, true, at_minute(0)));
    spg_file_reference added[] = {
        {"file1", root->id, 1000, NULL, false, 0, false, true},
        {"file2", left, 200, NULL, false, 0, false, true},
    };
    CALL(spg_add_files(store, added, 2));
    print_files(store);

    step("10:01 split file1's root reference to the two leaves");
    spg_split_file_reference_request *push_down = NULL;
    CALL(spg_split_file_to_child_partitions(&added[0], left, right, &push_down));
    CALL(spg_fix_file_update_time(store, true, at_minute(1)));
    CALL(spg_split_file_references(store, push_down, 1));
    spg_split_file_reference_request_free(push_down);
    print_files(store);

    step("10:02 assign job1 to file1 and file2 on the left leaf");
    const char *inputs[] = {"file1", "file2"};
    spg_assign_job_id_request assign = {"job1", left, inputs, 2};
    CALL(spg_fix_file_update_time(store, true, at_minute(2)));
    CALL(spg_assign_job_ids(store, &assign, 1));
    bool assigned = false;
    CALL(spg_is_partition_files_assigned_to_job(store, left, inputs, 2, "job1", &assigned));
    printf("assigned to job1: %s\n", assigned ? "yes" : "no");
    print_files(store);

    step("10:03 commit job1: file1 and file2 on the left leaf become file3");
    spg_replace_file_references_request commit = {"job1", left, inputs, 2, {"file3", left, 700, NULL, false, 0, false, true}};
    CALL(spg_fix_file_update_time(store, true, at_minute(3)));
    CALL(spg_atomically_replace_file_references_with_new_ones(store, &commit, 1));
    /* Committing again fails as a whole, with the specific error as its cause. */
    spg_status again = spg_atomically_replace_file_references_with_new_ones(store, &commit, 1);
    printf("committing again: %s \"%s\", caused by %s \"%s\"\n", spg_status_name(again), spg_last_error_message(),
           spg_status_name(spg_last_error_cause()), spg_last_error_cause_message());
    print_files(store);

    step("garbage collection");
    spg_string_list *ready = NULL;
    CALL(spg_get_ready_for_gc_filenames_before(store, at_minute(3), &ready));
    printf("ready for GC before 10:03:00.000: %zu files\n", ready->count);
    spg_string_list_free(ready);
    CALL(spg_get_ready_for_gc_filenames_before(store, at_minute(3) + 1, &ready));
    printf("ready for GC before 10:03:00.001:");
    for (size_t i = 0; i < ready->count; i++) printf(" %s", ready->items[i]);
    printf("\n");
    CALL(spg_delete_garbage_collected_file_reference_counts(store, ready->items, ready->count));
    spg_string_list_free(ready);
    spg_partition_files_map *map = NULL;
    CALL(spg_get_partition_to_referenced_files_map(store, &map));
    for (size_t i = 0; i < map->count; i++) {
        printf("partition %s:", short_id(map->entries[i].partition_id));
        for (size_t j = 0; j < map->entries[i].filename_count; j++) printf(" %s", map->entries[i].filenames[j]);
        printf("\n");
    }
    spg_partition_files_map_free(map);
    print_files(store);

    spg_partition_free(root);
    spg_store_free(store);
    CALL(spg_delete_table(client, table_id));
    spg_client_free(client);
    printf("\ndeleted table %s\n", table_id);
    return 0;
}
