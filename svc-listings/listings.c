/* listings.c - reading listings: ListListings (filters, search, paging and
 * the total before paging) and GetListing. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "listings.h"
#include "text.h"

#define LIST_DEFAULT_LIMIT 100
#define LIST_MAX_LIMIT     500

/* Every filter is a parameter that is NULL when unused, so one statement
 * covers every combination; planned for their values (db_exec_custom), it
 * keeps only the tests that apply, each with its index. A search passes its
 * term one of two ways. $4, a LIKE pattern (wildcards escaped), for a term
 * of three characters or more: the trigram index serves it. $5, the term
 * itself, for one of one or two characters, which holds no trigram: the
 * index of short grams serves it (db/migrations/listings/007), and exactly,
 * since a text holds such a term if and only if the term is one of its
 * grams. */
#define LISTING_FILTER                                                                             \
    " WHERE ($2::text IS NULL OR status = $2) AND " LISTING_MATCHES(                               \
        "$1::text", "$3::text", "$4::text") " AND ($5::text IS NULL OR search_grams @@ "           \
                                            "listings.search_gram(lower($5::text)))"

static const db_stmt count_listings = {
    "listings_count",
    "SELECT count(*) FROM listings.listings" LISTING_FILTER,
    5,
};

/* A search counts at most this many matches past its page: counting every
 * match of a short or common term would scan most of the table (300 ms at
 * 100k listings), while the first few hundred are found in a few pages. */
#define SEARCH_COUNT_BEYOND 1000

/* The page and, in its last column, the total before paging: one statement,
 * so one round trip and one snapshot. A short page holds the end of the
 * result, so its total is the offset plus its rows; only a full page needs
 * the count, and CASE asks for it (an initplan PostgreSQL runs on first
 * use, so a short page never runs it). An empty page has no row to carry
 * the total (see run_list_queries). */
#define PAGE_SQL(filter, limit, offset, count)                                                     \
    "WITH page AS (SELECT " LISTING_COLUMNS " FROM listings.listings" filter                       \
    " ORDER BY created_at DESC, id DESC LIMIT " limit " OFFSET " offset ")"                        \
    " SELECT page.*, CASE WHEN (SELECT count(*) FROM page) < " limit " THEN " offset               \
    " + (SELECT count(*) FROM page) ELSE " count " END FROM page"

#define COUNT_SQL(filter) "(SELECT count(*) FROM listings.listings" filter ")"

#define STR(x)  #x
#define XSTR(x) STR(x)

/* With filters but no search: planned for their values, so that a status,
 * category or department uses its own index. */
static const db_stmt page_listings = {
    "listings_page",
    PAGE_SQL(LISTING_FILTER, "$6", "$7", COUNT_SQL(LISTING_FILTER)),
    7,
};

/* A search, in two steps of one statement. hits: the matches, at most
 * SEARCH_COUNT_BEYOND past the page, found as the planner finds cheapest (a
 * search index for a rare term, the first rows of the table for a common
 * one); how many it holds is the total. When they stop short of that bound,
 * hits holds every match and the page is the newest of them, sorted in
 * memory. Only when there are more does the page walk the listings newest
 * first, testing each, which a common term fills within a few rows. The
 * planner cannot make that choice itself: for a term it has no statistics
 * on (most terms of one or two characters) it assumes that 0.5% of the rows
 * match, and walks for a small page; a term no listing holds then reads the
 * whole table (60 ms at 100k listings, where hits take 0.1 ms). Each branch
 * of the UNION ALL has a one-time filter, so only one runs, and the rows
 * come in its order. */
#define SEARCH_BOUND "$7::bigint + $6::bigint + " XSTR(SEARCH_COUNT_BEYOND)
#define SEARCH_PAGE_SQL                                                                            \
    "WITH hits AS MATERIALIZED (SELECT id, created_at FROM listings.listings" LISTING_FILTER       \
    " LIMIT " SEARCH_BOUND "), counted AS MATERIALIZED (SELECT count(*) AS n FROM hits),"          \
    " page AS ((SELECT " LISTING_COLUMNS                                                           \
    " FROM listings.listings WHERE id IN (SELECT id FROM hits"                                     \
    " ORDER BY created_at DESC, id DESC LIMIT $6 OFFSET $7)"                                       \
    " AND (SELECT n FROM counted) < " SEARCH_BOUND " ORDER BY created_at DESC, id DESC)"           \
    " UNION ALL (SELECT " LISTING_COLUMNS " FROM listings.listings" LISTING_FILTER                 \
    " AND (SELECT n FROM counted) >= " SEARCH_BOUND                                                \
    " ORDER BY created_at DESC, id DESC LIMIT $6 OFFSET $7))"                                      \
    " SELECT page.*, (SELECT n FROM counted) FROM page"

