/* One-shot timers that count from now. libev measures a relative timer from the loop's time,
 * which it reads once per iteration, before the callbacks run: a timer armed at the end of a long
 * step (a thousand spawns, a log write blocked by a slow journald) would count from the start of
 * that step and fire early (a worker SIGKILLed a second after SIGTERM with stopwaitsecs = 4). So
 * the loop's time is brought up to date before every such timer is armed (one clock read). */
#ifndef DROVER_LOOPTIME_H
#define DROVER_LOOPTIME_H

#include <ev.h>

/* (Re)arm w to fire once, seconds (>= 0) from now. */
static inline void looptime_arm(struct ev_loop *loop, ev_timer *w, double seconds)
{
	ev_timer_stop(loop, w);
	ev_now_update(loop);
	ev_timer_set(w, seconds > 0 ? seconds : 0., 0.);
	ev_timer_start(loop, w);
}

#endif
