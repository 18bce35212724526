/* notify.c - the follower: the other services' events and reminders made
 * into notifications (docs/API.md, "Notifications").
 *
 * Claim events come from svc-claims' feed (ListClaimFeed, paged by the
 * claims chain's seq), watch matches from svc-listings' (ListWatchMatches,
 * paged by the listings chain's seq), never from their tables; each feed
 * has its own cursor row. One transaction per page:
 * lock the cursor row (users.feed_cursors), read the page after it, write
 * each event's notifications, advance the cursor to the page's last seq,
 * commit. A crash anywhere before the commit loses the whole transaction,
 * so the page is read and applied again; after it, the cursor says the
 * page is done. So every event is applied once, and the unique
 * (user, kind, source) of each notification would absorb a repeat anyway.
 * The row lock (SKIP LOCKED) keeps two replicas from applying one page.
 *
 * Reminders (handover_due, listing_expiring) have no event: every
 * REMIND_PERIOD_MS this asks svc-claims and svc-listings what is due and
 * inserts one notification per recipient and period, whose source names
 * the period, so asking again adds nothing.
 *
 * Nobody is told of their own action: recipients exclude the event's
 * actor, by email (unique and unchanging, as the claim records it). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "claims.pb-c.h"
#include "config.h"
#include "db.h"
#include "fault.h"
#include "listings.pb-c.h"
#include "log.h"
#include "rpc.h"
#include "rpc_methods.h"
#include "users.h"
#include "worker.h"

#define FOLLOW_PERIOD_MS 1000
#define FOLLOW_JITTER_MS 200
#define REMIND_PERIOD_MS 5000
#define REMIND_JITTER_MS 1000
#define CALL_MS          3000
#define FEED_BATCH       200
/* Pages per run: a burst drains within a few runs, a run stays short. */
#define FEED_PAGES 10

struct notifier {
    db_pool *pool;
    rpc_client *claims;
    rpc_client *listings;
    worker *follow;
    worker *remind;
};

/* Recipients: the active accounts of department (NULL: none) and, when
 * security is true, every security reviewer; never the actor ($6). Title
 * and body are format() templates over the listing title, the owning and
 * the requesting department and a note ($7..$10). */
#define NOTIFY_INSERT                                                                              \
    "INSERT INTO users.notifications (user_id, kind, title, body, link, source) "                  \
    "SELECT a.id, $1, format($2, $7::text, $8::text, $9::text, $10::text), "                       \
    "format($3, $7::text, $8::text, $9::text, $10::text), $4, $5 "                                 \
    "FROM users.accounts a WHERE a.active AND a.email IS DISTINCT FROM $6::text "                  \
    "AND (a.department = $11::text OR ($12::bool AND 'security' = ANY (a.roles))) "                \
    "ON CONFLICT ON CONSTRAINT notifications_once DO NOTHING"

/* A watch_match goes to the watch's owner alone. */
#define NOTIFY_WATCHER_INSERT                                                                      \
    "INSERT INTO users.notifications (user_id, kind, title, body, link, source) "                  \
    "SELECT a.id, 'watch_match', format('Matches your watch: “%s”', $2::text), "               \
    "format('%s posted it, or it is available again.', $3::text), $4, $5 "                         \
    "FROM users.accounts a WHERE a.id = $1 AND a.active "                                          \
    "ON CONFLICT ON CONSTRAINT notifications_once DO NOTHING"

/* Each writer in two forms, indexed by mail_outbox_enabled(): with mail on,
 * the statement that writes the notifications also queues their emails
 * (users.h, the producers' contract), so that the two commit together and a
 * notification absorbed by notifications_once queues nothing. */
#define WITH_MAIL(insert)                                                                          \
    "WITH n AS (" insert " RETURNING id, user_id, title, body, link) " MAIL_OUTBOX_INSERT_FROM("n")
static const db_stmt notify_stmt[2] = {
    {"users_notify", NOTIFY_INSERT, 12},
    {"users_notify_mail", WITH_MAIL(NOTIFY_INSERT), 12},
};
static const db_stmt notify_watcher[2] = {
    {"users_notify_watcher", NOTIFY_WATCHER_INSERT, 5},
    {"users_notify_watcher_mail", WITH_MAIL(NOTIFY_WATCHER_INSERT), 5},
};

static const db_stmt lock_cursor = {
    "users_feed_cursor",
    "SELECT last_seq FROM users.feed_cursors WHERE feed = $1 FOR UPDATE SKIP LOCKED",
    1,
};

static const db_stmt advance_cursor = {
    "users_feed_advance",
    "UPDATE users.feed_cursors SET last_seq = $2 WHERE feed = $1",
    2,
};

