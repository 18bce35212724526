/* rcycle-pg - the entrypoint of R-Cycle's PostgreSQL image and the helper of
 * the db-init Job and the backup CronJob, so that none of them needs a shell.
 *
 *   rcycle-pg server [postgres option...]
 *       First start (no $PGDATA/PG_VERSION): initdb with the superuser
 *       "postgres" and the password of $POSTGRES_PASSWORD_FILE or
 *       $POSTGRES_PASSWORD, scram-sha-256 for every TCP client, the C
 *       collation with C.UTF-8 character classes (so that lower(), which a
 *       search folds case with, knows letters beyond ASCII), and with
 *       $POSTGRES_DB set that database too (single-user mode), all in
 *       $PGDATA.init, renamed to $PGDATA when complete. Every start: $PGDATA
 *       set to 0700, the superuser password set from the Secret (single-user
 *       mode); then exec postgres -D $PGDATA -c listen_addresses=* -c jit=off
 *       -c unix_socket_directories= and the options given.
 *   rcycle-pg wait [--timeout SECONDS] [--url-env VAR] [-- PROGRAM [ARG...]]
 *       Waits until the server of $VAR (default DATABASE_URL) accepts
 *       connections (PQping), then execs PROGRAM (PATH lookup), if given.
 *   rcycle-pg psql [--timeout SECONDS] FILE
 *       Waits as above for $DATABASE_URL, then execs
 *       psql -X -q -v ON_ERROR_STOP=1 --dbname=$DATABASE_URL -f FILE.
 *   rcycle-pg schema-wait [--timeout SECONDS] SCHEMA:VERSION...
 *       Waits until public.schema_migrations of $DATABASE_URL records every
 *       SCHEMA at VERSION or later (a service's init container).
 *   rcycle-pg dump DIR [--keep N]
 *       pg_dump -Fc of $DATABASE_URL into DIR/rcycle-YYYYmmddTHHMMSSZ.dump
 *       (written as .partial, renamed when complete), then deletes all but
 *       the newest N dumps (default 7).
 *
 * PGDATA defaults to /var/lib/postgresql/data/pgdata (a subdirectory of the
 * volume, as initdb wants an empty directory it owns). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#define PGBIN          "/usr/lib/postgresql/15/bin"
#define DEFAULT_PGDATA "/var/lib/postgresql/data/pgdata"

static void die(const char *fmt, const char *arg)
{
    fprintf(stderr, "rcycle-pg: ");
    fprintf(stderr, fmt, arg ? arg : "");
    fputc('\n', stderr);
    exit(1);
}

static const char *env_or(const char *name, const char *def)
{
    const char *v = getenv(name);
    return v && *v ? v : def;
}

/* Runs argv (absolute path) and returns its exit status, or -1. */
static int run(char *const argv[])
{
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        execv(argv[0], argv);
        fprintf(stderr, "rcycle-pg: cannot run %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* ---- server ---- */

/* Removes a directory tree that never served (an interrupted first start). */
static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    return type == FTW_DP ? rmdir(path) : unlink(path);
}

static void remove_tree(const char *path)
{
    if (access(path, F_OK) == 0 && nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS) != 0)
        die("cannot remove %s, left by an interrupted first start", path);
}

/* The superuser password: $POSTGRES_PASSWORD_FILE's first line, or
 * $POSTGRES_PASSWORD; NULL when neither is set. The caller frees it. */
static char *superuser_password(void)
{
    const char *file = getenv("POSTGRES_PASSWORD_FILE");
    if (file && *file) {
        FILE *f = fopen(file, "r");
        char line[1024];
        if (!f || !fgets(line, sizeof line, f))
            die("cannot read POSTGRES_PASSWORD_FILE %s", file);
        fclose(f);
        line[strcspn(line, "\r\n")] = '\0';
        return strdup(line);
    }
    const char *pw = getenv("POSTGRES_PASSWORD");
    return pw && *pw ? strdup(pw) : NULL;
}

