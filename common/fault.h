/* fault.h - crash points for the crash-consistency tests.
 *
 * fault_point(name) kills the process with SIGKILL when the environment
 * variable RCYCLE_FAULT holds name, so a test can stop a service at an exact
 * step of a multi-service operation (for example between the commit of a
 * claim and the reservation of its listing). Unset, it does nothing. */
#ifndef RCYCLE_FAULT_H
#define RCYCLE_FAULT_H

void fault_point(const char *name);

#endif
