/*
 * ebpf_source.c - load, attach and read bpf/dns_capture.bpf.c.
 *
 * Ring buffer reading: libbpf 1.1's ring_buffer__poll() hands each record to
 * a callback and releases it when the callback returns, so a pull interface
 * ("next frame, valid until the next call") would have to copy every record.
 * This file reads the ring the way libbpf does (same mmap layout, same
 * acquire/release order, see kernel/bpf/ringbuf.c) but releases a record only
 * on the next call, so frames point straight into the ring.
 *
 * Ring memory layout (BPF_MAP_TYPE_RINGBUF, mmap'd):
 *   offset 0:          consumer position page (we write it)
 *   offset page_size:  producer position page, then the data area mapped
 *                      twice in a row, so a record that wraps is contiguous.
 *   Each record: 8-byte header {u32 len | BUSY_BIT | DISCARD_BIT, u32 pgoff},
 *   then len bytes, padded to 8.
 */
#include "ebpf_source.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if_arp.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <pcap/dlt.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "dns_capture.h"
#include "dns_capture.skel.h"

/* tcx attach types (include/uapi/linux/bpf.h of Linux 6.6); the UAPI headers
 * of older distributions do not name them, and libbpf 1.1 passes them through
 * bpf_link_create() unchanged (ifindex in target_fd). */
enum { DCV_BPF_TCX_INGRESS = 46, DCV_BPF_TCX_EGRESS = 47 };

#define NS_PER_SEC       1000000000ull
#define VLAN_TAG_LEN     4
#define ETH_ADDRS_LEN    12 /* destination + source MAC */
#define CLOCK_RESYNC_NS  NS_PER_SEC
#define RINGBUF_HDR_SIZE 8

struct cap_ebpf {
	struct dns_capture *skel;
	int ifindex;
	char ifname[IF_NAMESIZE];
	int linktype;
	/* attachment */
	const char *mode; /* "tcx" or "tc" */
	int link_fd[2];   /* tcx links: ingress, egress (-1 if none) */
	int tc_attached[2];
	char marker[512]; /* tc: marker file saying we created clsact ("" = none) */
	/* ring buffer reader */
	int rb_fd;
	size_t rb_size; /* data area, power of two */
	size_t page_size;
	unsigned long *consumer_pos;
	unsigned long *producer_pos;
	uint8_t *rb_data;
	unsigned long cons; /* our copy of *consumer_pos */
	unsigned long held; /* bytes of the record handed out last, released next call */
	/* clock */
	int64_t mono_to_real_ns; /* CLOCK_REALTIME - CLOCK_MONOTONIC */
	uint64_t clock_synced_mono;
	/* statistics */
	uint64_t received;
	int ncpus;
	/* frame with a re-inserted VLAN tag */
	uint8_t *vlan_buf;
	char error[CAP_LIVE_ERR_MAX];
};

static void set_error(struct cap_ebpf *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void set_error(struct cap_ebpf *e, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(e->error, sizeof(e->error), fmt, ap);
	va_end(ap);
}

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * NS_PER_SEC + (uint64_t)ts.tv_nsec;
}

/* Re-read the REALTIME - MONOTONIC offset: the monotonic reading is taken on
 * both sides of the realtime one, and the midpoint is used. */
static void clock_sync(struct cap_ebpf *e)
{
	uint64_t m1 = clock_ns(CLOCK_MONOTONIC);
	uint64_t r = clock_ns(CLOCK_REALTIME);
	uint64_t m2 = clock_ns(CLOCK_MONOTONIC);
	e->mono_to_real_ns = (int64_t)(r - (m1 + (m2 - m1) / 2));
	e->clock_synced_mono = m2;
}

/* Link type of the frames TC gives us: Ethernet for devices with an Ethernet
 * style header (loopback too: zero MACs), raw IP for the header-less ones. */
static int iface_linktype(const char *ifname, int *has_eth)
{
	struct ifreq ifr;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	int rc = ioctl(fd, SIOCGIFHWADDR, &ifr);
	close(fd);
	if (rc < 0)
		return -1;
	switch (ifr.ifr_hwaddr.sa_family) {
	case ARPHRD_ETHER:
	case ARPHRD_LOOPBACK:
		*has_eth = 1;
		return DLT_EN10MB;
	default:
		*has_eth = 0;
		return DLT_RAW;
	}
}

/* ---------------------------------------------------------------------- */
/* Attachment: tcx links                                                   */
/* ---------------------------------------------------------------------- */

