/*
 * tcp_track.c - TCP connection table and session state machine.
 *
 * NOTES ON THE DESIGN
 *
 * 1. Table. Connections live in one chained hash table keyed by the
 *    4-tuple (struct conn_key), hashed with dcv_hash_table() and a seed
 *    drawn from getrandom() per tracker, so a flood of chosen tuples cannot
 *    aim at one bucket. The table holds at most max_connections entries.
 *
 * 2. Lists. Every entry is on exactly one of two LRU lists, most recently
 *    active first: "live" (SYN_SENT, ESTABLISHED) and "linger" (CLOSED).
 *    SYN_SENT entries are also on a FIFO ordered by first SYN, which drives
 *    the SYN timeout. Packet timestamps are the clock: expiry walks list
 *    tails, so each expire call costs O(expired + 1).
 *
 * 3. Eviction. When the table is full, a new connection first takes the
 *    least recently active lingering entry (free: its CLOSE was already
 *    emitted), else the least recently active live one, which is counted in
 *    stats.evicted; an ESTABLISHED victim gets its CLOSE (timed_out), a
 *    SYN_SENT victim ends without an event (its outcome is unknown).
 *
 * 4. CLOSED lingers. After the first FIN, RST, REJECTED or FILTERED the
 *    entry stays for idle_timeout since its last packet: the other
 *    direction may still send after a half-close (its messages are still
 *    delivered), reordered segments and the last ACKs must not be picked
 *    up as a new mid-stream connection, and SYN retransmissions with the
 *    same ISN (after FILTERED, a client keeps retrying for up to ~2 min)
 *    stay one attempt. A SYN with another ISN starts a new connection
 *    (port reuse). Streams are finished (gap check) on RST, on the second
 *    FIN, and when the entry goes.
 *
 * 5. Concurrency. A second hash table counts, per client address, the
 *    ESTABLISHED connections (OPEN emitted, CLOSE not yet). A node exists
 *    only while its count is > 0 and each connection points at its node,
 *    so the table holds at most max_connections nodes and a close costs
 *    O(1) plus one chain walk to unlink an emptied node. A refused or
 *    unanswered attempt reports what the server was holding for the client
 *    when it refused: the established connections plus the client's older
 *    attempts still in their handshake. A firewall's per-client count
 *    (conntrack) includes those, and a SYN the server's full listen queue
 *    dropped completes only on its retransmission a second later, after
 *    the later SYNs were refused. The older attempts are counted along the
 *    SYN FIFO, at most TCP_OLDER_ATTEMPTS_SCAN entries back, so one
 *    refusal costs O(1) however many SYNs are pending. An unanswered SYN
 *    ends syn_timeout after it came, when the sessions that filled the
 *    server may have closed: it reports at least the established count
 *    at its first SYN. The node also counts the established connections
 *    the server has sent data on (served): a server whose own client limit
 *    is full (BIND tcp-clients, NSD tcp-count) lets the kernel complete
 *    further handshakes but never answers on them; such a connection that
 *    carried a query and ends without any data from the server is stalled.
 *    Its CLOSE reports the most served connections of the client while it
 *    waited: the node keeps the high-water mark of served since the last
 *    moment no connection of the client was waiting for an answer.
 *
 * 6. Memory bound. At most max_connections entries of sizeof(struct
 *    tcp_conn) (192 bytes on x86-64) plus the same number of client nodes
 *    (48 bytes) plus two bucket arrays of next_pow2(max_connections)
 *    pointers: about 16 MiB for the default 65536. Stream buffers come on
 *    top: at most stream_max_bytes (+ a 136-byte header) per direction
 *    and at most TCP_STREAM_BUDGET_BYTES_DEFAULT (512 MiB) for the whole
 *    tracker; a direction that would pass either limit reports
 *    DCV_E_TCP_OVERFLOW. Lingering entries are taken first when the table
 *    is full, so they cost no live connection.
 *
 * 7. Pick-up rules for a tuple not in the table: a client SYN starts an
 *    attempt; a SYN-ACK from the server opens at once with both streams
 *    synced from its seq/ack; a bare FIN creates a silent CLOSED entry
 *    (not counted in stats.connections) that absorbs the connection's last
 *    packets; a RST or a server SYN is ignored; anything else (data or
 *    ACK-only) is a mid-stream pick-up whose streams wait for a plausible
 *    length prefix (tcp_stream.h).
 *
 * 8. Callbacks run inside tcp_tracker_packet/expire/finish and must not
 *    call back into the same tracker.
 *
 * State transitions and the function behind each:
 *   (none)      -> SYN_SENT     SYN from the client          [on_new_tuple]
 *   (none)      -> ESTABLISHED  data/ACK/SYN-ACK mid-stream  [pick_up]
 *   (none)      -> CLOSED       bare FIN of an unseen conn.  [on_new_tuple]
 *   SYN_SENT    -> ESTABLISHED  SYN-ACK (or client ACK)      [on_syn_sent, open_conn]
 *   SYN_SENT    -> CLOSED       RST from server: REJECTED    [on_syn_sent]
 *   SYN_SENT    -> CLOSED       syn_timeout: FILTERED        [tcp_tracker_expire]
 *   ESTABLISHED -> CLOSED       FIN or RST: CLOSE            [on_open_or_closed, close_conn]
 *   ESTABLISHED -> (none)       idle, eviction, finish       [close_conn, conn_remove]
 *   CLOSED      -> (none)       linger over, eviction, SYN   [conn_remove]
 */
