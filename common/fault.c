/* fault.c - test-only fault points (see fault.h). */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "fault.h"
#include "log.h"

/* Longer pauses would only hide a test that hangs. */
#define FAULT_PAUSE_MAX_MS 60000

void fault_point(const char *name)
{
    const char *armed = getenv("RCYCLE_FAULT");
    if (armed == NULL || strcmp(armed, name) != 0)
        return;
    long pause_ms;
    const char *pause = getenv("RCYCLE_FAULT_PAUSE_MS");
    if (pause != NULL && config_parse_int(pause, 1, FAULT_PAUSE_MAX_MS, &pause_ms) == 0) {
        log_warn(NULL, "fault point %s reached: pausing %ld ms", name, pause_ms);
        struct timespec ts = {.tv_sec = pause_ms / 1000, .tv_nsec = (pause_ms % 1000) * 1000000L};
        while (nanosleep(&ts, &ts) != 0)
            ;
        return;
    }
    log_warn(NULL, "fault point %s reached: killing the process", name);
    raise(SIGKILL);
}
