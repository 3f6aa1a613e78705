/* systemd's notify protocol (READY, RELOADING, STOPPING, STATUS, WATCHDOG). No-ops without NOTIFY_SOCKET. */
#ifndef DROVER_NOTIFY_H
#define DROVER_NOTIFY_H

#include <ev.h>
#include <stddef.h>

#include "proto.h"

void notify_init(struct ev_loop *loop);
void notify_ready(void);
void notify_reloading(void);
void notify_reload_done(void);
void notify_stopping(void);
/* How many processes are in each state now: STATUS= is refreshed (rate-limited). */
void notify_set_counts(const unsigned count[PROC_STATE_MAX]);
void notify_set_error(const char *msg);  /* shown in STATUS= until cleared with NULL */
void notify_startup_failed(const char *msg, int errnum);
void notify_close(void);
/* The STATUS= text: one line, bounded, control characters escaped. */
void notify_status_text(char *buf, size_t size);

#endif
