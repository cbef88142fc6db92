/* pcap_live.c - live capture on one interface through libpcap. */
#include "pcap_live.h"

#include <errno.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NS_PER_SEC 1000000000ull

struct cap_pcap_live {
	pcap_t *pcap;
	int fd; /* selectable descriptor */
	int linktype;
	int nano; /* timestamps in nanoseconds */
	uint64_t received;
	/* the kernel's counters when the DNS filter took effect: what came
	 * before it (unfiltered, between activation and the filter) is not
	 * counted as matched or dropped */
	struct pcap_stat base;
	char error[CAP_LIVE_ERR_MAX];
};

/* One port clause, behind 0, 1 or 2 VLAN tags: "vlan and" moves libpcap's
 * offsets past one tag (on Linux it also matches a tag the kernel keeps
 * outside the frame). libpcap keeps that offset for the REST of the
 * expression, across "or", so the tagged cases are nested, not listed:
 * M or (vlan and (M or (vlan and M))). Non-first IPv4 fragments (offset != 0)
 * and IPv6 packets whose next header is a fragment header carry no ports and
 * are passed so that fragmented responses can be reassembled. */
int cap_pcap_live_filter(const uint16_t *ports, unsigned n_ports, char *buf, size_t len)
{
	char match[CAP_PCAP_FILTER_MAX / 4];
	size_t m = 0;
	int n;
	uint16_t def = CAP_LIVE_DEFAULT_PORT;
	if (n_ports == 0) {
		ports = &def;
		n_ports = 1;
	}
	n = snprintf(match, sizeof(match), "((udp or tcp) and (");
	m = (size_t)n;
	for (unsigned i = 0; i < n_ports; i++) {
		n = snprintf(match + m, sizeof(match) - m, "%sport %u", i ? " or " : "",
		             (unsigned)ports[i]);
		if (n < 0 || (size_t)n >= sizeof(match) - m)
			return -1;
		m += (size_t)n;
	}
	n = snprintf(match + m, sizeof(match) - m,
	             ")) or (ip and ip[6:2] & 0x1fff != 0) or (ip6 and ip6[6] == 44)");
	if (n < 0 || (size_t)n >= sizeof(match) - m)
		return -1;
	n = snprintf(buf, len, "(%s) or (vlan and ((%s) or (vlan and (%s))))", match, match, match);
	if (n < 0 || (size_t)n >= len)
		return -1;
	return 0;
}

static int fail(pcap_t *pc, char *err, size_t errlen, const char *ifname, const char *what,
                const char *why)
{
	snprintf(err, errlen, "%s: %s: %s", ifname, what, why);
	if (pc)
		pcap_close(pc);
	return -1;
}

struct cap_pcap_live *cap_pcap_live_open(const struct cap_live_opts *o, char *err, size_t errlen)
{
	char perr[PCAP_ERRBUF_SIZE] = "";
	char filter[CAP_PCAP_FILTER_MAX];
	struct bpf_program prog;
	const char *ifname = o->ifname ? o->ifname : "";
	pcap_t *pc;
	int rc;

	/* create: in immediate mode libpcap uses TPACKET_V2 (see pcap_live.h) */
	pc = pcap_create(ifname, perr);
	if (pc == NULL) {
		fail(NULL, err, errlen, ifname, "pcap_create", perr);
		return NULL;
	}
	/* options before activation */
	if (pcap_set_snaplen(pc, (int)(o->snaplen ? o->snaplen : CAP_PCAP_SNAPLEN_DEFAULT)) != 0 ||
	    pcap_set_promisc(pc, 0) != 0 || pcap_set_immediate_mode(pc, 1) != 0 ||
	    pcap_set_buffer_size(
	        pc, (int)(o->buffer_bytes ? o->buffer_bytes : CAP_PCAP_BUFFER_DEFAULT)) != 0 ||
	    pcap_set_tstamp_precision(pc, PCAP_TSTAMP_PRECISION_NANO) != 0) {
		fail(pc, err, errlen, ifname, "cannot set capture options", pcap_geterr(pc));
		return NULL;
	}
	/* activate: warnings (> 0) are not fatal */
	rc = pcap_activate(pc);
	if (rc < 0) {
		fail(pc, err, errlen, ifname, "pcap_activate",
		     rc == PCAP_ERROR ? pcap_geterr(pc) : pcap_statustostr(rc));
		return NULL;
	}
	/* kernel filter for the DNS ports */
	if (cap_pcap_live_filter(o->ports, o->n_ports, filter, sizeof(filter)) < 0) {
		fail(pc, err, errlen, ifname, "filter", "too many ports");
		return NULL;
	}
	if (pcap_compile(pc, &prog, filter, 1, PCAP_NETMASK_UNKNOWN) != 0) {
		fail(pc, err, errlen, ifname, "pcap_compile", pcap_geterr(pc));
		return NULL;
	}
	rc = pcap_setfilter(pc, &prog);
	pcap_freecode(&prog);
	if (rc != 0) {
		fail(pc, err, errlen, ifname, "pcap_setfilter", pcap_geterr(pc));
		return NULL;
	}
	/* non-blocking, with a descriptor to poll */
	if (pcap_setnonblock(pc, 1, perr) != 0) {
		fail(pc, err, errlen, ifname, "pcap_setnonblock", perr);
		return NULL;
	}
	int fd = pcap_get_selectable_fd(pc);
	if (fd < 0) {
		fail(pc, err, errlen, ifname, "pcap_get_selectable_fd", "no selectable descriptor");
		return NULL;
	}

