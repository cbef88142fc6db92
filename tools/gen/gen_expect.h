/*
 * gen_expect.h - the counts a scenario promises the analyzer must report.
 *
 * `dcvscope-gen SCENARIO --expect FILE.json` writes these counts with the key
 * names of dcvscope's JSON output. Every count is exact. Definitions (the
 * analyzer's contract, and what each scenario counts while it writes frames):
 *
 * packets                  frames in the file (every record, DNS or not).
 * dns.queries              well-formed DNS messages with QR=0 sent to the server
 *                          on port 53: one per UDP datagram (after IP fragment
 *                          reassembly) and one per DNS message rebuilt from a TCP
 *                          stream. A retransmitted UDP query counts again here.
 *                          A TCP message counts once even if a segment carrying
 *                          it was retransmitted, split, or reordered.
 * dns.responses            the same for QR=1 messages sent by the server.
 * dns.udp, dns.tcp         well-formed DNS messages (queries + responses) by
 *                          transport; dns.udp + dns.tcp = queries + responses.
 * dns.ipv6                 well-formed DNS messages carried over IPv6.
 * dns.malformed            DNS messages on port 53 the DNS parser rejects; they
 *                          count nowhere else in dns.* and open no transaction.
 * rcodes                   responses by header RCODE name ("NOERROR", "NXDOMAIN",
 *                          "SERVFAIL", "REFUSED", ...); a name absent means 0.
 *                          The sum equals dns.responses.
 * transactions.answered    queries matched with a response (same client, ports,
 *                          id, transport and connection). A query and its
 *                          retransmissions form one transaction.
 * transactions.unanswered  transactions with no response within the timeout
 *                          (5 s, the analyzer's default). Every unanswered
 *                          query is sent at least 5 s before the capture ends,
 *                          so none of them is merely pending at the end.
 * transactions.retransmits queries repeating an open query (same client, ports,
 *                          id, name and type) before its response.
 * tcp.sessions             TCP connections to port 53 that were established
 *                          (SYN-ACK seen) or picked up mid-stream (data without
 *                          a handshake).
 * tcp.rejected             connection attempts (distinct 4-tuples) whose SYN was
 *                          answered with RST.
 * tcp.filtered             connection attempts (distinct 4-tuples) whose SYNs
 *                          (a first SYN and possibly one retransmission 1 s later)
 *                          were never answered; the first SYN is sent at least 5 s
 *                          before the capture ends (SYN timeout: 3 s).
 * frames.not_dns           frames that are not DNS: not IP (ARP), IP but not
 *                          UDP/TCP (ICMP), UDP/TCP on other ports (NTP).
 * frames.snap_truncated    DNS frames cut by the snap length. A message cut
 *                          after its header counts in dns.* like any other
 *                          (a query still opens a transaction); the records
 *                          lost to the cut are not summarized.
 * frames.fragments         IPv4/IPv6 fragment frames (each fragment is a frame).
 * sources[]                per named source: queries (as dns.queries),
 *                          unanswered (as transactions.unanswered) and
 *                          max_concurrent_tcp (most established TCP sessions
 *                          of the source open at one instant).
 *
 * CA validation ground truth (scenario mpic only; absent from the other
 * scenarios' files). It comes from how the traffic was generated, not from
 * reading it back:
 *
 * validators[]             every source address that sent queries as a CA
 *                          validation perspective: address, ca (the CA id that
 *                          really owns it: "letsencrypt", "digicert",
 *                          "sectigo", "globalsign"), listed (true when a row of
 *                          tests/captures/validators-test.tsv covers it; the
 *                          rows cover exactly the listed CAs' sites) and region
 *                          (the RIR region of its site: arin, ripe, apnic,
 *                          lacnic, afrinic). A validator sends nothing but
 *                          validation queries, and never appears as a resolver.
 * resolvers                distinct source addresses that sent at least one
 *                          query and are not validators (ordinary resolvers,
 *                          including the traps below). validators + resolvers
 *                          = every distinct query source of the capture.
 * resolvers_sample[]       the ordinary sources that asked at least one
 *                          validation-shaped question (TXT for a name starting
 *                          with _acme-challenge., or CAA for any name): people
 *                          checking their setup through their resolver, a
 *                          customer's CAA monitoring. Each asked at least 100
 *                          other questions before its first validation-shaped
 *                          one. They are not validators, and no other ordinary
 *                          source asks a validation-shaped question.
 * attempts                 one attempt = the queries that the perspectives of
 *                          one CA send to validate one name (the base name X,
 *                          without _acme-challenge./_dnsauth./
 *                          _validation-persist./_<label>._acme-challenge.)
 *                          within at most GEN_ATTEMPT_SPAN_S seconds of its
 *                          first query: the challenge lookups (TXT/CNAME of the
 *                          prefixed name, TXT/CNAME of X for DigiCert, A+AAAA
 *                          of X for HTTP-01) and the CAA lookups of X and of
 *                          each ancestor down to the zone apex (ancestors
 *                          above the apex, up to the TLD, are asked of other
 *                          servers and are not in this capture). Attempts for
 *                          the same name (any CA) start at least
 *                          GEN_ATTEMPT_SAME_NAME_GAP_S seconds apart, and a
 *                          validator address that takes part in an attempt
 *                          sends nothing else (no query, no TCP segment) from
 *                          the attempt's first query until GEN_ATTEMPT_SPAN_S
 *                          seconds after it, so the grouping is unambiguous.
 * attempts.list[].perspectives
 *                          the validator addresses that sent at least one query
 *                          of the attempt (a perspective cancelled before it
 *                          sent anything is not one), in the order of their
 *                          first query, each with its outcome: the worst, in
 *                          this order, of the outcomes of its questions:
 *                            answered     NOERROR with records of the type
 *                            negative     NXDOMAIN, or NOERROR without records
 *                                         of the type (NODATA; CAA below the
 *                                         apex is NODATA here, so most
 *                                         perspectives end up negative)
 *                            refused      REFUSED
 *                            servfail     SERVFAIL
 *                            other_rcode  any other RCODE (NOTIMP here)
 *                            unanswered   no answer to the question (every
 *                                         UDP try of it was dropped)
 *                            tcp_failure  the UDP answer had TC=1 and the TCP
 *                                         retry's SYN was answered by RST or
 *                                         never answered
 *                          A TC=1 answer is not an outcome by itself: the
 *                          question's outcome is its TCP retry's answer.
 * attempts.total           attempts = corroborated + at_risk + failed, where
 *                          with n perspectives (one counted as primary, n - 1
 *                          as remote), f of them with an outcome other than
 *                          answered/negative, and allowed = 1 for 2-5 remote,
 *                          2 for 6 or more, 0 below 2 (BR 3.2.2.9 quorum):
 * attempts.corroborated    f = 0
 * attempts.at_risk         0 < f <= allowed
 * attempts.failed          f > allowed
 * attempts.list[]          the first GEN_ATTEMPTS_LISTED attempts by first query
 *                          time: name, ca, method (dns-01, dns-account-01,
 *                          dns-persist-01, dnsauth-txt, dnsauth-cname,
 *                          http-01), first_ns (time of its first query, ns
 *                          since the Unix epoch), status, perspectives.
 *
 * Fault ground truth (scenarios fault-*, gen_fault.h; absent elsewhere).
 * The mpic block above is written with validators[], resolvers and
 * resolvers_sample (always empty: no ordinary source asks a
 * validation-shaped question) but without attempts: a fault scenario's batch
 * sources take part in many validations at once, so the per-address
 * exclusivity that makes attempts unambiguous does not hold. Listed
 * validators are the rows of tests/captures/validators-test.tsv.
 *
 * findings[]               the findings the rules engine must produce, each:
 *                          rule (catalogue id); severity ("critical",
 *                          "warning", or "warning_or_critical" when either is
 *                          right); subject_kind (one kind, or an array of
 *                          acceptable kinds; a finding of kind "server" needs
 *                          no subject match); subject (an array of acceptable
 *                          subjects, lowercase, matched case-insensitively;
 *                          a finding matches when its subject, or any part of
 *                          a combined "ca/region" subject, is in the array);
 *                          optional kind (REGION_ASYMMETRY: the failure kind,
 *                          "unanswered" or "refused"); optional metric, value
 *                          and tolerance (the finding's metrics[metric] must
 *                          lie within value +- tolerance).
 * findings_allowed[]       rules that may fire as well, at any severity, as
 *                          consequences of the one injected fault. Any other
 *                          warning or critical finding is a false positive.
 */
