/*
 * valsim.c - a CA validator simulator for the real-nameserver fault lab
 * (tests/lab/). It sends validation-like DNS traffic to one server address
 * from several local source addresses (each socket bound to its source; on
 * Linux all of 127.0.0.0/8 is local), in up to three phases:
 *
 *   attempts  every source ("perspective") sends TXT _acme-challenge.NAME and
 *             CAA for NAME and each ancestor, all at once over UDP with EDNS,
 *             waits for the answers and retries over TCP when TC=1;
 *   tcp       K concurrent TCP connections per source, one query on each,
 *             all held open for a while (probes a per-client session cap);
 *   burst     UDP queries at R per second per source for S seconds (probes a
 *             per-client rate limit).
 *
 * Bounded: hard caps on total queries and run time whatever the options say.
 * Prints a JSON summary per source on stdout. Test tool only: no retries
 * beyond TC fallback, no randomisation (deterministic ids and order).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define VS_MAX_SOURCES   64
#define VS_MAX_TCP_CONNS 1000   /* per source */
#define VS_HARD_QUERIES  200000 /* total, all phases */
#define VS_HARD_SECONDS  120    /* total run time */
#define VS_MAX_NAME      255
#define VS_MAX_LABELS    16
#define VS_MSG_MAX       65535
#define VS_QTYPE_TXT     16
#define VS_QTYPE_CAA     257
#define VS_QTYPE_SOA     6
#define VS_RCODES        16
#define VS_BURST_SLOTS   65536 /* query ids per source in the burst phase */

struct vs_source {
	char addr[INET_ADDRSTRLEN];
	struct in_addr in;
	/* counters */
	uint64_t udp_queries, udp_answers, udp_timeouts, udp_tc;
	uint64_t tcp_queries, tcp_answers, tcp_failed;
	uint64_t rcode[VS_RCODES];
	uint64_t tcp_connect_ok, tcp_connect_refused, tcp_connect_timeout, tcp_connect_other;
	uint64_t burst_sent, burst_answered;
};

struct vs_opts {
	struct in_addr server;
	char server_str[INET_ADDRSTRLEN];
	uint16_t port;
	char name[VS_MAX_NAME + 1];
	unsigned attempts, interval_ms, timeout_ms, edns_size, group_size;
	unsigned udp_retry_edns; /* ask unanswered questions again with this buffer; 0: no */
	unsigned tcp_conns, tcp_sources, tcp_hold_ms;
	unsigned burst_qps, burst_seconds, burst_sources, burst_align;
	unsigned burst_first_qps; /* the burst's first second; 0: burst_qps */
	unsigned max_queries, max_seconds;
};

struct vs_state {
	struct vs_opts o;
	struct vs_source src[VS_MAX_SOURCES];
	unsigned nsrc;
	struct vs_source bsrc[VS_MAX_SOURCES]; /* --burst-source: burst phase only */
	unsigned nbsrc;
	uint64_t total_queries;
	uint64_t start_ms;
	uint16_t next_id;
	bool capped; /* a hard limit stopped a phase early */
};

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* vs_budget_ok() says whether one more query fits the count and time caps. */
static bool vs_budget_ok(struct vs_state *s)
{
	if (s->total_queries >= s->o.max_queries ||
	    now_ms() - s->start_ms >= (uint64_t)s->o.max_seconds * 1000u) {
		s->capped = true;
		return false;
	}
	return true;
}

/* vs_build_query() writes a query for (name, qtype) with an EDNS OPT record
 * advertising edns_size into buf; returns its length or -1. */
static int vs_build_query(uint8_t *buf, size_t cap, uint16_t id, const char *name, uint16_t qtype,
                          unsigned edns_size)
{
	size_t n = 0;
	if (cap < 12 + VS_MAX_NAME + 2 + 4 + 11)
		return -1;
	memset(buf, 0, 12);
	buf[0] = (uint8_t)(id >> 8);
	buf[1] = (uint8_t)id;
	buf[5] = 1;  /* qdcount */
	buf[11] = 1; /* arcount: OPT */
	n = 12;
	const char *p = name;
	while (*p != '\0') {
		const char *dot = strchr(p, '.');
		size_t l = dot ? (size_t)(dot - p) : strlen(p);
		if (l == 0 || l > 63 || n + l + 1 > 12 + VS_MAX_NAME)
			return -1;
		buf[n++] = (uint8_t)l;
		memcpy(buf + n, p, l);
		n += l;
		p += l;
		if (*p == '.')
			p++;
	}
	buf[n++] = 0;
	buf[n++] = (uint8_t)(qtype >> 8);
	buf[n++] = (uint8_t)qtype;
	buf[n++] = 0;
	buf[n++] = 1; /* IN */
	/* OPT: root name, type 41, class = payload size, ttl 0, rdlen 0 */
	buf[n++] = 0;
	buf[n++] = 0;
	buf[n++] = 41;
	buf[n++] = (uint8_t)(edns_size >> 8);
	buf[n++] = (uint8_t)edns_size;
	memset(buf + n, 0, 6);
	n += 6;
	return (int)n;
}

