/* mail_outbox.c - the sender of users.mail_outbox and the producers' way in
 * (users.h).
 *
 * Never inside a request: the statement that writes a notification only
 * adds its row (MAIL_OUTBOX_INSERT_FROM, svc-users/notify.c), and this
 * worker sends it later. Each row is claimed
 * with a lease: one short statement moves its next_attempt_at past the time a
 * send can take, skipping rows another replica has locked, and commits; the
 * message is sent with no transaction open; a second statement records the
 * outcome. So any number of replicas share the outbox, and a replica that
 * dies mid-send leaves its row to whoever finds it due once the lease ends.
 * That is also why delivery is at least once: a crash between the relay's
 * acceptance and the record sends the row again, with the same Message-ID.
 *
 * A failure counts an attempt and waits RCYCLE_SMTP_RETRY_BASE_MS doubled per
 * attempt (capped); after RCYCLE_SMTP_MAX_ATTEMPTS, or at once when the relay
 * refuses for good (5xx), the row is dead: kept for the admin's view
 * (mail_admin.c) and counted by the metrics the alerts watch. */
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "log.h"
#include "metrics.h"
#include "users.h"
#include "worker.h"

#define PERIOD_MS 1000
#define JITTER_MS 250
/* A round sends for this long at most, so that stopping waits for little;
 * what is still due waits for the next round (a second later). */
#define ROUND_BUDGET_MS 2000
/* The lease outlives the slowest send (connect + whole timeout) with room. */
#define LEASE_MARGIN_MS 30000
/* The longest wait between two attempts. */
#define BACKOFF_CAP_MS (3600 * 1000)
/* The counts for the gauges are read every this many rounds. */
#define COUNT_ROUNDS   5
#define ACQUIRE_MS     1000
#define MESSAGE_ID_LEN (64 + 2 * DB_INT64_LEN + 256)
#define DOMAIN_LEN     256

/* The one row due first, leased to this sender; its recipient's address and
 * what makes the Message-ID stable (id and the row's creation time). */
static const db_stmt claim_stmt = {
    .name = "mail_outbox_claim",
    .sql = "WITH due AS (SELECT id FROM users.mail_outbox WHERE state = 'pending'"
           " AND next_attempt_at <= now() ORDER BY next_attempt_at, id LIMIT 1"
           " FOR UPDATE SKIP LOCKED)"
           " UPDATE users.mail_outbox o"
           " SET next_attempt_at = now() + $1::integer * interval '1 millisecond'"
           " FROM due, users.accounts a WHERE o.id = due.id AND a.id = o.user_id"
           " RETURNING o.id, a.email, o.subject, o.body_text, o.link,"
           " (extract(epoch FROM o.created_at) * 1000000)::bigint",
    .nparams = 1,
};

/* state = 'pending': a row whose lease ran out and that another sender
 * already recorded stays as that sender left it. */
static const db_stmt sent_stmt = {
    .name = "mail_outbox_sent",
    .sql = "UPDATE users.mail_outbox SET state = 'sent', sent_at = now(),"
           " attempts = attempts + 1, last_error = NULL WHERE id = $1 AND state = 'pending'",
    .nparams = 1,
};

/* In SET every attempts is the value before this attempt. */
static const db_stmt failed_stmt = {
    .name = "mail_outbox_failed",
    .sql = "UPDATE users.mail_outbox SET attempts = attempts + 1, last_error = $2,"
           " state = CASE WHEN $3::boolean OR attempts + 1 >= $4::integer"
           " THEN 'dead' ELSE 'pending' END,"
           " next_attempt_at = now() + least($5::float8 * power(2, attempts), $6::float8)"
           " * interval '1 millisecond'"
           " WHERE id = $1 AND state = 'pending'",
    .nparams = 6,
};

