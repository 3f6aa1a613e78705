/* depends_on: start only once dependencies are RUNNING; stop dependants before dependencies. */
#ifndef DROVER_DEPENDS_H
#define DROVER_DEPENDS_H

#include <stdbool.h>
#include <stddef.h>

#include "core/process.h"

/* q's program depends on p's program (by program name or group name). */
bool depends_on_process(const struct process *q, const struct process *p);
/* Every process p depends on is RUNNING. Otherwise writes "waiting for db, cache" into why. */
bool depends_satisfied(const struct process *p, char *why, size_t size);
/* Start p's dependencies that are down (STOPPED / EXITED), recursively, in priority order. */
void depends_start_for(struct process *p);
/* p changed state: spawn dependants that were waiting for it; restart_with_dependency. */
void depends_state_changed(struct process *p, enum proc_state old);

/* Stop a set of processes in order: dependants before their dependencies, and by descending
 * (group priority, priority); one wave at a time, each wave stopped at once. */
void stop_batch_start(struct process **v, size_t n);
/* Advance the batches after a state change; drop references to a process being freed. */
void stop_batch_advance(void);
void stop_batch_forget(struct process *p);
bool stop_batch_pending(const struct process *p);

#endif