static int attach_tcx(struct cap_ebpf *e)
{
	int fds[2] = {bpf_program__fd(e->skel->progs.dcv_tc_ingress),
	              bpf_program__fd(e->skel->progs.dcv_tc_egress)};
	int types[2] = {DCV_BPF_TCX_INGRESS, DCV_BPF_TCX_EGRESS};
	for (int i = 0; i < 2; i++) {
		int fd = bpf_link_create(fds[i], e->ifindex, (enum bpf_attach_type)types[i], NULL);
		if (fd < 0) {
			int err = -errno;
			for (int j = 0; j < i; j++) {
				close(e->link_fd[j]);
				e->link_fd[j] = -1;
			}
			return err;
		}
		e->link_fd[i] = fd;
	}
	e->mode = "tcx";
	return 0;
}

/* ---------------------------------------------------------------------- */
/* Attachment: clsact qdisc + filters                                      */
/* ---------------------------------------------------------------------- */

static const char *const TC_PROG_NAMES[2] = {"dcv_tc_ingress", "dcv_tc_egress"};
static const enum bpf_tc_attach_point TC_POINTS[2] = {BPF_TC_INGRESS, BPF_TC_EGRESS};

/* The marker names the network namespace (its inode) and the ifindex, since
 * the same name or index can exist in several namespaces. */
static int marker_path(struct cap_ebpf *e, const char *dir)
{
	struct stat st;
	if (stat("/proc/thread-self/ns/net", &st) < 0 && stat("/proc/self/ns/net", &st) < 0)
		return -errno;
	int n = snprintf(e->marker, sizeof(e->marker), "%s/tc-clsact-%llu-%d", dir,
	                 (unsigned long long)st.st_ino, e->ifindex);
	if (n < 0 || (size_t)n >= sizeof(e->marker))
		return -ENAMETOOLONG;
	return 0;
}

static int write_marker(const char *path, const char *dir)
{
	mkdir(dir, 0755);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

/* Name of the program behind a tc filter, or "" if it cannot be read. */
static void prog_name_of(uint32_t id, char *name, size_t len)
{
	struct bpf_prog_info info;
	uint32_t info_len = sizeof(info);
	name[0] = '\0';
	int fd = bpf_prog_get_fd_by_id(id);
	if (fd < 0)
		return;
	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &info_len) == 0)
		snprintf(name, len, "%s", info.name);
	close(fd);
}

/* A filter at our handle/priority left by a crashed run is replaced by the
 * attach below (BPF_TC_F_REPLACE); one of another program is not touched. */
static int check_leftover(struct cap_ebpf *e, int dir)
{
	DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = e->ifindex,
	                    .attach_point = TC_POINTS[dir]);
	DECLARE_LIBBPF_OPTS(bpf_tc_opts, q, .handle = CAP_EBPF_TC_HANDLE,
	                    .priority = CAP_EBPF_TC_PRIO);
	char name[BPF_OBJ_NAME_LEN];
	/* "not found" is the normal answer: keep libbpf from printing it */
	libbpf_print_fn_t print = libbpf_set_print(NULL);
	int rc = bpf_tc_query(&hook, &q);
	libbpf_set_print(print);
	if (rc < 0)
		return 0; /* nothing there */
	prog_name_of(q.prog_id, name, sizeof(name));
	if (strncmp(name, "dcv_tc_", 7) != 0) {
		set_error(e, "%s: tc filter handle 0x%x prio 0x%x is in use by program %u (%s)",
		          e->ifname, CAP_EBPF_TC_HANDLE, CAP_EBPF_TC_PRIO, q.prog_id,
		          name[0] ? name : "?");
		return -EBUSY;
	}
	return 0;
}

