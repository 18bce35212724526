/* status.h - gRPC-style status codes shared by every process.
 *
 * Errors travel as values: a function that can fail returns an rc_status and
 * the caller decides. The numeric values are gRPC's, so they can be carried
 * in a Reply unchanged. */
#ifndef RCYCLE_STATUS_H
#define RCYCLE_STATUS_H

typedef enum rc_status {
    RC_OK = 0,
    RC_CANCELLED = 1,
    RC_UNKNOWN = 2,
    RC_INVALID_ARGUMENT = 3,
    RC_DEADLINE_EXCEEDED = 4,
    RC_NOT_FOUND = 5,
    RC_ALREADY_EXISTS = 6,
    RC_PERMISSION_DENIED = 7,
    RC_RESOURCE_EXHAUSTED = 8,
    RC_FAILED_PRECONDITION = 9,
    RC_ABORTED = 10,
    RC_OUT_OF_RANGE = 11,
    RC_UNIMPLEMENTED = 12,
    RC_INTERNAL = 13,
    RC_UNAVAILABLE = 14,
    RC_DATA_LOSS = 15,
    RC_UNAUTHENTICATED = 16,
} rc_status;

/* The gRPC name ("NOT_FOUND"); "UNKNOWN" for a value outside the enum. */
const char *rc_status_name(int code);

/* The HTTP status the REST API answers with for this code. */
int rc_status_http(int code);

/* The HTTP reason phrase for an HTTP status this API uses. */
const char *rc_http_reason(int http_status);

#endif
