/* The control server: the request queue /NAME.ctl, validation, dispatch, non-blocking replies. */
#ifndef DROVER_CONTROL_H
#define DROVER_CONTROL_H

#include <ev.h>

#include "conf/config.h"
#include "core/process.h"

/* Counters, shown by `droverctl version` (second line of the VERSION reply, see control.c). */
struct control_stats {
	unsigned long received;          /* messages taken off /NAME.ctl */
	unsigned long bad;               /* malformed or unroutable requests (each answered with an error or dropped) */
	unsigned long bad_answered;      /* ... of which got an error reply */
	unsigned long replies_sent;      /* replies delivered whole */
	unsigned long replies_deferred;  /* replies that met a full queue mid-way and went to an outbox */
	unsigned long replies_dropped;   /* undeliverable: reply queue full, gone, too slow, or over a bound */
	unsigned long busy;              /* WAIT/START/STOP/RESTART refused: too many waiters */
	unsigned long waiters;           /* pending now */
	unsigned long outboxes;          /* pending now */
	unsigned long outbox_bytes;      /* pending now */
};

/* Create /NAME.ctl exclusively (a stale one of ours is replaced, a foreign one refused).
 * The caller holds the instance lock. 0 or -errno; logs once with context. */
int control_open(const struct drover_config *cfg);
/* Watch the queue in loop. */
void control_start(struct ev_loop *loop);
/* Stop, answer pending waiters (best effort), close and unlink. Safe to call twice. */
void control_close(void);

const struct control_stats *control_get_stats(void);

#endif
