/* Readiness by probe (ready = tcp:HOST:PORT, http://HOST:PORT/PATH, exec:COMMAND, log:REGEX): a
 * STARTING process becomes RUNNING at its first successful attempt (see readiness.c).
 * ready = scoreboard is core/health.c's, ready = notify core/checks.c's. */
#ifndef DROVER_READINESS_H
#define DROVER_READINESS_H

#include <ev.h>

void readiness_init(struct ev_loop *loop);
void readiness_stop(void);

#endif
