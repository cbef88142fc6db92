/*
 * pcap_read_loop.c - the "bare libpcap" baseline of tools/bench/bench.sh:
 * reads a capture with pcap_next_ex() and counts packets and bytes, doing
 * nothing else. No analyzer can read a file faster through libpcap. The
 * file is read through a 256 KiB stdio buffer, as dcvscope reads it
 * (capture/pcap_file.c): with stdio's default of 4 KiB the loop makes one
 * read() system call per 4 KiB and, on a virtual machine, takes twice as
 * long, which would flatter every ratio against it.
 *
 * usage: dcv-pcap-read-loop FILE
 * Prints "packets=N bytes=B caplen_bytes=C" and exits 0, or 1 on error.
 */
#include <inttypes.h>
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>

int main(int argc, char **argv)
{
	char err[PCAP_ERRBUF_SIZE];
	if (argc != 2) {
		fprintf(stderr, "usage: dcv-pcap-read-loop FILE\n");
		return 1;
	}
	static char iobuf[256 << 10];
	FILE *fp = fopen(argv[1], "rb");
	if (fp == NULL) {
		perror(argv[1]);
		return 1;
	}
	setvbuf(fp, iobuf, _IOFBF, sizeof(iobuf));
	pcap_t *p = pcap_fopen_offline_with_tstamp_precision(fp, PCAP_TSTAMP_PRECISION_NANO, err);
	if (p == NULL) {
		fclose(fp);
		fprintf(stderr, "dcv-pcap-read-loop: %s\n", err);
		return 1;
	}
	uint64_t packets = 0, bytes = 0, captured = 0;
	struct pcap_pkthdr *h;
	const u_char *data;
	int rc;
	while ((rc = pcap_next_ex(p, &h, &data)) == 1) {
		packets++;
		bytes += h->len;
		captured += h->caplen;
	}
	if (rc == PCAP_ERROR) {
		fprintf(stderr, "dcv-pcap-read-loop: %s after %" PRIu64 " packets\n",
		        pcap_geterr(p), packets);
		pcap_close(p);
		return 1;
	}
	pcap_close(p);
	printf("packets=%" PRIu64 " bytes=%" PRIu64 " caplen_bytes=%" PRIu64 "\n", packets, bytes,
	       captured);
	return 0;
}