/* initdb into dir, the password handed over through a pipe (never a file). */
static void run_initdb(const char *dir, const char *password)
{
    int fds[2];
    if (pipe(fds) != 0)
        die("pipe failed%s", NULL);
    size_t n = strlen(password);
    /* A password is far below the pipe's buffer: written before initdb runs. */
    if (write(fds[1], password, n) != (ssize_t)n || write(fds[1], "\n", 1) != 1)
        die("cannot hand the password to initdb%s", NULL);
    close(fds[1]);
    char pwopt[64];
    snprintf(pwopt, sizeof pwopt, "--pwfile=/proc/self/fd/%d", fds[0]);
    char *const argv[] = {PGBIN "/initdb",
                          "-D",
                          (char *)dir,
                          "-U",
                          "postgres",
                          pwopt,
                          "--auth-local=scram-sha-256",
                          "--auth-host=scram-sha-256",
                          "--encoding=UTF8",
                          "--locale=C",
                          "--lc-ctype=C.UTF-8",
                          "--no-instructions",
                          NULL};
    int rc = run(argv);
    close(fds[0]);
    if (rc != 0)
        die("initdb failed for %s", dir);
    /* Every TCP client, with a password (NetworkPolicy limits who gets here). */
    char hba[4400];
    snprintf(hba, sizeof hba, "%s/pg_hba.conf", dir);
    FILE *f = fopen(hba, "a");
    if (!f ||
        fputs("host all all 0.0.0.0/0 scram-sha-256\nhost all all ::/0 scram-sha-256\n", f) < 0 ||
        fclose(f) != 0)
        die("cannot write %s", hba);
}

/* Runs one line of SQL in single-user mode (the server is not running yet);
 * extra is one more -c option, or NULL. */
static int single_user(const char *pgdata, const char *sql, const char *extra)
{
    int fds[2];
    if (pipe(fds) != 0)
        return -1;
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        dup2(fds[0], 0);
        close(fds[0]);
        close(fds[1]);
        int null = open("/dev/null", O_WRONLY);
        if (null >= 0)
            dup2(null, 1);
        if (extra)
            execl(PGBIN "/postgres", "postgres", "--single", "-D", pgdata, "-c", "jit=off", "-c",
                  extra, "postgres", (char *)NULL);
        else
            execl(PGBIN "/postgres", "postgres", "--single", "-D", pgdata, "-c", "jit=off",
                  "postgres", (char *)NULL);
        _exit(127);
    }
    close(fds[0]);
    size_t n = strlen(sql);
    int ok = write(fds[1], sql, n) == (ssize_t)n;
    close(fds[1]);
    int status;
    if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0 || !ok)
        return -1;
    return 0;
}

static void create_database(const char *pgdata, const char *name)
{
    for (const char *p = name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_'))
            die("POSTGRES_DB must be a plain lower-case name, not %s", name);
    char sql[256];
    snprintf(sql, sizeof sql, "CREATE DATABASE \"%s\";\n", name);
    if (single_user(pgdata, sql, NULL) != 0)
        die("CREATE DATABASE %s failed", name);
    fprintf(stderr, "rcycle-pg: created database %s\n", name);
}

/* First start: the whole cluster is made in PGDATA.init and renamed to
 * PGDATA only when complete (database included), so an interrupted first
 * start leaves nothing that looks like a cluster; the next start begins
 * again. */
static void init_cluster(const char *pgdata, const char *password)
{
    if (!password)
        die("first start: set POSTGRES_PASSWORD or POSTGRES_PASSWORD_FILE%s", NULL);
    if (rmdir(pgdata) != 0 && errno != ENOENT)
        die("%s exists without PG_VERSION and is not empty: not a cluster, left alone", pgdata);
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.init", pgdata);
    remove_tree(tmp);
    fprintf(stderr, "rcycle-pg: initialising %s\n", pgdata);
    run_initdb(tmp, password);
    const char *db = getenv("POSTGRES_DB");
    if (db && *db && strcmp(db, "postgres") != 0)
        create_database(tmp, db);
    if (rename(tmp, pgdata) != 0)
        die("cannot rename the new cluster to %s", pgdata);
}

/* The superuser password of the Secret, set on every start: deploy/secret.sh
 * run again (or a rotation) must not leave the admin URL with a stale one.
 * The server quotes it (format %L); it only travels as a setting. */
static void set_superuser_password(const char *pgdata, const char *password)
{
    const char *prefix = "rcycle.superuser_password=";
    size_t n = strlen(prefix) + strlen(password) + 1;
    char *opt = malloc(n);
    if (!opt)
        die("out of memory%s", NULL);
    snprintf(opt, n, "%s%s", prefix, password);
    int rc = single_user(pgdata,
                         "DO $$ BEGIN EXECUTE format('ALTER ROLE postgres PASSWORD %L', "
                         "current_setting('rcycle.superuser_password')); END $$;\n",
                         opt);
    memset(opt, 0, n);
    free(opt);
    if (rc != 0)
        die("cannot set the superuser password in %s", pgdata);
}

static int cmd_server(int argc, char **argv)
{
    const char *pgdata = env_or("PGDATA", DEFAULT_PGDATA);
    char path[4200];
    snprintf(path, sizeof path, "%s/PG_VERSION", pgdata);
    char *password = superuser_password();
    if (access(path, F_OK) != 0)
        init_cluster(pgdata, password);
    /* PostgreSQL refuses a data directory others may write, and a volume's
     * fsGroup handling (or a restore) may have made it so. */
    if (chmod(pgdata, 0700) != 0)
        die("cannot set %s to 0700 (is it owned by this user?)", pgdata);
    /* Left beside PGDATA by the first starts of earlier versions. */
    snprintf(path, sizeof path, "%s.pwfile", pgdata);
    if (unlink(path) != 0 && errno != ENOENT)
        die("cannot remove the old password file %s", path);
    if (password) {
        set_superuser_password(pgdata, password);
        memset(password, 0, strlen(password));
        free(password);
    }
    char **args = calloc((size_t)argc + 12, sizeof *args);
    if (!args)
        die("out of memory%s", NULL);
    int n = 0;
    args[n++] = PGBIN "/postgres";
    args[n++] = "-D";
    args[n++] = (char *)pgdata;
    args[n++] = "-c";
    args[n++] = "listen_addresses=*";
    args[n++] = "-c";
    args[n++] = "jit=off";
    args[n++] = "-c";
    args[n++] = "unix_socket_directories=";
    for (int i = 0; i < argc; i++)
        args[n++] = argv[i];
    args[n] = NULL;
    execv(args[0], args);
    die("cannot exec %s", args[0]);
    return 1;
}

/* ---- wait, psql ---- */

static const char *wait_for(const char *url_env, long timeout);

/* A leading "--timeout S" sets *timeout; returns the index after it. */
static int leading_timeout(int argc, char **argv, long *timeout)
{
    if (argc >= 2 && strcmp(argv[0], "--timeout") == 0) {
        *timeout = strtol(argv[1], NULL, 10);
        return 2;
    }
    return 0;
}

static int cmd_wait(int argc, char **argv)
{
    long timeout = 300;
    const char *url_env = "DATABASE_URL";
    int i = 0;
    for (; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0) {
            i++;
            break;
        } else if (strcmp(argv[i], "--timeout") == 0 && i + 1 < argc) {
            timeout = strtol(argv[++i], NULL, 10);
        } else if (strcmp(argv[i], "--url-env") == 0 && i + 1 < argc) {
            url_env = argv[++i];
        } else {
            die("wait: unknown argument %s", argv[i]);
        }
    }
    wait_for(url_env, timeout);
    if (i >= argc)
        return 0;
    execvp(argv[i], &argv[i]);
    die("cannot exec %s", argv[i]);
    return 1;
}

