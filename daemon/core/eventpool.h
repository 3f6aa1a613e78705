/* supervisord's events for [eventlistener:x] pools (eventpool.c): a subscriber of the event
 * module that turns process state changes, output, droverd's phases, reloads and the clock into
 * supervisord's events, queues them per pool (buffer_size, the oldest dropped beyond, with a log
 * line), and hands each to a READY listener of its pool over the protocol of os/listener.h. */
#ifndef DROVER_EVENTPOOL_H
#define DROVER_EVENTPOOL_H

#include <ev.h>
#include <stdbool.h>
#include <stddef.h>

#include "conf/config.h"

struct process;

/* Subscribe (after the table is built), pools for cfg's listeners; free everything. */
void eventpool_init(struct ev_loop *loop, const struct drover_config *cfg);
void eventpool_stop(void);

/* The spawn of listener p: the read end of a new pipe for its stdin (kept until done), then
 * whether a worker was forked (it gets the write end then). See process_hooks. */
int eventpool_stdin_open(struct process *p, int *ret_fd, char *err, size_t errsize);
void eventpool_stdin_done(struct process *p, bool forked);

/* For status: the listener state and counters of listener p ("READY, 3 sent, 0 rejected, 0
 * dropped"); false when p is no listener. */
bool eventpool_describe(const struct process *p, char *buf, size_t size);

#endif