#include "tcp_track.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "dcv_error.h"
#include "hash.h"
#include "tcp_stream.h"

#define TCP_MAX_CONNECTIONS_LIMIT (1u << 24) /* larger max_connections values are clamped */
#define TCP_STREAM_MIN_BYTES      (TCP_DNS_LEN_PREFIX + 65535u) /* one whole message */
#define NS_PER_MS                 1000000ull
#define TCP_OLDER_ATTEMPTS_SCAN   256 /* SYN FIFO entries one refusal looks back (note 5) */

enum conn_state {
	CONN_SYN_SENT,
	CONN_ESTABLISHED,
	CONN_CLOSED, /* lingering; see note 4 */
};

enum { DIR_TO_SERVER = 0, DIR_TO_CLIENT = 1 };

struct conn_key {
	struct dcv_addr client, server;
	uint16_t client_port, server_port;
};
_Static_assert(sizeof(struct conn_key) == 44, "conn_key must have no padding");

struct client_node {
	struct dcv_addr addr;
	uint32_t count;      /* ESTABLISHED connections of this client */
	uint32_t served;     /* of them, those the server has sent data on */
	uint32_t waiting;    /* of them, those with a query and nothing from the server yet */
	uint32_t served_hwm; /* most served since waiting was last 0 */
	struct client_node *next;
};

struct tcp_conn {
	struct conn_key key;
	uint32_t open_at_syn; /* SYN_SENT: the client's ESTABLISHED at the SYN */
	uint64_t hash;
	struct tcp_conn *hnext;               /* hash chain */
	struct tcp_conn *lru_prev, *lru_next; /* live or linger list */
	struct tcp_conn *syn_prev, *syn_next; /* SYN FIFO (SYN_SENT only) */
	struct client_node *client;           /* ESTABLISHED only; NULL if no memory */
	uint64_t first_ns;                    /* first packet (first SYN) */
	uint64_t opened_ns;                   /* OPEN time */
	uint64_t last_ns;                     /* latest packet */
	uint32_t client_isn;                  /* valid when isn_known */
	uint32_t messages;                    /* both directions */
	uint8_t state;                        /* enum conn_state */
	bool isn_known;
	bool fin[2];  /* FIN seen, per direction */
	bool asked;   /* a DNS message went to the server */
	bool served;  /* the server sent data while ESTABLISHED */
	bool waiting; /* counted in its client's waiting */
	struct tcp_stream dir[2];
};
_Static_assert(sizeof(void *) != 8 || sizeof(struct tcp_conn) == 192, "note 6 says 192 bytes");

struct conn_list {
	struct tcp_conn *head, *tail;
};

struct tcp_tracker {
	/* configuration */
	struct tcp_callbacks cb;
	uint32_t max_conns;
	uint64_t syn_timeout_ns, idle_timeout_ns;
	uint64_t seed;

	/* connection table (note 1) */
	struct tcp_conn **buckets;
	uint64_t bucket_mask;
	uint32_t nconns;
	struct conn_list live, linger, syn; /* note 2 */
	struct tcp_conn *free_conns;        /* recycled entries, linked by hnext */

	/* per-client established counts (note 5) */
	struct client_node **cbuckets;
	struct client_node *free_clients;

	struct tcp_stream_env env;
	struct tcp_stats stats;
};

/* ---- lists ---------------------------------------------------------------- */

static void lru_unlink(struct conn_list *l, struct tcp_conn *c)
{
	if (c->lru_prev)
		c->lru_prev->lru_next = c->lru_next;
	else
		l->head = c->lru_next;
	if (c->lru_next)
		c->lru_next->lru_prev = c->lru_prev;
	else
		l->tail = c->lru_prev;
	c->lru_prev = c->lru_next = NULL;
}

static void lru_push_head(struct conn_list *l, struct tcp_conn *c)
{
	c->lru_prev = NULL;
	c->lru_next = l->head;
	if (l->head)
		l->head->lru_prev = c;
	else
		l->tail = c;
	l->head = c;
}

