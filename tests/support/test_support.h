/*
 * test_support.h - small helpers shared by the Criterion tests: temporary
 * paths, running the dcvscope binary and reading its output.
 */
#ifndef DCV_TEST_SUPPORT_H
#define DCV_TEST_SUPPORT_H

#include <stddef.h>
#include <stdint.h>

/* test_tmpdir() creates a fresh private directory and returns its path
 * (static storage, valid until the next call). Aborts the test on failure.
 * The directory and everything in it are removed when the process that
 * created it (the test's process) exits. */
const char *test_tmpdir(void);

/* test_run() runs a shell command line, captures stdout into *out
 * (malloc'd, NUL-terminated; may be NULL) and returns the exit status
 * (or -1 if it could not run / was killed). */
int test_run(const char *cmdline, char **out);

/* test_read_file() returns the file's bytes (malloc'd, NUL-terminated) or NULL. */
char *test_read_file(const char *path, size_t *len);

/* test_scenario_db() writes the generated scenario to dir/s.pcap (its
 * expectations to dir/s.json) and analyzes it into dir/s.db with the
 * validator table validators (a TSV file; NULL = the built-in table).
 * Aborts the test when either step fails. */
void test_scenario_db(const char *scenario, const char *validators, const char *dir);

/* test_sql_number() opens the SQLite file at path read-only and returns
 * the first column of the first row of sql (INT64_MIN when it is NULL).
 * Fails the test when there is no such row. */
int64_t test_sql_number(const char *path, const char *sql);

/* test_remove_dir() removes dir and everything in it (best effort). */
void test_remove_dir(const char *dir);

#endif