#ifndef DCV_GEN_EXPECT_H
#define DCV_GEN_EXPECT_H

#include <stdbool.h>
#include <stdint.h>

#include "addr.h"

#define GEN_NAMED_SOURCES_MAX 16
#define GEN_RCODES            16 /* header RCODE values 0..15 */

struct gen_source_expect {
	struct dcv_addr addr;
	uint64_t queries;
	uint64_t unanswered;
	uint32_t max_concurrent_tcp;
};

#define GEN_VALIDATORS_MAX          128 /* validator addresses of one capture */
#define GEN_ATTEMPTS_LISTED         200 /* attempts written in full */
#define GEN_PERSPECTIVES_MAX        8   /* perspectives of one attempt */
#define GEN_RESOLVER_SAMPLE_MAX     16  /* trap resolvers listed */
#define GEN_ATTEMPT_NAME_MAX        128 /* base name, text form + NUL */
#define GEN_ID_MAX                  16  /* CA id, region, method, + NUL */
#define GEN_ATTEMPT_SPAN_S          10  /* an attempt's queries lie within this of its first */
#define GEN_ATTEMPT_SAME_NAME_GAP_S 30  /* attempts for one name start this far apart */

/* A perspective's outcome in an attempt, best first (the worst one counts). */
enum gen_outcome {
	GEN_OUT_ANSWERED = 0,
	GEN_OUT_NEGATIVE,
	GEN_OUT_REFUSED,
	GEN_OUT_SERVFAIL,
	GEN_OUT_OTHER_RCODE,
	GEN_OUT_UNANSWERED,
	GEN_OUT_TCP_FAILURE,
	GEN_OUT_COUNT
};