static int vs_socket(const struct vs_source *src, int type)
{
	int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr = src->in, .sin_port = 0};
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static struct sockaddr_in vs_server(const struct vs_opts *o)
{
	struct sockaddr_in sa = {
	    .sin_family = AF_INET, .sin_addr = o->server, .sin_port = htons(o->port)};
	return sa;
}

static void vs_count_rcode(struct vs_source *src, const uint8_t *msg, size_t len)
{
	if (len >= 4)
		src->rcode[msg[3] & 0x0f]++;
}

/* vs_tcp_query() sends one query over a new TCP connection from src and
 * reads the answer within timeout_ms; true when an answer arrived. */
static bool vs_tcp_query(struct vs_state *s, struct vs_source *src, const uint8_t *q, size_t qlen)
{
	int fd = vs_socket(src, SOCK_STREAM);
	if (fd < 0) {
		src->tcp_failed++;
		return false;
	}
	struct timeval tv = {.tv_sec = s->o.timeout_ms / 1000,
	                     .tv_usec = (suseconds_t)(s->o.timeout_ms % 1000) * 1000};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	struct sockaddr_in sa = vs_server(&s->o);
	uint8_t buf[2 + VS_MSG_MAX];
	bool ok = false;
	src->tcp_queries++;
	s->total_queries++;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		if (errno == ECONNREFUSED)
			src->tcp_connect_refused++;
		else if (errno == ETIMEDOUT || errno == EINPROGRESS || errno == EAGAIN)
			src->tcp_connect_timeout++;
		else
			src->tcp_connect_other++;
		goto out;
	}
	src->tcp_connect_ok++;
	buf[0] = (uint8_t)(qlen >> 8);
	buf[1] = (uint8_t)qlen;
	memcpy(buf + 2, q, qlen);
	if (send(fd, buf, qlen + 2, MSG_NOSIGNAL) != (ssize_t)(qlen + 2))
		goto out;
	size_t got = 0, want = 2;
	while (got < want) {
		ssize_t r = recv(fd, buf + got, want - got, 0);
		if (r <= 0)
			goto out;
		got += (size_t)r;
		if (got == 2 && want == 2)
			want = 2 + (((size_t)buf[0] << 8) | buf[1]);
	}
	vs_count_rcode(src, buf + 2, want - 2);
	src->tcp_answers++;
	ok = true;
out:
	if (!ok)
		src->tcp_failed++;
	close(fd);
	return ok;
}

struct vs_pending {
	uint16_t id;
	uint16_t qtype;
	char qname[VS_MAX_NAME + 1];
	bool answered;
	bool tc;
};

/* The questions of one attempt, per source. */
typedef struct vs_pending vs_questions[VS_MAX_SOURCES][VS_MAX_LABELS + 1];

/* vs_udp_round() asks every question of pend not yet answered over UDP
 * with EDNS buffer edns_size (a fresh id each), collects the answers until
 * all arrived or timeout_ms passed, and counts the rest as timeouts. */
