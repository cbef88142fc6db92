/*
 * dcv_error.h - the one error enum of the decode and analysis stages.
 *
 * Every parser returns either a non-negative value (bytes consumed, or a
 * count) or one of these negative codes. Each code means exactly one thing,
 * because each one becomes its own "malformed by reason" counter in the
 * packet accounting (DESIGN.md: every packet is accounted for).
 */
#ifndef DCV_ERROR_H
#define DCV_ERROR_H

/* X-macro: name, stable key (JSON/SQL counter name), message. Order is the order of the counters in
 * reports. */
#define DCV_ERROR_LIST(X)                                                                          \
	X(DCV_ENOMEM, "nomem", "out of memory")                                                    \
	X(DCV_EINVAL, "inval", "invalid argument")                                                 \
	X(DCV_EFULL, "full", "table full")                                                         \
	/* link layer */                                                                           \
	X(DCV_E_LINK_SHORT, "link_short", "link header truncated")                                 \
	X(DCV_E_LINK_VLAN_DEPTH, "link_vlan_depth", "too many nested VLAN tags")                   \
	/* IPv4 / IPv6 */                                                                          \
	X(DCV_E_IP_SHORT, "ip_short", "IP header truncated")                                       \
	X(DCV_E_IP_VERSION, "ip_version", "IP version does not match link type")                   \
	X(DCV_E_IP_HDRLEN, "ip_hdrlen", "IPv4 header length invalid")                              \
	X(DCV_E_IP_TOTLEN, "ip_totlen", "IP total length invalid")                                 \
	X(DCV_E_IP_CHECKSUM, "ip_checksum", "IPv4 header checksum wrong")                          \
	X(DCV_E_IP6_EXTHDR, "ip6_exthdr", "IPv6 extension header truncated or invalid")            \
	/* fragments */                                                                            \
	X(DCV_E_FRAG_OFFSET, "frag_offset", "fragment offset or length invalid")                   \
	X(DCV_E_FRAG_OVERLAP, "frag_overlap", "fragments overlap with different data")             \
	X(DCV_E_FRAG_TOO_BIG, "frag_too_big", "reassembled datagram exceeds 65535 bytes")          \
	X(DCV_E_FRAG_TIMEOUT, "frag_timeout", "fragments expired before reassembly")               \
	X(DCV_E_FRAG_EVICTED, "frag_evicted", "fragments evicted: reassembly table full")          \
	X(DCV_E_FRAG_TOO_MANY, "frag_too_many", "too many fragments in one datagram")              \
	/* transport */                                                                            \
	X(DCV_E_UDP_SHORT, "udp_short", "UDP header truncated")                                    \
	X(DCV_E_UDP_LEN, "udp_len", "UDP length field invalid")                                    \
	X(DCV_E_TCP_SHORT, "tcp_short", "TCP header truncated")                                    \
	X(DCV_E_TCP_HDRLEN, "tcp_hdrlen", "TCP data offset invalid")                               \
	X(DCV_E_TCP_MSGLEN, "tcp_msglen", "DNS-over-TCP length prefix shorter than a DNS header")  \
	X(DCV_E_TCP_OVERFLOW, "tcp_overflow", "TCP stream buffer limit exceeded")                  \
	X(DCV_E_TCP_GAP, "tcp_gap", "TCP stream data lost (gap never filled)")                     \
	/* DNS message */                                                                          \
	X(DCV_E_DNS_SHORT, "dns_short", "DNS message shorter than its header")                     \
	X(DCV_E_DNS_NAME_TRUNC, "dns_name_trunc", "DNS name runs past the end of the message")     \
	X(DCV_E_DNS_LABEL_TYPE, "dns_label_type", "DNS label type reserved (0x40/0x80)")           \
	X(DCV_E_DNS_NAME_TOO_LONG, "dns_name_too_long", "DNS name longer than 255 bytes")          \
	X(DCV_E_DNS_PTR_FORWARD, "dns_ptr_forward",                                                \
	  "DNS compression pointer does not point backwards")                                      \
	X(DCV_E_DNS_PTR_LOOP, "dns_ptr_loop", "DNS compression pointer loop")                      \
	X(DCV_E_DNS_QUESTION_TRUNC, "dns_question_trunc", "DNS question truncated")                \
	X(DCV_E_DNS_RR_TRUNC, "dns_rr_trunc", "DNS resource record truncated")                     \
	X(DCV_E_DNS_RDATA_TRUNC, "dns_rdata_trunc", "DNS RDATA runs past the end of the message")  \
	X(DCV_E_DNS_COUNT, "dns_count", "DNS section count exceeds what the message can hold")     \
	X(DCV_E_DNS_OPT_DUP, "dns_opt_dup", "more than one OPT record")                            \
	X(DCV_E_DNS_OPT_BAD, "dns_opt_bad", "OPT record malformed (owner not root, or bad option)")

/* Positions 1..DCV_ERROR_COUNT, one per code; the codes are their negatives. */
enum dcv_error_pos {
	DCV_EPOS_NONE_ = 0,
#define DCV_X_POS(name, key, msg) name##_POS_,
	DCV_ERROR_LIST(DCV_X_POS)
#undef DCV_X_POS
	    DCV_EPOS_END_
};

/* Number of error codes; "-code" indexes an array of DCV_ERROR_COUNT + 1. */
#define DCV_ERROR_COUNT (DCV_EPOS_END_ - 1)

enum dcv_error {
	DCV_OK = 0,
#define DCV_X_CODE(name, key, msg) name = -(int)name##_POS_,
	DCV_ERROR_LIST(DCV_X_CODE)
#undef DCV_X_CODE
};

/* dcv_strerror() returns a static message for any code; never NULL. */
const char *dcv_strerror(int code);

/* dcv_error_name() returns the code's identifier without the DCV_E prefix,
 * lowercased ("dns_ptr_loop"), used as the stable counter key in JSON and SQL. */
const char *dcv_error_name(int code);

#endif
