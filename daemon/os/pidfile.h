/* The pidfile ([drover] or [supervisord] pidfile): written once droverd owns its instance and
 * answers signals, removed at a clean exit. Whatever the file held before is never read: the
 * instance lock, not the pidfile, says whether droverd runs, so a stale one is simply replaced. */
#ifndef DROVER_PIDFILE_H
#define DROVER_PIDFILE_H

/* Write getpid() to PATH atomically (a temporary file in the same directory, renamed over PATH).
 * Returns 0 or -errno. */
int pidfile_write(const char *path);
/* Remove the file written by pidfile_write(), unless it no longer holds our pid (replaced since). */
void pidfile_remove(void);

#endif
