/*
 * checkpointer.c - WAL checkpoints in a thread of their own (note 7 in
 * db_internal.h).
 *
 * SQLite copies the WAL back into the database file (a checkpoint) in the
 * thread that commits, once the WAL holds 1000 pages. With the background
 * writer that is the writer thread, which is the busier of the two during
 * a large analysis: every checkpoint delays the next batch. Here the
 * commit only wakes this thread, which checkpoints on a connection of its
 * own (PASSIVE: it never waits for the writer or a reader, and neither
 * waits for it), on a core that is often idle meanwhile. On the 5M-packet
 * bench capture this took 0.1-0.2 s off `dcvscope analyze` (2 CPUs).
 */
#include <stdlib.h>
#include <string.h>

#include "db_internal.h"

struct db_checkpointer {
	sqlite3 *sql; /* its own connection to the file */
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool due;      /* a commit left at least DB_CHECKPOINT_FRAMES in the WAL */
	bool stop;     /* the thread should exit */
	uint64_t done; /* checkpoints that copied frames */
};

/* The WAL hook of the writing connection: runs in the committing thread,
 * so it only wakes the checkpointer. */
static int on_commit(void *arg, sqlite3 *sql, const char *schema, int frames)
{
	(void)sql;
	(void)schema;
	struct db_checkpointer *c = arg;
	if (frames < DB_CHECKPOINT_FRAMES)
		return SQLITE_OK;
	pthread_mutex_lock(&c->lock);
	c->due = true;
	pthread_cond_signal(&c->wake);
	pthread_mutex_unlock(&c->lock);
	return SQLITE_OK;
}

static void *checkpointer_main(void *arg)
{
	struct db_checkpointer *c = arg;
	pthread_mutex_lock(&c->lock);
	for (;;) {
		while (!c->due && !c->stop)
			pthread_cond_wait(&c->wake, &c->lock);
		if (c->stop)
			break;
		c->due = false;
		pthread_mutex_unlock(&c->lock);
		/* A PASSIVE checkpoint copies what no reader still needs and
		 * returns; one that could not (SQLITE_BUSY) or failed is made
		 * up by the next, and by the one of the last close. */
		int log = 0, copied = 0;
		int rc = sqlite3_wal_checkpoint_v2(c->sql, NULL, SQLITE_CHECKPOINT_PASSIVE, &log,
		                                   &copied);
		pthread_mutex_lock(&c->lock);
		if (rc == SQLITE_OK && copied > 0)
			c->done++;
	}
	pthread_mutex_unlock(&c->lock);
	return NULL;
}

/* Opens the checkpointer's connection; NULL when the file is not one it
 * can checkpoint (not in WAL mode, read-only, gone). */
static sqlite3 *open_connection(const char *path)
{
	sqlite3 *sql = NULL;
	if (sqlite3_open_v2(path, &sql, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) !=
	    SQLITE_OK) {
		sqlite3_close(sql);
		return NULL;
	}
	/* Reading the journal mode reads the file's header: only then does the
	 * connection know the file is in WAL mode and can checkpoint it. Its
	 * checkpoints sync like the writer's commits (synchronous NORMAL). */
	sqlite3_stmt *st = NULL;
	bool wal = false;
	if (sqlite3_exec(sql, "PRAGMA synchronous = NORMAL", NULL, NULL, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(sql, "PRAGMA journal_mode", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW) {
		const unsigned char *mode = sqlite3_column_text(st, 0);
		wal = mode != NULL && strcmp((const char *)mode, "wal") == 0;
	}
	sqlite3_finalize(st);
	if (!wal) {
		sqlite3_close(sql);
		return NULL;
	}
	return sql;
}

int db_checkpointer_start(struct db *db)
{
	if (db->ckpt != NULL || sqlite3_db_readonly(db->sql, "main") != 0)
		return 0;
	struct db_checkpointer *c = calloc(1, sizeof(*c));
	if (c == NULL)
		return -1;
	if ((c->sql = open_connection(db->path)) == NULL) {
		free(c);
		return -1;
	}
	if (pthread_mutex_init(&c->lock, NULL) != 0) {
		sqlite3_close(c->sql);
		free(c);
		return -1;
	}
	pthread_cond_init(&c->wake, NULL);
	if (pthread_create(&c->thread, NULL, checkpointer_main, c) != 0) {
		pthread_cond_destroy(&c->wake);
		pthread_mutex_destroy(&c->lock);
		sqlite3_close(c->sql);
		free(c);
		return -1;
	}
	(void)pthread_setname_np(c->thread, "dcv-checkpoint"); /* top -H, perf */
	/* replaces SQLite's own hook, the automatic checkpoint */
	sqlite3_wal_hook(db->sql, on_commit, c);
	db->ckpt = c;
	return 0;
}

void db_checkpointer_stop(struct db *db)
{
	struct db_checkpointer *c = db->ckpt;
	if (c == NULL)
		return;
	/* the automatic checkpoint again (it installs its own hook) */
	sqlite3_wal_autocheckpoint(db->sql, DB_CHECKPOINT_FRAMES);
	pthread_mutex_lock(&c->lock);
	c->stop = true;
	pthread_cond_signal(&c->wake);
	pthread_mutex_unlock(&c->lock);
	pthread_join(c->thread, NULL);
	pthread_cond_destroy(&c->wake);
	pthread_mutex_destroy(&c->lock);
	db->ckpt_done += c->done;
	/* closed first: the writing connection, closed last, then makes the
	 * final checkpoint and removes the WAL */
	sqlite3_close(c->sql);
	free(c);
	db->ckpt = NULL;
}

uint64_t db_background_checkpoints(struct db *db)
{
	if (db == NULL)
		return 0;
	uint64_t n = db->ckpt_done;
	struct db_checkpointer *c = db->ckpt;
	if (c != NULL) {
		pthread_mutex_lock(&c->lock);
		n += c->done;
		pthread_mutex_unlock(&c->lock);
	}
	return n;
}
