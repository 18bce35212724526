/* user_roles.c - the roles an account may hold (users.h), apart from the rest
 * of users.c so that the pure OIDC checks and their fuzz target link them
 * without the service. */
#include "users.h"

const char *const user_role_names[USER_NROLES] = {"member", "security", "admin"};
