/* struct process: one supervised worker process and its lifecycle (process.c drives the FSM). */
#ifndef DROVER_PROCESS_H
#define DROVER_PROCESS_H

#include <ev.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "conf/config.h"
#include "core/fsm.h"
#include "proto.h"

struct process {
	/* Settings: point into the config generation currently applied (swapped by reload). */
	const struct program_config *prog;
	const struct proc_config *cfg;

	enum proc_state state;      /* written only by process_set_state() */
	pid_t pid;                  /* 0 when no child */
	int pidfd;                  /* -1 when none (or pidfd unsupported) */
	int exec_fd;                /* read end of the CLOEXEC exec-status pipe while exec is pending, else -1 */
	uint64_t spawned_ns;        /* CLOCK_MONOTONIC of the last spawn */
	uint64_t state_ns;          /* CLOCK_MONOTONIC when the state was entered */
	uint64_t timer_due_ns;      /* when the pending timer fires (status: next attempt) */
	int backoff;                /* failed starts in a row (supervisord's backoff counter) */
	unsigned spawns;            /* spawns so far; restarts = spawns - 1 */
	int stopped_sig;            /* the worker is stopped by this signal (SIGSTOP...), 0 = not stopped */
	bool have_exit;
	int exit_wstatus;           /* raw wait status of the last exit */
	char description[256];
	char exec_path[256];        /* the command as resolved for the last spawn (error messages) */      /* spawn error or exit description, shown by status */

	bool waiting_deps;          /* STARTING without a pid: a dependency is not RUNNING yet */
	uint64_t running_ns;        /* CLOCK_MONOTONIC when RUNNING was entered (backoff_reset) */
	bool spawn_deferred;        /* the previous worker's tree is still dying: spawn when it is gone */
	pid_t last_pgid;            /* process group of the previous worker (clean-up before respawn) */
	uint64_t defer_until_ns;
	bool restart_pending;       /* a restart was asked while stopping: start once stopped */
	bool removed;               /* reload removed it: destroy once stopped */
	bool stop_by_shutdown;

	int slot;                   /* scoreboard slot, -1 when none */
	uint32_t generation;        /* bumped at every spawn (scoreboard) */

	ev_timer timer;             /* startsecs / backoff / stopwaitsecs / fatal_retry */
	ev_io exec_watch;           /* exec-status pipe */
	struct logpipe *logs[2];    /* logpipe.c: stdout, stderr; NULL until the first spawn or tail -f */
};

/* Lifecycle entry points; each feeds one FSM event. */
void process_start(struct process *p);            /* user start / autostart (resets FATAL backoff) */
void process_stop(struct process *p);
void process_restart(struct process *p);          /* stop, then start once stopped */
int process_signal(struct process *p, int sig);   /* 0, -ESRCH (not running), or -errno */
void process_up(struct process *p);
void process_deps_changed(struct process *p);     /* a dependency changed state: spawn if now satisfied */               /* ready reported / startsecs reached */
void process_before_reap(struct process *p);   /* the worker is a zombie, not yet reaped */
void process_on_exit(struct process *p, int wstatus);   /* from the reaper, after the reap */

struct process *process_new(const struct program_config *prog, const struct proc_config *cfg);
struct process *process_free(struct process *p);

/* Send sig to the worker (or its process group when group is set), through the pidfd. */
int process_kill(struct process *p, int sig, bool group);

/* Human description of a wait status: "exit status 1", "terminated by SIGKILL (core dumped)". */
void wstatus_describe(int wstatus, char *buf, size_t size);
bool process_is_running(const struct process *p);   /* has a live child */
/* No child, none being stopped, none about to spawn (STARTING waits for a dependency). */
bool process_is_down(const struct process *p);

/* Fill the status record ctl shows (state, pid, uptime, exit, scoreboard fields). */
void process_status(const struct process *p, struct proto_status *ret);

#endif
