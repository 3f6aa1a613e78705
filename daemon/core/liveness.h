/* Liveness of RUNNING processes (health = tcp:, http://, exec:, scoreboard, notify): a check every
 * health_interval; health_failures failures in a row take health_action (restart through the
 * normal stop path, FSM_HEALTH_FAILED, or a log line). See liveness.c. */
#ifndef DROVER_LIVENESS_H
#define DROVER_LIVENESS_H

#include <ev.h>

void liveness_init(struct ev_loop *loop);
void liveness_stop(void);

#endif