static void syn_unlink(struct conn_list *l, struct tcp_conn *c)
{
	if (c->syn_prev)
		c->syn_prev->syn_next = c->syn_next;
	else
		l->head = c->syn_next;
	if (c->syn_next)
		c->syn_next->syn_prev = c->syn_prev;
	else
		l->tail = c->syn_prev;
	c->syn_prev = c->syn_next = NULL;
}

static void syn_push_tail(struct conn_list *l, struct tcp_conn *c)
{
	c->syn_next = NULL;
	c->syn_prev = l->tail;
	if (l->tail)
		l->tail->syn_next = c;
	else
		l->head = c;
	l->tail = c;
}

static struct conn_list *list_of(struct tcp_tracker *t, const struct tcp_conn *c)
{
	return c->state == CONN_CLOSED ? &t->linger : &t->live;
}

/* ---- per-client counts ---------------------------------------------------- */

static struct client_node **client_slot(struct tcp_tracker *t, const struct dcv_addr *a)
{
	uint64_t h = dcv_addr_hash(a, t->seed ^ 0x5bd1e9955bd1e995ULL);
	return &t->cbuckets[h & t->bucket_mask];
}

/* client_acquire() returns the client's node with count incremented, or
 * NULL when no memory (the connection then counts as 0). */
static struct client_node *client_acquire(struct tcp_tracker *t, const struct dcv_addr *a)
{
	struct client_node **slot = client_slot(t, a);
	for (struct client_node *n = *slot; n; n = n->next) {
		if (dcv_addr_equal(&n->addr, a)) {
			n->count++;
			return n;
		}
	}
	struct client_node *n = t->free_clients;
	if (n)
		t->free_clients = n->next;
	else if ((n = malloc(sizeof(*n))) == NULL)
		return NULL;
	n->addr = *a;
	n->count = 1;
	n->served = n->waiting = n->served_hwm = 0;
	n->next = *slot;
	*slot = n;
	return n;
}

/* client_count() returns the client's established connections now. */
static uint32_t client_count(struct tcp_tracker *t, const struct dcv_addr *a)
{
	for (struct client_node *n = *client_slot(t, a); n; n = n->next)
		if (dcv_addr_equal(&n->addr, a))
			return n->count;
	return 0;
}

static void client_release(struct tcp_tracker *t, struct client_node *n, bool served)
{
	assert(n->count > 0 && (!served || n->served > 0));
	n->served -= served;
	if (--n->count > 0)
		return;
	struct client_node **pp = client_slot(t, &n->addr);
	while (*pp != n)
		pp = &(*pp)->next;
	*pp = n->next;
	n->next = t->free_clients;
	t->free_clients = n;
}

/* stop_waiting() takes c out of its client's waiting count (note 5). */
static void stop_waiting(struct tcp_conn *c)
{
	if (!c->waiting)
		return;
	c->waiting = false;
	struct client_node *n = c->client;
	if (--n->waiting == 0)
		n->served_hwm = n->served;
}

/* ---- events --------------------------------------------------------------- */

static void fill_event(const struct tcp_conn *c, enum tcp_event_kind kind, uint64_t ts,
                       struct tcp_session_event *ev)
{
	memset(ev, 0, sizeof(*ev));
	ev->kind = kind;
	ev->ts_ns = ts;
	ev->client = c->key.client;
	ev->server = c->key.server;
	ev->client_port = c->key.client_port;
	ev->server_port = c->key.server_port;
}

static void emit_event(struct tcp_tracker *t, const struct tcp_session_event *ev)
{
	if (t->cb.on_session)
		t->cb.on_session(t->cb.ctx, ev);
}

static void report_error(struct tcp_tracker *t, int code)
{
	if (t->cb.on_error)
		t->cb.on_error(t->cb.ctx, code);
}

/* ---- connection entries --------------------------------------------------- */

static struct tcp_conn *conn_lookup(struct tcp_tracker *t, const struct conn_key *k, uint64_t h)
{
	for (struct tcp_conn *c = t->buckets[h & t->bucket_mask]; c; c = c->hnext)
		if (c->hash == h && memcmp(&c->key, k, sizeof(*k)) == 0)
			return c;
	return NULL;
}

/* finish_streams() ends both directions, reporting unfilled gaps. */
static void finish_streams(struct tcp_tracker *t, struct tcp_conn *c)
{
	for (int d = 0; d < 2; d++) {
		int rc = tcp_stream_finish(&c->dir[d], &t->env);
		if (rc < 0)
			report_error(t, rc);
	}
}

