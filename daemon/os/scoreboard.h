/* droverd's side of the scoreboard (layout, protocol and isolation: lib/scoreboard.h): one object
 * per worker incarnation, created just before its spawn and handed to it as a descriptor, kept
 * here as a mapping only; the owner fields of each slot; the workers' reports, validated. It
 * stores and validates; what a report means (ready, a stale heartbeat) is decided by its caller.
 * Nothing read from an object is trusted. */
#ifndef DROVER_DAEMON_SCOREBOARD_H
#define DROVER_DAEMON_SCOREBOARD_H

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

/* Room for nslots slots (no object exists before a spawn). 0 or -E2BIG (logged). */
int scoreboard_open(uint32_t nslots);
/* Let every object go. Safe to call twice. */
void scoreboard_close(void);
/* After a reload: slots 0..nslots-1 exist. 0 or -E2BIG (logged). */
int scoreboard_resize(uint32_t nslots);

/* Slot k (ignored when it does not exist): */
/* A new incarnation (o: its generation, pid 0) is about to be spawned: its own object, with the
 * owner fields published. Returns the object's descriptor (>= 3, close-on-exec) for the spawn to
 * hand to the worker at SB_FD, which the caller closes once the spawn is done; or -errno (the
 * worker then runs without a scoreboard; logged, rate-limited). */
int scoreboard_slot_spawn(uint32_t k, const struct sb_owner *o);
/* the owner's pid or state changed */
void scoreboard_slot_publish(uint32_t k, const struct sb_owner *o);
/* the incarnation's worker was reaped: its object ends (what is left of its tree gets -ESTALE)
 * and is let go */
void scoreboard_slot_exit(uint32_t k);
/* no process owns k any more */
void scoreboard_slot_release(uint32_t k);
/* The validated report of the live incarnation: 0, -ENODATA (nothing reported, or no live
 * worker), -EBADMSG (garbage), -ENOENT (no such slot, or no object). */
int scoreboard_slot_view(uint32_t k, struct sb_view *v, uint64_t now);
/* The worker fields of a status record: flags READY/BUSY/HEARTBEAT/SLOT_BAD, heartbeat age,
 * status line, counters. Only for a live incarnation. A bad slot is logged about who. */
void scoreboard_slot_status(uint32_t k, const struct log_subject *who, struct proto_status *s);

struct scoreboard_stats {
	unsigned long objects;           /* objects mapped now (live incarnations) */
	unsigned long created;           /* objects created so far */
	unsigned long create_failed;     /* spawns that went without one */
	unsigned long restored;          /* droverd's fields found overwritten and written again */
	unsigned long bad_reads;         /* slot copies that failed validation */
};
const struct scoreboard_stats *scoreboard_get_stats(void);

#endif