static void vs_udp_round(struct vs_state *s, const int *fds, vs_questions pend, unsigned nq,
                         unsigned edns_size)
{
	struct sockaddr_in sa = vs_server(&s->o);
	uint8_t q[512];
	for (unsigned i = 0; i < s->nsrc; i++)
		for (unsigned k = 0; k < nq; k++) {
			struct vs_pending *pd = &pend[i][k];
			if (pd->answered)
				continue;
			if (fds[i] < 0 || !vs_budget_ok(s)) {
				pd->answered = true; /* not sent: nothing to wait for */
				continue;
			}
			pd->id = s->next_id++;
			int ql =
			    vs_build_query(q, sizeof(q), pd->id, pd->qname, pd->qtype, edns_size);
			if (ql < 0)
				continue;
			sendto(fds[i], q, (size_t)ql, 0, (struct sockaddr *)&sa, sizeof(sa));
			s->src[i].udp_queries++;
			s->total_queries++;
		}
	/* collect answers until all arrived or the timeout */
	uint64_t deadline = now_ms() + s->o.timeout_ms;
	for (;;) {
		unsigned open = 0;
		struct pollfd pfd[VS_MAX_SOURCES];
		for (unsigned i = 0; i < s->nsrc; i++) {
			pfd[i].fd = fds[i];
			pfd[i].events = POLLIN;
			pfd[i].revents = 0;
			for (unsigned k = 0; k < nq; k++)
				open += !pend[i][k].answered;
		}
		uint64_t t = now_ms();
		if (open == 0 || t >= deadline)
			break;
		if (poll(pfd, s->nsrc, (int)(deadline - t)) <= 0)
			continue;
		for (unsigned i = 0; i < s->nsrc; i++) {
			if (!(pfd[i].revents & POLLIN))
				continue;
			uint8_t buf[VS_MSG_MAX];
			ssize_t r = recv(fds[i], buf, sizeof(buf), MSG_DONTWAIT);
			if (r < 12)
				continue;
			uint16_t id = (uint16_t)((buf[0] << 8) | buf[1]);
			for (unsigned k = 0; k < nq; k++) {
				struct vs_pending *pd = &pend[i][k];
				if (pd->answered || pd->id != id)
					continue;
				pd->answered = true;
				s->src[i].udp_answers++;
				vs_count_rcode(&s->src[i], buf, (size_t)r);
				if (buf[2] & 0x02) {
					pd->tc = true;
					s->src[i].udp_tc++;
				}
				break;
			}
		}
	}
	for (unsigned i = 0; i < s->nsrc; i++)
		for (unsigned k = 0; k < nq; k++)
			s->src[i].udp_timeouts += !pend[i][k].answered;
}

/* vs_attempt() runs one validation attempt from every source of the
 * attempt's group at once (group_size 0: every source; else the sources are
 * consecutive groups of group_size, one CA's perspectives each, and attempt
 * k uses group k modulo the number of groups). With --udp-retry-edns, the
 * questions left unanswered are asked once more with that EDNS buffer (a
 * resolver's fallback after a timeout); answers with TC=1 are retried over
 * TCP. */
static void vs_attempt(struct vs_state *s, unsigned attempt)
{
	unsigned g0 = 0, g1 = s->nsrc;
	if (s->o.group_size > 0 && s->o.group_size < s->nsrc) {
		unsigned ngroups = (s->nsrc + s->o.group_size - 1) / s->o.group_size;
		g0 = (attempt % ngroups) * s->o.group_size;
		g1 = g0 + s->o.group_size < s->nsrc ? g0 + s->o.group_size : s->nsrc;
	}
	/* names: _acme-challenge.NAME (TXT), then NAME and each ancestor (CAA) */
	char names[VS_MAX_LABELS + 1][VS_MAX_NAME + 1];
	uint16_t types[VS_MAX_LABELS + 1];
	unsigned nq = 0;
	snprintf(names[nq], sizeof(names[nq]), "_acme-challenge.%.*s", VS_MAX_NAME - 20, s->o.name);
	types[nq++] = VS_QTYPE_TXT;
	for (const char *p = s->o.name; p != NULL && *p != '\0' && nq <= VS_MAX_LABELS;) {
		snprintf(names[nq], sizeof(names[nq]), "%s", p);
		types[nq++] = VS_QTYPE_CAA;
		p = strchr(p, '.');
		if (p != NULL)
			p++;
	}
	static vs_questions pend;
	int fds[VS_MAX_SOURCES];
	for (unsigned i = 0; i < s->nsrc; i++) {
		bool member = i >= g0 && i < g1;
		fds[i] = member ? vs_socket(&s->src[i], SOCK_DGRAM) : -1;
		for (unsigned k = 0; k < nq; k++) {
			struct vs_pending *pd = &pend[i][k];
			memset(pd, 0, sizeof(*pd));
			pd->qtype = types[k];
			memcpy(pd->qname, names[k], sizeof(pd->qname)); /* both VS_MAX_NAME + 1 */
			pd->answered = !member;                         /* not in this attempt */
		}
	}
	vs_udp_round(s, fds, pend, nq, s->o.edns_size);
	if (s->o.udp_retry_edns > 0)
		vs_udp_round(s, fds, pend, nq, s->o.udp_retry_edns);
	uint8_t q[512];
	for (unsigned i = 0; i < s->nsrc; i++) {
		for (unsigned k = 0; k < nq; k++) {
			struct vs_pending *pd = &pend[i][k];
			if (pd->tc && vs_budget_ok(s)) {
				int ql = vs_build_query(q, sizeof(q), s->next_id++, pd->qname,
				                        pd->qtype, s->o.edns_size);
				if (ql > 0)
					vs_tcp_query(s, &s->src[i], q, (size_t)ql);
			}
		}
		if (fds[i] >= 0)
			close(fds[i]);
	}
}

