/* The daemon-wide state: the event loop, the applied config, the process table. */
#ifndef DROVER_SUPERVISOR_H
#define DROVER_SUPERVISOR_H

#include <ev.h>
#include <stdbool.h>
#include <stddef.h>

#include "conf/config.h"
#include "core/process.h"

struct supervisor {
	struct ev_loop *loop;
	struct drover_config *config;   /* the generation currently applied */
	const char *config_path;
	struct process **procs;         /* every process of every program, in config order */
	size_t nprocs;
	bool shutting_down;
	int exit_status;
	unsigned generation;            /* config generation, 1 = the first */
	char last_reload_error[256];
};

extern struct supervisor sup;

/* Processes matched by a pattern: "all", "group", "group:*", "group:process", "process".
 * Appends to *procs (deduplicated). Returns the number matched (0 = no such process). */
size_t supervisor_match(const char *pattern, struct process ***procs, size_t *n);
struct process *supervisor_find_pid(pid_t pid);

/* Start these processes in ascending priority order (sorts v in place). */
void supervisor_start_sorted(struct process **v, size_t n);
/* Start every autostart process in priority order (ascending). */
void supervisor_autostart(void);
/* Graceful shutdown: stop all in reverse priority order; the loop ends once all are down. */
void supervisor_shutdown(void);
/* During shutdown: end the loop once everything is down. */
void supervisor_check_done(void);
/* Called by process_set_state() after every transition (waiters, notify, scoreboard). */
void supervisor_state_changed(struct process *p, enum proc_state old);

/* Build the process table for a new config (start-up) and free it all (teardown). */
void supervisor_build(struct drover_config *cfg);
void supervisor_free(void);
/* A pid changed somewhere: the pid index is rebuilt on the next lookup. */
void supervisor_table_changed(void);

/* Reload the config file; fills *ret with the summary or the errors (reload.c). */
struct reload_result;
int supervisor_reload(struct reload_result *ret);

#endif
