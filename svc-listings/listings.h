/* listings.h - the one internal header of svc-listings: what its RPC groups
 * share, and the handlers main.c's method table lists. Each section names
 * the file that implements it. */
#ifndef SVC_LISTINGS_H
#define SVC_LISTINGS_H

#include <jansson.h>
#include <libpq-fe.h>

#include "listings.pb-c.h"
#include "db.h"
#include "rpc_server.h"

/* ---- listing_row.c ---- */

/* A listing as the database returns it.
 *
 * Every query that returns listings (reads now; INSERT/UPDATE ... RETURNING
 * for the writes) selects LISTING_COLUMNS first and in this order, so one
 * function maps any of their rows to an rcycle.listings.Listing and the
 * output formats are decided in one place. */

/* Bare column names, so the list also works in RETURNING. Times are
 * formatted in SQL, in UTC, so the session's time zone never shows; the
 * formatted columns keep no alias so that ORDER BY created_at still means
 * the timestamp column (and its index), not the text. */
#define LISTING_COLUMNS                                                                            \
    "id, serial_number, title, category, description, location, condition, department, "           \
    "cpu, ram, storage, ports, other_specs, status, "                                              \
    "to_char(expiration_date, 'YYYY-MM-DD'), created_by, "                                         \
    "to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), "                   \
    "to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), "                   \
    "claim_id"

/* The number of LISTING_COLUMNS; a query's own columns follow them. */
#define LISTING_NCOLUMNS 19

/* The listing filters of docs/API.md (category, department, search) as one
 * SQL condition over listings.listings, each operand a text expression that
 * is NULL for "any": ListListings gives parameters, watch matching (watches.c)
 * a watch's columns, so both apply the very same rules. The search
 * expression is, character for character, the one the listings_search
 * trigram index is built on; the pattern arrives with LIKE's wildcards
 * escaped (listing_like_literal). */
#define LISTING_MATCHES(category, department, pattern)                                             \
    "(" category " IS NULL OR category = " category ")"                                            \
    " AND (" department " IS NULL OR department = " department ")"                                 \
    " AND (" pattern " IS NULL OR " LISTING_SEARCH_TEXT " LIKE '%' || lower(" pattern ") || '%')"

/* The text a search matches: character for character the expression the
 * trigram index is built on (db/migrations/listings/001, so that PostgreSQL
 * finds it) and the column search_grams is made from (007). */
#define LISTING_SEARCH_TEXT                                                                        \
    "lower(title || E'\\n' || serial_number || E'\\n' || department || E'\\n'"                     \
    " || coalesce(description, ''))"

/* s with LIKE's wildcards (% and _) and its escape character (\) escaped,
 * since the API promises a literal substring search. NULL when out of
 * memory; free() it. */
char *listing_like_literal(const char *s);

/* Today's date in UTC, whatever the session's time zone: every expiry rule
 * counts UTC days, as listing_expiration_ok does. */
#define UTC_TODAY "(now() AT TIME ZONE 'UTC')::date"

/* Fills *out from one row of a LISTING_COLUMNS result. The strings point
 * into res: keep res until the message has been packed. */
void listing_from_row(const PGresult *res, int row, Rcycle__Listings__Listing *out);

/* The values the schema's CHECK constraints accept, so a bad value is
 * answered as INVALID_ARGUMENT before any query runs. */
int listing_category_valid(const char *category);
int listing_status_valid(const char *status);

/* ---- listing_fields.c ---- */

/* The checks of the fields a listing is created or edited
 * with, shared by CreateListing and UpdateListing, so that a bad value is
 * answered as INVALID_ARGUMENT naming the field (as docs/API.md names it) before
 * any query runs, and never reaches a CHECK constraint as an INTERNAL error. */

#define LISTING_TITLE_MAX_CHARS 200
#define LISTING_TEXT_MAX_CHARS  2000
/* How far ahead an expiration date may be (docs/API.md). */
#define LISTING_MAX_DAYS_AHEAD 365

/* Trims surrounding white space in place (the request is ours to change).
 * Returns NULL for NULL, or when nothing is left: docs/API.md shows unset text as
 * null, so an empty string is never stored. */
char *listing_text_normalize(char *s);

/* 1 when s (already normalized; NULL is fine unless required) is valid
 * UTF-8 of at most max_chars characters; otherwise replies
 * INVALID_ARGUMENT and returns 0. */
int listing_text_ok(const char *field, const char *s, int required, long max_chars,
                    rpc_reply *reply);

/* 1 when condition is NULL or one of Excellent, Good, Fair. */
int listing_condition_ok(const char *condition, rpc_reply *reply);

/* 1 when category is one of Server, Networking, Storage. */
int listing_category_ok(const char *category, rpc_reply *reply);

/* 1 when date is a real calendar date written YYYY-MM-DD, after today and at
 * most LISTING_MAX_DAYS_AHEAD days ahead. Days are UTC days, as the expiry
 * sweeper's UTC_TODAY counts them. */
int listing_expiration_ok(const char *date, rpc_reply *reply);

/* ---- listing_tx.c ---- */

/* Changing one existing listing.
 *
 * Every change of an existing listing (edit, withdraw, reserve, release,
 * transfer) runs the same way: one transaction locks the listing's row
 * (SELECT ... FOR UPDATE), decides in C with the row in hand, writes the
 * change and its audit event, and commits. Holding the lock makes each
 * decision race-free: of two concurrent changes, the second one decides on
 * the first one's result. */

/* A listing as its locked row holds it. */
typedef struct locked_listing {
    Rcycle__Listings__Listing listing; /* strings point into res */
    int past_expiration;               /* expiration_date is before UTC today */
    PGresult *res;
} locked_listing;

