/* live.c - picks and forwards to a live capture source (eBPF or libpcap). */
#include "live.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dnstap_socket.h"
#include "pcap_live.h"
#ifdef DCV_HAVE_EBPF
#include "ebpf_source.h"
#endif

struct cap_live {
	enum cap_live_kind kind;
	struct cap_pcap_live *pcap;
	struct cap_dnstap_sock *tap;
#ifdef DCV_HAVE_EBPF
	struct cap_ebpf *ebpf;
#endif
	char choice[CAP_LIVE_ERR_MAX];
	char error[CAP_LIVE_ERR_MAX];
};

struct cap_live *cap_live_open(const struct cap_live_opts *opts, char *err, size_t errlen)
{
	char why[CAP_LIVE_ERR_MAX] = "";
	struct cap_live *l = calloc(1, sizeof(*l));
	if (l == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (opts->kind == CAP_LIVE_DNSTAP) {
		l->tap = cap_dnstap_sock_open(opts->dnstap_path, err, errlen);
		if (l->tap == NULL) {
			free(l);
			return NULL;
		}
		l->kind = CAP_LIVE_DNSTAP;
		snprintf(l->choice, sizeof(l->choice), "dnstap (unix:%.400s)", opts->dnstap_path);
		return l;
	}
	/* eBPF first, unless libpcap was asked for */
	if (opts->kind != CAP_LIVE_PCAP) {
#ifdef DCV_HAVE_EBPF
		l->ebpf = cap_ebpf_open(opts, why, sizeof(why));
		if (l->ebpf) {
			l->kind = CAP_LIVE_EBPF;
			snprintf(l->choice, sizeof(l->choice), "ebpf (%s)",
			         cap_ebpf_attach_mode(l->ebpf));
			return l;
		}
#else
		snprintf(why, sizeof(why), "built without eBPF support (DCV_EBPF=OFF)");
#endif
		if (opts->kind == CAP_LIVE_EBPF) {
			snprintf(err, errlen, "%s", why);
			free(l);
			return NULL;
		}
	}
	/* libpcap: asked for, or the fallback */
	l->pcap = cap_pcap_live_open(opts, err, errlen);
	if (l->pcap == NULL) {
		free(l);
		return NULL;
	}
	l->kind = CAP_LIVE_PCAP;
	if (why[0])
		snprintf(l->choice, sizeof(l->choice), "pcap (ebpf unavailable: %.400s)", why);
	else
		snprintf(l->choice, sizeof(l->choice), "pcap");
	return l;
}

enum cap_live_kind cap_live_kind_of(const struct cap_live *l)
{
	return l->kind;
}

const char *cap_live_choice(const struct cap_live *l)
{
	return l->choice;
}

int cap_live_next(struct cap_live *l, struct cap_frame *out, int timeout_ms)
{
	if (l->tap)
		return cap_dnstap_sock_next(l->tap, out, timeout_ms);
#ifdef DCV_HAVE_EBPF
	if (l->ebpf)
		return cap_ebpf_next(l->ebpf, out, timeout_ms);
#endif
	return cap_pcap_live_next(l->pcap, out, timeout_ms);
}

int cap_live_get_stats(struct cap_live *l, struct cap_live_stats *out)
{
	if (l->tap) {
		/* the server's dnstap point is after the kernel: no drops to show */
		memset(out, 0, sizeof(*out));
		out->received = cap_dnstap_sock_payload_stats(l->tap)->frames;
		return 0;
	}
#ifdef DCV_HAVE_EBPF
	if (l->ebpf)
		return cap_ebpf_get_stats(l->ebpf, out);
#endif
	return cap_pcap_live_get_stats(l->pcap, out);
}

int cap_live_sources(struct cap_live *l, cap_src_fn fn, void *ctx)
{
#ifdef DCV_HAVE_EBPF
	if (l->ebpf)
		return cap_ebpf_sources(l->ebpf, fn, ctx);
#endif
	(void)l;
	(void)fn;
	(void)ctx;
	return -2;
}

const struct cap_dnstap_stats *cap_live_dnstap_stats(const struct cap_live *l)
{
	return l->tap ? cap_dnstap_sock_payload_stats(l->tap) : NULL;
}

const char *cap_live_error(const struct cap_live *l)
{
	if (l->tap)
		return cap_dnstap_sock_error(l->tap);
#ifdef DCV_HAVE_EBPF
	if (l->ebpf)
		return cap_ebpf_error(l->ebpf);
#endif
	if (l->pcap)
		return cap_pcap_live_error(l->pcap);
	return l->error;
}

void cap_live_close(struct cap_live *l)
{
	if (l == NULL)
		return;
#ifdef DCV_HAVE_EBPF
	cap_ebpf_close(l->ebpf);
#endif
	cap_pcap_live_close(l->pcap);
	cap_dnstap_sock_close(l->tap);
	free(l);
}