static const db_stmt page_search_listings = {
    "listings_page_search",
    SEARCH_PAGE_SQL,
    7,
};

/* The unfiltered list, the one most asked for: nothing in it depends on a
 * value, so it is planned once per connection. */
static const db_stmt page_all_listings = {
    "listings_page_all",
    PAGE_SQL("", "$1", "$2", COUNT_SQL("")),
    2,
};

static const db_stmt get_listing = {
    "listings_get",
    "SELECT " LISTING_COLUMNS " FROM listings.listings WHERE id = $1",
    1,
};

/* The parameters of count_listings (the first five: the filters),
 * page_listings and page_search_listings, in their order. */
enum list_param {
    P_CATEGORY,
    P_STATUS,
    P_DEPARTMENT,
    P_PATTERN,
    P_SHORT_TERM,
    P_LIMIT,
    P_OFFSET,
    P_COUNT
};

/* Terms of up to this many characters hold no trigram (pg_trgm). */
#define SHORT_TERM_MAX_CHARS 2

typedef struct list_query {
    const char *params[P_COUNT];
    char *pattern; /* owned: the escaped search */
    char limit[DB_INT64_LEN];
    char offset[DB_INT64_LEN];
    int64_t limit_n;
    int64_t offset_n;
} list_query;

/* A list's total before paging; capped: a search's count that stopped
 * at SEARCH_COUNT_BEYOND matches past the page, so n is a lower bound. */
typedef struct list_total {
    int64_t n;
    int capped;
} list_total;

/* An empty filter is no filter: a form submits empty fields. */
static const char *filter_value(const char *s)
{
    return s != NULL && *s != '\0' ? s : NULL;
}

char *listing_like_literal(const char *s)
{
    char *out = malloc(2 * strlen(s) + 1);
    if (out == NULL)
        return NULL;
    char *p = out;
    for (; *s != '\0'; s++) {
        if (*s == '%' || *s == '_' || *s == '\\')
            *p++ = '\\';
        *p++ = *s;
    }
    *p = '\0';
    return out;
}

/* Checks the request and fills *q. Returns 0, or -1 with the error replied.
 * q->pattern needs freeing either way. */
static int list_query_from_request(const Rcycle__Listings__ListListingsRequest *in, list_query *q,
                                   rpc_reply *reply)
{
    memset(q, 0, sizeof *q);
    const char *category = filter_value(in->category);
    if (category != NULL && strcmp(category, "all") == 0)
        category = NULL;
    if (category != NULL && !listing_category_valid(category)) {
        rpc_reply_error(reply, RC_INVALID_ARGUMENT,
                        "category must be all, Server, Networking or Storage");
        return -1;
    }
    const char *status = filter_value(in->status);
    if (status != NULL && !listing_status_valid(status)) {
        rpc_reply_error(reply, RC_INVALID_ARGUMENT,
                        "status must be available, claimed, approved, expired or withdrawn");
        return -1;
    }
    int limit = in->has_limit ? in->limit : LIST_DEFAULT_LIMIT;
    if (limit < 1 || limit > LIST_MAX_LIMIT) {
        rpc_reply_error(reply, RC_INVALID_ARGUMENT, "limit must be between 1 and %d",
                        LIST_MAX_LIMIT);
        return -1;
    }
    int offset = in->has_offset ? in->offset : 0;
    if (offset < 0) {
        rpc_reply_error(reply, RC_INVALID_ARGUMENT, "offset must not be negative");
        return -1;
    }
    const char *search = filter_value(in->search);
    long chars = search != NULL ? text_utf8_chars(search) : -1;
    int short_term = chars >= 1 && chars <= SHORT_TERM_MAX_CHARS;
    if (search != NULL && !short_term) {
        q->pattern = listing_like_literal(search);
        if (q->pattern == NULL) {
            rpc_reply_error(reply, RC_INTERNAL, "internal error");
            return -1;
        }
    }

    q->limit_n = limit;
    q->offset_n = offset;
    db_param_int64(q->limit, limit);
    db_param_int64(q->offset, offset);
    q->params[P_CATEGORY] = category;
    q->params[P_STATUS] = status;
    q->params[P_DEPARTMENT] = filter_value(in->department);
    q->params[P_PATTERN] = q->pattern;
    q->params[P_SHORT_TERM] = short_term ? search : NULL;
    q->params[P_LIMIT] = q->limit;
    q->params[P_OFFSET] = q->offset;
    return 0;
}

