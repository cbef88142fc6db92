/* test_dnstap_socket.c - the live dnstap source: a Frame Streams unix socket
 * served to fstrm's own writer (bidirectional handshake) and to hand-made
 * clients that break the protocol, which are counted and do not stop the
 * source. */
#include <criterion/criterion.h>
#include <fstrm.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dnstap_socket.h"
#include "dnstap_test_util.h"
#include "live.h"
#include "test_support.h"

#define WAIT_MS 3000 /* longest wait for one frame; the writers are local */

static char sock_path[600];

static struct cap_dnstap_sock *open_sock(void)
{
	snprintf(sock_path, sizeof(sock_path), "%s/tap.sock", test_tmpdir());
	char err[CAP_LIVE_ERR_MAX];
	struct cap_dnstap_sock *s = cap_dnstap_sock_open(sock_path, err, sizeof(err));
	cr_assert_not_null(s, "%s", err);
	return s;
}

/* Queries 1..n (AUTH_QUERY, UDP) and a RESOLVER_QUERY after them. */
static void write_messages(struct fstrm_writer *w, unsigned n)
{
	for (unsigned i = 1; i <= n + 1; i++) {
		struct tt_msg m = {.type = i <= n ? DNSTAP_AUTH_QUERY : DNSTAP_RESOLVER_QUERY,
		                   .family = 4,
		                   .id = (uint16_t)i,
		                   .nsec = i};
		uint8_t *p;
		size_t len = tt_pack(&m, NULL, &p);
		if (fstrm_writer_write(w, p, len) != fstrm_res_success)
			_exit(3);
		free(p);
	}
}

/* A child process that writes n queries and a resolver query through
 * fstrm's unix writer (READY/ACCEPT/START ... STOP/FINISH), then exits. */
static pid_t fstrm_writer_child(unsigned n)
{
	pid_t pid = fork();
	cr_assert_neq(pid, -1);
	if (pid != 0)
		return pid;
	struct fstrm_unix_writer_options *uopt = fstrm_unix_writer_options_init();
	struct fstrm_writer_options *wopt = fstrm_writer_options_init();
	fstrm_unix_writer_options_set_socket_path(uopt, sock_path);
	fstrm_writer_options_add_content_type(wopt, DNSTAP_CONTENT_TYPE,
	                                      strlen(DNSTAP_CONTENT_TYPE));
	struct fstrm_writer *w = fstrm_unix_writer_init(uopt, wopt);
	if (w == NULL || fstrm_writer_open(w) != fstrm_res_success)
		_exit(2);
	write_messages(w, n);
	_exit(fstrm_writer_close(w) == fstrm_res_success ? 0 : 4);
}

/* Reads frames until none comes within WAIT_MS; returns how many. */
static unsigned read_frames(struct cap_dnstap_sock *s, unsigned want)
{
	struct cap_frame f;
	unsigned n = 0;
	while (n < want && cap_dnstap_sock_next(s, &f, WAIT_MS) == CAP_LIVE_FRAME) {
		cr_assert_eq(f.linktype, DNSTAP_LINKTYPE);
		n++;
	}
	return n;
}

/* Gives the source time to see a connection end (no frame follows). */
static void settle(struct cap_dnstap_sock *s)
{
	struct cap_frame f;
	for (int i = 0; i < 5; i++)
		cr_assert_neq(cap_dnstap_sock_next(s, &f, 100), CAP_LIVE_ERROR);
}