/* Decides and makes the change of one locked listing. Sets the reply (the
 * answer, or a refusal such as FAILED_PRECONDITION) and returns RC_OK, which
 * commits; or returns a database failure, which rolls back and is replied
 * as such. */
typedef rc_status (*listing_change_fn)(const rpc_request *req, const locked_listing *locked,
                                       const void *arg, rpc_reply *reply);

/* Runs change(req, locked, arg, reply) on listing id inside one transaction.
 * An unknown id is answered NOT_FOUND without calling change. */
void listing_tx_run(const rpc_request *req, int64_t id, listing_change_fn change, const void *arg,
                    rpc_reply *reply);

/* Moves the locked listing to status, held by claim_id (0: by none),
 * records the event action (from the old status to the new, naming the
 * claim that holds the listing now or, if none, the one that held it), and
 * replies the listing as it now is. */
rc_status listing_set_status(const rpc_request *req, const locked_listing *locked,
                             const char *action, const char *status, int64_t claim_id,
                             rpc_reply *reply);

/* Records one audit event of a listing, by the request's caller. from_status
 * may be NULL, claim_id 0 for none. */
rc_status listing_record_event(const rpc_request *req, int64_t listing_id, const char *action,
                               const char *from_status, const char *to_status, int64_t claim_id);

/* 1 when the caller may edit or withdraw the listing: a member of its
 * department, or an admin. */
int listing_caller_owns(const Rcycle__Caller *caller, const Rcycle__Listings__Listing *listing);

/* 1 when the listing is available or claimed, the only states in which it
 * may still change hands, be edited or be withdrawn. */
int listing_is_active(const Rcycle__Listings__Listing *listing);

/* ---- hardware.c ---- */

/* The hardware registry: the LookupHardware RPC, and the
 * registry read that creating a listing shares with it. */

/* A registry entry. msg's strings point into res and storage_json, which
 * hardware_entry_clear releases; clear it once msg is no longer needed. */
typedef struct hardware_entry {
    Rcycle__Listings__Hardware msg;
    PGresult *res;
    json_t *storage_json;
} hardware_entry;

/* Reads the entry whose serial number is exactly serial. RC_OK fills *out;
 * RC_NOT_FOUND when the registry has no such serial; otherwise a database
 * failure for reply_db_error. *out needs hardware_entry_clear on every
 * return. */
rc_status hardware_find(db_conn *db, const char *serial, const char *request_id,
                        hardware_entry *out);
void hardware_entry_clear(hardware_entry *entry);

void listings_lookup_hardware(const rpc_request *req, rpc_reply *reply);

/* ---- listings.c ---- */

/* The RPCs that read listings: ListListings and GetListing. */

void listings_list_listings(const rpc_request *req, rpc_reply *reply);
void listings_get_listing(const rpc_request *req, rpc_reply *reply);

/* ---- listing_edit.c ---- */

/* The RPCs a department uses on its own listings:
 * CreateListing (listing_create.c), UpdateListing and WithdrawListing
 * (listing_edit.c). */

void listings_create_listing(const rpc_request *req, rpc_reply *reply);
void listings_update_listing(const rpc_request *req, rpc_reply *reply);
void listings_withdraw_listing(const rpc_request *req, rpc_reply *reply);

/* ---- holds.c ---- */

/* The RPCs svc-claims uses to hold a listing for a claim:
 * Reserve (available -> claimed), Release (claimed -> available, or expired
 * once its date has passed) and Transfer (claimed -> approved). Each names
 * the claim it acts for and is idempotent: a retry is answered as the first
 * call was, so svc-claims may repeat any of them until it hears back. */

void listings_reserve(const rpc_request *req, rpc_reply *reply);
void listings_release(const rpc_request *req, rpc_reply *reply);
void listings_transfer(const rpc_request *req, rpc_reply *reply);
/* Receive: the approved listing's claim was received (handover); it counts
 * in the leaderboard from then on. Idempotent per claim. */
void listings_receive(const rpc_request *req, rpc_reply *reply);

/* ---- feed.c ---- */

/* ListListingEvents: the listing change feed (listings.events in id
 * order) that svc-claims follows to cancel the claims of listings that were
 * withdrawn or expired. */

void listings_list_listing_events(const rpc_request *req, rpc_reply *reply);

/* ---- leaderboard.c ---- */

/* Leaderboard: each department's listings, reuse and the
 * CO2 that reuse saved, ranked. */

void listings_leaderboard(const rpc_request *req, rpc_reply *reply);

/* ---- expiry.c ---- */

/* The expiry sweep: turns each available or claimed listing whose
 * expiration date has passed into expired, with an 'expired' event that
 * names the claim that held it, from which svc-claims cancels that claim.
 * main.c runs it every few seconds on a worker (worker.h); arg is the pool. */
void listings_expiry_sweep(void *pool);

/* ListExpiringListings: the available or claimed listings within 3 days of
 * their date, for svc-users' listing_expiring notifications. */
void listings_list_expiring(const rpc_request *req, rpc_reply *reply);

/* ---- watches.c ---- */

/* The caller's watches, and the matches svc-users follows (feed listener). */
void listings_create_watch(const rpc_request *req, rpc_reply *reply);
void listings_list_watches(const rpc_request *req, rpc_reply *reply);
void listings_delete_watch(const rpc_request *req, rpc_reply *reply);
void listings_list_watch_matches(const rpc_request *req, rpc_reply *reply);

/* ---- listeners.c ---- */

/* Per method, the listeners that serve it (rpc_service.listeners). */
extern const unsigned listings_listeners[RPCI_LISTINGS_COUNT];

#endif