/* vs_tcp_phase() opens tcp_conns connections from each of the first
 * tcp_sources sources at once, sends one query on each, holds them open for
 * tcp_hold_ms and closes them. */
static void vs_tcp_phase(struct vs_state *s)
{
	unsigned nsrc = s->o.tcp_sources < s->nsrc ? s->o.tcp_sources : s->nsrc;
	unsigned k = s->o.tcp_conns;
	size_t n = (size_t)nsrc * k;
	if (n == 0)
		return;
	struct pollfd *pfd = calloc(n, sizeof(*pfd));
	uint8_t *state = calloc(n, 1); /* 0 connecting, 1 connected, 2 answered, 3 failed */
	size_t *got = calloc(n, sizeof(*got));
	uint8_t(*rbuf)[512] = calloc(n, 512);
	if (pfd == NULL || state == NULL || got == NULL || rbuf == NULL) {
		free(pfd), free(state), free(got), free(rbuf);
		return;
	}
	struct sockaddr_in sa = vs_server(&s->o);
	for (size_t c = 0; c < n; c++) {
		struct vs_source *src = &s->src[c / k];
		pfd[c].fd = -1;
		if (!vs_budget_ok(s)) {
			state[c] = 3;
			continue;
		}
		int fd = vs_socket(src, SOCK_STREAM);
		if (fd < 0) {
			src->tcp_connect_other++;
			state[c] = 3;
			continue;
		}
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
		int r = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
		pfd[c].fd = fd;
		pfd[c].events = POLLOUT;
		if (r != 0 && errno != EINPROGRESS) {
			src->tcp_connect_refused += errno == ECONNREFUSED;
			src->tcp_connect_other += errno != ECONNREFUSED;
			state[c] = 3;
			pfd[c].events = 0;
		}
	}
	/* connect, send, read the answer; bounded by timeout_ms */
	uint64_t deadline = now_ms() + s->o.timeout_ms;
	for (;;) {
		unsigned busy = 0;
		for (size_t c = 0; c < n; c++)
			busy += state[c] < 2;
		uint64_t t = now_ms();
		if (busy == 0 || t >= deadline)
			break;
		if (poll(pfd, (nfds_t)n, (int)(deadline - t)) <= 0)
			continue;
		for (size_t c = 0; c < n; c++) {
			struct vs_source *src = &s->src[c / k];
			if (pfd[c].revents == 0 || state[c] >= 2)
				continue;
			if (state[c] == 0) {
				int err = 0;
				socklen_t el = sizeof(err);
				getsockopt(pfd[c].fd, SOL_SOCKET, SO_ERROR, &err, &el);
				if (err != 0) {
					if (err == ECONNREFUSED || err == ECONNRESET)
						src->tcp_connect_refused++;
					else if (err == ETIMEDOUT)
						src->tcp_connect_timeout++;
					else
						src->tcp_connect_other++;
					state[c] = 3;
					pfd[c].events = 0;
					continue;
				}
				src->tcp_connect_ok++;
				uint8_t q[2 + 512];
				int ql = vs_build_query(q + 2, sizeof(q) - 2, s->next_id++,
				                        s->o.name, VS_QTYPE_SOA, s->o.edns_size);
				q[0] = (uint8_t)(ql >> 8);
				q[1] = (uint8_t)ql;
				src->tcp_queries++;
				s->total_queries++;
				if (ql < 0 ||
				    send(pfd[c].fd, q, (size_t)ql + 2, MSG_NOSIGNAL) != ql + 2) {
					src->tcp_failed++;
					state[c] = 3;
					pfd[c].events = 0;
					continue;
				}
				state[c] = 1;
				pfd[c].events = POLLIN;
				continue;
			}
			ssize_t r = recv(pfd[c].fd, rbuf[c] + got[c], 512 - got[c], 0);
			if (r <= 0) {
				src->tcp_failed++;
				state[c] = 3;
				pfd[c].events = 0;
				continue;
			}
			got[c] += (size_t)r;
			if (got[c] >= 2 &&
			    got[c] >= 2u + (((size_t)rbuf[c][0] << 8) | rbuf[c][1])) {
				src->tcp_answers++;
				vs_count_rcode(src, rbuf[c] + 2, got[c] - 2);
				state[c] = 2;
				pfd[c].events = 0;
			} else if (got[c] == 512) {
				src->tcp_failed++;
				state[c] = 3;
				pfd[c].events = 0;
			}
		}
	}
	for (size_t c = 0; c < n; c++) {
		struct vs_source *src = &s->src[c / k];
		if (state[c] == 0 && pfd[c].fd >= 0)
			src->tcp_connect_timeout++;
		else if (state[c] == 1)
			src->tcp_failed++;
	}
	/* hold every connection open, then close them all: the unanswered
	 * ones first, as a client that gave up on them would have, so that a
	 * server whose client limit frees up as answered ones close has none
	 * of them left to answer late */
	uint64_t hold_end = now_ms() + s->o.tcp_hold_ms;
	while (now_ms() < hold_end && now_ms() - s->start_ms < (uint64_t)s->o.max_seconds * 1000u)
		usleep(20000);
	for (int answered = 0; answered < 2; answered++)
		for (size_t c = 0; c < n; c++)
			if (pfd[c].fd >= 0 && (state[c] == 2) == answered)
				close(pfd[c].fd);
	free(pfd), free(state), free(got), free(rbuf);
}

