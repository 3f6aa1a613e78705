/* Whole-tree stop: descendants that left the worker's process group (setsid) are found and
 * stopped with the worker's signal and escalation (killtree = true, the default). */
#ifndef DROVER_KILLTREE_H
#define DROVER_KILLTREE_H

#include <stdbool.h>

#include "core/process.h"

/* The worker is being stopped with sig: signal its escaped descendants too. */
void killtree_stop(struct process *p, int sig);
/* The worker is gone: what is left of its tree (re-parented to droverd) is stopped. */
void killtree_after_exit(struct process *p);
/* Some descendant of p (or of anyone, with p NULL) is still being stopped. */
bool killtree_pending_for(const struct process *p);
bool killtree_pending(void);
/* droverd exits: SIGKILL whatever is left. */
void killtree_shutdown(void);

#endif
