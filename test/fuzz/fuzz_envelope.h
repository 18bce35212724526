/* fuzz_envelope.h - what the RPC fuzz targets share: the fuzzer's bytes as
 * the payload of a well-formed envelope, so that it reaches a method's input
 * decoding without first having to discover the envelope's wire format. */
#ifndef RCYCLE_FUZZ_ENVELOPE_H
#define RCYCLE_FUZZ_ENVELOPE_H

#include <stddef.h>
#include <stdint.h>

#include "envelope.pb-c.h"

/* The packed envelope for method with caller (may be NULL) and data as its
 * payload, of *out_len bytes; NULL when out of memory. Free it. */
uint8_t *fuzz_envelope(const char *method, const Rcycle__Caller *caller, const uint8_t *data,
                       size_t len, size_t *out_len);

#endif