/* vs_burst_due() returns how many burst queries one source has sent by
 * elapsed_ms into the burst: burst_first_qps in the first second, then
 * burst_qps a second. */
static uint64_t vs_burst_due(const struct vs_opts *o, uint64_t elapsed_ms)
{
	uint64_t first = o->burst_first_qps ? o->burst_first_qps : o->burst_qps;
	if (elapsed_ms < 1000)
		return elapsed_ms * first / 1000u + 1;
	return first + (elapsed_ms - 1000) * o->burst_qps / 1000u + 1;
}

/* vs_burst_phase() sends burst_qps queries per second (burst_first_qps in
 * the first second) from each of the burst-only sources, or when there are
 * none from each of the first burst_sources sources, for burst_seconds,
 * paced every millisecond, and counts the answers (until timeout_ms after
 * the last query). */
static void vs_burst_phase(struct vs_state *s)
{
	struct vs_source *set = s->nbsrc > 0 ? s->bsrc : s->src;
	unsigned nsrc = s->nbsrc > 0                   ? s->nbsrc
	                : s->o.burst_sources < s->nsrc ? s->o.burst_sources
	                                               : s->nsrc;
	if (nsrc == 0 || s->o.burst_qps == 0 || s->o.burst_seconds == 0)
		return;
	int fds[VS_MAX_SOURCES];
	uint8_t *seen[VS_MAX_SOURCES];
	for (unsigned i = 0; i < nsrc; i++) {
		fds[i] = vs_socket(&set[i], SOCK_DGRAM);
		seen[i] = calloc(VS_BURST_SLOTS, 1); /* 1 sent, 2 answered */
		if (fds[i] >= 0)
			fcntl(fds[i], F_SETFL, fcntl(fds[i], F_GETFL) | O_NONBLOCK);
	}
	struct sockaddr_in sa = vs_server(&s->o);
	if (s->o.burst_align) {
		/* start on a wall-clock second: captures are counted per second,
		 * and a burst of whole seconds has no partial first or last one */
		struct timespec rt;
		clock_gettime(CLOCK_REALTIME, &rt);
		usleep((useconds_t)((1000000000L - rt.tv_nsec) / 1000));
	}
	uint64_t t0 = now_ms();
	uint64_t send_end = t0 + (uint64_t)s->o.burst_seconds * 1000u;
	uint64_t last_send = t0;
	uint64_t per_src_max = vs_burst_due(&s->o, (uint64_t)s->o.burst_seconds * 1000u) - 1;
	if (per_src_max > VS_BURST_SLOTS - 1)
		per_src_max = VS_BURST_SLOTS - 1;
	uint8_t q[512];
	bool sending = true;
	for (;;) {
		uint64_t t = now_ms();
		if (!sending && t >= last_send + s->o.timeout_ms)
			break;
		if (sending) {
			/* a busy machine may wake us late: whatever the pace left
			 * unsent at send_end goes out then, so the count is exact */
			uint64_t due = t >= send_end ? per_src_max : vs_burst_due(&s->o, t - t0);
			if (due > per_src_max)
				due = per_src_max;
			sending = t < send_end;
			last_send = t;
			for (unsigned i = 0; i < nsrc; i++) {
				struct vs_source *src = &set[i];
				while (fds[i] >= 0 && seen[i] != NULL && src->burst_sent < due &&
				       vs_budget_ok(s)) {
					uint16_t id = (uint16_t)src->burst_sent;
					int ql = vs_build_query(q, sizeof(q), id, s->o.name,
					                        VS_QTYPE_CAA, s->o.edns_size);
					if (ql < 0)
						break;
					sendto(fds[i], q, (size_t)ql, 0, (struct sockaddr *)&sa,
					       sizeof(sa));
					seen[i][id] = 1;
					src->burst_sent++;
					src->udp_queries++;
					s->total_queries++;
				}
			}
		}
		struct pollfd pfd[VS_MAX_SOURCES];
		for (unsigned i = 0; i < nsrc; i++)
			pfd[i] = (struct pollfd){.fd = fds[i], .events = POLLIN};
		if (poll(pfd, nsrc, 1) <= 0)
			continue;
		for (unsigned i = 0; i < nsrc; i++) {
			if (!(pfd[i].revents & POLLIN) || seen[i] == NULL)
				continue;
			uint8_t buf[VS_MSG_MAX];
			ssize_t r;
			while ((r = recv(fds[i], buf, sizeof(buf), 0)) >= 12) {
				uint16_t id = (uint16_t)((buf[0] << 8) | buf[1]);
				if (seen[i][id] != 1)
					continue;
				seen[i][id] = 2;
				set[i].burst_answered++;
				set[i].udp_answers++;
				set[i].udp_tc += (buf[2] & 0x02) != 0;
				vs_count_rcode(&set[i], buf, (size_t)r);
			}
		}
	}
	for (unsigned i = 0; i < nsrc; i++) {
		set[i].udp_timeouts += set[i].burst_sent - set[i].burst_answered;
		if (fds[i] >= 0)
			close(fds[i]);
		free(seen[i]);
	}
}

