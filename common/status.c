/* status.c - names and HTTP mapping of the gRPC status codes (docs/API.md). */
#include "status.h"

static const char *const status_names[] = {
    "OK",
    "CANCELLED",
    "UNKNOWN",
    "INVALID_ARGUMENT",
    "DEADLINE_EXCEEDED",
    "NOT_FOUND",
    "ALREADY_EXISTS",
    "PERMISSION_DENIED",
    "RESOURCE_EXHAUSTED",
    "FAILED_PRECONDITION",
    "ABORTED",
    "OUT_OF_RANGE",
    "UNIMPLEMENTED",
    "INTERNAL",
    "UNAVAILABLE",
    "DATA_LOSS",
    "UNAUTHENTICATED",
};

const char *rc_status_name(int code)
{
    if (code < 0 || code > RC_UNAUTHENTICATED)
        return "UNKNOWN";
    return status_names[code];
}

int rc_status_http(int code)
{
    switch (code) {
    case RC_OK:
        return 200;
    case RC_CANCELLED:
        return 499;
    case RC_INVALID_ARGUMENT:
    case RC_OUT_OF_RANGE:
        return 400;
    case RC_DEADLINE_EXCEEDED:
        return 504;
    case RC_NOT_FOUND:
        return 404;
    case RC_ALREADY_EXISTS:
    case RC_FAILED_PRECONDITION:
    case RC_ABORTED:
        return 409;
    case RC_PERMISSION_DENIED:
        return 403;
    case RC_RESOURCE_EXHAUSTED:
        return 429;
    case RC_UNIMPLEMENTED:
        return 501;
    case RC_UNAVAILABLE:
        return 503;
    case RC_UNAUTHENTICATED:
        return 401;
    default:
        return 500;
    }
}

const char *rc_http_reason(int http_status)
{
    switch (http_status) {
    case 200:
        return "OK";
    case 201:
        return "Created";
    case 204:
        return "No Content";
    case 302:
        return "Found";
    case 304:
        return "Not Modified";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 409:
        return "Conflict";
    case 413:
        return "Payload Too Large";
    case 415:
        return "Unsupported Media Type";
    case 429:
        return "Too Many Requests";
    case 499:
        return "Client Closed Request";
    case 501:
        return "Not Implemented";
    case 503:
        return "Service Unavailable";
    case 504:
        return "Gateway Timeout";
    default:
        return "Internal Server Error";
    }
}