/* One kind of notification: who gets it and what it says. */
typedef struct kind_def {
    const char *kind;
    enum { TO_OWNER, TO_REQUESTER, TO_BOTH, TO_SECURITY } to;
    const char *title;
    const char *body;
} kind_def;

static const kind_def received_def = {"claim_received", TO_OWNER, "New request for “%1$s”",
                                      "%3$s asked for it. Approve or deny it in My listings."};
static const kind_def review_def = {
    "claim_needs_review", TO_SECURITY, "Security review: “%1$s”",
    "%2$s approved the request of %3$s; a security reviewer decides next."};
static const kind_def owner_ok_def = {
    "claim_decided", TO_REQUESTER, "“%1$s”: approved by the owner",
    "%2$s approved your department's request; the Security Team reviews it next."};
static const kind_def approved_def = {
    "claim_decided", TO_REQUESTER, "“%1$s”: approved",
    "Collect it from %2$s, then confirm on the request that you received it."};
static const kind_def denied_def = {"claim_decided", TO_REQUESTER, "“%1$s”: request denied",
                                    "Reason: %4$s"};
static const kind_def cancelled_def = {
    "claim_cancelled", TO_REQUESTER, "“%1$s”: request cancelled",
    "The request was cancelled because the listing is no longer available."};
static const kind_def due_def = {
    "handover_due", TO_BOTH, "“%1$s” is not received yet",
    "Approved more than two weeks ago: %2$s hands it over, %3$s confirms receipt."};
static const kind_def expiring_def = {
    "listing_expiring", TO_OWNER, "“%1$s” expires on %4$s",
    "Extend its expiration date in My listings, or it leaves the marketplace."};

/* What one notification is about; the strings are borrowed. */
typedef struct subject {
    const char *title;
    const char *owner;
    const char *requester;
    const char *note;
    const char *link;
    const char *source;
    const char *actor; /* email, or NULL */
} subject;

/* The recipients of department (NULL: the security reviewers). */
static rc_status insert_for(db_conn *db, const kind_def *k, const subject *s,
                            const char *department)
{
    const char *params[] = {k->kind,      k->title, k->body,    s->link,
                            s->source,    s->actor, s->title,   s->owner,
                            s->requester, s->note,  department, department ? "false" : "true"};
    PGresult *res = NULL;
    rc_status st = db_exec(db, &notify_stmt[mail_outbox_enabled()], params, NULL, &res);
    PQclear(res);
    return st;
}

static rc_status notify(db_conn *db, const kind_def *k, const subject *s)
{
    if (k->to == TO_SECURITY)
        return insert_for(db, k, s, NULL);
    rc_status st = k->to == TO_REQUESTER ? RC_OK : insert_for(db, k, s, s->owner);
    return st == RC_OK && k->to != TO_OWNER ? insert_for(db, k, s, s->requester) : st;
}

/* The notifications of one claim event, in the follower's transaction. */
static rc_status apply_event(db_conn *db, const Rcycle__Claims__ClaimFeedEvent *e)
{
    char link[48], source[48];
    snprintf(link, sizeof link, "/#/claims/%lld", (long long)e->claim_id);
    snprintf(source, sizeof source, "claims:%lld", (long long)e->seq);
    subject s = {e->listing_title, e->owner_department, e->requesting_department, e->note, link,
                 source,           e->actor_email};
    const char *a = e->action;
    if (strcmp(a, "created") == 0)
        return notify(db, &received_def, &s);
    if (strcmp(a, "owner_approved") == 0) {
        rc_status st = notify(db, &review_def, &s);
        return st == RC_OK ? notify(db, &owner_ok_def, &s) : st;
    }
    if (strcmp(a, "security_approved") == 0)
        return notify(db, &approved_def, &s);
    if (strcmp(a, "denied") == 0)
        return notify(db, &denied_def, &s);
    if (strcmp(a, "cancelled") == 0)
        return notify(db, &cancelled_def, &s);
    return RC_OK;
}

static rc_status set_cursor(db_conn *db, const char *feed, int64_t seq)
{
    char text[DB_INT64_LEN];
    const char *params[] = {feed, db_param_int64(text, seq)};
    PGresult *res = NULL;
    rc_status st = db_exec(db, &advance_cursor, params, NULL, &res);
    PQclear(res);
    return st;
}

/* A page of one feed as the follower needs it. */
typedef struct feed_page {
    ProtobufCMessage *msg; /* the reply; freed after the page */
    int64_t last;          /* the seq the page ends at (the cursor's, when empty) */
    int64_t head;          /* the chain head, where a new follower starts */
} feed_page;

/* One feed: its cursor row, how a page is read after a seq, and how its
 * notifications are written in the follower's transaction. */
typedef struct feed_def {
    const char *name;
    int (*read)(notifier *n, int64_t after, feed_page *out);
    rc_status (*apply)(db_conn *db, const ProtobufCMessage *msg);
} feed_def;

