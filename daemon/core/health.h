/* Readiness and liveness from the workers' reports (the scoreboard): a worker that reports
 * ready goes RUNNING, one whose heartbeat is older than heartbeat_timeout is restarted. The
 * sweep runs only while some process needs it, as often as the most demanding one needs. */
#ifndef DROVER_HEALTH_H
#define DROVER_HEALTH_H

#include <ev.h>

/* Subscribe and take the loop; stop the sweep. */
void health_init(struct ev_loop *loop);
void health_stop(void);
/* The table changed (a reload): plan the sweep again. */
void health_replan(void);

#endif
