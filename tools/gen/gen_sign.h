/*
 * gen_sign.h - real DNSSEC signatures for the generated answers.
 *
 * The answer builders (gen_dns.c, gen_vdns.c) lay out DNSKEY and RRSIG
 * records at their real sizes (RSA-2048) with placeholder bytes.
 * gen_sign_message() turns the placeholders into a zone signed for real, so
 * that a validating reader (dcvscope's DNSSEC check) finds the generated
 * zones SECURE: the first KSK of a DNSKEY RRset becomes the generator's
 * fixed test key, and every RRSIG gets that key's tag and a RSASHA256
 * signature over its RRset, with the RRSIG's own fields (original TTL,
 * validity) as written. Sizes never change, and the output stays
 * deterministic (RSA PKCS#1 v1.5 signatures are). Signatures are cached by
 * what they sign, so a name asked a million times is signed once.
 *
 * Signing costs an RSA operation per distinct RRset, too much for the
 * large scenarios: it is off until a scenario turns it on (the demo, whose
 * captures carry DNSKEY answers that a validating reader checks the
 * signatures against). Scenarios without DNSKEY answers keep the
 * placeholders, which no reader can verify for lack of the keys.
 */
#ifndef DCV_GEN_SIGN_H
#define DCV_GEN_SIGN_H

#include <stdbool.h>

#include "pktbuild.h"

/* gen_sign_enable() turns signing (and the NSEC records of negative
 * answers, gen_sign_on()) on or off for the rest of the run. */
void gen_sign_enable(bool on);

/* gen_sign_on() says whether signing is on. */
bool gen_sign_on(void);

/* gen_sign_message() signs m in place when signing is on. A message without RRSIG or DNSKEY
 * is left as it is. Exits the process (status 1) when the built-in key
 * cannot be loaded: the generator cannot work without it. */
void gen_sign_message(struct dnsb *m);

#endif
