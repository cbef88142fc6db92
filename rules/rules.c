/*
 * rules.c - the rule catalogue and the runner.
 *
 * The runner runs each rule of the catalogue in order. A rule's findings are
 * collected, sorted most severe first (stable: a rule's own order is kept
 * within a severity), and findings whose (rule, subject kind, subject) was
 * already delivered are dropped, so one subject gets one finding per rule.
 */
#include "rules.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "rule.h"
#include "rules_config.h"
#include "source_scan.h"
#include "source_spill.h"

struct rule_entry {
	const char *id;
	int (*run)(struct rule_ctx *c);
	/* reads only transactions and attempts: may run early (rules_early_start()) */
	bool early;
};

/* The catalogue: ids are stable (stored in findings, used by scripts). */
static const struct rule_entry catalogue[] = {
    {"SESSION_CAP", rule_session_cap, false},
    {"TCP53_REJECTED", rule_tcp53_rejected, false},
    {"TC_WITHOUT_TCP", rule_tc_without_tcp, false},
    {"REGION_ASYMMETRY", rule_region_asymmetry, false},
    {"RATE_LIMITED", rule_rate_limited, false},
    {"REFUSED_TO_VALIDATORS", rule_refused_to_validators, false},
    {"SERVFAIL_TO_VALIDATORS", rule_servfail_to_validators, false},
    {"VALIDATOR_DROPS", rule_validator_drops, false},
    {"MPIC_QUORUM_AT_RISK", rule_mpic_quorum_at_risk, false},
    {"CAA_BURST", rule_caa_burst, true},
    {"ACME_TXT_TTL_HIGH", rule_acme_txt_ttl_high, true},
    {"ACME_TXT_MISSING", rule_acme_txt_missing, false},
    {"DNSSEC_BOGUS", rule_dnssec_bogus, false},
    {"DNSSEC_RRSIG_MISSING", rule_dnssec_rrsig_missing, false},
    {"DNSSEC_NSEC_MISSING", rule_dnssec_nsec_missing, false},
    {"DNSSEC_DNSKEY_MISSING", rule_dnssec_dnskey_missing, false},
    {"DNSSEC_EXPIRING", rule_dnssec_expiring, false},
    {"CAA_DENIES_CA", rule_caa_denies_ca, false},
    {"EDNS_NONCOMPLIANT", rule_edns_noncompliant, false},
    {"LARGE_UDP_ANSWERS", rule_large_udp_answers, false},
    {"NEGATIVE_WITHOUT_SOA", rule_negative_without_soa, false},
    {"CAA_UNSUPPORTED", rule_caa_unsupported, false},
    {"SLOW_ANSWERS", rule_slow_answers, false},
};
#define CATALOGUE_SIZE (sizeof(catalogue) / sizeof(catalogue[0]))

unsigned rules_catalogue_size(void)
{
	return (unsigned)CATALOGUE_SIZE;
}

const char *rules_catalogue_id(unsigned i)
{
	return i < CATALOGUE_SIZE ? catalogue[i].id : NULL;
}

/* The runner's state behind rule_ctx.priv. */
struct runner {
	struct finding *pending; /* the current rule's findings */
	size_t npending, cap;
	int oom;
	/* rule_sources(): the scope's sources once read into src (owned) or
	 * given by the caller; view/nview is what is replayed (cached = 1), or
	 * too_many = 1 when they exceed RULE_SOURCES_CACHE_MAX */
	struct db_rule_source *src;
	size_t nsrc, capsrc;
	const struct db_rule_source *view;
	size_t nview;
	int cached, too_many;
	/* too_many: the first reading's copy in a temporary file, replayed
	 * once complete (spilled = 1); spill_failed = 1: none */
	struct source_spill *spill;
	int spilled, spill_failed, spill_given; /* given: the caller's */
	/* rule_groups_read()'s answer, once computed (see rule_groups_cached()) */
	struct rule_group *groups;
	size_t ngroups;
	int groups_kept;
};

const struct rule_group *rule_groups_cached(struct rule_ctx *c, size_t *n)
{
	struct runner *r = c->priv;
	*n = r->ngroups;
	return r->groups_kept ? r->groups : NULL;
}

void rule_groups_remember(struct rule_ctx *c, const struct rule_group *g, size_t n)
{
	struct runner *r = c->priv;
	if (r->groups_kept)
		return;
	r->groups = malloc((n ? n : 1) * sizeof(*g));
	if (r->groups == NULL)
		return; /* computed again next time */
	if (n > 0)
		memcpy(r->groups, g, n * sizeof(*g));
	r->ngroups = n;
	r->groups_kept = 1;
}

