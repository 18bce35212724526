/* mail_admin.c - ListMail and RetryMail: an admin sees the outbox (above
 * all its dead letters, which the alerts point at) and sends a dead one
 * again once the cause is fixed. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "users.h"

#define LIST_DEFAULT_LIMIT 100
#define LIST_MAX_LIMIT     500

/* The columns fill_mail reads, from users.mail_outbox "o" joined to the
 * recipient's account "a". next_attempt_at means something only while
 * pending. */
#define MAIL_COLUMNS                                                                               \
    "o.id, o.notification_id, o.user_id, a.email, o.subject, o.state, o.attempts, " USERS_RFC3339( \
        "o.created_at") ", CASE WHEN o.state = 'pending' THEN " USERS_RFC3339("o.next_attempt_at") " END, " USERS_RFC3339("o.sent_at") ", o.last_error"
#define MAIL_NCOLUMNS 11

/* The page and, after MAIL_COLUMNS, the total before paging. */
static const db_stmt list_stmt = {
    .name = "users_list_mail",
    .sql = "SELECT " MAIL_COLUMNS ", count(*) OVER ()"
           " FROM users.mail_outbox o JOIN users.accounts a ON a.id = o.user_id"
           " WHERE ($1::text IS NULL OR o.state = $1) ORDER BY o.id DESC LIMIT $2 OFFSET $3",
    .nparams = 3,
};

/* A page past the end has no row to carry the total. */
static const db_stmt count_stmt = {
    .name = "users_count_mail",
    .sql = "SELECT count(*) FROM users.mail_outbox WHERE ($1::text IS NULL OR state = $1)",
    .nparams = 1,
};

/* A dead letter starts over: its attempts too, so that it gets the whole
 * backoff again rather than dying on its next failure. */
static const db_stmt retry_stmt = {
    .name = "users_retry_mail",
    .sql = "WITH o AS (UPDATE users.mail_outbox SET state = 'pending', attempts = 0,"
           " next_attempt_at = now(), last_error = NULL WHERE id = $1 AND state = 'dead'"
           " RETURNING *)"
           " SELECT " MAIL_COLUMNS " FROM o JOIN users.accounts a ON a.id = o.user_id",
    .nparams = 1,
};

static const db_stmt exists_stmt = {
    .name = "users_mail_exists",
    .sql = "SELECT state FROM users.mail_outbox WHERE id = $1",
    .nparams = 1,
};

/* A db_row_fill for a MailMessage. */
static void fill_mail(const PGresult *res, int row, void *item)
{
    Rcycle__Users__MailMessage *m = item;
    rcycle__users__mail_message__init(m);
    m->id = db_int64(res, row, 0);
    m->has_notification_id = !PQgetisnull(res, row, 1);
    m->notification_id = m->has_notification_id ? db_int64(res, row, 1) : 0;
    m->user_id = db_int64(res, row, 2);
    m->email = PQgetvalue(res, row, 3);
    m->subject = PQgetvalue(res, row, 4);
    m->state = PQgetvalue(res, row, 5);
    m->attempts = (int32_t)db_int64(res, row, 6);
    m->created_at = PQgetvalue(res, row, 7);
    m->next_attempt_at = db_text(res, row, 8);
    m->sent_at = db_text(res, row, 9);
    m->last_error = db_text(res, row, 10);
}

static int list_args_ok(const Rcycle__Users__ListMailRequest *in, rpc_reply *reply)
{
    if (in->state != NULL && strcmp(in->state, "pending") != 0 && strcmp(in->state, "sent") != 0 &&
        strcmp(in->state, "dead") != 0) {
        rpc_reply_error(reply, RC_INVALID_ARGUMENT, "state must be pending, sent or dead");
        return 0;
    }
    if (in->has_limit && (in->limit < 1 || in->limit > LIST_MAX_LIMIT)) {
        rpc_reply_error(reply, RC_INVALID_ARGUMENT, "limit must be between 1 and %d",
                        LIST_MAX_LIMIT);
        return 0;
    }
    if (in->has_offset && in->offset < 0) {
        rpc_reply_error(reply, RC_INVALID_ARGUMENT, "offset must not be negative");
        return 0;
    }
    return 1;
}