enum gen_attempt_status { GEN_CORROBORATED = 0, GEN_AT_RISK, GEN_FAILED };

struct gen_validator_expect {
	struct dcv_addr addr;
	char ca[GEN_ID_MAX];
	char region[GEN_ID_MAX];
	bool listed;
};

struct gen_perspective_expect {
	struct dcv_addr addr;
	enum gen_outcome outcome;
};

struct gen_attempt_expect {
	char name[GEN_ATTEMPT_NAME_MAX];
	char ca[GEN_ID_MAX];
	char method[GEN_ID_MAX];
	uint64_t first_ns;
	enum gen_attempt_status status;
	unsigned nperspectives;
	struct gen_perspective_expect p[GEN_PERSPECTIVES_MAX];
};

/* Validation ground truth (see the definitions above); present only when set. */
struct gen_mpic_expect {
	bool present;
	unsigned nvalidators;
	struct gen_validator_expect validators[GEN_VALIDATORS_MAX];
	uint64_t resolvers;
	unsigned nsample;
	struct dcv_addr sample[GEN_RESOLVER_SAMPLE_MAX];
	uint64_t attempts, corroborated, at_risk, failed;
	unsigned nlisted;
	struct gen_attempt_expect list[GEN_ATTEMPTS_LISTED];
};

#define GEN_FINDINGS_MAX         8   /* expected findings of one scenario */
#define GEN_FINDING_SUBJECTS_MAX 128 /* acceptable subjects of one finding */
#define GEN_FINDING_KINDS_MAX    4   /* acceptable subject kinds of one finding */
#define GEN_FINDINGS_ALLOWED_MAX 8

