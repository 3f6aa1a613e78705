/* The instance lock: at most one droverd per instance name. */
#ifndef DROVER_INSTANCE_H
#define DROVER_INSTANCE_H

#include <sys/types.h>

/* Take the lock /dev/shm/NAME.lock (shm_open + flock, O_CLOEXEC so no worker inherits it).
 * Returns 0; -EBUSY when another droverd holds it (*ret_holder = its pid when known);
 * -EPERM when the lock object belongs to another user (squatting); other -errno. */
int instance_lock(const char *name, pid_t *ret_holder);
/* Release it and remove the lock object (clean shutdown only). */
void instance_unlock(void);

#endif