#ifndef NDEBUG
/* assert_conn_ok(): only ESTABLISHED connections hold a client count, and
 * SYN_SENT ones sit on the SYN FIFO. */
static bool assert_conn_ok(const struct tcp_tracker *t, const struct tcp_conn *c)
{
	if (c->state != CONN_ESTABLISHED && c->client != NULL)
		return false;
	if (c->state == CONN_SYN_SENT)
		return c->syn_prev != NULL || t->syn.head == c;
	return c->syn_prev == NULL && c->syn_next == NULL && t->syn.head != c;
}
#endif

/* set_state() moves c between the live and linger lists and the SYN FIFO. */
static void set_state(struct tcp_tracker *t, struct tcp_conn *c, enum conn_state s)
{
	if (c->state == CONN_SYN_SENT && s != CONN_SYN_SENT)
		syn_unlink(&t->syn, c);
	lru_unlink(list_of(t, c), c);
	c->state = (uint8_t)s;
	lru_push_head(list_of(t, c), c);
	assert(s == CONN_ESTABLISHED || assert_conn_ok(t, c)); /* client set after */
}

/* conn_remove() finishes the streams and returns the entry to the free list. */
static void conn_remove(struct tcp_tracker *t, struct tcp_conn *c)
{
	assert(c->state != CONN_ESTABLISHED); /* close_conn() first */
	finish_streams(t, c);
	if (c->state == CONN_SYN_SENT)
		syn_unlink(&t->syn, c);
	lru_unlink(list_of(t, c), c);
	struct tcp_conn **pp = &t->buckets[c->hash & t->bucket_mask];
	while (*pp != c)
		pp = &(*pp)->hnext;
	*pp = c->hnext;
	c->hnext = t->free_conns;
	t->free_conns = c;
	t->nconns--;
}

/* open_conn() makes c ESTABLISHED and emits OPEN. */
static void open_conn(struct tcp_tracker *t, struct tcp_conn *c, uint64_t ts)
{
	set_state(t, c, CONN_ESTABLISHED);
	c->opened_ns = ts;
	c->client = client_acquire(t, &c->key.client);
	assert(assert_conn_ok(t, c));
	struct tcp_session_event ev;
	fill_event(c, TCP_EV_OPEN, ts, &ev);
	ev.concurrent = c->client ? c->client->count : 0;
	ev.served = c->client ? c->client->served : 0;
	emit_event(t, &ev);
}

/* How an ESTABLISHED connection ends. */
enum close_how {
	CLOSE_SEEN, /* FIN or RST in the capture */
	CLOSE_IDLE, /* nothing for idle_timeout */
	CLOSE_CUT,  /* eviction or the end of input: the rest is unknown */
};

/* close_conn() emits CLOSE for an ESTABLISHED c and makes it CLOSED. */
static void close_conn(struct tcp_tracker *t, struct tcp_conn *c, uint64_t ts, bool by_server,
                       bool reset, enum close_how how)
{
	assert(c->state == CONN_ESTABLISHED);
	struct tcp_session_event ev;
	fill_event(c, TCP_EV_CLOSE, ts, &ev);
	ev.concurrent = c->client ? c->client->count : 0;
	ev.closed_by_server = by_server;
	ev.reset = reset;
	ev.timed_out = how != CLOSE_SEEN;
	ev.stalled = how != CLOSE_CUT && c->asked && !c->served;
	ev.opened_ns = c->opened_ns;
	ev.messages = c->messages;
	if (c->client) {
		ev.served = ev.stalled ? c->client->served_hwm : c->client->served;
		stop_waiting(c);
		client_release(t, c->client, c->served);
	}
	c->client = NULL;
	set_state(t, c, CONN_CLOSED);
	emit_event(t, &ev);
}

/* older_attempts() counts the attempts of c's client still in their
 * handshake whose first SYN came before c's (note 5). */
static uint32_t older_attempts(const struct tcp_conn *c)
{
	uint32_t n = 0, seen = 0;
	for (const struct tcp_conn *o = c->syn_prev; o && seen < TCP_OLDER_ATTEMPTS_SCAN;
	     o = o->syn_prev, seen++)
		n += dcv_addr_equal(&o->key.client, &c->key.client);
	return n;
}

/* end_syn() ends a SYN_SENT attempt with REJECTED or FILTERED. */
static void end_syn(struct tcp_tracker *t, struct tcp_conn *c, enum tcp_event_kind kind,
                    uint64_t ts)
{
	struct tcp_session_event ev;
	fill_event(c, kind, ts, &ev);
	/* a refusal while the client holds sessions open hints at a session cap;
	 * an unanswered SYN ends seconds after the server dropped it, when the
	 * sessions open then may have closed */
	ev.concurrent = client_count(t, &c->key.client) + older_attempts(c);
	if (c->open_at_syn > ev.concurrent)
		ev.concurrent = c->open_at_syn;
	set_state(t, c, CONN_CLOSED);
	emit_event(t, &ev);
}

