/* Exit policies for containers (exitpolicy.c): a program's `shutdown_on = fatal | exit |
 * unexpected`, and [drover] `shutdown_when_all_exited`. When one says so, droverd shuts down (every
 * process stopped in order, as on SIGTERM) and exits with the status of the process that decided
 * it: its exit code, or 128 + N when a signal N ended it. A subscriber of the event module. */
#ifndef DROVER_EXITPOLICY_H
#define DROVER_EXITPOLICY_H

#include "conf/config.h"

/* Subscribe; shutdown starts the shutdown (called from the settle step). */
void exitpolicy_init(const struct drover_config *cfg, void (*shutdown)(void));
void exitpolicy_stop(void);

/* droverd's exit status: the deciding process's, or 0 (no policy decided the end). */
int exitpolicy_status(void);

#endif
