/* droverd's side of the scoreboard (layout and protocol: lib/scoreboard.h): create, size, repair
 * the shm and its per-slot semaphores, recover locks of dead holders, the readiness/heartbeat
 * sweep, and the worker fields of `droverctl status`. Nothing read from the shm is trusted. */
#ifndef DROVER_DAEMON_SCOREBOARD_H
#define DROVER_DAEMON_SCOREBOARD_H

#include "conf/config.h"
#include "core/process.h"
#include "proto.h"

/* Create /NAME.scoreboard and /NAME.sb.K for every process of cfg (stale objects of ours from a
 * dead daemon are removed; a foreign one is refused). The caller holds the instance lock and
 * sup.loop exists. 0 or -errno; logs once with context. */
int scoreboard_open(const struct drover_config *cfg);
/* Unlink and release everything. Safe to call twice. */
void scoreboard_close(void);
/* After a reload built the new table: make slots 0..n-1 (and every slot in use) exist, refresh
 * the users allowed in, re-plan the sweep. 0 or -errno (logged; the reload still applies). */
int scoreboard_resize(size_t nslots);

/* Lifecycle hooks (process.c / supervisor.c). */
void scoreboard_on_spawn(struct process *p);     /* after p->generation++, before fork */
void scoreboard_on_state(struct process *p);     /* pid/state changed (informational fields) */
void scoreboard_on_exit(struct process *p);      /* reaped, p->pid still the reaped pid */
/* startsecs expired while STARTING with ready = scoreboard: up if it is ready after all, else
 * the start failed: SIGKILL (its exit then goes to BACKOFF as usual). */
void scoreboard_ready_timeout(struct process *p);

/* The worker fields of a status record: flags READY/BUSY/HEARTBEAT/SLOT_BAD, heartbeat age,
 * status line, counters. Only for a live incarnation (p->pid > 0). */
void scoreboard_fill_status(const struct process *p, struct proto_status *s);

/* Check the objects now (tests; normally inotify and the sweep do it). */
void scoreboard_check(void);

struct scoreboard_stats {
	unsigned long rebuilds;          /* shm restored after truncation / replacement */
	unsigned long sem_repairs;       /* a truncated semaphore re-initialised in place */
	unsigned long sem_replaced;      /* a semaphore recreated (removed, replaced, ambiguous holder) */
	unsigned long lock_recoveries;   /* a reaped worker held its lock: released */
	unsigned long bad_reads;         /* slot copies that failed validation */
	unsigned long sigbus;            /* SIGBUS faults absorbed by the guard */
	unsigned long stale_restarts;    /* heartbeat_timeout restarts */
};
const struct scoreboard_stats *scoreboard_get_stats(void);

#endif
