/*
 * dnstap_socket.h - a live dnstap source: a Frame Streams unix socket that
 * the DNS server's dnstap writer connects to (Knot mod-dnstap "sink:
 * unix:/path", BIND "dnstap-output unix", Unbound, NSD).
 *
 * dcvscope listens; one writer at a time is served (a server keeps one
 * connection; a second one waits in the backlog until the first ends).
 * The Frame Streams handshake on a connection:
 *
 *   writer                         dcvscope
 *   READY (content types)  ───▶
 *                          ◀───    ACCEPT (protobuf:dnstap.Dnstap)
 *   START (content type)   ───▶
 *   data frames ...        ───▶    cap_dnstap_decode() each; frames delivered
 *   STOP                   ───▶
 *                          ◀───    FINISH; connection closed, listen again
 *
 * A writer that skips READY and sends START at once (unidirectional) is
 * served too. A connection that breaks the protocol (an unknown control
 * frame, a frame over CAP_DNSTAP_SOCK_FRAME_MAX, another content type) is
 * closed and counted; the source keeps listening. A writer that goes away
 * without STOP is counted too (its last messages may be lost).
 */
#ifndef DCV_DNSTAP_SOCKET_H
#define DCV_DNSTAP_SOCKET_H

#include <stddef.h>
#include <stdint.h>

#include "dnstap.h"
#include "frame.h"

/* Largest data frame accepted: a dnstap message with a 65535-byte DNS
 * message and every optional field fits many times over (fstrm's own
 * reader default is 1 MiB as well). */
#define CAP_DNSTAP_SOCK_FRAME_MAX (1u << 20)

/* What the socket saw besides the payloads (struct cap_dnstap_stats). */
struct cap_dnstap_sock_stats {
	uint64_t connections;     /* writers accepted */
	uint64_t finished;        /* connections ended with STOP/FINISH */
	uint64_t dropped;         /* connections closed without STOP (writer went away) */
	uint64_t protocol_errors; /* connections closed for breaking Frame Streams */
};

struct cap_dnstap_sock;

/*
 * cap_dnstap_sock_open() creates and listens on the unix socket at path. A
 * stale socket file left at path is replaced; any other file there is an
 * error. Returns NULL with the reason in err.
 */
struct cap_dnstap_sock *cap_dnstap_sock_open(const char *path, char *err, size_t errlen);

/*
 * cap_dnstap_sock_next() waits up to timeout_ms (0 = do not wait, < 0 =
 * forever) for the next message the analysis uses. Returns CAP_LIVE_FRAME
 * (*out filled, bytes valid until the next call), CAP_LIVE_TIMEOUT (also on
 * a signal), or CAP_LIVE_ERROR when the listening socket itself failed.
 */
int cap_dnstap_sock_next(struct cap_dnstap_sock *s, struct cap_frame *out, int timeout_ms);

/* cap_dnstap_sock_payload_stats() returns the payload counters (never NULL). */
const struct cap_dnstap_stats *cap_dnstap_sock_payload_stats(const struct cap_dnstap_sock *s);

/* cap_dnstap_sock_stats() returns the connection counters (never NULL). */
const struct cap_dnstap_sock_stats *cap_dnstap_sock_stats(const struct cap_dnstap_sock *s);

/* cap_dnstap_sock_error() describes the last error, or the last connection
 * closed for an error. Never NULL. */
const char *cap_dnstap_sock_error(const struct cap_dnstap_sock *s);

/* cap_dnstap_sock_close() closes the connection and the listening socket
 * and removes the socket file. NULL is a no-op. */
void cap_dnstap_sock_close(struct cap_dnstap_sock *s);

#endif