static int wait_child(pid_t pid)
{
	int status;
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

Test(dnstap_socket, fstrm_writer_handshake_and_messages)
{
	struct cap_dnstap_sock *s = open_sock();
	pid_t child = fstrm_writer_child(5);
	cr_assert_eq(read_frames(s, 5), 5);
	settle(s);
	cr_assert_eq(wait_child(child), 0, "the writer saw ACCEPT and FINISH");
	const struct cap_dnstap_stats *st = cap_dnstap_sock_payload_stats(s);
	cr_assert_eq(st->payloads, 6);
	cr_assert_eq(st->frames, 5);
	cr_assert_eq(st->not_used, 1);
	const struct cap_dnstap_sock_stats *cs = cap_dnstap_sock_stats(s);
	cr_assert_eq(cs->connections, 1);
	cr_assert_eq(cs->finished, 1);
	cr_assert_eq(cs->dropped + cs->protocol_errors, 0);

	/* the server restarts: the next writer is served as well */
	child = fstrm_writer_child(2);
	cr_assert_eq(read_frames(s, 2), 2);
	settle(s);
	cr_assert_eq(wait_child(child), 0);
	cr_assert_eq(cs->connections, 2);
	cr_assert_eq(cs->finished, 2);
	cap_dnstap_sock_close(s);
	cr_assert_eq(access(sock_path, F_OK), -1, "the socket file is removed");
}

/* ---- hand-made clients ------------------------------------------------ */

static int connect_raw(void)
{
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	strcpy(sa.sun_path, sock_path);
	cr_assert_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

static void send_bytes(int fd, const void *p, size_t n)
{
	cr_assert_eq(write(fd, p, n), (ssize_t)n);
}

static void send_control(int fd, fstrm_control_type type, const char *content_type)
{
	uint8_t buf[FSTRM_CONTROL_FRAME_LENGTH_MAX + 8];
	size_t len = sizeof(buf);
	struct fstrm_control *c = fstrm_control_init();
	fstrm_control_set_type(c, type);
	if (content_type != NULL)
		fstrm_control_add_field_content_type(c, (const uint8_t *)content_type,
		                                     strlen(content_type));
	cr_assert_eq(fstrm_control_encode(c, buf, &len, FSTRM_CONTROL_FLAG_WITH_HEADER),
	             fstrm_res_success);
	fstrm_control_destroy(&c);
	send_bytes(fd, buf, len);
}

static void send_data(int fd, uint16_t id)
{
	struct tt_msg m = {.type = DNSTAP_AUTH_QUERY, .family = 6, .id = id};
	uint8_t *p;
	size_t n = tt_pack(&m, NULL, &p);
	uint8_t len[4] = {(uint8_t)(n >> 24), (uint8_t)(n >> 16), (uint8_t)(n >> 8), (uint8_t)n};
	send_bytes(fd, len, 4);
	send_bytes(fd, p, n);
	free(p);
}

Test(dnstap_socket, unidirectional_writer_is_served)
{
	struct cap_dnstap_sock *s = open_sock();
	int fd = connect_raw();
	send_control(fd, FSTRM_CONTROL_START, DNSTAP_CONTENT_TYPE);
	send_data(fd, 1);
	send_data(fd, 2);
	send_control(fd, FSTRM_CONTROL_STOP, NULL);
	cr_assert_eq(read_frames(s, 2), 2);
	settle(s);
	cr_assert_eq(cap_dnstap_sock_stats(s)->finished, 1);
	close(fd);
	cap_dnstap_sock_close(s);
}

Test(dnstap_socket, writer_gone_without_stop_is_counted_after_its_frames)
{
	struct cap_dnstap_sock *s = open_sock();
	int fd = connect_raw();
	send_control(fd, FSTRM_CONTROL_START, DNSTAP_CONTENT_TYPE);
	send_data(fd, 1);
	send_bytes(fd, "\0\0\1", 3); /* half a length word */
	close(fd);
	cr_assert_eq(read_frames(s, 1), 1);
	settle(s);
	const struct cap_dnstap_sock_stats *cs = cap_dnstap_sock_stats(s);
	cr_assert_eq(cs->dropped, 1);
	cr_assert_not_null(strstr(cap_dnstap_sock_error(s), "disconnected without STOP"), "%s",
	                   cap_dnstap_sock_error(s));
	cap_dnstap_sock_close(s);
}

/* Each case breaks the protocol in one way; the connection is closed and
 * counted, and a proper writer afterwards is still served. */
static void ready_other_type(int fd)
{
	send_control(fd, FSTRM_CONTROL_READY, "protobuf:other.Thing");
}
static void start_other_type(int fd)
{
	send_control(fd, FSTRM_CONTROL_START, "protobuf:other.Thing");
}
static void data_before_start(int fd)
{
	send_data(fd, 1);
}
static void frame_over_limit(int fd)
{
	send_control(fd, FSTRM_CONTROL_START, DNSTAP_CONTENT_TYPE);
	uint32_t n = CAP_DNSTAP_SOCK_FRAME_MAX + 1;
	uint8_t len[4] = {(uint8_t)(n >> 24), (uint8_t)(n >> 16), (uint8_t)(n >> 8), (uint8_t)n};
	send_bytes(fd, len, 4);
}
static void control_over_limit(int fd)
{
	send_bytes(fd, "\0\0\0\0\0\0\x10\0", 8); /* 4096-byte control frame */
}
static void finish_from_writer(int fd)
{
	send_control(fd, FSTRM_CONTROL_FINISH, NULL);
}
static void garbage_control(int fd)
{
	send_bytes(fd, "\0\0\0\0\0\0\0\x04\0\0\0\x09", 12); /* control type 9 */
}

static const struct {
	const char *name;
	void (*send)(int fd);
	const char *error;
} BAD_CLIENTS[] = {
    {"READY offering another content type", ready_other_type, "does not offer content type"},
    {"START with another content type", start_other_type, "content type is not"},
    {"data frame before START", data_before_start, "data frame before START"},
    {"data frame over the limit", frame_over_limit, "data frame longer than the limit"},
    {"control frame over the limit", control_over_limit, "control frame longer"},
    {"FINISH from the writer", finish_from_writer, "unexpected control frame"},
    {"unknown control type", garbage_control, "control frame"},
};

Test(dnstap_socket, protocol_errors_close_the_connection_and_are_counted)
{
	struct cap_dnstap_sock *s = open_sock();
	const struct cap_dnstap_sock_stats *cs = cap_dnstap_sock_stats(s);
	for (size_t i = 0; i < sizeof(BAD_CLIENTS) / sizeof(BAD_CLIENTS[0]); i++) {
		int fd = connect_raw();
		BAD_CLIENTS[i].send(fd);
		settle(s);
		cr_assert_eq(cs->protocol_errors, i + 1, "%s", BAD_CLIENTS[i].name);
		cr_assert_not_null(strstr(cap_dnstap_sock_error(s), BAD_CLIENTS[i].error), "%s: %s",
		                   BAD_CLIENTS[i].name, cap_dnstap_sock_error(s));
		close(fd);
	}
	cr_assert_eq(cap_dnstap_sock_payload_stats(s)->frames, 0);
	pid_t child = fstrm_writer_child(3);
	cr_assert_eq(read_frames(s, 3), 3, "a proper writer is still served");
	settle(s);
	cr_assert_eq(wait_child(child), 0);
	cap_dnstap_sock_close(s);
}

Test(dnstap_socket, stale_socket_is_replaced_other_files_are_not)
{
	struct cap_dnstap_sock *s = open_sock();
	/* a socket file left behind: the listener of a crashed run */
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	char stale[700];
	snprintf(stale, sizeof(stale), "%s.stale", sock_path);
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	strcpy(sa.sun_path, stale);
	cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd);
	char err[CAP_LIVE_ERR_MAX];
	struct cap_dnstap_sock *s2 = cap_dnstap_sock_open(stale, err, sizeof(err));
	cr_assert_not_null(s2, "%s", err);
	cap_dnstap_sock_close(s2);

	char regular[700];
	snprintf(regular, sizeof(regular), "%s.file", sock_path);
	FILE *f = fopen(regular, "w");
	fclose(f);
	cr_assert_null(cap_dnstap_sock_open(regular, err, sizeof(err)));
	cr_assert_not_null(strstr(err, "exists and is not a socket"), "%s", err);
	cr_assert_eq(access(regular, F_OK), 0, "the file is left alone");
	cap_dnstap_sock_close(s);
}
