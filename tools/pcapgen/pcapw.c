/* pcapw.c - nanosecond pcap files written through libpcap's dumper. */
#include "pktbuild.h"

#include <pcap/pcap.h>
#include <stdlib.h>

struct pcapw {
	pcap_t *dead;
	pcap_dumper_t *dumper;
	uint32_t snaplen;
};

struct pcapw *pcapw_open(const char *path, int linktype, uint32_t snaplen)
{
	struct pcapw *w = calloc(1, sizeof(*w));
	if (w == NULL)
		return NULL;
	w->snaplen = snaplen ? snaplen : 262144;
	/* pcap_open_dead() takes a DLT_* value and maps it to the file's LINKTYPE_*;
	 * LINKTYPE_RAW (101) has DLT_RAW (12 or 14, by platform) as its DLT. */
	int dlt = linktype == PB_LINK_RAW ? DLT_RAW : linktype;
	w->dead =
	    pcap_open_dead_with_tstamp_precision(dlt, (int)w->snaplen, PCAP_TSTAMP_PRECISION_NANO);
	if (w->dead == NULL)
		goto fail;
	w->dumper = pcap_dump_open(w->dead, path);
	if (w->dumper == NULL) {
		fprintf(stderr, "pcapw: %s\n", pcap_geterr(w->dead));
		goto fail;
	}
	return w;
fail:
	if (w->dead)
		pcap_close(w->dead);
	free(w);
	return NULL;
}

void pcapw_write(struct pcapw *w, uint64_t ts_ns, const uint8_t *frame, size_t len)
{
	struct pcap_pkthdr h;
	h.ts.tv_sec = (time_t)(ts_ns / 1000000000ULL);
	/* with nanosecond precision libpcap stores tv_usec as nanoseconds */
	h.ts.tv_usec = (suseconds_t)(ts_ns % 1000000000ULL);
	h.len = (bpf_u_int32)len;
	h.caplen = (bpf_u_int32)(len < w->snaplen ? len : w->snaplen);
	pcap_dump((u_char *)w->dumper, &h, frame);
}

int pcapw_close(struct pcapw *w)
{
	if (w == NULL)
		return 0;
	int rc = pcap_dump_flush(w->dumper);
	pcap_dump_close(w->dumper);
	pcap_close(w->dead);
	free(w);
	return rc == 0 ? 0 : -1;
}