	struct cap_pcap_live *p = calloc(1, sizeof(*p));
	if (p == NULL) {
		fail(pc, err, errlen, ifname, "open", "out of memory");
		return NULL;
	}
	p->pcap = pc;
	p->fd = fd;
	if (pcap_stats(pc, &p->base) != 0)
		memset(&p->base, 0, sizeof(p->base));
	p->linktype = pcap_datalink(pc);
	p->nano = pcap_get_tstamp_precision(pc) == PCAP_TSTAMP_PRECISION_NANO;
	return p;
}

static uint64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

int cap_pcap_live_next(struct cap_pcap_live *p, struct cap_frame *out, int timeout_ms)
{
	uint64_t deadline = timeout_ms > 0 ? mono_ms() + (uint64_t)timeout_ms : 0;
	for (;;) {
		struct pcap_pkthdr *h;
		const u_char *data;
		/* a frame already in the ring? */
		int rc = pcap_next_ex(p->pcap, &h, &data);
		if (rc == 1) {
			uint64_t sub = (uint64_t)h->ts.tv_usec;
			out->ts_ns =
			    (uint64_t)h->ts.tv_sec * NS_PER_SEC + (p->nano ? sub : sub * 1000u);
			out->data = data;
			out->caplen = h->caplen;
			out->wirelen = h->len;
			out->linktype = p->linktype;
			out->flags = 0;
			p->received++;
			return CAP_LIVE_FRAME;
		}
		if (rc < 0) {
			snprintf(p->error, sizeof(p->error), "pcap_next_ex: %s",
			         rc == PCAP_ERROR ? pcap_geterr(p->pcap) : pcap_statustostr(rc));
			return CAP_LIVE_ERROR;
		}
		/* none: wait for the descriptor */
		if (timeout_ms == 0)
			return CAP_LIVE_TIMEOUT;
		int wait = -1;
		if (timeout_ms > 0) {
			uint64_t now = mono_ms();
			if (now >= deadline)
				return CAP_LIVE_TIMEOUT;
			wait = (int)(deadline - now);
		}
		struct pollfd pfd = {.fd = p->fd, .events = POLLIN};
		rc = poll(&pfd, 1, wait);
		if (rc < 0) {
			if (errno == EINTR)
				return CAP_LIVE_TIMEOUT;
			snprintf(p->error, sizeof(p->error), "poll: %s", strerror(errno));
			return CAP_LIVE_ERROR;
		}
		if (pfd.revents & (POLLERR | POLLNVAL)) {
			snprintf(p->error, sizeof(p->error),
			         "capture descriptor failed (interface down or gone?)");
			return CAP_LIVE_ERROR;
		}
	}
}

int cap_pcap_live_get_stats(struct cap_pcap_live *p, struct cap_live_stats *out)
{
	struct pcap_stat ps;
	if (pcap_stats(p->pcap, &ps) != 0) {
		snprintf(p->error, sizeof(p->error), "pcap_stats: %s", pcap_geterr(p->pcap));
		return -1;
	}
	memset(out, 0, sizeof(*out));
	out->received = p->received;
	out->kernel_matched = ps.ps_recv - p->base.ps_recv;
	out->kernel_dropped = ps.ps_drop - p->base.ps_drop;
	out->if_dropped = ps.ps_ifdrop - p->base.ps_ifdrop;
	return 0;
}

int cap_pcap_live_linktype(const struct cap_pcap_live *p)
{
	return p->linktype;
}

const char *cap_pcap_live_error(const struct cap_pcap_live *p)
{
	return p->error;
}

void cap_pcap_live_close(struct cap_pcap_live *p)
{
	if (p == NULL)
		return;
	pcap_close(p->pcap);
	free(p);
}