static int keep_source(void *ctx, const struct db_rule_source *s)
{
	struct runner *r = ctx;
	if (r->nsrc == RULE_SOURCES_CACHE_MAX) {
		r->too_many = 1;
		return 1;
	}
	if (r->nsrc == r->capsrc) {
		size_t cap = r->capsrc ? r->capsrc * 2 : 256;
		struct db_rule_source *p = realloc(r->src, cap * sizeof(*p));
		if (p == NULL) {
			r->too_many = 1; /* read them each time instead */
			return 1;
		}
		r->src = p;
		r->capsrc = cap;
	}
	r->src[r->nsrc++] = *s;
	return 0;
}

/* A reading of the sources handed to a rule and copied to the spill. */
struct tee {
	int (*fn)(void *ctx, const struct db_rule_source *s);
	void *ctx;
	struct source_spill *spill;
	int copied, stopped; /* every source so far went to the spill; fn stopped */
};

static int tee_source(void *ctx, const struct db_rule_source *s)
{
	struct tee *t = ctx;
	if (t->copied && source_spill_add(t->spill, s) != 0)
		t->copied = 0;
	t->stopped = t->fn(t->ctx, s) != 0;
	return t->stopped;
}

/* rule_sources() beyond the cache: the first reading is also written to a
 * temporary file (source_spill.h) that the next ones read back. */
static int sources_spilled(struct rule_ctx *c, struct runner *r,
                           int (*fn)(void *ctx, const struct db_rule_source *s), void *ctx)
{
	if (!r->spill_failed && r->spill == NULL && (r->spill = source_spill_new()) == NULL)
		r->spill_failed = 1;
	if (r->spill_failed)
		return db_rule_sources(c->db, c->scope, fn, ctx);
	struct tee t = {.fn = fn, .ctx = ctx, .spill = r->spill, .copied = 1};
	int n = db_rule_sources(c->db, c->scope, tee_source, &t);
	if (n >= 0 && t.copied && !t.stopped) {
		r->spilled = 1;
	} else { /* incomplete: the next readings go to the database */
		source_spill_free(r->spill);
		r->spill = NULL;
		r->spill_failed = 1;
	}
	return n;
}

int rule_sources(struct rule_ctx *c, int (*fn)(void *ctx, const struct db_rule_source *s),
                 void *ctx)
{
	struct runner *r = c->priv;
	if (r->spilled)
		return source_spill_replay(r->spill, fn, ctx);
	/* totals held in memory by the database: walked again, not copied */
	if (!r->cached && db_source_scan_in_memory(c->db, c->scope))
		return db_rule_sources(c->db, c->scope, fn, ctx);
	if (!r->cached && !r->too_many) {
		/* kept when memory holds them; else each rule reads them one at a
		 * time in source order, and they are not read once more just to
		 * find that out */
		struct db_source_scan scan = {.source = keep_source,
		                              .source_ctx = r,
		                              .max_sources = RULE_SOURCES_CACHE_MAX,
		                              .memory_only = true};
		int rc = db_source_scan(c->db, c->scope, &scan);
		if (rc < 0)
			return -1;
		r->too_many |= rc == 1;
		r->cached = !r->too_many;
		r->view = r->src;
		r->nview = r->nsrc;
		if (r->too_many) {
			free(r->src);
			r->src = NULL;
			r->nsrc = r->capsrc = 0;
		}
	}
	if (!r->cached)
		return sources_spilled(c, r, fn, ctx);
	int n = 0;
	for (size_t i = 0; i < r->nview; i++) {
		n++;
		if (fn(ctx, &r->view[i]) != 0)
			break;
	}
	return n;
}

static int collect(struct rule_ctx *c, const struct finding *f)
{
	struct runner *r = c->priv;
	if (r->npending == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 16;
		struct finding *p = realloc(r->pending, cap * sizeof(*p));
		if (p == NULL) {
			r->oom = 1;
			return -1;
		}
		r->pending = p;
		r->cap = cap;
	}
	r->pending[r->npending++] = *f;
	return 0;
}

static int same_subject(const struct finding *a, const struct finding *b)
{
	return strcmp(a->subject_kind, b->subject_kind) == 0 && strcmp(a->subject, b->subject) == 0;
}

int rules_run(struct db *db, const struct rules_scope *scope, const struct rules_config *cfg,
              finding_fn fn, void *ctx)
{
	return rules_run_with_sources(db, scope, cfg, NULL, 0, fn, ctx);
}

/* ---- rules run early --------------------------------------------------- */

/* The findings of one early rule, or its failure (rc -1: run it again). */
struct early_result {
	int rc;
	struct finding *found;
	size_t n;
};

struct rules_early {
	pthread_t thread;
	bool joined; /* the thread is done and its results are ours */
	char *path;
	struct rules_scope scope;
	struct rules_config cfg;
	bool has_cfg;
	struct early_result res[CATALOGUE_SIZE]; /* of the entries marked early */
};

/* Waits for the early rules to finish (once). */
static void early_wait(struct rules_early *e)
{
	if (!e->joined) {
		pthread_join(e->thread, NULL);
		e->joined = true;
	}
}