static int cmd_psql(int argc, char **argv)
{
    long timeout = 300;
    int i = leading_timeout(argc, argv, &timeout);
    if (i + 1 != argc)
        die("psql: usage: rcycle-pg psql [--timeout S] FILE%s", NULL);
    const char *url = wait_for("DATABASE_URL", timeout);
    char dbopt[8192];
    snprintf(dbopt, sizeof dbopt, "--dbname=%s", url);
    execl(PGBIN "/psql", "psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", dbopt, "-f", argv[i],
          (char *)NULL);
    die("cannot exec %s", PGBIN "/psql");
    return 1;
}

/* Waits until the server of $url_env answers; returns the URL. */
static const char *wait_for(const char *url_env, long timeout)
{
    const char *url = getenv(url_env);
    if (!url || !*url)
        die("wait: %s is not set", url_env);
    time_t deadline = time(NULL) + timeout;
    for (int tries = 1;; tries++) {
        if (PQping(url) == PQPING_OK)
            break;
        if (time(NULL) >= deadline)
            die("wait: the database of %s did not answer in time", url_env);
        if (tries % 10 == 1)
            fprintf(stderr, "rcycle-pg: waiting for the database of %s\n", url_env);
        sleep(1);
    }
    fprintf(stderr, "rcycle-pg: the database of %s answers\n", url_env);
    return url;
}

/* ---- schema-wait ---- */

/* The newest migration of schema applied, 0 when none (or not readable yet:
 * the db-init of this release may still be granting it). */
static long applied_version(PGconn *conn, const char *schema)
{
    const char *params[] = {schema};
    PGresult *r = PQexecParams(conn,
                               "SELECT coalesce(max(version), 0) FROM public.schema_migrations"
                               " WHERE schema_name = $1",
                               1, NULL, params, NULL, NULL, 0);
    long v = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1
                 ? strtol(PQgetvalue(r, 0, 0), NULL, 10)
                 : 0;
    PQclear(r);
    return v;
}

/* rcycle-pg schema-wait [--timeout S] SCHEMA:VERSION...: waits until every
 * SCHEMA has its migrations applied up to VERSION (the init container of a
 * service: the new release's code never meets the old release's schema). */
