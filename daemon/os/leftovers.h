/* Start-up: processes left behind by an earlier run of this instance (a SIGKILLed droverd). */
#ifndef DROVER_LEFTOVERS_H
#define DROVER_LEFTOVERS_H

/* Kill every process of this IPC namespace whose environment says it belongs to instance
 * NAME. Called with the instance lock held, so none of them belongs to a live droverd.
 * Returns how many were killed. */
unsigned leftovers_kill(const char *name);

#endif
