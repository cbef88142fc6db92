/*
 * validators_data.h - the built-in validators.tsv and caa-identifiers.tsv,
 * embedded at build time from analyzer/data/ (analyzer/data/embed.cmake
 * generates validators_data.c in the build tree). Internal.
 */
#ifndef DCV_VALIDATORS_DATA_H
#define DCV_VALIDATORS_DATA_H

#include <stddef.h>

extern const unsigned char validators_builtin_tsv[];
extern const size_t validators_builtin_tsv_len;
extern const unsigned char validators_builtin_caa_tsv[];
extern const size_t validators_builtin_caa_tsv_len;

#endif
