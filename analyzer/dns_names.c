/*
 * dns_names.c - mnemonics of RCODEs and RR types (declared in dns_parse.h).
 *
 * Sources: IANA "Domain Name System (DNS) Parameters" registry, RFC 1035 3.2.2
 * and 4.1.1, RFC 2136 2.2, RFC 6891 9, RFC 8945 4.3, RFC 7873 8.
 */
#include <stddef.h>

#include "dns_parse.h"

const char *dns_rcode_name(unsigned rcode)
{
	switch (rcode) {
	case 0:
		return "NOERROR";
	case 1:
		return "FORMERR";
	case 2:
		return "SERVFAIL";
	case 3:
		return "NXDOMAIN";
	case 4:
		return "NOTIMP";
	case 5:
		return "REFUSED";
	case 6:
		return "YXDOMAIN";
	case 7:
		return "YXRRSET";
	case 8:
		return "NXRRSET";
	case 9:
		return "NOTAUTH";
	case 10:
		return "NOTZONE";
	case 11:
		return "DSOTYPENI"; /* RFC 8490 */
	case 16:
		/* BADVERS in an OPT (RFC 6891); the same value is BADSIG in a
		 * TSIG record (RFC 8945). A message's rcode is the OPT one. */
		return "BADVERS";
	case 17:
		return "BADKEY";
	case 18:
		return "BADTIME";
	case 19:
		return "BADMODE";
	case 20:
		return "BADNAME";
	case 21:
		return "BADALG";
	case 22:
		return "BADTRUNC";
	case 23:
		return "BADCOOKIE";
	default:
		return NULL;
	}
}

const char *dns_type_name(unsigned type)
{
	switch (type) {
	case 1:
		return "A";
	case 2:
		return "NS";
	case 5:
		return "CNAME";
	case 6:
		return "SOA";
	case 10:
		return "NULL";
	case 12:
		return "PTR";
	case 13:
		return "HINFO";
	case 15:
		return "MX";
	case 16:
		return "TXT";
	case 17:
		return "RP";
	case 18:
		return "AFSDB";
	case 24:
		return "SIG";
	case 25:
		return "KEY";
	case 28:
		return "AAAA";
	case 29:
		return "LOC";
	case 33:
		return "SRV";
	case 35:
		return "NAPTR";
	case 36:
		return "KX";
	case 37:
		return "CERT";
	case 39:
		return "DNAME";
	case 41:
		return "OPT";
	case 42:
		return "APL";
	case 43:
		return "DS";
	case 44:
		return "SSHFP";
	case 45:
		return "IPSECKEY";
	case 46:
		return "RRSIG";
	case 47:
		return "NSEC";
	case 48:
		return "DNSKEY";
	case 49:
		return "DHCID";
	case 50:
		return "NSEC3";
	case 51:
		return "NSEC3PARAM";
	case 52:
		return "TLSA";
	case 53:
		return "SMIMEA";
	case 55:
		return "HIP";
	case 59:
		return "CDS";
	case 60:
		return "CDNSKEY";
	case 61:
		return "OPENPGPKEY";
	case 62:
		return "CSYNC";
	case 63:
		return "ZONEMD";
	case 64:
		return "SVCB";
	case 65:
		return "HTTPS";
	case 99:
		return "SPF";
	case 108:
		return "EUI48";
	case 109:
		return "EUI64";
	case 249:
		return "TKEY";
	case 250:
		return "TSIG";
	case 251:
		return "IXFR";
	case 252:
		return "AXFR";
	case 253:
		return "MAILB";
	case 254:
		return "MAILA";
	case 255:
		return "ANY";
	case 256:
		return "URI";
	case 257:
		return "CAA";
	case 32769:
		return "DLV";
	default:
		return NULL;
	}
}
