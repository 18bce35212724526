/* audit.h - the audit trail every service writes and serves (docs/AUDIT.md).
 *
 * Each schema's events table is one hash chain. The chain itself (seq,
 * prev_hash, hash) is written by the database (public.rcycle_audit_append in
 * db/bootstrap.sql) from a chain head it keeps locked until the appending
 * transaction ends; a service only names what happened. */
#ifndef RCYCLE_AUDIT_H
#define RCYCLE_AUDIT_H

#include <stdint.h>

#include "db.h"
#include "envelope.pb-c.h"
#include "rpc_server.h"

/* The chains, one per schema; the name is the schema's. */
typedef enum audit_chain {
    AUDIT_USERS,
    AUDIT_LISTINGS,
    AUDIT_CLAIMS,
    AUDIT_NCHAINS,
} audit_chain;

/* Who acted: id 0 and NULL strings for the system (a sweeper, a settler)
 * or someone not signed in. */
typedef struct audit_actor {
    int64_t id;
    const char *email;
    const char *department;
} audit_actor;

/* The caller as an actor; the strings stay the caller's. */
audit_actor audit_actor_of(const Rcycle__Caller *caller);

/* What happened. entity and action are required; the others may be NULL.
 * Never a password, a token or its hash. */
typedef struct audit_event {
    const char *entity; /* "user", "listing", "claim", "token", "registry" */
    const char *entity_id;
    const char *action;
    const char *from_status;
    const char *to_status;
    const char *note;
} audit_event;

/* Appends ev to chain in the transaction db is in (or in a transaction of
 * its own when none is open), so the event commits exactly when the change
 * it records commits. */
rc_status audit_append(db_conn *db, audit_chain chain, const audit_actor *actor,
                       const audit_event *ev, const char *request_id);

/* The ListAudit and ExportAudit handlers of a service, for its chain. */
void audit_list(const rpc_request *req, audit_chain chain, rpc_reply *reply);
void audit_export(const rpc_request *req, audit_chain chain, rpc_reply *reply);

/* The chain head's witness: logged at info at start, once an hour and by
 * audit_heads_stop, and the gauge rcycle_audit_chain_head_seq{chain}, which
 * reads h: stop the admin port (metrics) before audit_heads_stop frees it. */
typedef struct audit_heads audit_heads;
audit_heads *audit_heads_start(db_pool *pool, audit_chain chain);
void audit_heads_stop(audit_heads *h);

#endif
