/* fault.c - test-only crash points (see fault.h). */
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "fault.h"
#include "log.h"

void fault_point(const char *name)
{
    const char *armed = getenv("RCYCLE_FAULT");
    if (armed == NULL || strcmp(armed, name) != 0)
        return;
    log_warn(NULL, "fault point %s reached: killing the process", name);
    raise(SIGKILL);
}