static int attach_tc(struct cap_ebpf *e, const char *state_dir)
{
	DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = e->ifindex,
	                    .attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS);
	int fds[2] = {bpf_program__fd(e->skel->progs.dcv_tc_ingress),
	              bpf_program__fd(e->skel->progs.dcv_tc_egress)};
	int rc = marker_path(e, state_dir);
	if (rc < 0) {
		set_error(e, "%s: cannot name the tc marker file: %s", e->ifname, strerror(-rc));
		return rc;
	}
	/* clsact: created now (remember it), or there before (ours if marked) */
	rc = bpf_tc_hook_create(&hook);
	if (rc == 0) {
		rc = write_marker(e->marker, state_dir);
		if (rc < 0) {
			bpf_tc_hook_destroy(&hook);
			set_error(e, "%s: cannot write %s: %s", e->ifname, e->marker,
			          strerror(-rc));
			return rc;
		}
	} else if (rc == -EEXIST) {
		if (access(e->marker, F_OK) != 0)
			e->marker[0] = '\0'; /* somebody else's clsact: never remove it */
	} else {
		set_error(e, "%s: cannot create the clsact qdisc: %s", e->ifname, strerror(-rc));
		return rc;
	}
	/* filters, replacing our own leftovers */
	for (int i = 0; i < 2; i++) {
		DECLARE_LIBBPF_OPTS(bpf_tc_hook, h, .ifindex = e->ifindex,
		                    .attach_point = TC_POINTS[i]);
		DECLARE_LIBBPF_OPTS(bpf_tc_opts, o, .handle = CAP_EBPF_TC_HANDLE,
		                    .priority = CAP_EBPF_TC_PRIO, .prog_fd = fds[i],
		                    .flags = BPF_TC_F_REPLACE);
		rc = check_leftover(e, i);
		if (rc < 0)
			return rc;
		rc = bpf_tc_attach(&h, &o);
		if (rc < 0) {
			set_error(e, "%s: cannot attach %s: %s", e->ifname, TC_PROG_NAMES[i],
			          strerror(-rc));
			return rc;
		}
		e->tc_attached[i] = 1;
	}
	e->mode = "tc";
	return 0;
}

/* Remove our filters, then the clsact qdisc if dcvscope created it. */
static void detach_tc(struct cap_ebpf *e)
{
	for (int i = 0; i < 2; i++) {
		if (!e->tc_attached[i])
			continue;
		DECLARE_LIBBPF_OPTS(bpf_tc_hook, h, .ifindex = e->ifindex,
		                    .attach_point = TC_POINTS[i]);
		/* bpf_tc_detach() wants prog_fd, prog_id and flags all zero */
		DECLARE_LIBBPF_OPTS(bpf_tc_opts, o, .handle = CAP_EBPF_TC_HANDLE,
		                    .priority = CAP_EBPF_TC_PRIO);
		bpf_tc_detach(&h, &o);
		e->tc_attached[i] = 0;
	}
	if (e->marker[0]) {
		DECLARE_LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = e->ifindex,
		                    .attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS);
		bpf_tc_hook_destroy(&hook);
		unlink(e->marker);
		e->marker[0] = '\0';
	}
}

/* ---------------------------------------------------------------------- */
/* Ring buffer                                                             */
/* ---------------------------------------------------------------------- */

static int ring_map(struct cap_ebpf *e)
{
	e->rb_fd = bpf_map__fd(e->skel->maps.events);
	e->rb_size = bpf_map__max_entries(e->skel->maps.events);
	e->page_size = (size_t)sysconf(_SC_PAGESIZE);
	void *c = mmap(NULL, e->page_size, PROT_READ | PROT_WRITE, MAP_SHARED, e->rb_fd, 0);
	if (c == MAP_FAILED)
		return -errno;
	void *p = mmap(NULL, e->page_size + 2 * e->rb_size, PROT_READ, MAP_SHARED, e->rb_fd,
	               (off_t)e->page_size);
	if (p == MAP_FAILED) {
		int err = -errno;
		munmap(c, e->page_size);
		return err;
	}
	e->consumer_pos = c;
	e->producer_pos = p;
	e->rb_data = (uint8_t *)p + e->page_size;
	e->cons = __atomic_load_n(e->consumer_pos, __ATOMIC_ACQUIRE);
	return 0;
}

static void ring_unmap(struct cap_ebpf *e)
{
	if (e->producer_pos)
		munmap(e->producer_pos, e->page_size + 2 * e->rb_size);
	if (e->consumer_pos)
		munmap(e->consumer_pos, e->page_size);
	e->producer_pos = NULL;
	e->consumer_pos = NULL;
}

/* The next committed record, or NULL. Discarded records are skipped. The
 * record stays in the ring until ring_release(). */