static const char *const vs_rcode_names[VS_RCODES] = {
    "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP",  "REFUSED", "YXDOMAIN", "YXRRSET",
    "NXRRSET", "NOTAUTH", "NOTZONE",  "RCODE11",  "RCODE12", "RCODE13", "RCODE14",  "RCODE15"};

static void vs_print_json(const struct vs_state *s)
{
	printf("{\n  \"server\": \"%s\", \"port\": %u, \"name\": \"%s\",\n", s->o.server_str,
	       s->o.port, s->o.name);
	printf("  \"total_queries\": %llu, \"capped\": %s,\n  \"sources\": [\n",
	       (unsigned long long)s->total_queries, s->capped ? "true" : "false");
	unsigned n = s->nsrc + s->nbsrc;
	for (unsigned i = 0; i < n; i++) {
		const struct vs_source *x = i < s->nsrc ? &s->src[i] : &s->bsrc[i - s->nsrc];
		printf("    {\"address\": \"%s\", \"udp_queries\": %llu, \"udp_answers\": %llu, "
		       "\"udp_timeouts\": %llu, \"udp_tc\": %llu,\n",
		       x->addr, (unsigned long long)x->udp_queries,
		       (unsigned long long)x->udp_answers, (unsigned long long)x->udp_timeouts,
		       (unsigned long long)x->udp_tc);
		printf("     \"tcp_queries\": %llu, \"tcp_answers\": %llu, \"tcp_failed\": %llu, "
		       "\"tcp_connect_ok\": %llu, \"tcp_connect_refused\": %llu, "
		       "\"tcp_connect_timeout\": %llu, \"tcp_connect_other\": %llu,\n",
		       (unsigned long long)x->tcp_queries, (unsigned long long)x->tcp_answers,
		       (unsigned long long)x->tcp_failed, (unsigned long long)x->tcp_connect_ok,
		       (unsigned long long)x->tcp_connect_refused,
		       (unsigned long long)x->tcp_connect_timeout,
		       (unsigned long long)x->tcp_connect_other);
		printf("     \"burst_sent\": %llu, \"burst_answered\": %llu, \"rcodes\": {",
		       (unsigned long long)x->burst_sent, (unsigned long long)x->burst_answered);
		bool first = true;
		for (unsigned r = 0; r < VS_RCODES; r++) {
			if (x->rcode[r] == 0)
				continue;
			printf("%s\"%s\": %llu", first ? "" : ", ", vs_rcode_names[r],
			       (unsigned long long)x->rcode[r]);
			first = false;
		}
		printf("}}%s\n", i + 1 < n ? "," : "");
	}
	printf("  ]\n}\n");
}

