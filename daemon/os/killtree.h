/* Whole-tree stop: descendants that left the worker's process group (setsid) are found and
 * stopped with the worker's signal and escalation (killtree = true, the default). */
#ifndef DROVER_KILLTREE_H
#define DROVER_KILLTREE_H

#include <ev.h>
#include <stdbool.h>
#include <sys/types.h>

#include "os/log.h"

struct killtree_hooks {
	bool (*is_worker)(pid_t pid);   /* pid is a live worker of droverd's (not an orphan) */
	void (*changed)(void);          /* stragglers are gone (or were killed): a shutdown may be done */
};

/* instance: droverd's instance name (the DROVER_NAME mark of its workers). */
void killtree_init(struct ev_loop *loop, const char *instance, const struct killtree_hooks *hooks);
/* The worker pid (who; held by pidfd, -1 when none) is being stopped with sig: signal its
 * escaped descendants too; SIGKILL those still alive after stopwaitsecs. */
void killtree_stop(const struct log_subject *who, pid_t pid, int pidfd, int sig, int stopwaitsecs);
/* The worker pid of this generation was reaped: what is left of its tree (re-parented to
 * droverd, marked with who's name and the generation, and its group) is stopped the same way. */
void killtree_after_exit(const struct log_subject *who, pid_t pid, unsigned generation, int sig, int stopwaitsecs);
/* Some descendant of the worker named name (or of anyone) is still being stopped. */
bool killtree_pending_for(const char *name);
bool killtree_pending(void);
/* droverd exits: SIGKILL whatever is left. */
void killtree_shutdown(void);

#endif
