/*
 * depth_store.h - storing and reading the deeper look at answers: DNSSEC
 * status per name, CAA decisions, EDNS compliance (tables dnssec_names,
 * caa_decisions, edns_checks, depth_accounting: schema version 5,
 * documented in schema.c).
 */
#ifndef DCV_DEPTH_STORE_H
#define DCV_DEPTH_STORE_H

#include <stdint.h>

#include "db.h"
#include "depth.h"

/*
 * db_depth_store() replaces the run's rows with d's results (after
 * depth_finish()), in one transaction. Returns the number of rows stored,
 * or -1 with nothing changed.
 */
int db_depth_store(struct db *db, int64_t run_id, const struct depth *d);

/* One dnssec_names row as read back. */
struct db_dnssec_row {
	char name[DNS_NAME_TEXT_MAX];
	char qtype[16];
	char zone[256];
	char status[16];
	char error[32];
	char detail[DNSSEC_DETAIL_MAX];
	char ca[DEPTH_CA_MAX];
	uint64_t responses, first_ns, last_ns, expires_ns; /* expires_ns 0 = none */
};

/* db_dnssec_read() calls fn for the run's names, worst status first, then
 * by name. Returns how many, or -1. */
int db_dnssec_read(struct db *db, int64_t run_id,
                   int (*fn)(void *ctx, const struct db_dnssec_row *r), void *ctx);

/* One caa_decisions row as read back. */
struct db_caa_row {
	char ca[DEPTH_CA_MAX];
	char name[DNS_NAME_TEXT_MAX];
	char owner[DNS_NAME_TEXT_MAX];
	char rrset[DEPTH_RRSET_TEXT_MAX];
	int allowed, wild_allowed;
	char reason[256];
	char fix[512];
	uint64_t queries, first_ns, last_ns;
};

/* db_caa_read() calls fn for the run's decisions, denials first. Returns
 * how many, or -1. */
int db_caa_read(struct db *db, int64_t run_id, int (*fn)(void *ctx, const struct db_caa_row *r),
                void *ctx);

/* One edns_checks row as read back. */
struct db_edns_row {
	char server[DCV_ADDR_TEXT_MAX];
	char check[32];
	char example[EDNS_EXAMPLE_MAX];
	uint64_t failures, edns_queries, first_ns, last_ns;
};

/* db_edns_read() calls fn for the run's failing checks, by server and
 * check. Returns how many, or -1. */
int db_edns_read(struct db *db, int64_t run_id, int (*fn)(void *ctx, const struct db_edns_row *r),
                 void *ctx);

#endif