static void runner_free(struct runner *r)
{
	free(r->pending);
	if (!r->spill_given)
		source_spill_free(r->spill);
	free(r->src);
	free(r->groups);
}

static void *early_main(void *arg)
{
	struct rules_early *e = arg;
	for (size_t i = 0; i < CATALOGUE_SIZE; i++)
		e->res[i].rc = -1;
	struct db *db = NULL;
	char err[256];
	/* they read rows once, in index order */
	if (db_open_beside(&db, e->path, err, sizeof(err)) != 0)
		return NULL;
	for (size_t i = 0; i < CATALOGUE_SIZE; i++) {
		if (!catalogue[i].early)
			continue;
		struct runner r = {0};
		struct rule_ctx c = {.db = db,
		                     .scope = &e->scope,
		                     .cfg = e->has_cfg ? &e->cfg : NULL,
		                     .emit = collect,
		                     .priv = &r};
		if (catalogue[i].run(&c) == 0 && !r.oom) {
			e->res[i] = (struct early_result){0, r.pending, r.npending};
			r.pending = NULL;
		}
		runner_free(&r);
	}
	db_close(db);
	return NULL;
}

struct rules_early *rules_early_start(const char *path, const struct rules_scope *scope,
                                      const struct rules_config *cfg)
{
	if (path == NULL || scope == NULL)
		return NULL;
	struct rules_early *e = calloc(1, sizeof(*e));
	if (e == NULL || (e->path = strdup(path)) == NULL) {
		free(e);
		return NULL;
	}
	e->scope = *scope;
	if (cfg != NULL) {
		e->cfg = *cfg;
		e->has_cfg = true;
	}
	if (pthread_create(&e->thread, NULL, early_main, e) != 0) {
		free(e->path);
		free(e);
		return NULL;
	}
	(void)pthread_setname_np(e->thread, "dcv-rules"); /* top -H, perf */
	return e;
}

void rules_early_free(struct rules_early *e)
{
	if (e == NULL)
		return;
	early_wait(e);
	for (size_t i = 0; i < CATALOGUE_SIZE; i++)
		free(e->res[i].found);
	free(e->path);
	free(e);
}

/* Runs catalogue entry i into r->pending, or takes what it found early. */
static int run_entry(size_t i, struct rule_ctx *c, struct rules_early *e)
{
	if (e != NULL && catalogue[i].early) {
		early_wait(e); /* the first early entry waits for them all */
		struct early_result *res = &e->res[i];
		if (res->rc == 0) {
			for (size_t k = 0; k < res->n; k++)
				if (collect(c, &res->found[k]) != 0)
					return -1;
			return 0;
		}
		/* it could not run early: here, as any other */
	}
	return catalogue[i].run(c);
}

int rules_run_with_sources(struct db *db, const struct rules_scope *scope,
                           const struct rules_config *cfg, const struct db_rule_source *src,
                           size_t nsrc, finding_fn fn, void *ctx)
{
	return rules_run_with_early(db, scope, cfg, src, nsrc, NULL, NULL, fn, ctx);
}

int rules_run_with_early(struct db *db, const struct rules_scope *scope,
                         const struct rules_config *cfg, const struct db_rule_source *src,
                         size_t nsrc, struct source_spill *spill, struct rules_early *early,
                         finding_fn fn, void *ctx)
{
	if (db == NULL || scope == NULL)
		return -1;
	struct runner r = {0};
	if (src != NULL) {
		r.view = src;
		r.nview = nsrc;
		r.cached = 1;
	} else if (spill != NULL) {
		r.spill = spill;
		r.spilled = r.spill_given = r.too_many = 1;
	}
	struct rule_ctx c = {.db = db, .scope = scope, .cfg = cfg, .emit = collect, .priv = &r};
	int total = 0;
	for (size_t i = 0; i < CATALOGUE_SIZE; i++) {
		r.npending = 0;
		if (run_entry(i, &c, early) != 0 || r.oom) {
			runner_free(&r);
			return -1;
		}
		/* stable: insertion sort by severity, most severe first */
		for (size_t k = 1; k < r.npending; k++)
			for (size_t j = k;
			     j > 0 && r.pending[j].severity > r.pending[j - 1].severity; j--) {
				struct finding t = r.pending[j];
				r.pending[j] = r.pending[j - 1];
				r.pending[j - 1] = t;
			}
		for (size_t k = 0; k < r.npending; k++) {
			int dup = 0;
			for (size_t j = 0; j < k && !dup; j++)
				dup = same_subject(&r.pending[j], &r.pending[k]);
			if (dup)
				continue;
			snprintf(r.pending[k].rule, sizeof(r.pending[k].rule), "%s",
			         catalogue[i].id);
			total++;
			if (fn != NULL && fn(ctx, &r.pending[k]) != 0) {
				runner_free(&r);
				return total;
			}
		}
	}
	runner_free(&r);
	return total;
}