/* One finding a fault scenario must produce (see the definitions above). */
struct gen_finding_expect {
	char rule[32];
	char severity[24]; /* "critical", "warning", "warning_or_critical" */
	unsigned nkinds;
	char kinds[GEN_FINDING_KINDS_MAX][GEN_ID_MAX]; /* acceptable subject kinds */
	unsigned nsubjects;
	char subjects[GEN_FINDING_SUBJECTS_MAX][GEN_ATTEMPT_NAME_MAX];
	char failure_kind[GEN_ID_MAX]; /* "" = none */
	char metric[32];               /* "" = none */
	double value, tolerance;
};

struct gen_fault_expect {
	bool present;
	unsigned nfindings;
	struct gen_finding_expect findings[GEN_FINDINGS_MAX];
	unsigned nallowed;
	char allowed[GEN_FINDINGS_ALLOWED_MAX][32];
};

struct gen_expect {
	uint64_t packets;
	uint64_t queries, responses, udp, tcp, ipv6, malformed;
	uint64_t rcodes[GEN_RCODES];
	uint64_t answered, unanswered, retransmits;
	uint64_t tcp_sessions, tcp_rejected, tcp_filtered;
	uint64_t not_dns, snap_truncated, fragments;
	unsigned nsources;
	struct gen_source_expect sources[GEN_NAMED_SOURCES_MAX];
	struct gen_mpic_expect mpic;
	struct gen_fault_expect fault;
};

/* gen_expect_name_source() adds a named source (once) and returns its entry,
 * or NULL when GEN_NAMED_SOURCES_MAX are already named. */
struct gen_source_expect *gen_expect_name_source(struct gen_expect *e, const struct dcv_addr *a);

/* gen_expect_source() returns the named source's entry, or NULL if a is not named. */
struct gen_source_expect *gen_expect_source(struct gen_expect *e, const struct dcv_addr *a);

/* gen_quorum_failures_allowed() is the BR 3.2.2.9 table: 2-5 remote perspectives
 * allow 1 non-corroboration, 6 or more allow 2, fewer than 2 allow none. */
unsigned gen_quorum_failures_allowed(unsigned remote);

/* gen_expect_add_validator() records a validator address (once; the first call
 * for an address wins). Returns false when GEN_VALIDATORS_MAX are recorded. */
bool gen_expect_add_validator(struct gen_expect *e, const struct dcv_addr *a, const char *ca,
                              const char *region, bool listed);

/* gen_expect_add_attempt() sets a->status from its perspectives' outcomes,
 * counts the attempt, and keeps it in the list while there is room. Attempts
 * must be added in first_ns order. */
void gen_expect_add_attempt(struct gen_expect *e, struct gen_attempt_expect *a);

/* Stable JSON words: "answered", ...; "corroborated", "at_risk", "failed". */
const char *gen_outcome_name(enum gen_outcome o);
const char *gen_attempt_status_name(enum gen_attempt_status s);

/* gen_expect_add_finding() appends an expected finding with one subject kind
 * (more: gen_finding_add_kind) and no subjects yet; NULL when
 * GEN_FINDINGS_MAX are there. Marks the fault block present. */
struct gen_finding_expect *gen_expect_add_finding(struct gen_expect *e, const char *rule,
                                                  const char *severity, const char *kind);

/* gen_finding_add_kind() adds an acceptable subject kind (ignored when full). */
void gen_finding_add_kind(struct gen_finding_expect *f, const char *kind);

/* gen_finding_add_subject() adds an acceptable subject, lowercased, once
 * (ignored when GEN_FINDING_SUBJECTS_MAX are there). */
void gen_finding_add_subject(struct gen_finding_expect *f, const char *subject);

/* gen_expect_allow() lists a rule that may fire as well (once; ignored when full). */
void gen_expect_allow(struct gen_expect *e, const char *rule);

/* gen_expect_write_json() writes the counts as JSON to path.
 * Returns 0, or -1 when the file cannot be written (errno set). */
int gen_expect_write_json(const struct gen_expect *e, const char *scenario, uint64_t seed,
                          const char *path);

#endif
