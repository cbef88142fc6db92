/* dnstap_socket.c - a Frame Streams unix socket server for dnstap writers. */
#include "dnstap_socket.h"

#include <errno.h>
#include <fstrm.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "live.h" /* enum cap_live_next, CAP_LIVE_ERR_MAX */

/* A frame starts with its length; 0 escapes a control frame, whose own
 * length follows (Frame Streams, fstrm's control.h). */
enum { LEN_WORD = 4, LISTEN_BACKLOG = 4 };

/* Where a connection stands in the handshake (diagram in the header). */
enum conn_state {
	CONN_NONE,    /* no writer connected */
	CONN_OPENING, /* connected; READY or START expected */
	CONN_READY,   /* ACCEPT sent; START expected */
	CONN_DATA,    /* after START: data frames until STOP */
};

struct cap_dnstap_sock {
	char *path;
	int listen_fd;
	int conn_fd; /* -1 when no writer is connected */
	enum conn_state state;
	uint8_t *rbuf; /* received bytes not yet consumed */
	size_t rlen, rcap;
	size_t consumed; /* bytes of rbuf the last frame used (dropped at the next call) */
	struct cap_dnstap_buf *buf;
	struct cap_dnstap_stats payloads;
	struct cap_dnstap_sock_stats stats;
	char error[CAP_LIVE_ERR_MAX];
};

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void close_conn(struct cap_dnstap_sock *s)
{
	if (s->conn_fd >= 0)
		close(s->conn_fd);
	s->conn_fd = -1;
	s->state = CONN_NONE;
	s->rlen = 0;
	s->consumed = 0;
}

/* Ends a connection that broke the protocol; the source goes on. */
static void conn_error(struct cap_dnstap_sock *s, const char *why)
{
	snprintf(s->error, sizeof(s->error), "%s: dnstap writer disconnected: %s", s->path, why);
	s->stats.protocol_errors++;
	close_conn(s);
}

/* Writes all of (p, n) to the connection (control frames are a few bytes;
 * the writer is waiting for them). Returns 0 or -1. */
