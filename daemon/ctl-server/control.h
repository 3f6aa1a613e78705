/* The control server: the request queue /NAME.ctl, validation, dispatch, non-blocking replies. */
#ifndef DROVER_CONTROL_H
#define DROVER_CONTROL_H

#include <ev.h>

#include "conf/config.h"
#include "ctl-server/server.h"

/* Create /NAME.ctl exclusively (a stale one of ours is replaced, a foreign one refused).
 * The caller holds the instance lock. 0 or -errno; logs once with context. */
int control_open(const struct drover_config *cfg);
/* Watch the queue in loop. */
void control_start(struct ev_loop *loop);
/* Stop, answer pending waiters (best effort), close and unlink. Safe to call twice. */
void control_close(void);

const struct control_stats *control_get_stats(void);

#endif
