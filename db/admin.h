/* admin.h - the commands of rcycle-admin (admin.c). */
#ifndef RCYCLE_DB_ADMIN_H
#define RCYCLE_DB_ADMIN_H

#define ADMIN_PROG "rcycle-admin"

/* Prints the usage to stderr; returns 2. */
int admin_usage(void);

/* admin_verify.c: verify-audit's arguments (after the command name); the
 * exit status: 0 good, 1 bad, 2 unusable arguments or files. */
int admin_verify_audit(int argc, char **argv);

#endif