/* evict_one() frees a table slot (note 3). */
static void evict_one(struct tcp_tracker *t, uint64_t ts)
{
	struct tcp_conn *c = t->linger.tail;
	if (c == NULL) {
		c = t->live.tail;
		t->stats.evicted++;
		if (c->state == CONN_ESTABLISHED)
			close_conn(t, c, ts, false, false, CLOSE_CUT);
	}
	conn_remove(t, c);
}

/* conn_create() adds a new entry in state s (SYN_SENT or CLOSED), or NULL
 * when no memory. */
static struct tcp_conn *conn_create(struct tcp_tracker *t, const struct conn_key *k, uint64_t h,
                                    enum conn_state s, uint64_t ts)
{
	if (t->nconns >= t->max_conns)
		evict_one(t, ts);
	struct tcp_conn *c = t->free_conns;
	if (c)
		t->free_conns = c->hnext;
	else if ((c = malloc(sizeof(*c))) == NULL)
		return NULL;
	memset(c, 0, sizeof(*c));
	c->key = *k;
	c->hash = h;
	c->first_ns = c->last_ns = ts;
	c->state = (uint8_t)s;
	tcp_stream_init(&c->dir[DIR_TO_SERVER], true);
	tcp_stream_init(&c->dir[DIR_TO_CLIENT], false);
	struct tcp_conn **slot = &t->buckets[h & t->bucket_mask];
	c->hnext = *slot;
	*slot = c;
	lru_push_head(list_of(t, c), c);
	if (s == CONN_SYN_SENT)
		syn_push_tail(&t->syn, c);
	t->nconns++;
	return c;
}

static void conn_touch(struct tcp_tracker *t, struct tcp_conn *c, uint64_t ts)
{
	if (ts > c->last_ns)
		c->last_ns = ts;
	struct conn_list *l = list_of(t, c);
	if (l->head != c) {
		lru_unlink(l, c);
		lru_push_head(l, c);
	}
}

/* ---- payload -------------------------------------------------------------- */

struct sink_ctx {
	struct tcp_tracker *t;
	struct tcp_conn *c;
	uint64_t ts;
	bool to_server;
};

static void deliver(void *ctx, const uint8_t *msg, uint32_t len)
{
	struct sink_ctx *s = ctx;
	struct tcp_dns_message m = {
	    .ts_ns = s->ts,
	    .client = s->c->key.client,
	    .server = s->c->key.server,
	    .client_port = s->c->key.client_port,
	    .server_port = s->c->key.server_port,
	    .to_server = s->to_server,
	    .msg = msg,
	    .len = len,
	};
	struct tcp_conn *c = s->c;
	c->messages++;
	if (s->to_server && !c->asked) {
		c->asked = true;
		if (c->state == CONN_ESTABLISHED && c->client != NULL && !c->served) {
			c->waiting = true;
			c->client->waiting++;
		}
	}
	if (s->t->cb.on_message)
		s->t->cb.on_message(s->t->cb.ctx, &m);
}

/* serve() marks the first data from the server on an ESTABLISHED c and
 * emits SERVED. */
static void serve(struct tcp_tracker *t, struct tcp_conn *c, uint64_t ts)
{
	c->served = true;
	if (c->client == NULL)
		return;
	stop_waiting(c);
	struct client_node *n = c->client;
	if (++n->served > n->served_hwm)
		n->served_hwm = n->served;
	struct tcp_session_event ev;
	fill_event(c, TCP_EV_SERVED, ts, &ev);
	ev.concurrent = n->count;
	ev.served = n->served;
	emit_event(t, &ev);
}

/* feed() passes the segment's payload to the stream of its direction. */
static int feed(struct tcp_tracker *t, struct tcp_conn *c, const struct dcv_pkt *pkt,
                bool to_server)
{
	if (!to_server && pkt->payload_len > 0 && !c->served && c->state == CONN_ESTABLISHED)
		serve(t, c, pkt->ts_ns);
	uint32_t lost = 0;
	if (pkt->payload_wire_len > pkt->payload_len)
		lost = pkt->payload_wire_len - pkt->payload_len;
	if (pkt->payload_len == 0 && lost == 0)
		return 0;
	/* a SYN takes one sequence number before its data (TCP Fast Open) */
	uint32_t seq = pkt->tcp_seq + ((pkt->tcp_flags & DCV_TCP_SYN) ? 1u : 0u);
	struct sink_ctx sc = {t, c, pkt->ts_ns, to_server};
	struct tcp_stream_sink sink = {&sc, deliver};
	int rc = tcp_stream_push(&c->dir[to_server ? DIR_TO_SERVER : DIR_TO_CLIENT], &t->env, seq,
	                         pkt->payload, pkt->payload_len, lost, &sink);
	switch (rc) {
	case TCP_PUSH_RETRANS:
		t->stats.retransmitted_segments++;
		return 0;
	case TCP_PUSH_OUT_OF_ORDER:
		t->stats.out_of_order_segments++;
		return 0;
	case TCP_PUSH_UNSYNCED:
		t->stats.unsynced_segments++;
		return 0;
	default:
		if (rc < 0) {
			report_error(t, rc);
			return rc;
		}
		return 0;
	}
}

