/* db.c - the PostgreSQL connection pool.
 *
 * Connections are opened on first use and reopened when found broken, so a
 * service starts and keeps running while the database is down and recovers
 * by itself when it returns. Each connection remembers which statements it
 * has prepared; a reconnect forgets them and they are prepared again on
 * their next use. */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "db.h"
#include "log.h"

/* As long as the longest deadline a request gets (the gateway's 5 s): a
 * statement nobody waits for any more must not hold a worker. */
#define DB_STATEMENT_TIMEOUT_MS "5000"

struct db_conn {
    PGconn *pg;
    int in_use;
    /* Statements prepared on this very connection (pointer identity). */
    const db_stmt **prepared;
    size_t nprepared;
    size_t cap;
    char sqlstate[6];
};

struct db_pool {
    char *url;
    char *application_name;
    int size;
    db_conn *conns;
    int in_use;
    pthread_mutex_t mu;
    pthread_cond_t freed;
};

db_pool *db_pool_create(const char *url, const char *application_name, int size)
{
    db_pool *p = calloc(1, sizeof *p);
    if (p == NULL)
        return NULL;
    p->url = strdup(url);
    p->application_name = strdup(application_name);
    p->size = size;
    p->conns = calloc((size_t)size, sizeof *p->conns);
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->freed, NULL);
    if (p->url == NULL || p->application_name == NULL || p->conns == NULL) {
        db_pool_destroy(p);
        return NULL;
    }
    return p;
}

static void forget_prepared(db_conn *c)
{
    c->nprepared = 0;
}

static void disconnect(db_conn *c)
{
    if (c->pg != NULL)
        PQfinish(c->pg);
    c->pg = NULL;
    forget_prepared(c);
}

void db_pool_destroy(db_pool *p)
{
    if (p == NULL)
        return;
    for (int i = 0; p->conns != NULL && i < p->size; i++) {
        disconnect(&p->conns[i]);
        free(p->conns[i].prepared);
    }
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->freed);
    free(p->conns);
    free(p->url);
    free(p->application_name);
    free(p);
}