static ProtobufCMessage *call(rpc_client *client, const ProtobufCMethodDescriptor *method,
                              const ProtobufCMessage *request)
{
    rpc_call_opts opts = {.deadline_ms = rpc_callee_deadline(0, CALL_MS)};
    rpc_reply got = {0};
    rpc_call(client, method, request, &opts, &got);
    ProtobufCMessage *msg = got.code == RC_OK ? rpc_reply_unpack(method, &got) : NULL;
    rpc_reply_clear(&got);
    return msg;
}

static int read_claims(notifier *n, int64_t after, feed_page *out)
{
    Rcycle__Claims__ClaimFeedRequest req = RCYCLE__CLAIMS__CLAIM_FEED_REQUEST__INIT;
    req.after_seq = after;
    req.has_limit = 1;
    req.limit = FEED_BATCH;
    Rcycle__Claims__ClaimFeedReply *r =
        (Rcycle__Claims__ClaimFeedReply *)call(n->claims, RPC_CLAIMS_LIST_CLAIM_FEED, &req.base);
    if (r == NULL)
        return -1;
    *out =
        (feed_page){&r->base, r->n_events ? r->events[r->n_events - 1]->seq : after, r->head_seq};
    return 0;
}

static rc_status apply_claims(db_conn *db, const ProtobufCMessage *msg)
{
    const Rcycle__Claims__ClaimFeedReply *r = (const Rcycle__Claims__ClaimFeedReply *)msg;
    rc_status st = RC_OK;
    for (size_t i = 0; st == RC_OK && i < r->n_events; i++)
        st = apply_event(db, r->events[i]);
    return st;
}

static int read_watches(notifier *n, int64_t after, feed_page *out)
{
    Rcycle__Listings__WatchMatchesRequest req = RCYCLE__LISTINGS__WATCH_MATCHES_REQUEST__INIT;
    req.after_seq = after;
    req.has_limit = 1;
    req.limit = FEED_BATCH;
    Rcycle__Listings__WatchMatchesReply *r = (Rcycle__Listings__WatchMatchesReply *)call(
        n->listings, RPC_LISTINGS_LIST_WATCH_MATCHES, &req.base);
    if (r == NULL)
        return -1;
    *out = (feed_page){&r->base, r->last_seq, r->head_seq};
    return 0;
}

static rc_status apply_watches(db_conn *db, const ProtobufCMessage *msg)
{
    const Rcycle__Listings__WatchMatchesReply *r = (const Rcycle__Listings__WatchMatchesReply *)msg;
    rc_status st = RC_OK;
    for (size_t i = 0; st == RC_OK && i < r->n_matches; i++) {
        const Rcycle__Listings__WatchMatch *m = r->matches[i];
        char user[DB_INT64_LEN], source[48];
        snprintf(source, sizeof source, "listings:%lld", (long long)m->seq);
        const char *params[] = {db_param_int64(user, m->user_id), m->title, m->department,
                                "/#/market", source};
        PGresult *res = NULL;
        st = db_exec(db, &notify_watcher[mail_outbox_enabled()], params, NULL, &res);
        PQclear(res);
    }
    return st;
}

static const feed_def claims_feed = {"claims", read_claims, apply_claims};
static const feed_def watches_feed = {"listings", read_watches, apply_watches};

/* Applies a page (or, for a follower that has not started, skips to the
 * head) inside the open transaction. */
static rc_status apply_page(db_conn *db, const feed_def *f, int started, int64_t after,
                            const feed_page *p)
{
    if (!started)
        return set_cursor(db, f->name, p->head);
    if (p->last == after)
        return RC_OK;
    rc_status st = f->apply(db, p->msg);
    fault_point("users.notify.before_cursor");
    if (st == RC_OK)
        st = set_cursor(db, f->name, p->last);
    fault_point("users.notify.before_commit");
    return st;
}

/* One page in one transaction; 1 when it moved the cursor (more may wait),
 * 0 when the feed is drained or something failed. */
static int follow_page(notifier *n, db_conn *db, const feed_def *f)
{
    if (db_command(db, "BEGIN", NULL) != RC_OK)
        return 0;
    PGresult *res = NULL;
    const char *params[] = {f->name};
    if (db_exec(db, &lock_cursor, params, NULL, &res) != RC_OK || PQntuples(res) != 1) {
        PQclear(res);
        db_command(db, "ROLLBACK", NULL);
        return 0;
    }
    int started = !PQgetisnull(res, 0, 0);
    int64_t after = started ? db_int64(res, 0, 0) : 0;
    PQclear(res);
    feed_page page = {NULL, 0, 0};
    int moved = 0;
    if (f->read(n, after, &page) == 0 && apply_page(db, f, started, after, &page) == RC_OK &&
        db_command(db, "COMMIT", NULL) == RC_OK) {
        moved = started && page.last > after;
        if (moved)
            fault_point("users.notify.after_commit");
    } else {
        db_command(db, "ROLLBACK", NULL);
    }
    if (page.msg != NULL)
        protobuf_c_message_free_unpacked(page.msg, NULL);
    return moved;
}

