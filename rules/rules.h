/*
 * rules.h - checks over stored facts that produce findings.
 *
 * A rule reads statistics through db/ and knows nothing about packets, so the
 * same rules serve live, offline and merged databases. The catalogue is built
 * by the rules-engine issue; this header fixes the entry point.
 */
#ifndef DCV_RULES_H
#define DCV_RULES_H

/* rules_catalogue_size() returns how many rules this build knows. */
unsigned rules_catalogue_size(void);

#endif