static void usage(FILE *out)
{
	fprintf(
	    out,
	    "usage: dcv-valsim --server ADDR --source ADDR [--source ADDR...] [options]\n"
	    "  --port N            server port (default 53)\n"
	    "  --name NAME         validated name (default a.b.lab.example)\n"
	    "  --attempts N        validation attempts (default 3)\n"
	    "  --group-size N      sources form groups of N (one CA's perspectives); attempt k\n"
	    "                      uses group k mod groups (default 0: all sources each time)\n"
	    "  --interval-ms N     pause between attempts (default 200)\n"
	    "  --timeout-ms N      answer timeout (default 1500)\n"
	    "  --edns-size N       EDNS UDP payload size (default 1232)\n"
	    "  --udp-retry-edns N  ask questions left unanswered once more over UDP with\n"
	    "                      this EDNS payload size (default 0: no)\n"
	    "  --tcp-conns K       concurrent TCP connections per source (default 0)\n"
	    "  --tcp-sources M     only the first M sources open them (default all)\n"
	    "  --tcp-hold-ms N     hold them open this long (default 2000)\n"
	    "  --burst-qps R       UDP burst rate per source (default 0 = none)\n"
	    "  --burst-seconds S   burst length (default 2)\n"
	    "  --burst-sources M   only the first M sources burst (default all)\n"
	    "  --burst-source ADDR a source that sends only in the burst (repeatable); when\n"
	    "                      any is given, only these burst\n"
	    "  --burst-align 0|1   start the burst on a wall-clock second (default 1)\n"
	    "  --burst-first-qps R the burst's first second at this rate (default: --burst-qps)\n"
	    "  --max-queries N     total query cap (default and hard cap %u)\n"
	    "  --max-seconds N     run time cap (default and hard cap %u)\n",
	    VS_HARD_QUERIES, VS_HARD_SECONDS);
}

static bool parse_u(const char *s, unsigned min, unsigned max, unsigned *out)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno != 0 || *s == '\0' || *s == '-' || *end != '\0' || v < min || v > max)
		return false;
	*out = (unsigned)v;
	return true;
}

