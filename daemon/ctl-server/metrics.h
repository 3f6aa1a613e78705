/* droverd's metrics: gathered from the manager (every process's status record), the control
 * server's counters and the reload counts, rendered by metrics-text.c; answered to
 * `droverctl metrics`, and written to [drover] metrics_file every metrics_interval seconds for
 * node_exporter's textfile collector. Without metrics_file there is no timer at all. */
#ifndef DROVER_METRICS_H
#define DROVER_METRICS_H

#include <ev.h>
#include <stddef.h>

#include "ctl-server/metrics-text.h"

struct drover_config;

/* The exposition now: *ret malloc'd, NUL-terminated. 0 or -ENOMEM. */
int metrics_text(enum metrics_format fmt, char **ret, size_t *ret_len);

/* From start-up (cfg: the config droverd starts with; a reload's is taken from the event module):
 * write metrics_file at once and then every metrics_interval seconds. */
void metrics_start(struct ev_loop *loop, const struct drover_config *cfg);
/* At exit: stop writing and remove the file (a droverd that is gone has no processes to report;
 * a file left behind would show its last numbers as current). */
void metrics_stop(void);

#endif