static int write_all(int fd, const uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Sends a control frame of type (ACCEPT carries the dnstap content type). */
static int send_control(struct cap_dnstap_sock *s, fstrm_control_type type)
{
	uint8_t frame[FSTRM_CONTROL_FRAME_LENGTH_MAX + 2 * LEN_WORD];
	size_t len = sizeof(frame);
	struct fstrm_control *c = fstrm_control_init();
	int rc = -1;
	if (c != NULL && fstrm_control_set_type(c, type) == fstrm_res_success &&
	    (type != FSTRM_CONTROL_ACCEPT ||
	     fstrm_control_add_field_content_type(c, (const uint8_t *)DNSTAP_CONTENT_TYPE,
	                                          strlen(DNSTAP_CONTENT_TYPE)) ==
	         fstrm_res_success) &&
	    fstrm_control_encode(c, frame, &len, FSTRM_CONTROL_FLAG_WITH_HEADER) ==
	        fstrm_res_success)
		rc = write_all(s->conn_fd, frame, len);
	fstrm_control_destroy(&c);
	return rc;
}

/* Handles one control frame payload (p, n). Returns 0, or -1 when the
 * connection was closed (for an error, or after STOP). */
static int on_control(struct cap_dnstap_sock *s, const uint8_t *p, size_t n)
{
	struct fstrm_control *c = fstrm_control_init();
	fstrm_control_type type;
	if (c == NULL || fstrm_control_decode(c, p, n, 0) != fstrm_res_success ||
	    fstrm_control_get_type(c, &type) != fstrm_res_success) {
		fstrm_control_destroy(&c);
		conn_error(s, "malformed control frame");
		return -1;
	}
	bool dnstap = fstrm_control_match_field_content_type(
	                  c, (const uint8_t *)DNSTAP_CONTENT_TYPE, strlen(DNSTAP_CONTENT_TYPE)) ==
	              fstrm_res_success;
	fstrm_control_destroy(&c);
	if (type == FSTRM_CONTROL_READY && s->state == CONN_OPENING) {
		if (!dnstap) {
			conn_error(s,
			           "the writer does not offer content type " DNSTAP_CONTENT_TYPE);
			return -1;
		}
		if (send_control(s, FSTRM_CONTROL_ACCEPT) != 0) {
			conn_error(s, "cannot send ACCEPT");
			return -1;
		}
		s->state = CONN_READY;
		return 0;
	}
	if (type == FSTRM_CONTROL_START && (s->state == CONN_OPENING || s->state == CONN_READY)) {
		if (!dnstap) {
			conn_error(s, "content type is not " DNSTAP_CONTENT_TYPE);
			return -1;
		}
		s->state = CONN_DATA;
		return 0;
	}
	if (type == FSTRM_CONTROL_STOP && s->state == CONN_DATA) {
		(void)send_control(s, FSTRM_CONTROL_FINISH); /* a unidirectional writer has gone */
		s->stats.finished++;
		close_conn(s);
		return -1;
	}
	char why[96];
	snprintf(why, sizeof(why), "unexpected control frame %s", fstrm_control_type_to_str(type));
	conn_error(s, why);
	return -1;
}

/*
 * Takes the next complete frame out of rbuf. Returns 1 with a data frame
 * in (*p, *n), 0 when more bytes are needed, -1 when the connection was
 * closed. Control frames are handled here.
 */
static int take_frame(struct cap_dnstap_sock *s, const uint8_t **p, size_t *n)
{
	for (;;) {
		if (s->conn_fd < 0)
			return -1;
		if (s->rlen < LEN_WORD)
			return 0;
		uint32_t len = be32(s->rbuf);
		if (len != 0) {
			if (s->state != CONN_DATA) {
				conn_error(s, "data frame before START");
				return -1;
			}
			if (len > CAP_DNSTAP_SOCK_FRAME_MAX) {
				conn_error(s, "data frame longer than the limit");
				return -1;
			}
			if (s->rlen < LEN_WORD + (size_t)len)
				return 0;
			*p = s->rbuf + LEN_WORD;
			*n = len;
			s->consumed = LEN_WORD + (size_t)len;
			return 1;
		}
		if (s->rlen < 2 * LEN_WORD)
			return 0;
		uint32_t clen = be32(s->rbuf + LEN_WORD);
		if (clen > FSTRM_CONTROL_FRAME_LENGTH_MAX) {
			conn_error(s, "control frame longer than the limit");
			return -1;
		}
		if (s->rlen < 2 * LEN_WORD + (size_t)clen)
			return 0;
		if (on_control(s, s->rbuf + 2 * LEN_WORD, clen) != 0)
			return -1;
		s->rlen -= 2 * LEN_WORD + clen;
		memmove(s->rbuf, s->rbuf + 2 * LEN_WORD + clen, s->rlen);
	}
}

/* Reads what the connection has (non-blocking). Returns bytes read, 0
 * when none were waiting, -1 when the connection ended. */
static ssize_t fill(struct cap_dnstap_sock *s)
{
	if (s->rcap - s->rlen < 4096) {
		size_t cap = s->rcap * 2;
		uint8_t *grown = realloc(s->rbuf, cap);
		if (grown == NULL) {
			conn_error(s, "out of memory");
			return -1;
		}
		s->rbuf = grown;
		s->rcap = cap;
	}
	ssize_t r = recv(s->conn_fd, s->rbuf + s->rlen, s->rcap - s->rlen, MSG_DONTWAIT);
	if (r > 0) {
		s->rlen += (size_t)r;
		return r;
	}
	if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return 0;
	/* end of stream or error without STOP: the writer went away */
	snprintf(s->error, sizeof(s->error), "%s: dnstap writer disconnected without STOP%s%s",
	         s->path, r < 0 ? ": " : "", r < 0 ? strerror(errno) : "");
	s->stats.dropped++;
	close_conn(s);
	return -1;
}

static uint64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000ULL + (uint64_t)ts.tv_nsec / 1000000ULL;
}

