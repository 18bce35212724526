/* config.h - process configuration from the environment.
 *
 * Every reader takes the variable's name and a default that works on one
 * machine. A bad value is an error value: the message (one line, naming the
 * variable, never echoing a secret) is written to err, and the caller stops
 * the process with it. */
#ifndef RCYCLE_CONFIG_H
#define RCYCLE_CONFIG_H

#include <stddef.h>

#define CONFIG_ERR_LEN 256

/* The variable's value, or def when unset or empty. Never fails. */
const char *config_string(const char *var, const char *def);

/* A TCP port 1..65535. Returns 0, or -1 with err set. */
int config_port(const char *var, int def, int *out, char err[CONFIG_ERR_LEN]);

/* An integer in [min, max]. Returns 0, or -1 with err set. */
int config_int(const char *var, int def, int min, int max, int *out, char err[CONFIG_ERR_LEN]);

/* 1 for "1", "true", "yes", "on"; 0 for "0", "false", "no", "off". */
int config_bool(const char *var, int def, int *out, char err[CONFIG_ERR_LEN]);

/* An nng URL with a transport this system uses (tls+tcp://host:port,
 * tcp://host:port, ipc://path); which of them may be used is rpc_tls.h's
 * decision. */
int config_nng_url(const char *var, const char *def, const char **out, char err[CONFIG_ERR_LEN]);

/* The pure checks behind the readers, for tests. Return 0 when valid. */
int config_parse_int(const char *s, long min, long max, long *out);
int config_check_nng_url(const char *s);

#endif
