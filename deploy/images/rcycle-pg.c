/* rcycle-pg - the entrypoint of R-Cycle's PostgreSQL image and the helper of
 * the db-init Job and the backup CronJob, so that none of them needs a shell.
 *
 *   rcycle-pg server [postgres option...]
 *       First start (no $PGDATA/PG_VERSION): initdb with the superuser
 *       "postgres" and the password of $POSTGRES_PASSWORD_FILE or
 *       $POSTGRES_PASSWORD, scram-sha-256 for every TCP client; then exec
 *       postgres -D $PGDATA -c listen_addresses=* -c jit=off
 *       -c unix_socket_directories= and the options given.
 *       With $POSTGRES_DB set, that database is created too (single-user mode).
 *   rcycle-pg wait [--timeout SECONDS] [--url-env VAR] [-- PROGRAM [ARG...]]
 *       Waits until the server of $VAR (default DATABASE_URL) accepts
 *       connections (PQping), then execs PROGRAM (PATH lookup), if given.
 *   rcycle-pg psql [--timeout SECONDS] FILE
 *       Waits as above for $DATABASE_URL, then execs
 *       psql -X -q -v ON_ERROR_STOP=1 --dbname=$DATABASE_URL -f FILE.
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

static void init_cluster(const char *pgdata)
{
    char pwfile[4096];
    const char *given = getenv("POSTGRES_PASSWORD_FILE");
    int temp = 0;
    if (given && *given) {
        snprintf(pwfile, sizeof pwfile, "%s", given);
    } else {
        const char *pw = getenv("POSTGRES_PASSWORD");
        if (!pw || !*pw)
            die("first start: set POSTGRES_PASSWORD or POSTGRES_PASSWORD_FILE%s", NULL);
        /* Beside PGDATA, on the volume: the root file system is read-only. */
        snprintf(pwfile, sizeof pwfile, "%s.pwfile", pgdata);
        int fd = open(pwfile, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fd < 0)
            die("cannot write the password file beside %s", pgdata);
        size_t n = strlen(pw);
        if (write(fd, pw, n) != (ssize_t)n || write(fd, "\n", 1) != 1)
            die("cannot write the password file beside %s", pgdata);
        close(fd);
        temp = 1;
    }
    char pwopt[4200];
    snprintf(pwopt, sizeof pwopt, "--pwfile=%s", pwfile);
    char *const argv[] = {PGBIN "/initdb",
                          "-D",
                          (char *)pgdata,
                          "-U",
                          "postgres",
                          pwopt,
                          "--auth-local=scram-sha-256",
                          "--auth-host=scram-sha-256",
                          "--encoding=UTF8",
                          "--locale=C",
                          "--no-instructions",
                          NULL};
    fprintf(stderr, "rcycle-pg: initialising %s\n", pgdata);
    int rc = run(argv);
    if (temp)
        unlink(pwfile);
    if (rc != 0)
        die("initdb failed for %s", pgdata);
    /* Every TCP client, with a password (NetworkPolicy limits who gets here). */
    char hba[4200];
    snprintf(hba, sizeof hba, "%s/pg_hba.conf", pgdata);
    FILE *f = fopen(hba, "a");
    if (!f ||
        fputs("host all all 0.0.0.0/0 scram-sha-256\nhost all all ::/0 scram-sha-256\n", f) < 0 ||
        fclose(f) != 0)
        die("cannot write %s", hba);
}

/* CREATE DATABASE name in single-user mode (the server is not running yet). */
static void create_database(const char *pgdata, const char *name)
{
    for (const char *p = name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_'))
            die("POSTGRES_DB must be a plain lower-case name, not %s", name);
    int fds[2];
    if (pipe(fds) != 0)
        die("pipe failed%s", NULL);
    pid_t pid = fork();
    if (pid < 0)
        die("fork failed%s", NULL);
    if (pid == 0) {
        dup2(fds[0], 0);
        close(fds[0]);
        close(fds[1]);
        execl(PGBIN "/postgres", "postgres", "--single", "-D", pgdata, "-c", "jit=off", "postgres",
              (char *)NULL);
        _exit(127);
    }
    close(fds[0]);
    char sql[256];
    int n = snprintf(sql, sizeof sql, "CREATE DATABASE \"%s\";\n", name);
    if (write(fds[1], sql, (size_t)n) != n)
        die("cannot talk to the single-user server%s", NULL);
    close(fds[1]);
    int status;
    if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
        die("CREATE DATABASE %s failed", name);
    fprintf(stderr, "rcycle-pg: created database %s\n", name);
}

static int cmd_server(int argc, char **argv)
{
    const char *pgdata = env_or("PGDATA", DEFAULT_PGDATA);
    char version[4200];
    snprintf(version, sizeof version, "%s/PG_VERSION", pgdata);
    if (access(version, F_OK) != 0) {
        if (mkdir(pgdata, 0700) != 0 && errno != EEXIST)
            die("cannot create %s (is the volume writable by this user?)", pgdata);
        init_cluster(pgdata);
        const char *db = getenv("POSTGRES_DB");
        if (db && *db && strcmp(db, "postgres") != 0)
            create_database(pgdata, db);
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
    int i = 0;
    if (argc >= 2 && strcmp(argv[0], "--timeout") == 0) {
        timeout = strtol(argv[1], NULL, 10);
        i = 2;
    }
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
        fprintf(stderr,
                "usage: rcycle-pg server [postgres option...] | wait [--timeout S] [--url-env VAR] "
                "[-- PROGRAM...] | psql [--timeout S] FILE | dump DIR [--keep N]\n");
        return 2;
    }
    if (strcmp(argv[1], "server") == 0)
        return cmd_server(argc - 2, argv + 2);
    if (strcmp(argv[1], "wait") == 0)
        return cmd_wait(argc - 2, argv + 2);
    if (strcmp(argv[1], "psql") == 0)
        return cmd_psql(argc - 2, argv + 2);
    if (strcmp(argv[1], "dump") == 0)
        return cmd_dump(argc - 2, argv + 2);
    die("unknown command %s", argv[1]);
    return 2;
}