static void follow(void *arg)
{
    notifier *n = arg;
    db_conn *db = db_acquire(n->pool, FOLLOW_PERIOD_MS);
    if (db == NULL)
        return;
    for (int i = 0; i < FEED_PAGES && follow_page(n, db, &claims_feed); i++)
        ;
    for (int i = 0; i < FEED_PAGES && follow_page(n, db, &watches_feed); i++)
        ;
    db_release(n->pool, db);
}

static ProtobufCMessage *ask(rpc_client *client, const ProtobufCMethodDescriptor *method)
{
    return call(client, method, NULL);
}

static void remind_handovers(notifier *n, db_conn *db)
{
    Rcycle__Claims__HandoversDueReply *r =
        (Rcycle__Claims__HandoversDueReply *)ask(n->claims, RPC_CLAIMS_LIST_HANDOVERS_DUE);
    for (size_t i = 0; r != NULL && i < r->n_claims; i++) {
        const Rcycle__Claims__HandoverDue *d = r->claims[i];
        char link[48], source[64];
        snprintf(link, sizeof link, "/#/claims/%lld", (long long)d->claim_id);
        snprintf(source, sizeof source, "handover_due:%lld:%d", (long long)d->claim_id, d->period);
        subject s = {d->listing_title,
                     d->owner_department,
                     d->requesting_department,
                     NULL,
                     link,
                     source,
                     NULL};
        notify(db, &due_def, &s);
    }
    if (r != NULL)
        protobuf_c_message_free_unpacked(&r->base, NULL);
}

static void remind_expiring(notifier *n, db_conn *db)
{
    Rcycle__Listings__ExpiringListingsReply *r = (Rcycle__Listings__ExpiringListingsReply *)ask(
        n->listings, RPC_LISTINGS_LIST_EXPIRING_LISTINGS);
    for (size_t i = 0; r != NULL && i < r->n_listings; i++) {
        const Rcycle__Listings__ExpiringListing *l = r->listings[i];
        char source[64];
        snprintf(source, sizeof source, "listing_expiring:%lld:%.10s", (long long)l->listing_id,
                 l->expiration_date);
        subject s = {l->title, l->department, NULL, l->expiration_date, "/#/mine", source, NULL};
        notify(db, &expiring_def, &s);
    }
    if (r != NULL)
        protobuf_c_message_free_unpacked(&r->base, NULL);
}

static void remind(void *arg)
{
    notifier *n = arg;
    db_conn *db = db_acquire(n->pool, REMIND_PERIOD_MS);
    if (db == NULL)
        return;
    remind_handovers(n, db);
    remind_expiring(n, db);
    db_release(n->pool, db);
}

void notify_stop(notifier *n)
{
    if (n == NULL)
        return;
    worker_stop(n->follow);
    worker_stop(n->remind);
    rpc_client_close(n->claims);
    rpc_client_close(n->listings);
    free(n);
}

/* Opens a client of a service's feed listener; 0, or -1 after logging. */
static int open_feed(const char *var, const char *fallback, const char *trust_var, rpc_client **out)
{
    char err[CONFIG_ERR_LEN];
    const char *addr;
    if (config_nng_url(var, fallback, &addr, err) != 0) {
        log_error(NULL, "%s", err);
        return -1;
    }
    return rpc_client_open(addr, trust_var, 1, out) == RC_OK ? 0 : -1;
}

notifier *notify_start(db_pool *pool)
{
    notifier *n = calloc(1, sizeof *n);
    if (n == NULL)
        return NULL;
    n->pool = pool;
    if (open_feed("RCYCLE_CLAIMS_FEED_ADDR", "tls+tcp://127.0.0.1:7105", "RCYCLE_TLS_CLAIMS_CA",
                  &n->claims) != 0 ||
        open_feed("RCYCLE_LISTINGS_FEED_ADDR", "tls+tcp://127.0.0.1:7106", "RCYCLE_TLS_LISTINGS_CA",
                  &n->listings) != 0 ||
        (n->follow = worker_start("notify", FOLLOW_PERIOD_MS, FOLLOW_JITTER_MS, follow, n)) ==
            NULL ||
        (n->remind = worker_start("remind", REMIND_PERIOD_MS, REMIND_JITTER_MS, remind, n)) ==
            NULL) {
        notify_stop(n);
        return NULL;
    }
    return n;
}