/* ---- state machine -------------------------------------------------------- */

/* pick_up() starts tracking a connection seen without its SYN. */
static struct tcp_conn *pick_up(struct tcp_tracker *t, const struct conn_key *k, uint64_t h,
                                uint64_t ts)
{
	struct tcp_conn *c = conn_create(t, k, h, CONN_CLOSED, ts);
	if (c == NULL)
		return NULL;
	t->stats.connections++;
	t->stats.midstream_pickups++;
	open_conn(t, c, ts);
	return c;
}

static struct tcp_conn *start_syn(struct tcp_tracker *t, const struct conn_key *k, uint64_t h,
                                  const struct dcv_pkt *pkt)
{
	struct tcp_conn *c = conn_create(t, k, h, CONN_SYN_SENT, pkt->ts_ns);
	if (c == NULL)
		return NULL;
	t->stats.connections++;
	c->isn_known = true;
	c->client_isn = pkt->tcp_seq;
	c->open_at_syn = client_count(t, &k->client);
	tcp_stream_sync(&c->dir[DIR_TO_SERVER], pkt->tcp_seq + 1);
	return c;
}

/* on_new_tuple() handles the first packet of an unknown tuple. Returns the
 * entry to continue with, or NULL when the packet is done with. */
static struct tcp_conn *on_new_tuple(struct tcp_tracker *t, const struct conn_key *k, uint64_t h,
                                     const struct dcv_pkt *pkt, bool to_server, int *rc)
{
	uint8_t f = pkt->tcp_flags;
	struct tcp_conn *c;
	*rc = 0;
	if (f & DCV_TCP_RST)
		return NULL; /* nothing to end */
	if ((f & DCV_TCP_SYN) && !(f & DCV_TCP_ACK)) {
		if (!to_server)
			return NULL; /* the DNS side does not open connections */
		c = start_syn(t, k, h, pkt);
		if (c == NULL)
			goto nomem;
		*rc = feed(t, c, pkt, true); /* TCP Fast Open data */
		return NULL;
	}
	if (f & DCV_TCP_SYN) { /* SYN-ACK whose SYN was missed */
		if (to_server)
			return NULL;
		c = pick_up(t, k, h, pkt->ts_ns);
		if (c == NULL)
			goto nomem;
		tcp_stream_sync(&c->dir[DIR_TO_CLIENT], pkt->tcp_seq + 1);
		tcp_stream_sync(&c->dir[DIR_TO_SERVER], pkt->tcp_ack);
		return NULL;
	}
	if ((f & DCV_TCP_FIN) && pkt->payload_len == 0) {
		/* the end of a connection we never saw: absorb its last packets */
		c = conn_create(t, k, h, CONN_CLOSED, pkt->ts_ns);
		if (c == NULL)
			goto nomem;
		tcp_stream_finish(&c->dir[0], &t->env);
		tcp_stream_finish(&c->dir[1], &t->env);
		return NULL;
	}
	c = pick_up(t, k, h, pkt->ts_ns);
	if (c == NULL)
		goto nomem;
	return c;
nomem:
	*rc = DCV_ENOMEM;
	report_error(t, DCV_ENOMEM);
	return NULL;
}