static void ignore_notice(void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

static int readable_now(PGconn *pg)
{
    struct pollfd pfd = {.fd = PQsocket(pg), .events = POLLIN};
    return pfd.fd < 0 || poll(&pfd, 1, 0) != 0;
}

/* A connection in the free list has no query outstanding, so the server has
 * next to nothing to say on it. When its backend is terminated (a server
 * restart) it says FATAL and closes: libpq reads the message without seeing
 * the end-of-file behind it, still reports CONNECTION_OK, and the first
 * statement would fail. So after reading what is waiting, a socket that is
 * still readable (end-of-file) means the session is over. Invariant: only
 * called on an idle connection. */
static int still_alive(PGconn *pg)
{
    if (pg == NULL || PQstatus(pg) != CONNECTION_OK)
        return 0;
    if (!readable_now(pg))
        return 1;
    return PQconsumeInput(pg) && PQstatus(pg) == CONNECTION_OK && !readable_now(pg);
}

/* Opens c->pg if needed; returns 1 when the connection is usable. */
static int ensure_connected(db_pool *p, db_conn *c)
{
    if (still_alive(c->pg))
        return 1;
    disconnect(c);
    /* These come before dbname so that the URL's own settings win. No
     * statement may outlive every deadline of the requests it serves. */
    const char *keys[] = {"connect_timeout", "options", "application_name", "dbname", NULL};
    const char *vals[] = {"3", "-c statement_timeout=" DB_STATEMENT_TIMEOUT_MS, p->application_name,
                          p->url, NULL};
    c->pg = PQconnectdbParams(keys, vals, 1);
    if (c->pg == NULL || PQstatus(c->pg) != CONNECTION_OK) {
        /* PQerrorMessage may name the host; it goes to the log only. */
        log_warn(NULL, "database connection failed: %s",
                 c->pg ? PQerrorMessage(c->pg) : "out of memory");
        disconnect(c);
        return 0;
    }
    PQsetNoticeProcessor(c->pg, ignore_notice, NULL);
    /* Terse errors carry no DETAIL line: "Failing row contains (...)" would
     * put row values, password hashes included, into the log. */
    PQsetErrorVerbosity(c->pg, PQERRORS_TERSE);
    return 1;
}

static db_conn *take_free_conn(db_pool *p, int timeout_ms)
{
    struct timespec until = clock_after(CLOCK_REALTIME, timeout_ms);
    pthread_mutex_lock(&p->mu);
    db_conn *found = NULL;
    for (;;) {
        for (int i = 0; i < p->size && found == NULL; i++)
            if (!p->conns[i].in_use)
                found = &p->conns[i];
        if (found != NULL || pthread_cond_timedwait(&p->freed, &p->mu, &until) == ETIMEDOUT)
            break;
    }
    if (found != NULL) {
        found->in_use = 1;
        p->in_use++;
    }
    pthread_mutex_unlock(&p->mu);
    return found;
}

static void give_back(db_pool *p, db_conn *c)
{
    pthread_mutex_lock(&p->mu);
    c->in_use = 0;
    p->in_use--;
    pthread_cond_signal(&p->freed);
    pthread_mutex_unlock(&p->mu);
}

db_conn *db_acquire(db_pool *p, int timeout_ms)
{
    db_conn *c = take_free_conn(p, timeout_ms);
    if (c == NULL)
        return NULL;
    if (!ensure_connected(p, c)) {
        give_back(p, c);
        return NULL;
    }
    c->sqlstate[0] = '\0';
    return c;
}

void db_release(db_pool *p, db_conn *c)
{
    /* Invariant: a connection in the free list is idle, outside any
     * transaction, so the next borrower starts clean. */
    switch (PQtransactionStatus(c->pg)) {
    case PQTRANS_IDLE:
        break;
    case PQTRANS_INTRANS:
    case PQTRANS_INERROR: {
        PGresult *r = PQexec(c->pg, "ROLLBACK");
        if (PQresultStatus(r) != PGRES_COMMAND_OK)
            disconnect(c);
        PQclear(r);
        break;
    }
    default:
        disconnect(c);
        break;
    }
    give_back(p, c);
}

static int is_prepared(const db_conn *c, const db_stmt *stmt)
{
    for (size_t i = 0; i < c->nprepared; i++)
        if (c->prepared[i] == stmt)
            return 1;
    return 0;
}

static int remember_prepared(db_conn *c, const db_stmt *stmt)
{
    if (c->nprepared == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 16;
        const db_stmt **grown = realloc(c->prepared, cap * sizeof *grown);
        if (grown == NULL)
            return -1;
        c->prepared = grown;
        c->cap = cap;
    }
    c->prepared[c->nprepared++] = stmt;
    return 0;
}

/* Maps a failed result to a status, keeping the SQLSTATE for the caller. */
static rc_status failure_status(db_conn *c, const PGresult *res, const char *what,
                                const char *request_id)
{
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    snprintf(c->sqlstate, sizeof c->sqlstate, "%s", state ? state : "");
    if (PQstatus(c->pg) != CONNECTION_OK) {
        log_warn(request_id, "database connection lost during %s", what);
        return RC_UNAVAILABLE;
    }
    if (strcmp(c->sqlstate, "23505") == 0)
        return RC_ALREADY_EXISTS;
    if (strcmp(c->sqlstate, "40001") == 0 || strcmp(c->sqlstate, "40P01") == 0)
        return RC_ABORTED;
    if (strcmp(c->sqlstate, "57014") == 0)
        return RC_DEADLINE_EXCEEDED;
    log_error(request_id, "database error in %s: %s", what,
              res ? PQresultErrorMessage(res) : PQerrorMessage(c->pg));
    return RC_INTERNAL;
}

static rc_status prepare(db_conn *c, const db_stmt *stmt, const char *request_id)
{
    PGresult *res = PQprepare(c->pg, stmt->name, stmt->sql, stmt->nparams, NULL);
    rc_status st = RC_OK;
    if (PQresultStatus(res) != PGRES_COMMAND_OK) {
        st = failure_status(c, res, stmt->name, request_id);
    } else if (remember_prepared(c, stmt) != 0) {
        /* Unrecorded, the statement would be prepared again under its name
         * and fail; a new session starts with none. */
        log_error(request_id, "out of memory preparing %s", stmt->name);
        disconnect(c);
        st = RC_INTERNAL;
    }
    PQclear(res);
    return st;
}

/* The outcome of one execution: *out on success, else the mapped status. */
static rc_status exec_result(db_conn *c, const db_stmt *stmt, PGresult *res, const char *request_id,
                             PGresult **out)
{
    ExecStatusType status = PQresultStatus(res);
    if (status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK) {
        *out = res;
        return RC_OK;
    }
    rc_status st = failure_status(c, res, stmt->name, request_id);
    PQclear(res);
    return st;
}

rc_status db_exec(db_conn *c, const db_stmt *stmt, const char *const *params,
                  const char *request_id, PGresult **out)
{
    *out = NULL;
    c->sqlstate[0] = '\0';
    if (!is_prepared(c, stmt)) {
        rc_status st = prepare(c, stmt, request_id);
        if (st != RC_OK)
            return st;
    }
    PGresult *res = PQexecPrepared(c->pg, stmt->name, stmt->nparams, params, NULL, NULL, 0);
    return exec_result(c, stmt, res, request_id, out);
}

rc_status db_exec_custom(db_conn *c, const db_stmt *stmt, const char *const *params,
                         const char *request_id, PGresult **out)
{
    *out = NULL;
    c->sqlstate[0] = '\0';
    /* The unnamed statement is parsed anew with each call, so the plan cache
     * has no history for it and plans it for the values given (the default
     * plan_cache_mode, auto, makes custom plans for a statement's first
     * calls). Parse, bind and execute still go in one round trip. */
    PGresult *res = PQexecParams(c->pg, stmt->sql, stmt->nparams, NULL, params, NULL, NULL, 0);
    return exec_result(c, stmt, res, request_id, out);
}

rc_status db_command(db_conn *c, const char *sql, const char *request_id)
{
    c->sqlstate[0] = '\0';
    PGresult *res = PQexec(c->pg, sql);
    rc_status st = RC_OK;
    if (PQresultStatus(res) != PGRES_COMMAND_OK)
        st = failure_status(c, res, sql, request_id);
    PQclear(res);
    return st;
}

char *db_text(const PGresult *res, int row, int col)
{
    if (PQgetisnull(res, row, col))
        return NULL;
    return PQgetvalue(res, row, col);
}

int64_t db_int64(const PGresult *res, int row, int col)
{
    return strtoll(PQgetvalue(res, row, col), NULL, 10);
}

int db_bool(const PGresult *res, int row, int col)
{
    return PQgetvalue(res, row, col)[0] == 't';
}

const char *db_last_sqlstate(const db_conn *c)
{
    return c->sqlstate;
}

rc_status db_ping(db_pool *p, int timeout_ms)
{
    db_conn *c = db_acquire(p, timeout_ms);
    if (c == NULL)
        return RC_UNAVAILABLE;
    PGresult *res = PQexec(c->pg, "SELECT 1");
    rc_status st = PQresultStatus(res) == PGRES_TUPLES_OK ? RC_OK : RC_UNAVAILABLE;
    PQclear(res);
    db_release(p, c);
    return st;
}

void db_pool_counts(db_pool *p, int *in_use, int *idle)
{
    pthread_mutex_lock(&p->mu);
    *in_use = p->in_use;
    *idle = 0;
    for (int i = 0; i < p->size; i++)
        if (!p->conns[i].in_use && p->conns[i].pg != NULL)
            (*idle)++;
    pthread_mutex_unlock(&p->mu);
}

int db_pool_size(const db_pool *p)
{
    return p->size;
}

int db_config_url(const char *var, const char *def, const char **out, char err[CONFIG_ERR_LEN])
{
    const char *value = config_string(var, NULL);
    /* libpq's own parser is the judge: it takes exactly the URIs and
     * key=value strings that PQconnectdb would, and refuses a bare word,
     * another scheme or an unknown option. */
    PQconninfoOption *options = value ? PQconninfoParse(value, NULL) : NULL;
    if (value && options == NULL) {
        snprintf(err, CONFIG_ERR_LEN,
                 "%s: not a PostgreSQL URL (postgres://... or postgresql://... or key=value)", var);
        return -1;
    }
    PQconninfoFree(options);
    *out = value ? value : def;
    return 0;
}

const char *db_param_int64(char buf[DB_INT64_LEN], int64_t v)
{
    snprintf(buf, DB_INT64_LEN, "%" PRId64, v);
    return buf;
}

rc_status db_map_rows(const PGresult *res, size_t item_size, db_row_fill fill, db_rows *out)
{
    size_t n = (size_t)PQntuples(res);
    /* calloc(0) may return NULL; an empty result still needs its arrays. */
    char *items = calloc(n ? n : 1, item_size);
    void **ptrs = calloc(n ? n : 1, sizeof *ptrs);
    if (items == NULL || ptrs == NULL) {
        free(items);
        free(ptrs);
        *out = (db_rows){0};
        return RC_INTERNAL;
    }
    for (size_t i = 0; i < n; i++) {
        fill(res, (int)i, items + i * item_size);
        ptrs[i] = items + i * item_size;
    }
    *out = (db_rows){.items = items, .ptrs = ptrs, .n = n};
    return RC_OK;
}

void db_rows_free(db_rows *rows)
{
    free(rows->items);
    free(rows->ptrs);
    *rows = (db_rows){0};
}
