/* test_support.c - shared helpers for the Criterion tests. */
#include "test_support.h"

#include <criterion/criterion.h>
#include <ftw.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* The directories test_tmpdir() made, each removed when the process that
 * made it exits (a test's process; a child forked from it keeps them). */
struct made_dir {
	char path[256];
	pid_t owner;
	struct made_dir *next;
};
static struct made_dir *made_dirs;

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	(void)remove(path);
	return 0; /* best effort: go on */
}

void test_remove_dir(const char *dir)
{
	(void)nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void remove_made_dirs(void)
{
	for (struct made_dir *d = made_dirs; d != NULL; d = d->next)
		if (d->owner == getpid())
			test_remove_dir(d->path);
}

const char *test_tmpdir(void)
{
	static char path[256];
	static bool at_exit;
	const char *base = getenv("TMPDIR");
	snprintf(path, sizeof(path), "%s/dcvscope-test-XXXXXX", base ? base : "/tmp");
	if (mkdtemp(path) == NULL) {
		perror("mkdtemp");
		abort();
	}
	struct made_dir *d = calloc(1, sizeof(*d));
	if (d != NULL) {
		snprintf(d->path, sizeof(d->path), "%s", path);
		d->owner = getpid();
		d->next = made_dirs;
		made_dirs = d;
	}
	if (!at_exit)
		at_exit = atexit(remove_made_dirs) == 0;
	return path;
}

int test_run(const char *cmdline, char **out)
{
	FILE *p = popen(cmdline, "r");
	if (p == NULL)
		return -1;
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap);
	if (buf == NULL) {
		pclose(p);
		return -1;
	}
	size_t n;
	while ((n = fread(buf + len, 1, cap - len - 1, p)) > 0) {
		len += n;
		if (cap - len < 2) {
			char *grown = realloc(buf, cap * 2);
			if (grown == NULL)
				break;
			buf = grown;
			cap *= 2;
		}
	}
	buf[len] = '\0';
	int status = pclose(p);
	if (out != NULL)
		*out = buf;
	else
		free(buf);
	if (status == -1 || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

char *test_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	long size = ftell(f);
	fseek(f, 0, SEEK_SET);
	if (size < 0) {
		fclose(f);
		return NULL;
	}
	char *buf = malloc((size_t)size + 1);
	if (buf == NULL || fread(buf, 1, (size_t)size, f) != (size_t)size) {
		free(buf);
		fclose(f);
		return NULL;
	}
	buf[size] = '\0';
	fclose(f);
	if (len != NULL)
		*len = (size_t)size;
	return buf;
}

void test_scenario_db(const char *scenario, const char *validators, const char *dir)
{
	char cmd[2048], vopt[700] = "";
	snprintf(cmd, sizeof(cmd), "%s %s -o %s/s.pcap --expect %s/s.json", DCV_GEN_BINARY,
	         scenario, dir, dir);
	if (test_run(cmd, NULL) != 0) {
		fprintf(stderr, "failed: %s\n", cmd);
		abort();
	}
	if (validators != NULL)
		snprintf(vopt, sizeof(vopt), "--no-default-validators --validators %s", validators);
	snprintf(cmd, sizeof(cmd),
	         "%s analyze --db %s/s.db %s --no-progress %s/s.pcap >/dev/null 2>&1", DCV_BINARY,
	         dir, vopt, dir);
	if (test_run(cmd, NULL) != 0) {
		fprintf(stderr, "failed: %s\n", cmd);
		abort();
	}
}

int64_t test_sql_number(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	cr_assert_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK, "%s", path);
	sqlite3_stmt *st = NULL;
	cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK, "%s: %s", sql,
	             sqlite3_errmsg(db));
	cr_assert_eq(sqlite3_step(st), SQLITE_ROW, "%s: no row", sql);
	int64_t v =
	    sqlite3_column_type(st, 0) == SQLITE_NULL ? INT64_MIN : sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}
