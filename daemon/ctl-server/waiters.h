/* Waiters: requests answered once their processes reach a state (START/STOP/RESTART with a
 * deadline, WAIT), bounded in number, re-evaluated on every state change, answered when done or
 * at their deadline. */
#ifndef DROVER_CTL_WAITERS_H
#define DROVER_CTL_WAITERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/manager.h"
#include "ctl-server/reply.h"
#include "proto.h"

struct waiter;

/* Room for one more waiter? */
bool waiters_full(void);

/* A waiter for req with room for n records; takes the route. It waits for goal, or, when
 * exact is set, for exactly that state (WAIT STATE). */
struct waiter *waiter_new(const struct proto_request *req, struct route *rt, size_t n, enum mgr_goal goal);
struct waiter *waiter_new_exact(const struct proto_request *req, struct route *rt, size_t n, enum proc_state state);
/* A process the action went ahead for: watch it (spawns0: its spawn count before the action;
 * flags: PROTO_RES_* for its record). */
void waiter_add_proc(struct waiter *w, struct process *p, uint16_t pattern, unsigned spawns0, uint8_t flags);
/* A process answered at once with result (the action was refused: -EALREADY, -ESRCH...). */
void waiter_add_done(struct waiter *w, const struct process *p, uint16_t pattern, int32_t result, uint8_t flags);
/* The request's patterns that matched nothing. */
void waiter_set_unmatched(struct waiter *w, const uint16_t *idx, size_t n);
/* Evaluate every record once and answer now when nothing is pending; else wait up to
 * deadline_ms (bounded). With deadline 0 an action (START/STOP/RESTART) answers its pending
 * records with -EINPROGRESS, a WAIT with -ETIMEDOUT. Takes w. */
void waiter_submit(struct waiter *w, uint32_t deadline_ms, bool action);

/* Subscribers (events.h): p changed state; p is about to be freed. */
void waiters_on_state_change(void *ctx, struct process *p, enum proc_state old);
void waiters_process_gone(void *ctx, struct process *p);
/* droverd exits: answer every waiter (-ECANCELED for what is still pending). */
void waiters_cancel_all(void);

#endif