static const struct dcv_bpf_rec *ring_peek(struct cap_ebpf *e, uint32_t *len)
{
	unsigned long prod = __atomic_load_n(e->producer_pos, __ATOMIC_ACQUIRE);
	while (e->cons < prod) {
		const uint32_t *hdr = (const uint32_t *)(e->rb_data + (e->cons & (e->rb_size - 1)));
		uint32_t h = __atomic_load_n(hdr, __ATOMIC_ACQUIRE);
		if (h & BPF_RINGBUF_BUSY_BIT)
			return NULL; /* reserved, not yet committed */
		uint32_t l = h & ~(BPF_RINGBUF_BUSY_BIT | BPF_RINGBUF_DISCARD_BIT);
		unsigned long total = (RINGBUF_HDR_SIZE + l + 7) & ~7ul;
		if (h & BPF_RINGBUF_DISCARD_BIT) {
			e->cons += total;
			__atomic_store_n(e->consumer_pos, e->cons, __ATOMIC_RELEASE);
			continue;
		}
		e->held = total;
		*len = l;
		return (const struct dcv_bpf_rec *)(hdr + RINGBUF_HDR_SIZE / sizeof(*hdr));
	}
	return NULL;
}

static void ring_release(struct cap_ebpf *e)
{
	if (!e->held)
		return;
	e->cons += e->held;
	e->held = 0;
	__atomic_store_n(e->consumer_pos, e->cons, __ATOMIC_RELEASE);
}

/* ---------------------------------------------------------------------- */
/* Open / close                                                            */
/* ---------------------------------------------------------------------- */

static uint32_t pow2_at_least(uint32_t v, uint32_t min)
{
	uint32_t p = min;
	while (p < v && p < (1u << 30))
		p <<= 1;
	return p;
}

/* Tunables go into .rodata and map sizes are set, both before load. */
static int configure(struct cap_ebpf *e, const struct cap_live_opts *o, int has_eth)
{
	struct dns_capture *s = e->skel;
	unsigned n = o->n_ports;
	if (n > DCV_BPF_MAX_PORTS) {
		set_error(e, "too many DNS ports (%u, at most %d)", n, DCV_BPF_MAX_PORTS);
		return -EINVAL;
	}
	for (unsigned i = 0; i < n; i++)
		s->rodata->dns_ports[i] = o->ports[i];
	if (n == 0) {
		s->rodata->dns_ports[0] = CAP_LIVE_DEFAULT_PORT;
		n = 1;
	}
	s->rodata->n_dns_ports = n;
	if (o->snaplen)
		s->rodata->udp_snap = o->snaplen < DCV_BPF_SNAP_MAX ? o->snaplen : DCV_BPF_SNAP_MAX;
	if (o->tcp_snaplen)
		s->rodata->tcp_snap =
		    o->tcp_snaplen < DCV_BPF_SNAP_MAX ? o->tcp_snaplen : DCV_BPF_SNAP_MAX;
	if (o->wakeup_bytes)
		s->rodata->wakeup_bytes = o->wakeup_bytes;
	s->rodata->has_eth = (uint8_t)has_eth;

	uint32_t rb = o->buffer_bytes ? o->buffer_bytes : DCV_BPF_RINGBUF_DEFAULT;
	/* at least one page, and room for a few of the largest records */
	rb = pow2_at_least(rb, 1u << 18);
	if (bpf_map__set_max_entries(s->maps.events, rb) < 0 ||
	    bpf_map__set_max_entries(s->maps.sources,
	                             o->max_sources ? o->max_sources : CAP_EBPF_MAX_SOURCES) < 0 ||
	    bpf_map__set_max_entries(s->maps.scratch, (uint32_t)e->ncpus) < 0) {
		set_error(e, "cannot size the BPF maps");
		return -EINVAL;
	}
	return 0;
}

