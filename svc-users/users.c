/* users.c - the pieces every RPC group of svc-users shares: start-up, the
 * mapping of an account row to a User message, text checks and the answer to
 * a database error. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "token.h"
#include "users.h"

const char *const user_role_names[USER_NROLES] = {"member", "security", "admin"};

int users_init(service_env *env, void **state)
{
    (void)env;
    *state = NULL;
    return sessions_init();
}

int password_hash(char out[crypto_pwhash_STRBYTES], const char *password, size_t len)
{
    return crypto_pwhash_str(out, password, len, crypto_pwhash_OPSLIMIT_INTERACTIVE,
                             crypto_pwhash_MEMLIMIT_INTERACTIVE);
}

/* 1 when name is one of the comma-separated items of list. */
static int list_has(const char *list, const char *name)
{
    size_t len = strlen(name);
    for (const char *item = list;; item++) {
        size_t n = strcspn(item, ",");
        if (n == len && memcmp(item, name, len) == 0)
            return 1;
        item += n;
        if (*item == '\0')
            return 0;
    }
}

void user_from_row(user_row *user, const PGresult *res, int row)
{
    const char *roles = PQgetvalue(res, row, 4);

    *user = (user_row){.msg = RCYCLE__USERS__USER__INIT};
    user->msg.id = strtoll(PQgetvalue(res, row, 0), NULL, 10);
    user->msg.email = PQgetvalue(res, row, 1);
    user->msg.name = PQgetvalue(res, row, 2);
    user->msg.department = PQgetvalue(res, row, 3);
    /* Listing the known roles in a fixed order also drops duplicates, which
     * the schema's check would let through. */
    for (int i = 0; i < USER_NROLES; i++)
        if (list_has(roles, user_role_names[i]))
            /* protobuf-c's fields are not const; packing only reads them. */
            user->roles[user->msg.n_roles++] = (char *)user_role_names[i];
    user->msg.roles = user->roles;
}
