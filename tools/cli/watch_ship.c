/* watch_ship.c - the shipping thread of `dcvscope watch` (watch_ship.h). */
#include "watch_ship.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clickhouse.h"
#include "db.h"

struct watch_ship {
	struct db *db;    /* the thread's own connection */
	struct db_ch *ch; /* the thread's own server handle */
	char *server, *site, *spool;
	struct db_ship_opts o; /* strings point into the copies above */

	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	/* under lock */
	bool requested, stopping;
	bool has_result;
	int result_rc;
	char result_msg[DB_CH_ERRMSG_MAX];
};

static void *ship_main(void *arg)
{
	struct watch_ship *s = arg;
	pthread_mutex_lock(&s->lock);
	for (;;) {
		while (!s->requested && !s->stopping)
			pthread_cond_wait(&s->wake, &s->lock);
		if (s->stopping)
			break;
		s->requested = false;
		pthread_mutex_unlock(&s->lock);
		struct db_ship_report rep;
		int rc = db_ship(s->db, s->ch, &s->o, &rep);
		pthread_mutex_lock(&s->lock);
		s->has_result = true;
		s->result_rc = rc;
		snprintf(s->result_msg, sizeof(s->result_msg), "%s", rep.err);
	}
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

/* Frees what start() got; the thread is not running. */
static void release(struct watch_ship *s)
{
	db_ch_close(s->ch);
	if (s->db != NULL)
		db_close(s->db);
	free(s->server);
	free(s->site);
	free(s->spool);
	free(s);
}

static char *copy(const char *text, bool *oom)
{
	if (text == NULL)
		return NULL;
	char *c = strdup(text);
	if (c == NULL)
		*oom = true;
	return c;
}

struct watch_ship *watch_ship_start(const char *db_path, const char *ch_url,
                                    const struct db_ship_opts *o, char *err, size_t errlen)
{
	struct watch_ship *s = calloc(1, sizeof(*s));
	if (s == NULL) {
		snprintf(err, errlen, "ship: out of memory");
		return NULL;
	}
	bool oom = false;
	s->o = *o;
	s->server = copy(o->server, &oom);
	s->site = copy(o->site, &oom);
	s->spool = copy(o->spool_dir, &oom);
	s->o.server = s->server;
	s->o.site = s->site;
	s->o.spool_dir = s->spool;
	if (oom) {
		snprintf(err, errlen, "ship: out of memory");
		release(s);
		return NULL;
	}
	char why[512] = "";
	if (db_open(&s->db, db_path, why, sizeof(why)) != 0) {
		snprintf(err, errlen, "ship: %s", why);
		s->db = NULL;
		release(s);
		return NULL;
	}
	if (db_ch_open(&s->ch, ch_url, why, sizeof(why)) != 0) {
		snprintf(err, errlen, "ship: %s", why);
		s->ch = NULL;
		release(s);
		return NULL;
	}
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->wake, NULL);
	if (pthread_create(&s->thread, NULL, ship_main, s) != 0) {
		snprintf(err, errlen, "ship: cannot start the shipping thread");
		pthread_mutex_destroy(&s->lock);
		pthread_cond_destroy(&s->wake);
		release(s);
		return NULL;
	}
	(void)pthread_setname_np(s->thread, "dcv-ship"); /* top -H, perf */
	return s;
}

void watch_ship_request(struct watch_ship *s)
{
	pthread_mutex_lock(&s->lock);
	s->requested = true;
	pthread_cond_signal(&s->wake);
	pthread_mutex_unlock(&s->lock);
}

bool watch_ship_result(struct watch_ship *s, int *rc, char *msg, size_t msglen)
{
	pthread_mutex_lock(&s->lock);
	bool has = s->has_result;
	if (has) {
		*rc = s->result_rc;
		snprintf(msg, msglen, "%s", s->result_msg);
		s->has_result = false;
	}
	pthread_mutex_unlock(&s->lock);
	return has;
}

void watch_ship_stop(struct watch_ship *s)
{
	if (s == NULL)
		return;
	pthread_mutex_lock(&s->lock);
	s->stopping = true;
	pthread_cond_signal(&s->wake);
	pthread_mutex_unlock(&s->lock);
	pthread_join(s->thread, NULL);
	pthread_mutex_destroy(&s->lock);
	pthread_cond_destroy(&s->wake);
	release(s);
}
