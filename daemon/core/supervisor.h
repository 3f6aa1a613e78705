/* The daemon's core as a whole: what main.c starts, runs and tears down. */
#ifndef DROVER_SUPERVISOR_H
#define DROVER_SUPERVISOR_H

#include <ev.h>

#include "conf/config.h"

/* Open the scoreboard, build the process table from cfg (taken on success) and wire the leaf
 * services to it (reaping, whole-tree stops, output, the settle step). 0, or -errno when the
 * scoreboard cannot be created (logged; cfg stays the caller's). */
int supervisor_start(struct ev_loop *loop, const char *config_path, struct drover_config *cfg);
/* Start every autostart process, in supervisord's start order (table_start_cmp). */
void supervisor_autostart(void);
/* Graceful shutdown: stop all in waves (dependants first, then by descending group priority);
 * the loop ends once every worker and every escaped descendant is gone. */
void supervisor_shutdown(void);
/* droverd's exit status after the loop: 0, or the status of the process whose exit policy
 * (shutdown_on, shutdown_when_all_exited) shut droverd down. */
int supervisor_exit_status(void);
/* After the loop: kill what escaped, free the table and every config, close the scoreboard. */
void supervisor_teardown(void);

#endif
