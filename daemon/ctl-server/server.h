/* What the parts of the control server share: the loop, the instance name, the counters shown
 * by `droverctl version`, and the rate-limited log of bad requests. */
#ifndef DROVER_CTL_SERVER_H
#define DROVER_CTL_SERVER_H

#include <ev.h>
#include <stdbool.h>
#include <stdint.h>

#include "proto.h"

/* Counters, shown by `droverctl version` (second line of the VERSION reply). */
struct control_stats {
	unsigned long received;          /* messages taken off /NAME.ctl */
	unsigned long bad;               /* malformed or unroutable requests (each answered with an error or dropped) */
	unsigned long bad_answered;      /* ... of which got an error reply */
	unsigned long replies_sent;      /* replies delivered whole */
	unsigned long replies_deferred;  /* replies that met a full queue mid-way and went to an outbox */
	unsigned long replies_dropped;   /* undeliverable: reply queue full, gone, too slow, or over a bound */
	unsigned long busy;              /* WAIT/START/STOP/RESTART refused: too many waiters */
	unsigned long waiters;           /* pending now */
	unsigned long outboxes;          /* pending now */
	unsigned long outbox_bytes;      /* pending now */
};

struct ctl_server {
	struct ev_loop *loop;            /* NULL until control_start() and after control_close() */
	bool closing;                    /* control_close() runs: answer, but defer nothing */
	char instance[PROTO_NAME_MAX];   /* reply queue names must carry it */
	struct control_stats st;
};

extern struct ctl_server srv;

/* A warning about a bad request or an undeliverable reply, at most a few lines per second
 * (a hostile client must not flood the log). */
void bad_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