/* The gauges' figures; both states have an index that serves them. */
static const db_stmt counts_stmt = {
    .name = "mail_outbox_counts",
    .sql = "SELECT count(*) FILTER (WHERE state = 'pending'),"
           " count(*) FILTER (WHERE state = 'dead'),"
           " coalesce(extract(epoch FROM now() - min(created_at) FILTER (WHERE state ="
           " 'pending')), 0)::float8"
           " FROM users.mail_outbox WHERE state IN ('pending', 'dead')",
    .nparams = 0,
};

struct mail_outbox {
    db_pool *pool;
    mail_config cfg;
    char domain[DOMAIN_LEN]; /* of RCYCLE_MAIL_FROM, the Message-IDs' right side */
    worker *worker;
    int rounds;
    _Atomic long pending, dead;
    _Atomic double oldest_s;
    _Atomic unsigned long sent, failures;
};

/* Set once at start, before any request: whether producers queue mail. */
static atomic_int mail_on;

int mail_outbox_enabled(void)
{
    return atomic_load(&mail_on);
}

/* Records the outcome of one attempt; a failure to record leaves the row to
 * its lease (it is sent again, same Message-ID). */
static void record(mail_outbox *o, db_conn *db, const mail_message *m, mail_result result,
                   const char *err)
{
    char id[DB_INT64_LEN], max[DB_INT64_LEN], base[DB_INT64_LEN], cap[DB_INT64_LEN];
    const char *params[] = {db_param_int64(id, m->id),
                            err,
                            result == MAIL_REFUSED ? "true" : "false",
                            db_param_int64(max, o->cfg.max_attempts),
                            db_param_int64(base, o->cfg.retry_base_ms),
                            db_param_int64(cap, BACKOFF_CAP_MS > o->cfg.retry_base_ms
                                                    ? BACKOFF_CAP_MS
                                                    : o->cfg.retry_base_ms)};
    PGresult *res;
    rc_status rc = result == MAIL_SENT ? db_exec(db, &sent_stmt, params, NULL, &res)
                                       : db_exec(db, &failed_stmt, params, NULL, &res);
    if (rc == RC_OK)
        PQclear(res);
    else
        log_warn(NULL, "mail: outbox row %" PRId64 " not recorded (%s); it is sent again", m->id,
                 rc_status_name(rc));
}

/* Claims, sends on curl and records one row; 1 when the round may go on (a
 * row was sent), 0 when nothing is due or the relay failed (the rest wait for
 * the next round rather than each failing in turn). */
static int send_one(mail_outbox *o, db_conn *db, CURL *curl)
{
    char lease[DB_INT64_LEN], err[MAIL_ERR_LEN] = "";
    const char *params[] = {
        db_param_int64(lease, o->cfg.timeout_ms + LEASE_MARGIN_MS),
    };
    PGresult *res;
    if (db_exec(db, &claim_stmt, params, NULL, &res) != RC_OK)
        return 0;
    if (PQntuples(res) == 0) {
        PQclear(res);
        return 0;
    }
    char message_id[MESSAGE_ID_LEN];
    snprintf(message_id, sizeof message_id, "rcycle.outbox.%s.%s@%s", PQgetvalue(res, 0, 0),
             PQgetvalue(res, 0, 5), o->domain);
    mail_message m = {
        .id = db_int64(res, 0, 0),
        .message_id = message_id,
        .to = PQgetvalue(res, 0, 1),
        .subject = PQgetvalue(res, 0, 2),
        .body_text = PQgetvalue(res, 0, 3),
        .link = db_text(res, 0, 4),
    };
    mail_result result = mail_send(curl, &o->cfg, &m, err);
    record(o, db, &m, result, err);
    if (result == MAIL_SENT) {
        atomic_fetch_add(&o->sent, 1);
        log_info(NULL, "mail: outbox row %" PRId64 " sent", m.id);
    } else {
        atomic_fetch_add(&o->failures, 1);
        log_warn(NULL, "mail: outbox row %" PRId64 " %s: %s", m.id,
                 result == MAIL_REFUSED ? "refused for good" : "not sent, retried later", err);
    }
    PQclear(res);
    return result == MAIL_SENT;
}

