/* fault.h - fault points for the crash-consistency and deadline tests.
 *
 * fault_point(name) acts when the environment variable RCYCLE_FAULT holds
 * name: it kills the process with SIGKILL, so a test can stop a service at an
 * exact step of a multi-service operation (for example between the commit of
 * a claim and the reservation of its listing); or, when RCYCLE_FAULT_PAUSE_MS
 * is set too, it holds the calling thread there that long, so a test can make
 * one step outlast a deadline. Unset, it does nothing. */
#ifndef RCYCLE_FAULT_H
#define RCYCLE_FAULT_H

void fault_point(const char *name);

#endif
