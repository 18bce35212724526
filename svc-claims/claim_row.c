/* claim_row.c - reading claims, and who may see them. */
#include <string.h>

#include "claims.h"
#include "db.h"

enum claim_column {
    COL_ID,
    COL_LISTING_ID,
    COL_LISTING_TITLE,
    COL_SERIAL_NUMBER,
    COL_CATEGORY,
    COL_REQUESTING_DEPARTMENT,
    COL_JUSTIFICATION,
    COL_STATUS,
    COL_REQUESTED_BY,
    COL_REQUESTED_AT,
    COL_OWNER_APPROVED_AT,
    COL_OWNER_APPROVED_BY,
    COL_SECURITY_APPROVED_AT,
    COL_SECURITY_APPROVED_BY,
    COL_DENIED_AT,
    COL_DENIED_BY,
    COL_DENIAL_REASON,
    COL_OWNER_DEPARTMENT,
    COL_LISTING_SYNC,
    COL_HANDED_OVER_AT,
    COL_HANDED_OVER_BY,
    COL_RECEIVED_AT,
    COL_RECEIVED_BY,
};
_Static_assert(COL_RECEIVED_BY + 1 == CLAIM_NCOLUMNS, "CLAIM_COLUMNS and claim_column disagree");

/* Every claim's columns have it; the API shows it once approved. */
static void handover_from_row(const PGresult *res, int row, Rcycle__Claims__Handover *h)
{
    rcycle__claims__handover__init(h);
    h->received_at = db_text(res, row, COL_RECEIVED_AT);
    h->handed_over_at = db_text(res, row, COL_HANDED_OVER_AT);
    h->state = h->received_at ? "received" : h->handed_over_at ? "handed_over" : "awaiting";
    h->handed_over_by = db_text(res, row, COL_HANDED_OVER_BY);
    h->received_by = db_text(res, row, COL_RECEIVED_BY);
}

void claim_from_row(const PGresult *res, int row, claim_row *out)
{
    Rcycle__Claims__Claim *c = &out->claim;
    rcycle__claims__claim__init(c);
    c->id = db_int64(res, row, COL_ID);
    c->listing_id = db_int64(res, row, COL_LISTING_ID);
    c->listing_title = db_text(res, row, COL_LISTING_TITLE);
    c->serial_number = db_text(res, row, COL_SERIAL_NUMBER);
    c->category = db_text(res, row, COL_CATEGORY);
    c->requesting_department = db_text(res, row, COL_REQUESTING_DEPARTMENT);
    c->justification = db_text(res, row, COL_JUSTIFICATION);
    c->status = db_text(res, row, COL_STATUS);
    c->requested_by = db_text(res, row, COL_REQUESTED_BY);
    c->requested_at = db_text(res, row, COL_REQUESTED_AT);
    c->owner_approved_at = db_text(res, row, COL_OWNER_APPROVED_AT);
    c->owner_approved_by = db_text(res, row, COL_OWNER_APPROVED_BY);
    c->security_approved_at = db_text(res, row, COL_SECURITY_APPROVED_AT);
    c->security_approved_by = db_text(res, row, COL_SECURITY_APPROVED_BY);
    c->denied_at = db_text(res, row, COL_DENIED_AT);
    c->denied_by = db_text(res, row, COL_DENIED_BY);
    c->denial_reason = db_text(res, row, COL_DENIAL_REASON);
    out->owner_department = db_text(res, row, COL_OWNER_DEPARTMENT);
    out->listing_sync = db_text(res, row, COL_LISTING_SYNC);
    handover_from_row(res, row, &out->handover);
    c->handover = strcmp(c->status, "approved") == 0 ? &out->handover : NULL;
}

static const db_stmt load_claim = {
    "claims_load",
    "SELECT " CLAIM_COLUMNS " FROM claims.claims "
    "WHERE id = $1 AND status NOT IN ('reserving', 'abandoned')",
    1,
};

rc_status claim_load(const rpc_request *req, int64_t id, PGresult **res, claim_row *out)
{
    char id_text[DB_INT64_LEN];
    db_param_int64(id_text, id);
    const char *params[] = {id_text};
    rc_status st = db_exec(req->db, &load_claim, params, req->request_id, res);
    if (st != RC_OK)
        return st;
    if (PQntuples(*res) == 0) {
        PQclear(*res);
        *res = NULL;
        return RC_NOT_FOUND;
    }
    claim_from_row(*res, 0, out);
    return RC_OK;
}

int claim_caller_in(const Rcycle__Caller *caller, const char *department)
{
    return caller->department != NULL && department != NULL &&
           strcmp(caller->department, department) == 0;
}

int claim_visible_to(const claim_row *c, const Rcycle__Caller *caller)
{
    return claim_caller_in(caller, c->claim.requesting_department) ||
           claim_caller_in(caller, c->owner_department) ||
           rpc_caller_has_role(caller, "security") || rpc_caller_has_role(caller, "admin");
}

int claim_is_open(const char *status)
{
    return strcmp(status, "pending_owner") == 0 || strcmp(status, "pending_security") == 0;
}
