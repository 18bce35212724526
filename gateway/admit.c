/* admit.c - the decisions on a request's head (admit.h). */
#include <string.h>
#include <strings.h>

#include "admit.h"

/* The longest next path kept: what a redirect's Location can carry. */
#define ADMIT_NEXT_MAX 1024

int admit_path_has_nul(const char *path, size_t len)
{
    if (memchr(path, '\0', len) != NULL)
        return 1;
    for (size_t i = 0; i + 2 < len; i++)
        if (path[i] == '%' && path[i + 1] == '0' && path[i + 2] == '0')
            return 1;
    return 0;
}

int admit_next_path(const char *next)
{
    if (next == NULL || next[0] != '/' || next[1] == '/' || next[1] == '\\' ||
        strlen(next) > ADMIT_NEXT_MAX)
        return 0;
    for (const unsigned char *p = (const unsigned char *)next; *p != '\0'; p++)
        if (*p < 0x20 || *p == 0x7f || *p == '\\')
            return 0;
    return 1;
}

int admit_is_json_type(const char *value, size_t len)
{
    static const char type[] = "application/json";
    const size_t type_len = sizeof type - 1;
    if (len < type_len || strncasecmp(value, type, type_len) != 0)
        return 0;
    size_t i = type_len;
    while (i < len && (value[i] == ' ' || value[i] == '\t'))
        i++;
    return i == len || value[i] == ';';
}

admit_result admit_request(const gw_route *table, size_t n, const admit_head *head,
                           const gw_route **route, int64_t *id)
{
    if (admit_path_has_nul(head->path, head->path_len))
        return ADMIT_NUL_PATH;
    switch (router_match(table, n, head->method, head->method_len, head->path, head->path_len,
                         route, id)) {
    case ROUTER_MATCH:
        break;
    case ROUTER_NO_METHOD:
        return ADMIT_NO_METHOD;
    case ROUTER_BAD_ID:
        return ADMIT_BAD_ID;
    default:
        return ADMIT_NO_PATH;
    }
    if (head->body_len > (*route)->max_body)
        return ADMIT_TOO_LARGE;
    if (head->body_len > 0 && (head->content_type == NULL ||
                               !admit_is_json_type(head->content_type, head->content_type_len)))
        return ADMIT_NOT_JSON;
    return ADMIT_OK;
}