static int on_syn_sent(struct tcp_tracker *t, struct tcp_conn *c, const struct dcv_pkt *pkt,
                       bool to_server)
{
	uint8_t f = pkt->tcp_flags;
	if (to_server) {
		if (f & DCV_TCP_SYN) {
			/* retransmission: the same attempt; a new ISN restarts the stream */
			if (pkt->tcp_seq != c->client_isn) {
				c->client_isn = pkt->tcp_seq;
				tcp_stream_release(&c->dir[DIR_TO_SERVER], &t->env);
				tcp_stream_init(&c->dir[DIR_TO_SERVER], true);
				tcp_stream_sync(&c->dir[DIR_TO_SERVER], pkt->tcp_seq + 1);
			}
			return feed(t, c, pkt, true);
		}
		if (f & DCV_TCP_RST) {
			set_state(t, c, CONN_CLOSED); /* client gave up: no event defined */
			finish_streams(t, c);
			return 0;
		}
		if (!(f & DCV_TCP_ACK))
			return 0;
		/* the client acknowledges a SYN-ACK the capture missed */
		open_conn(t, c, pkt->ts_ns);
		int rc = feed(t, c, pkt, true);
		if (f & DCV_TCP_FIN) {
			c->fin[DIR_TO_SERVER] = true;
			close_conn(t, c, pkt->ts_ns, false, false, CLOSE_SEEN);
		}
		return rc;
	}
	if (f & DCV_TCP_RST) {
		end_syn(t, c, TCP_EV_REJECTED, pkt->ts_ns);
		finish_streams(t, c);
		return 0;
	}
	if ((f & (DCV_TCP_SYN | DCV_TCP_ACK)) == (DCV_TCP_SYN | DCV_TCP_ACK)) {
		tcp_stream_sync(&c->dir[DIR_TO_CLIENT], pkt->tcp_seq + 1);
		open_conn(t, c, pkt->ts_ns);
		return feed(t, c, pkt, false);
	}
	return 0; /* server data before its SYN-ACK: ignore */
}

static int on_open_or_closed(struct tcp_tracker *t, struct tcp_conn *c, const struct dcv_pkt *pkt,
                             bool to_server)
{
	uint8_t f = pkt->tcp_flags;
	if (f & DCV_TCP_SYN)
		return 0; /* retransmitted SYN or SYN-ACK */
	if (f & DCV_TCP_RST) {
		if (c->state == CONN_ESTABLISHED)
			close_conn(t, c, pkt->ts_ns, !to_server, true, CLOSE_SEEN);
		finish_streams(t, c);
		return 0;
	}
	int rc = feed(t, c, pkt, to_server);
	if (f & DCV_TCP_FIN) {
		c->fin[to_server ? DIR_TO_SERVER : DIR_TO_CLIENT] = true;
		if (c->state == CONN_ESTABLISHED)
			close_conn(t, c, pkt->ts_ns, !to_server, false, CLOSE_SEEN);
		if (c->fin[DIR_TO_SERVER] && c->fin[DIR_TO_CLIENT])
			finish_streams(t, c);
	}
	return rc;
}

/* ---- public --------------------------------------------------------------- */

static uint64_t draw_seed(void)
{
	uint64_t seed;
	if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) == (ssize_t)sizeof(seed))
		return seed;
	/* no entropy yet (early boot): weaker, but still not a constant */
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return dcv_hash_mix((uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 32) ^
	                    (uint64_t)(uintptr_t)&seed);
}

struct tcp_tracker *tcp_tracker_new(const struct tcp_config *cfg, const struct tcp_callbacks *cb)
{
	struct tcp_tracker *t = calloc(1, sizeof(*t));
	if (t == NULL)
		return NULL;
	if (cb)
		t->cb = *cb;
	uint32_t max =
	    cfg && cfg->max_connections ? cfg->max_connections : TCP_MAX_CONNECTIONS_DEFAULT;
	if (max > TCP_MAX_CONNECTIONS_LIMIT)
		max = TCP_MAX_CONNECTIONS_LIMIT;
	uint32_t syn_ms =
	    cfg && cfg->syn_timeout_ms ? cfg->syn_timeout_ms : TCP_SYN_TIMEOUT_MS_DEFAULT;
	uint32_t idle_ms =
	    cfg && cfg->idle_timeout_ms ? cfg->idle_timeout_ms : TCP_IDLE_TIMEOUT_MS_DEFAULT;
	uint32_t stream =
	    cfg && cfg->stream_max_bytes ? cfg->stream_max_bytes : TCP_STREAM_MAX_BYTES_DEFAULT;
	if (stream < TCP_STREAM_MIN_BYTES)
		stream = TCP_STREAM_MIN_BYTES;
	t->max_conns = max;
	t->syn_timeout_ns = syn_ms * NS_PER_MS;
	t->idle_timeout_ns = idle_ms * NS_PER_MS;
	t->env.max_bytes = stream;
	t->env.budget = TCP_STREAM_BUDGET_BYTES_DEFAULT;
	t->seed = draw_seed();

	uint64_t nb = 16;
	while (nb < max)
		nb <<= 1;
	t->bucket_mask = nb - 1;
	t->buckets = calloc(nb, sizeof(*t->buckets));
	t->cbuckets = calloc(nb, sizeof(*t->cbuckets));
	if (t->buckets == NULL || t->cbuckets == NULL) {
		tcp_tracker_free(t);
		return NULL;
	}
	return t;
}

