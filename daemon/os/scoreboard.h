/* droverd's side of the scoreboard (layout and protocol: lib/scoreboard.h): create, size and
 * repair the shm and its per-slot semaphores, recover locks of dead holders, store which
 * incarnation owns each slot, and read the workers' reports validated. It stores and validates;
 * what a report means (ready, a stale heartbeat) is decided by its caller. Nothing read from the
 * shm is trusted. */
#ifndef DROVER_DAEMON_SCOREBOARD_H
#define DROVER_DAEMON_SCOREBOARD_H

#include <ev.h>
#include <stdint.h>
#include <sys/types.h>

#include "lib/scoreboard.h"
#include "os/log.h"
#include "proto.h"

/* The daemon's fields of a slot: the incarnation that owns it now. */
struct sb_owner {
	uint32_t generation;   /* bumped before every spawn; 0: none yet */
	pid_t pid;             /* 0: no live worker */
	uint32_t state;        /* enum proc_state, informational for the worker */
};

/* Create /NAME.scoreboard and /NAME.sb.K for nslots slots (stale objects of ours from a dead
 * daemon are removed; a foreign one is refused). users: the programs' users (names or uids,
 * NULL-terminated; NULL for none) get access. The caller holds the instance lock. 0 or -errno;
 * logs once with context. */
int scoreboard_open(struct ev_loop *loop, const char *instance, uint32_t nslots, char *const *users);
/* Unlink and release everything. Safe to call twice. */
void scoreboard_close(void);
/* After a reload: make slots 0..nslots-1 exist and give users access. 0 or -errno (logged). */
int scoreboard_resize(uint32_t nslots, char *const *users);

/* Slot k (ignored when it does not exist): */
/* a new incarnation is about to be spawned (o: its generation, pid 0); user: the program's (NULL: droverd's) */
void scoreboard_slot_spawn(uint32_t k, const char *user, const struct sb_owner *o);
/* the owner's pid or state changed */
void scoreboard_slot_publish(uint32_t k, const struct sb_owner *o);
/* the worker pid was reaped: recover the slot's lock if it died holding it */
void scoreboard_slot_exit(uint32_t k, pid_t pid, const struct log_subject *who);
/* no process owns k any more */
void scoreboard_slot_release(uint32_t k);
/* The validated report of the live incarnation: 0, -ENODATA (nothing reported, or no live
 * worker), -EBADMSG (garbage), -ENOENT (no such slot). */
int scoreboard_slot_view(uint32_t k, struct sb_view *v, uint64_t now);
/* The worker fields of a status record: flags READY/BUSY/HEARTBEAT/SLOT_BAD, heartbeat age,
 * status line, counters. Only for a live incarnation. A bad slot is logged about who. */
void scoreboard_slot_status(uint32_t k, const struct log_subject *who, struct proto_status *s);

/* When the shm was last rebuilt (heartbeats older than that cannot have reached it). */
uint64_t scoreboard_rebuilt_ns(void);
/* A fallback to inotify, cheap (an fstat): repair what a worker broke; heal the header. */
void scoreboard_poll(void);
/* Check the objects now (tests; normally inotify and the poll do it). */
void scoreboard_check(void);

struct scoreboard_stats {
	unsigned long rebuilds;          /* shm restored after truncation / replacement */
	unsigned long sem_repairs;       /* a truncated semaphore re-initialised in place */
	unsigned long sem_replaced;      /* a semaphore recreated (removed, replaced, ambiguous holder) */
	unsigned long lock_recoveries;   /* a reaped worker held its lock: released */
	unsigned long bad_reads;         /* slot copies that failed validation */
	unsigned long sigbus;            /* SIGBUS faults absorbed by the guard */
};
const struct scoreboard_stats *scoreboard_get_stats(void);

#endif