static void read_counts(mail_outbox *o, db_conn *db)
{
    PGresult *res;
    if (db_exec(db, &counts_stmt, NULL, NULL, &res) != RC_OK)
        return;
    atomic_store(&o->pending, (long)db_int64(res, 0, 0));
    atomic_store(&o->dead, (long)db_int64(res, 0, 1));
    atomic_store(&o->oldest_s, strtod(PQgetvalue(res, 0, 2), NULL));
    PQclear(res);
}

static void round_fn(void *arg)
{
    mail_outbox *o = arg;
    db_conn *db = db_acquire(o->pool, ACQUIRE_MS);
    if (db == NULL)
        return;
    /* One handle a round: its messages share the relay's connection, which
     * the cleanup closes (QUIT), so no connection idles between rounds. */
    CURL *curl = curl_easy_init();
    double end = metrics_clock() + ROUND_BUDGET_MS / 1000.0;
    if (curl != NULL) {
        while (send_one(o, db, curl) && metrics_clock() < end)
            ;
        curl_easy_cleanup(curl);
    }
    if (o->rounds++ % COUNT_ROUNDS == 0)
        read_counts(o, db);
    db_release(o->pool, db);
}

static double read_pending(void *arg)
{
    return (double)atomic_load(&((mail_outbox *)arg)->pending);
}

static double read_dead(void *arg)
{
    return (double)atomic_load(&((mail_outbox *)arg)->dead);
}

static double read_oldest(void *arg)
{
    return atomic_load(&((mail_outbox *)arg)->oldest_s);
}

static double read_sent(void *arg)
{
    return (double)atomic_load(&((mail_outbox *)arg)->sent);
}

static double read_failures(void *arg)
{
    return (double)atomic_load(&((mail_outbox *)arg)->failures);
}

static void register_metrics(mail_outbox *o)
{
    /* The outbox is shared: every replica reports the same pending and dead
     * counts (alert on max, not sum); the totals are this replica's. */
    metrics_gauge("rcycle_mail_outbox_pending", "Emails waiting in the outbox (every replica's)",
                  NULL, NULL, read_pending, o);
    metrics_gauge("rcycle_mail_outbox_dead",
                  "Emails given up on (dead letters), kept for GET /api/admin/mail", NULL, NULL,
                  read_dead, o);
    metrics_gauge("rcycle_mail_outbox_oldest_pending_seconds",
                  "Age of the oldest email still waiting, 0 when none", NULL, NULL, read_oldest, o);
    metrics_counter("rcycle_mail_sent_total", "Emails this process handed to the relay", NULL, NULL,
                    read_sent, o);
    metrics_counter("rcycle_mail_failures_total",
                    "Attempts of this process that the relay refused or could not take", NULL, NULL,
                    read_failures, o);
}

mail_outbox *mail_outbox_start(db_pool *pool, const mail_config *c)
{
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        log_error(NULL, "svc-users: libcurl did not initialise");
        return NULL;
    }
    mail_outbox *o = calloc(1, sizeof *o);
    if (o == NULL) {
        curl_global_cleanup();
        log_error(NULL, "svc-users: out of memory at start");
        return NULL;
    }
    o->pool = pool;
    o->cfg = *c;
    snprintf(o->domain, sizeof o->domain, "%s", strchr(c->from, '@') + 1);
    register_metrics(o);
    o->worker = worker_start("mail sender", PERIOD_MS, JITTER_MS, round_fn, o);
    if (o->worker == NULL) {
        mail_outbox_stop(o);
        return NULL;
    }
    atomic_store(&mail_on, 1);
    log_info(NULL, "email notifications: on, relay %s%s, from %s, %d attempts from %d ms",
             c->smtp_url, c->require_tls ? " (TLS required)" : "", c->from, c->max_attempts,
             c->retry_base_ms);
    return o;
}

void mail_outbox_stop(mail_outbox *o)
{
    if (o == NULL)
        return;
    atomic_store(&mail_on, 0);
    worker_stop(o->worker);
    curl_global_cleanup();
    free(o);
}
