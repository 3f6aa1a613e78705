/* libdrover: the worker API. A process started by droverd reports how it is doing through the
 * instance's scoreboard (shared memory); `droverctl status` shows it, `ready = scoreboard` waits
 * for drover_ready(), `heartbeat_timeout = N` restarts a worker whose heartbeat goes stale.
 *
 * Link with `pkg-config --cflags --libs drover` (-ldrover -lrt -lpthread).
 *
 *   #include <drover.h>
 *
 *   int main(void)
 *   {
 *           setup();
 *           drover_ready();                       // ready = scoreboard: RUNNING from now on
 *           for (;;) {
 *                   struct job *j = next_job();   // wakes up at least every second
 *                   drover_heartbeat();           // heartbeat_timeout = N: alive
 *                   if (!j)
 *                           continue;
 *                   drover_busy();
 *                   drover_status("job %s", j->name);
 *                   run(j);
 *                   drover_count(0, 1);           // counter 0: jobs done
 *                   drover_count(1, j->bytes);    // counter 1: bytes
 *                   drover_idle();
 *           }
 *   }
 *
 * Contract of every call:
 *   - returns 0, or a negative errno; never prints anything, never raises a signal;
 *   - thread-safe (writers of one slot serialise on its lock);
 *   - outside droverd (no DROVER_NAME / DROVER_SLOT / DROVER_GENERATION / DROVER_SCOREBOARD_FD
 *     in the environment) it is a cheap no-op returning -ENOENT (the same after the first call:
 *     one getenv, then a cached answer). A program that does not care ignores the return value;
 *   - never blocks longer than 100 ms (the slot's lock; then -ETIMEDOUT, nothing written);
 *   - -ESTALE: this process belongs to an ended incarnation of its slot (e.g. a child left
 *     behind by a worker that was restarted); its reports are dropped.
 * Each worker gets a scoreboard object of its own from droverd: descriptor 10
 * (DROVER_SCOREBOARD_FD), which its children inherit. Only the worker's own processes (and
 * root, and processes of its own uid, which can reach any of its descriptors) can write its slot.
 * libdrover maps the object when the process starts (a program that then closes descriptor 10
 * keeps reporting) or at the first call (drover_attach() does it explicitly); it keeps that one
 * mapping. A child started without descriptor 10 (a runtime that closes descriptors in the
 * children it starts) finds it through the nearest ancestor that still has it.
 */
#ifndef DROVER_H
#define DROVER_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define DROVER_API __attribute__((visibility("default")))

#define DROVER_COUNTERS 8          /* drover_count() index range: 0..7 */
#define DROVER_STATUS_MAX 127      /* longer status lines are cut */

/* Attach to the scoreboard object droverd gave this worker (environment and descriptor). 0,
 * -ENOENT (not run by droverd), -ENOTCONN (its descriptor is gone or is no scoreboard, here and in
 * every ancestor), -ESTALE (an ended incarnation), or another -errno. Optional. */
DROVER_API int drover_attach(void);

/* The worker is ready (ready = scoreboard: STARTING -> RUNNING). Also counts as a heartbeat. */
DROVER_API int drover_ready(void);

/* Alive: stamps CLOCK_MONOTONIC now. With heartbeat_timeout = N, call it at least every N/2 s. */
DROVER_API int drover_heartbeat(void);

/* Busy / idle, shown by droverctl status. */
DROVER_API int drover_busy(void);
DROVER_API int drover_idle(void);

/* The status line (printf format), shown by droverctl status; cut at DROVER_STATUS_MAX bytes. */
DROVER_API int drover_status(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Add n to counter index (0..DROVER_COUNTERS-1; -EINVAL otherwise). */
DROVER_API int drover_count(unsigned index, uint64_t n);

#ifdef __cplusplus
}
#endif

#endif
