/* depends_on: start only once dependencies are RUNNING; stop dependants before dependencies. */
#ifndef DROVER_DEPENDS_H
#define DROVER_DEPENDS_H

#include <stdbool.h>
#include <stddef.h>

#include "core/process.h"

/* Subscribe to state changes (before the loop runs). */
void depends_init(void);

/* q's program depends on p's program (by program name or group name). */
bool depends_on_process(const struct process *q, const struct process *p);
/* Every process p depends on is RUNNING. Otherwise writes "waiting for db, cache" into why. */
bool depends_satisfied(const struct process *p, char *why, size_t size);
/* Start p's dependencies that are down (STOPPED / EXITED), recursively, in priority order; for a
 * policy's start of p, not those a user stopped. */
void depends_start_for(struct process *p, enum start_origin by);

/* Stop a set of processes in order: dependants before their dependencies, and by descending
 * (group priority, priority); one wave at a time, each wave stopped at once (the first now, the
 * next once all of a wave has stopped; a member that stopped once is done, even if it was
 * started again meanwhile). */
void stop_batch_start(struct process **v, size_t n);

#endif