static int cmd_schema_wait(int argc, char **argv)
{
    long timeout = 900;
    int i = leading_timeout(argc, argv, &timeout);
    if (i >= argc)
        die("schema-wait: usage: rcycle-pg schema-wait [--timeout S] SCHEMA:VERSION...%s", NULL);
    const char *url = wait_for("DATABASE_URL", timeout);
    time_t deadline = time(NULL) + timeout;
    for (int tries = 1;; tries++) {
        PGconn *conn = PQconnectdb(url);
        int pending = 0;
        for (int k = i; k < argc; k++) {
            char schema[64];
            const char *colon = strchr(argv[k], ':');
            if (!colon || colon == argv[k] || (size_t)(colon - argv[k]) >= sizeof schema)
                die("schema-wait: %s is not SCHEMA:VERSION", argv[k]);
            snprintf(schema, sizeof schema, "%.*s", (int)(colon - argv[k]), argv[k]);
            long want = strtol(colon + 1, NULL, 10);
            long have = PQstatus(conn) == CONNECTION_OK ? applied_version(conn, schema) : 0;
            if (have < want) {
                pending++;
                if (tries % 10 == 1)
                    fprintf(stderr,
                            "rcycle-pg: waiting for schema %s at version %ld (applied: %ld)\n",
                            schema, want, have);
            }
        }
        PQfinish(conn);
        if (pending == 0)
            break;
        if (time(NULL) >= deadline)
            die("schema-wait: the migrations of this release were not applied in time (db-init)%s",
                NULL);
        sleep(1);
    }
    fprintf(stderr, "rcycle-pg: the schema this release needs is in place\n");
    return 0;
}

/* ---- dump ---- */

static int is_dump(const struct dirent *e)
{
    size_t n = strlen(e->d_name);
    return strncmp(e->d_name, "rcycle-", 7) == 0 && n > 5 &&
           strcmp(e->d_name + n - 5, ".dump") == 0;
}

static int cmd_dump(int argc, char **argv)
{
    if (argc < 1)
        die("dump: usage: rcycle-pg dump DIR [--keep N]%s", NULL);
    const char *dir = argv[0];
    long keep = 7;
    if (argc >= 3 && strcmp(argv[1], "--keep") == 0)
        keep = strtol(argv[2], NULL, 10);
    if (keep < 1)
        keep = 1;
    const char *url = getenv("DATABASE_URL");
    if (!url || !*url)
        die("dump: DATABASE_URL is not set%s", NULL);
    char stamp[32], final[4096], partial[4200];
    time_t now = time(NULL);
    strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", gmtime(&now));
    snprintf(final, sizeof final, "%s/rcycle-%s.dump", dir, stamp);
    snprintf(partial, sizeof partial, "%s.partial", final);
    char fopt[4300];
    snprintf(fopt, sizeof fopt, "--file=%s", partial);
    char dbopt[8192];
    snprintf(dbopt, sizeof dbopt, "--dbname=%s", url);
    char *const args[] = {PGBIN "/pg_dump", "--format=custom", "--no-password", fopt, dbopt, NULL};
    if (run(args) != 0) {
        unlink(partial);
        die("dump: pg_dump failed%s", NULL);
    }
    if (rename(partial, final) != 0)
        die("dump: cannot rename the dump to %s", final);
    fprintf(stderr, "rcycle-pg: wrote %s\n", final);
    struct dirent **names;
    int n = scandir(dir, &names, is_dump, alphasort);
    for (int i = 0; i < n; i++) {
        if (i < n - keep) {
            char old[4400];
            snprintf(old, sizeof old, "%s/%s", dir, names[i]->d_name);
            if (unlink(old) == 0)
                fprintf(stderr, "rcycle-pg: deleted %s\n", old);
        }
        free(names[i]);
    }
    if (n >= 0)
        free(names);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: rcycle-pg server [postgres option...] | wait [--timeout S] "
                        "[--url-env VAR] [-- PROGRAM...] | psql [--timeout S] FILE | schema-wait "
                        "[--timeout S] SCHEMA:VERSION... | dump DIR [--keep N]\n");
        return 2;
    }
    if (strcmp(argv[1], "server") == 0)
        return cmd_server(argc - 2, argv + 2);
    if (strcmp(argv[1], "wait") == 0)
        return cmd_wait(argc - 2, argv + 2);
    if (strcmp(argv[1], "psql") == 0)
        return cmd_psql(argc - 2, argv + 2);
    if (strcmp(argv[1], "schema-wait") == 0)
        return cmd_schema_wait(argc - 2, argv + 2);
    if (strcmp(argv[1], "dump") == 0)
        return cmd_dump(argc - 2, argv + 2);
    die("unknown command %s", argv[1]);
    return 2;
}