static void free_all_entries(struct tcp_tracker *t)
{
	struct conn_list *lists[2] = {&t->live, &t->linger};
	for (int i = 0; i < 2; i++) {
		struct tcp_conn *c = lists[i]->head;
		while (c) {
			struct tcp_conn *next = c->lru_next;
			tcp_stream_release(&c->dir[0], &t->env);
			tcp_stream_release(&c->dir[1], &t->env);
			free(c);
			c = next;
		}
	}
}

void tcp_tracker_free(struct tcp_tracker *t)
{
	if (t == NULL)
		return;
	free_all_entries(t);
	for (struct tcp_conn *c = t->free_conns, *n; c; c = n) {
		n = c->hnext;
		free(c);
	}
	if (t->cbuckets) {
		for (uint64_t i = 0; i <= t->bucket_mask; i++) {
			for (struct client_node *n = t->cbuckets[i], *nx; n; n = nx) {
				nx = n->next;
				free(n);
			}
		}
	}
	for (struct client_node *n = t->free_clients, *nx; n; n = nx) {
		nx = n->next;
		free(n);
	}
	free(t->cbuckets);
	free(t->buckets);
	free(t);
}

int tcp_tracker_packet(struct tcp_tracker *t, const struct dcv_pkt *pkt, bool to_server)
{
	if (t == NULL || pkt == NULL || pkt->proto != DCV_PROTO_TCP ||
	    (pkt->payload_len > 0 && pkt->payload == NULL)) {
		if (t)
			report_error(t, DCV_EINVAL);
		return DCV_EINVAL;
	}
	/* timeouts that ran out before this packet come first */
	tcp_tracker_expire(t, pkt->ts_ns);

	struct conn_key k;
	memset(&k, 0, sizeof(k));
	k.client = to_server ? pkt->src : pkt->dst;
	k.server = to_server ? pkt->dst : pkt->src;
	k.client_port = to_server ? pkt->sport : pkt->dport;
	k.server_port = to_server ? pkt->dport : pkt->sport;
	uint64_t h = dcv_hash_table(&k, sizeof(k), t->seed);

	int rc = 0;
	struct tcp_conn *c = conn_lookup(t, &k, h);
	uint8_t f = pkt->tcp_flags;
	if (c && c->state == CONN_CLOSED && to_server && (f & DCV_TCP_SYN) && !(f & DCV_TCP_ACK) &&
	    !(c->isn_known && c->client_isn == pkt->tcp_seq)) {
		conn_remove(t, c); /* port reuse: a new connection on the same tuple */
		c = NULL;
	}
	if (c == NULL) {
		c = on_new_tuple(t, &k, h, pkt, to_server, &rc);
		if (c == NULL)
			return rc;
	} else {
		conn_touch(t, c, pkt->ts_ns);
	}
	if (c->state == CONN_SYN_SENT)
		return on_syn_sent(t, c, pkt, to_server);
	return on_open_or_closed(t, c, pkt, to_server);
}

void tcp_tracker_expire(struct tcp_tracker *t, uint64_t now_ns)
{
	struct tcp_conn *c;
	while ((c = t->syn.head) && c->first_ns + t->syn_timeout_ns <= now_ns) {
		end_syn(t, c, TCP_EV_FILTERED, c->first_ns + t->syn_timeout_ns);
		finish_streams(t, c);
	}
	while ((c = t->live.tail) && c->last_ns + t->idle_timeout_ns <= now_ns) {
		/* SYN_SENT here only when syn_timeout > idle_timeout */
		if (c->state == CONN_SYN_SENT)
			end_syn(t, c, TCP_EV_FILTERED, c->last_ns + t->idle_timeout_ns);
		else
			close_conn(t, c, c->last_ns + t->idle_timeout_ns, false, false, CLOSE_IDLE);
		conn_remove(t, c);
	}
	while ((c = t->linger.tail) && c->last_ns + t->idle_timeout_ns <= now_ns)
		conn_remove(t, c);
}

void tcp_tracker_finish(struct tcp_tracker *t, uint64_t last_ns)
{
	tcp_tracker_expire(t, last_ns);
	struct tcp_conn *c;
	while ((c = t->live.tail)) {
		if (c->state == CONN_SYN_SENT) {
			t->stats.syn_pending_at_end++;
			set_state(t, c, CONN_CLOSED);
		} else {
			close_conn(t, c, last_ns, false, false, CLOSE_CUT);
		}
		conn_remove(t, c);
	}
	while ((c = t->linger.tail))
		conn_remove(t, c);
}

const struct tcp_stats *tcp_tracker_get_stats(const struct tcp_tracker *t)
{
	return &t->stats;
}