struct cap_ebpf *cap_ebpf_open(const struct cap_live_opts *o, char *err, size_t errlen)
{
	struct cap_ebpf *e = calloc(1, sizeof(*e));
	int has_eth = 1, rc;
	if (e == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	e->link_fd[0] = e->link_fd[1] = -1;
	e->rb_fd = -1;
	snprintf(e->ifname, sizeof(e->ifname), "%s", o->ifname ? o->ifname : "");

	/* interface */
	e->ifindex = (int)if_nametoindex(e->ifname);
	if (e->ifindex == 0) {
		set_error(e, "%s: no such interface: %s", e->ifname, strerror(errno));
		goto fail;
	}
	e->linktype = iface_linktype(e->ifname, &has_eth);
	if (e->linktype < 0) {
		set_error(e, "%s: cannot read the link type: %s", e->ifname, strerror(errno));
		goto fail;
	}
	e->ncpus = libbpf_num_possible_cpus();
	if (e->ncpus <= 0) {
		set_error(e, "cannot count the possible CPUs");
		goto fail;
	}
	e->vlan_buf = malloc(DCV_BPF_SNAP_MAX + VLAN_TAG_LEN);
	if (e->vlan_buf == NULL) {
		set_error(e, "out of memory");
		goto fail;
	}

	/* open, configure, load */
	e->skel = dns_capture__open();
	if (e->skel == NULL) {
		set_error(e, "cannot open the BPF skeleton: %s", strerror(errno));
		goto fail;
	}
	if (configure(e, o, has_eth) < 0)
		goto fail;
	rc = dns_capture__load(e->skel);
	if (rc < 0) {
		set_error(e,
		          "cannot load the BPF programs (needs CAP_BPF and CAP_NET_ADMIN, "
		          "or root): %s",
		          strerror(-rc));
		goto fail;
	}

	/* attach: tcx, else tc */
	if (o->attach != CAP_EBPF_ATTACH_TC) {
		rc = attach_tcx(e);
		if (rc < 0 && o->attach == CAP_EBPF_ATTACH_TCX) {
			set_error(e, "%s: tcx attach failed: %s", e->ifname, strerror(-rc));
			goto fail;
		}
	}
	if (e->mode == NULL && attach_tc(e, o->state_dir ? o->state_dir : CAP_EBPF_STATE_DIR) < 0)
		goto fail;

	/* ring buffer and clock */
	rc = ring_map(e);
	if (rc < 0) {
		set_error(e, "cannot map the ring buffer: %s", strerror(-rc));
		goto fail;
	}
	clock_sync(e);
	return e;

fail:
	snprintf(err, errlen, "%s", e->error);
	cap_ebpf_close(e);
	return NULL;
}

void cap_ebpf_close(struct cap_ebpf *e)
{
	if (e == NULL)
		return;
	ring_unmap(e);
	for (int i = 0; i < 2; i++)
		if (e->link_fd[i] >= 0)
			close(e->link_fd[i]);
	detach_tc(e);
	dns_capture__destroy(e->skel);
	free(e->vlan_buf);
	free(e);
}

/* ---------------------------------------------------------------------- */
/* Frames                                                                  */
/* ---------------------------------------------------------------------- */

/* Fill *out from a ring record; an offloaded VLAN tag goes back between the
 * MAC addresses and the EtherType, as on the wire. */
static int frame_of(struct cap_ebpf *e, const struct dcv_bpf_rec *r, uint32_t len,
                    struct cap_frame *out)
{
	uint32_t caplen = r->caplen;
	if (len < sizeof(*r) || caplen > len - sizeof(*r)) {
		set_error(e, "ring record of %u bytes claims %u captured bytes", len, caplen);
		return CAP_LIVE_ERROR;
	}
	uint64_t mono = clock_ns(CLOCK_MONOTONIC);
	if (mono - e->clock_synced_mono >= CLOCK_RESYNC_NS)
		clock_sync(e);
	out->ts_ns = r->ts_ns + (uint64_t)e->mono_to_real_ns;
	out->data = r->data;
	out->caplen = caplen;
	out->wirelen = r->wirelen;
	out->linktype = e->linktype;
	out->flags = 0;
	if ((r->flags & DCV_REC_F_VLAN_ACCEL) && e->linktype == DLT_EN10MB &&
	    caplen >= ETH_ADDRS_LEN) {
		uint16_t tci = htons(r->vlan_tci);
		memcpy(e->vlan_buf, r->data, ETH_ADDRS_LEN);
		memcpy(e->vlan_buf + ETH_ADDRS_LEN, &r->vlan_proto_be, 2);
		memcpy(e->vlan_buf + ETH_ADDRS_LEN + 2, &tci, 2);
		memcpy(e->vlan_buf + ETH_ADDRS_LEN + VLAN_TAG_LEN, r->data + ETH_ADDRS_LEN,
		       caplen - ETH_ADDRS_LEN);
		out->data = e->vlan_buf;
		out->caplen = caplen + VLAN_TAG_LEN;
		out->wirelen = r->wirelen + VLAN_TAG_LEN;
	}
	e->received++;
	return CAP_LIVE_FRAME;
}

int cap_ebpf_next(struct cap_ebpf *e, struct cap_frame *out, int timeout_ms)
{
	uint64_t deadline = 0;
	if (timeout_ms > 0)
		deadline = clock_ns(CLOCK_MONOTONIC) + (uint64_t)timeout_ms * 1000000ull;
	/* the frame handed out last is done with now */
	ring_release(e);
	for (;;) {
		uint32_t len;
		const struct dcv_bpf_rec *r = ring_peek(e, &len);
		if (r)
			return frame_of(e, r, len, out);
		if (timeout_ms == 0)
			return CAP_LIVE_TIMEOUT;
		/* sleep until woken or a slice passes (the program may not wake us
		 * for a small backlog, see wakeup_bytes) */
		int wait = CAP_EBPF_POLL_SLICE_MS;
		if (timeout_ms > 0) {
			uint64_t now = clock_ns(CLOCK_MONOTONIC);
			if (now >= deadline)
				return CAP_LIVE_TIMEOUT;
			uint64_t left_ms = (deadline - now + 999999) / 1000000;
			if (left_ms < (uint64_t)wait)
				wait = (int)left_ms;
		}
		struct pollfd pfd = {.fd = e->rb_fd, .events = POLLIN};
		if (poll(&pfd, 1, wait) < 0) {
			if (errno == EINTR)
				return CAP_LIVE_TIMEOUT;
			set_error(e, "poll on the ring buffer: %s", strerror(errno));
			return CAP_LIVE_ERROR;
		}
	}
}

/* ---------------------------------------------------------------------- */
/* Statistics                                                              */
/* ---------------------------------------------------------------------- */

int cap_ebpf_kernel_stats(struct cap_ebpf *e, struct cap_ebpf_kstats *out)
{
	uint64_t sum[DCV_STAT_COUNT] = {0};
	uint64_t *vals = calloc((size_t)e->ncpus, sizeof(uint64_t));
	if (vals == NULL) {
		set_error(e, "out of memory");
		return -1;
	}
	int fd = bpf_map__fd(e->skel->maps.stats);
	for (uint32_t k = 0; k < DCV_STAT_COUNT; k++) {
		if (bpf_map_lookup_elem(fd, &k, vals) < 0) {
			set_error(e, "cannot read the BPF stats: %s", strerror(errno));
			free(vals);
			return -1;
		}
		for (int c = 0; c < e->ncpus; c++)
			sum[k] += vals[c];
	}
	free(vals);
	out->seen = sum[DCV_STAT_SEEN];
	out->matched = sum[DCV_STAT_MATCHED];
	out->rb_drop = sum[DCV_STAT_RB_DROP];
	out->fragments = sum[DCV_STAT_FRAGMENTS];
	out->src_fail = sum[DCV_STAT_SRC_FAIL];
	out->truncated = sum[DCV_STAT_TRUNCATED];
	return 0;
}

int cap_ebpf_get_stats(struct cap_ebpf *e, struct cap_live_stats *out)
{
	struct cap_ebpf_kstats k;
	if (cap_ebpf_kernel_stats(e, &k) < 0)
		return -1;
	memset(out, 0, sizeof(*out));
	out->received = e->received;
	out->kernel_matched = k.matched;
	out->ringbuf_dropped = k.rb_drop;
	out->truncated = k.truncated;
	return 0;
}

int cap_ebpf_sources(struct cap_ebpf *e, cap_src_fn fn, void *ctx)
{
	int fd = bpf_map__fd(e->skel->maps.sources);
	struct dcv_bpf_src_key key, next;
	struct dcv_bpf_src_counts v;
	const void *prev = NULL;
	while (bpf_map_get_next_key(fd, prev, &next) == 0) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &v) < 0)
			continue; /* evicted meanwhile */
		struct cap_src_counters c;
		memcpy(c.addr, key.addr, sizeof(c.addr));
		c.pkts_to_dns = v.pkts_to_dns;
		c.pkts_from_dns = v.pkts_from_dns;
		c.bytes_to_dns = v.bytes_to_dns;
		c.bytes_from_dns = v.bytes_from_dns;
		c.syn = v.syn;
		c.synack = v.synack;
		c.rst_to_dns = v.rst_to_dns;
		c.rst_from_dns = v.rst_from_dns;
		int rc = fn(&c, ctx);
		if (rc != 0)
			return rc;
	}
	if (errno != ENOENT) {
		set_error(e, "cannot walk the per-source map: %s", strerror(errno));
		return -1;
	}
	return 0;
}

const char *cap_ebpf_attach_mode(const struct cap_ebpf *e)
{
	return e->mode ? e->mode : "none";
}

int cap_ebpf_linktype(const struct cap_ebpf *e)
{
	return e->linktype;
}

const char *cap_ebpf_error(const struct cap_ebpf *e)
{
	return e->error;
}