int main(int argc, char **argv)
{
	static struct vs_state s;
	s.o = (struct vs_opts){.port = 53,
	                       .attempts = 3,
	                       .interval_ms = 200,
	                       .timeout_ms = 1500,
	                       .edns_size = 1232,
	                       .tcp_sources = VS_MAX_SOURCES,
	                       .tcp_hold_ms = 2000,
	                       .burst_seconds = 2,
	                       .burst_sources = VS_MAX_SOURCES,
	                       .burst_align = 1,
	                       .max_queries = VS_HARD_QUERIES,
	                       .max_seconds = VS_HARD_SECONDS};
	snprintf(s.o.name, sizeof(s.o.name), "a.b.lab.example");
	static const struct option lo[] = {{"server", 1, 0, 's'},
	                                   {"source", 1, 0, 'S'},
	                                   {"port", 1, 0, 'p'},
	                                   {"name", 1, 0, 'n'},
	                                   {"attempts", 1, 0, 'a'},
	                                   {"interval-ms", 1, 0, 'i'},
	                                   {"timeout-ms", 1, 0, 't'},
	                                   {"edns-size", 1, 0, 'e'},
	                                   {"tcp-conns", 1, 0, 'k'},
	                                   {"tcp-sources", 1, 0, 'K'},
	                                   {"tcp-hold-ms", 1, 0, 'H'},
	                                   {"burst-qps", 1, 0, 'r'},
	                                   {"burst-seconds", 1, 0, 'd'},
	                                   {"burst-sources", 1, 0, 'R'},
	                                   {"max-queries", 1, 0, 'Q'},
	                                   {"max-seconds", 1, 0, 'T'},
	                                   {"group-size", 1, 0, 'g'},
	                                   {"burst-align", 1, 0, 'A'},
	                                   {"burst-first-qps", 1, 0, 'F'},
	                                   {"burst-source", 1, 0, 'B'},
	                                   {"udp-retry-edns", 1, 0, 'E'},
	                                   {"help", 0, 0, 'h'},
	                                   {0, 0, 0, 0}};
	bool have_server = false;
	int c;
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		bool ok = true;
		switch (c) {
		case 's':
			ok = inet_pton(AF_INET, optarg, &s.o.server) == 1;
			snprintf(s.o.server_str, sizeof(s.o.server_str), "%s", optarg);
			have_server = ok;
			break;
		case 'S':
			ok = s.nsrc < VS_MAX_SOURCES &&
			     inet_pton(AF_INET, optarg, &s.src[s.nsrc].in) == 1;
			if (ok)
				snprintf(s.src[s.nsrc++].addr, INET_ADDRSTRLEN, "%s", optarg);
			break;
		case 'B':
			ok = s.nbsrc < VS_MAX_SOURCES &&
			     inet_pton(AF_INET, optarg, &s.bsrc[s.nbsrc].in) == 1;
			if (ok)
				snprintf(s.bsrc[s.nbsrc++].addr, INET_ADDRSTRLEN, "%s", optarg);
			break;
		case 'p': {
			unsigned v;
			ok = parse_u(optarg, 1, 65535, &v);
			s.o.port = (uint16_t)v;
			break;
		}
		case 'n':
			ok = strlen(optarg) > 0 && strlen(optarg) < VS_MAX_NAME - 20;
			snprintf(s.o.name, sizeof(s.o.name), "%s", optarg);
			break;
		case 'a':
			ok = parse_u(optarg, 0, 1000, &s.o.attempts);
			break;
		case 'i':
			ok = parse_u(optarg, 0, 10000, &s.o.interval_ms);
			break;
		case 't':
			ok = parse_u(optarg, 10, 10000, &s.o.timeout_ms);
			break;
		case 'e':
			ok = parse_u(optarg, 512, 65535, &s.o.edns_size);
			break;
		case 'E':
			ok = parse_u(optarg, 0, 65535, &s.o.udp_retry_edns);
			ok = ok && (s.o.udp_retry_edns == 0 || s.o.udp_retry_edns >= 512);
			break;
		case 'k':
			ok = parse_u(optarg, 0, VS_MAX_TCP_CONNS, &s.o.tcp_conns);
			break;
		case 'K':
			ok = parse_u(optarg, 0, VS_MAX_SOURCES, &s.o.tcp_sources);
			break;
		case 'H':
			ok = parse_u(optarg, 0, 60000, &s.o.tcp_hold_ms);
			break;
		case 'r':
			ok = parse_u(optarg, 0, 10000, &s.o.burst_qps);
			break;
		case 'd':
			ok = parse_u(optarg, 0, 60, &s.o.burst_seconds);
			break;
		case 'R':
			ok = parse_u(optarg, 0, VS_MAX_SOURCES, &s.o.burst_sources);
			break;
		case 'g':
			ok = parse_u(optarg, 0, VS_MAX_SOURCES, &s.o.group_size);
			break;
		case 'A':
			ok = parse_u(optarg, 0, 1, &s.o.burst_align);
			break;
		case 'F':
			ok = parse_u(optarg, 0, 10000, &s.o.burst_first_qps);
			break;
		case 'Q':
			ok = parse_u(optarg, 1, VS_HARD_QUERIES, &s.o.max_queries);
			break;
		case 'T':
			ok = parse_u(optarg, 1, VS_HARD_SECONDS, &s.o.max_seconds);
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			ok = false;
		}
		if (!ok) {
			fprintf(stderr, "dcv-valsim: bad option or value (%s)\n",
			        optarg ? optarg : "");
			usage(stderr);
			return 2;
		}
	}
	if (!have_server || s.nsrc == 0 || optind != argc) {
		usage(stderr);
		return 2;
	}
	s.start_ms = now_ms();
	s.next_id = 1;
	for (unsigned a = 0; a < s.o.attempts && vs_budget_ok(&s); a++) {
		vs_attempt(&s, a);
		if (a + 1 < s.o.attempts)
			usleep(s.o.interval_ms * 1000u);
	}
	vs_tcp_phase(&s);
	vs_burst_phase(&s);
	vs_print_json(&s);
	return 0;
}
