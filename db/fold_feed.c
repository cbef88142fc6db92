/*
 * fold_feed.c - the fold's rows added up in a thread of their own (note 8
 * in db_internal.h).
 *
 * The fold (source_scan.c) adds up every bucket row of a run as the store
 * accepts it. In the analysis thread that was 7 % of its time on the
 * 5M-packet bench capture: one lookup a row in a table of every source,
 * most of them cache misses, and the address formatted as text.
 * With the feed on, an accepted row is only copied, packed, into a buffer;
 * once the buffer holds FEED_MIN_ROWS rows and the fold thread is idle,
 * the two swap and the thread adds the rows up, in the order they were
 * accepted, while the analysis goes on (on the second CPU, which the
 * writer thread leaves half idle). db_fold_feed_push() hands over the rest
 * (db_flush() does, so the last rows add up while the last batch is
 * written); db_fold_feed_wait() also waits: after it the fold holds every
 * accepted row.
 */
#include <stdlib.h>
#include <string.h>

#include "bucket_pack.h"
#include "db_internal.h"

/* Rows the buffer collects before the thread is woken: a guess, enough
 * that a wake-up (a few microseconds) is small next to the rows' work. */
#define FEED_MIN_ROWS 4096

/* Packed rows (bucket_pack.h), back to back. */
struct feed_buf {
	uint8_t *rows;
	size_t len, cap, n;
};

struct db_fold_feed {
	struct db_source_fold *fold; /* the thread's while busy */
	struct feed_buf cur;         /* filled by the accepting thread */
	struct feed_buf next;        /* added up by the fold thread while busy */
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t work, idle;
	bool busy;     /* next is being added up */
	bool stop;     /* the thread should exit */
	uint64_t rows; /* added up by the thread */
};

/* Adds up every row of b and empties it. A row that does not unpack (the
 * buffer holds only what db_bucket_pack() wrote) makes the fold give up:
 * the scan then reads the stored rows. */
static void fold_buf(struct db_source_fold *f, struct feed_buf *b)
{
	size_t pos = 0;
	for (size_t i = 0; i < b->n; i++) {
		int64_t run_id;
		struct source_bucket row;
		size_t used = db_bucket_unpack(b->rows + pos, b->len - pos, &run_id, &row);
		if (used == 0) {
			db_source_fold_give_up(f);
			break;
		}
		char text[DCV_ADDR_TEXT_MAX];
		dcv_addr_format(&row.source, text, sizeof(text));
		db_source_fold_row(f, run_id, text, &row);
		pos += used;
	}
	b->len = b->n = 0;
}

static void *feed_main(void *arg)
{
	struct db_fold_feed *ff = arg;
	pthread_mutex_lock(&ff->lock);
	for (;;) {
		while (!ff->busy && !ff->stop)
			pthread_cond_wait(&ff->work, &ff->lock);
		if (!ff->busy)
			break; /* stop, nothing left */
		pthread_mutex_unlock(&ff->lock);
		size_t n = ff->next.n;
		fold_buf(ff->fold, &ff->next);
		pthread_mutex_lock(&ff->lock);
		ff->rows += n;
		ff->busy = false;
		pthread_cond_broadcast(&ff->idle);
	}
	pthread_mutex_unlock(&ff->lock);
	return NULL;
}

int db_fold_feed_start(struct db *db)
{
	if (db->feed != NULL)
		return 0;
	struct db_fold_feed *ff = calloc(1, sizeof(*ff));
	if (ff == NULL)
		return -1;
	if (pthread_mutex_init(&ff->lock, NULL) != 0) {
		free(ff);
		return -1;
	}
	pthread_cond_init(&ff->work, NULL);
	pthread_cond_init(&ff->idle, NULL);
	if (pthread_create(&ff->thread, NULL, feed_main, ff) != 0) {
		pthread_cond_destroy(&ff->work);
		pthread_cond_destroy(&ff->idle);
		pthread_mutex_destroy(&ff->lock);
		free(ff);
		return -1;
	}
	(void)pthread_setname_np(ff->thread, "dcv-fold"); /* top -H, perf */
	db->feed = ff;
	return 0;
}

/* Waits until the thread has added up its rows. */
static void wait_idle(struct db_fold_feed *ff)
{
	pthread_mutex_lock(&ff->lock);
	while (ff->busy)
		pthread_cond_wait(&ff->idle, &ff->lock);
	pthread_mutex_unlock(&ff->lock);
}

/* Hands cur to the thread if it is idle; returns whether it did. */
static bool try_hand_over(struct db_fold_feed *ff, struct db_source_fold *f)
{
	pthread_mutex_lock(&ff->lock);
	bool idle = !ff->busy;
	if (idle) {
		struct feed_buf empty = ff->next; /* emptied, with its capacity */
		ff->next = ff->cur;
		ff->cur = empty;
		ff->fold = f;
		ff->busy = true;
		pthread_cond_signal(&ff->work);
	}
	pthread_mutex_unlock(&ff->lock);
	return idle;
}

int db_fold_feed_row(struct db *db, const uint8_t *packed, size_t len)
{
	struct db_fold_feed *ff = db->feed;
	struct feed_buf *b = &ff->cur;
	if (db_queue_grow((void **)&b->rows, &b->cap, b->len + len, 1))
		return -1;
	memcpy(b->rows + b->len, packed, len);
	b->len += len;
	b->n++;
	/* the lock is taken every 256 rows only */
	if (b->n >= FEED_MIN_ROWS && b->n % 256 == 0)
		(void)try_hand_over(ff, db->fold);
	return 0;
}

void db_fold_feed_push(struct db *db)
{
	struct db_fold_feed *ff = db->feed;
	if (ff == NULL || ff->cur.n == 0)
		return;
	wait_idle(ff);
	(void)try_hand_over(ff, db->fold);
}

void db_fold_feed_wait(struct db *db)
{
	struct db_fold_feed *ff = db->feed;
	if (ff == NULL)
		return;
	db_fold_feed_push(db);
	wait_idle(ff);
}

void db_fold_feed_stop(struct db *db)
{
	struct db_fold_feed *ff = db->feed;
	if (ff == NULL)
		return;
	db_fold_feed_wait(db);
	pthread_mutex_lock(&ff->lock);
	ff->stop = true;
	pthread_cond_signal(&ff->work);
	pthread_mutex_unlock(&ff->lock);
	pthread_join(ff->thread, NULL);
	pthread_cond_destroy(&ff->work);
	pthread_cond_destroy(&ff->idle);
	pthread_mutex_destroy(&ff->lock);
	db->fold_rows_done += ff->rows;
	free(ff->cur.rows);
	free(ff->next.rows);
	free(ff);
	db->feed = NULL;
}

uint64_t db_background_fold_rows(struct db *db)
{
	if (db == NULL)
		return 0;
	uint64_t n = db->fold_rows_done;
	struct db_fold_feed *ff = db->feed;
	if (ff != NULL) {
		pthread_mutex_lock(&ff->lock);
		n += ff->rows;
		pthread_mutex_unlock(&ff->lock);
	}
	return n;
}