static rc_status count_mail(const rpc_request *req, const char *state, int64_t *total)
{
    const char *params[] = {state};
    PGresult *res;
    rc_status rc = db_exec(req->db, &count_stmt, params, req->request_id, &res);
    if (rc == RC_OK) {
        *total = db_int64(res, 0, 0);
        PQclear(res);
    }
    return rc;
}

void users_list_mail(const rpc_request *req, rpc_reply *reply)
{
    const Rcycle__Users__ListMailRequest *in = (const void *)req->input;
    if (!users_caller_is_admin(req, "see the mail outbox", reply) || !list_args_ok(in, reply))
        return;
    char limit[DB_INT64_LEN], offset[DB_INT64_LEN];
    const char *params[] = {in->state,
                            db_param_int64(limit, in->has_limit ? in->limit : LIST_DEFAULT_LIMIT),
                            db_param_int64(offset, in->has_offset ? in->offset : 0)};
    PGresult *res;
    rc_status rc = db_exec(req->db, &list_stmt, params, req->request_id, &res);
    if (rc != RC_OK) {
        rpc_reply_db_error(reply, rc);
        return;
    }
    Rcycle__Users__ListMailReply out = RCYCLE__USERS__LIST_MAIL_REPLY__INIT;
    if (PQntuples(res) > 0)
        out.total = db_int64(res, 0, MAIL_NCOLUMNS);
    else if ((rc = count_mail(req, in->state, &out.total)) != RC_OK) {
        PQclear(res);
        rpc_reply_db_error(reply, rc);
        return;
    }
    rpc_reply_rows(reply, &out.base, res, sizeof(Rcycle__Users__MailMessage), fill_mail);
    PQclear(res);
}

/* No dead row of that id: NOT_FOUND, or FAILED_PRECONDITION for a row that
 * is pending or sent (there is nothing to retry). */
static void reply_not_dead(const rpc_request *req, const char *id, rpc_reply *reply)
{
    const char *params[] = {id};
    PGresult *res;
    rc_status rc = db_exec(req->db, &exists_stmt, params, req->request_id, &res);
    if (rc != RC_OK) {
        rpc_reply_db_error(reply, rc);
        return;
    }
    if (PQntuples(res) == 0)
        rpc_reply_error(reply, RC_NOT_FOUND, "email not found");
    else
        rpc_reply_error(reply, RC_FAILED_PRECONDITION,
                        "only a dead email can be retried (it is %s)", PQgetvalue(res, 0, 0));
    PQclear(res);
}

void users_retry_mail(const rpc_request *req, rpc_reply *reply)
{
    const Rcycle__Users__MailIdRequest *in = (const void *)req->input;
    if (!users_caller_is_admin(req, "retry an email", reply))
        return;
    if (in->id <= 0) {
        rpc_reply_error(reply, RC_INVALID_ARGUMENT, "id must be a positive integer");
        return;
    }
    char id[DB_INT64_LEN];
    const char *params[] = {db_param_int64(id, in->id)};
    PGresult *res;
    rc_status rc = db_exec(req->db, &retry_stmt, params, req->request_id, &res);
    if (rc != RC_OK) {
        rpc_reply_db_error(reply, rc);
        return;
    }
    if (PQntuples(res) == 0) {
        reply_not_dead(req, id, reply);
    } else {
        Rcycle__Users__MailMessage m;
        fill_mail(res, 0, &m);
        rpc_reply_ok(reply, &m.base);
        log_info(req->request_id, "mail: outbox row %" PRId64 " retried by user=%" PRId64, in->id,
                 req->caller->user_id);
    }
    PQclear(res);
}