static int searching(const list_query *q)
{
    return q->params[P_PATTERN] != NULL || q->params[P_SHORT_TERM] != NULL;
}

static int unfiltered(const list_query *q)
{
    return q->params[P_CATEGORY] == NULL && q->params[P_STATUS] == NULL &&
           q->params[P_DEPARTMENT] == NULL && !searching(q);
}

static rc_status run_page(const rpc_request *req, const list_query *q, PGresult **page)
{
    if (unfiltered(q)) {
        const char *const paging[] = {q->params[P_LIMIT], q->params[P_OFFSET]};
        return db_exec(req->db, &page_all_listings, paging, req->request_id, page);
    }
    const db_stmt *stmt = searching(q) ? &page_search_listings : &page_listings;
    return db_exec_custom(req->db, stmt, q->params, req->request_id, page);
}

/* Runs the page query, and the count query only when a page past the start
 * is empty (count_listings takes the first five parameters: the filters);
 * an empty first page means nothing matches. */
static rc_status run_list_queries(const rpc_request *req, const list_query *q, PGresult **page,
                                  list_total *total)
{
    rc_status status = run_page(req, q, page);
    if (status != RC_OK)
        return status;
    *total = (list_total){0};
    if (PQntuples(*page) > 0) {
        total->n = db_int64(*page, 0, LISTING_NCOLUMNS);
        total->capped = searching(q) && total->n == q->offset_n + q->limit_n + SEARCH_COUNT_BEYOND;
        return RC_OK;
    }
    if (q->offset_n == 0)
        return RC_OK;
    PGresult *count = NULL;
    status = db_exec_custom(req->db, &count_listings, q->params, req->request_id, &count);
    if (status == RC_OK)
        total->n = db_int64(count, 0, 0);
    PQclear(count);
    return status;
}

/* A db_row_fill. */
static void fill_listing(const PGresult *res, int row, void *item)
{
    listing_from_row(res, row, item);
}

static void reply_listings(const PGresult *page, const list_total *total, rpc_reply *reply)
{
    Rcycle__Listings__ListListingsReply out = RCYCLE__LISTINGS__LIST_LISTINGS_REPLY__INIT;
    out.total = total->n;
    out.has_total_capped = total->capped;
    out.total_capped = total->capped;
    rpc_reply_rows(reply, &out.base, page, sizeof(Rcycle__Listings__Listing), fill_listing);
}

static void list_and_reply(const rpc_request *req, const list_query *q, rpc_reply *reply)
{
    PGresult *page = NULL;
    list_total total;
    rc_status status = run_list_queries(req, q, &page, &total);
    if (status == RC_OK)
        reply_listings(page, &total, reply);
    else
        rpc_reply_db_error(reply, status);
    PQclear(page);
}

void listings_list_listings(const rpc_request *req, rpc_reply *reply)
{
    Rcycle__Listings__ListListingsRequest *in = (Rcycle__Listings__ListListingsRequest *)req->input;
    list_query q;
    if (list_query_from_request(in, &q, reply) == 0)
        list_and_reply(req, &q, reply);
    free(q.pattern);
}

static void get_and_reply(const rpc_request *req, int64_t id, rpc_reply *reply)
{
    char id_text[DB_INT64_LEN];
    db_param_int64(id_text, id);
    const char *params[] = {id_text};
    PGresult *res = NULL;
    rc_status status = db_exec(req->db, &get_listing, params, req->request_id, &res);
    if (status != RC_OK) {
        rpc_reply_db_error(reply, status);
    } else if (PQntuples(res) == 0) {
        rpc_reply_error(reply, RC_NOT_FOUND, "listing not found");
    } else {
        Rcycle__Listings__Listing listing;
        listing_from_row(res, 0, &listing);
        rpc_reply_ok(reply, &listing.base);
    }
    PQclear(res);
}

void listings_get_listing(const rpc_request *req, rpc_reply *reply)
{
    Rcycle__Listings__GetListingRequest *in = (Rcycle__Listings__GetListingRequest *)req->input;
    if (in->id <= 0)
        rpc_reply_error(reply, RC_INVALID_ARGUMENT, "id must be a positive integer");
    else
        get_and_reply(req, in->id, reply);
}