int cap_dnstap_sock_next(struct cap_dnstap_sock *s, struct cap_frame *out, int timeout_ms)
{
	if (s->consumed > 0) { /* the previous frame's bytes are no longer needed */
		s->rlen -= s->consumed;
		memmove(s->rbuf, s->rbuf + s->consumed, s->rlen);
		s->consumed = 0;
	}
	uint64_t deadline = timeout_ms > 0 ? mono_ms() + (uint64_t)timeout_ms : 0;
	for (;;) {
		const uint8_t *p;
		size_t n;
		while (take_frame(s, &p, &n) == 1) {
			if (cap_dnstap_decode(p, n, s->buf, out, NULL, &s->payloads) ==
			    DNSTAP_FRAME)
				return CAP_LIVE_FRAME;
			s->rlen -= s->consumed;
			memmove(s->rbuf, s->rbuf + s->consumed, s->rlen);
			s->consumed = 0;
		}
		if (s->conn_fd >= 0 && fill(s) > 0)
			continue;
		/* wait for a writer, or for more bytes from it */
		int wait = timeout_ms < 0 ? -1 : 0;
		if (timeout_ms > 0) {
			uint64_t now = mono_ms();
			if (now >= deadline)
				return CAP_LIVE_TIMEOUT;
			wait = (int)(deadline - now);
		}
		struct pollfd pfd = {.fd = s->conn_fd >= 0 ? s->conn_fd : s->listen_fd,
		                     .events = POLLIN};
		int pr = poll(&pfd, 1, wait);
		if (pr < 0 && errno != EINTR) {
			snprintf(s->error, sizeof(s->error), "%s: poll: %s", s->path,
			         strerror(errno));
			return CAP_LIVE_ERROR;
		}
		if (pr <= 0)
			return CAP_LIVE_TIMEOUT; /* timeout, or a signal */
		if (s->conn_fd >= 0)
			continue; /* fill() reads it */
		int fd = accept(s->listen_fd, NULL, NULL);
		if (fd < 0) {
			if (errno == EINTR || errno == EAGAIN || errno == ECONNABORTED)
				continue;
			snprintf(s->error, sizeof(s->error), "%s: accept: %s", s->path,
			         strerror(errno));
			return CAP_LIVE_ERROR;
		}
		s->conn_fd = fd;
		s->state = CONN_OPENING;
		s->stats.connections++;
	}
}

struct cap_dnstap_sock *cap_dnstap_sock_open(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "%s: socket path longer than %zu bytes", path,
		         sizeof(sa.sun_path) - 1);
		return NULL;
	}
	strcpy(sa.sun_path, path);
	struct stat st;
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			snprintf(err, errlen, "%s: exists and is not a socket", path);
			return NULL;
		}
		unlink(path); /* a socket left by an earlier run */
	}
	struct cap_dnstap_sock *s = calloc(1, sizeof(*s));
	if (s == NULL)
		goto oom;
	s->listen_fd = s->conn_fd = -1;
	s->path = strdup(path);
	s->buf = malloc(sizeof(*s->buf));
	s->rcap = 65536;
	s->rbuf = malloc(s->rcap);
	if (s->path == NULL || s->buf == NULL || s->rbuf == NULL)
		goto oom;
	s->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s->listen_fd < 0 || bind(s->listen_fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    listen(s->listen_fd, LISTEN_BACKLOG) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		if (s->listen_fd >= 0)
			close(s->listen_fd);
		s->listen_fd = -1;
		cap_dnstap_sock_close(s);
		return NULL;
	}
	return s;
oom:
	snprintf(err, errlen, "%s: out of memory", path);
	cap_dnstap_sock_close(s);
	return NULL;
}

const struct cap_dnstap_stats *cap_dnstap_sock_payload_stats(const struct cap_dnstap_sock *s)
{
	return &s->payloads;
}

const struct cap_dnstap_sock_stats *cap_dnstap_sock_stats(const struct cap_dnstap_sock *s)
{
	return &s->stats;
}

const char *cap_dnstap_sock_error(const struct cap_dnstap_sock *s)
{
	return s->error;
}

void cap_dnstap_sock_close(struct cap_dnstap_sock *s)
{
	if (s == NULL)
		return;
	close_conn(s);
	if (s->listen_fd >= 0) {
		close(s->listen_fd);
		unlink(s->path);
	}
	free(s->rbuf);
	free(s->buf);
	free(s->path);
	free(s);
}
