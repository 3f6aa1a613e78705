/* struct process: one supervised worker process and its lifecycle (process.c drives the FSM). */
#ifndef DROVER_PROCESS_H
#define DROVER_PROCESS_H

#include <ev.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "conf/config.h"
#include "core/fsm.h"
#include "os/log.h"
#include "os/reap.h"
#include "proto.h"

struct logpipe;
struct proc_checks;
struct spawn_job;

/* Who asks for a start. A user's stop sticks: a process a user stopped is started again only by a
 * user (a start or restart naming it, or naming a process that depends on it), never by a policy
 * (autostart, a dependant's start, restart_with_dependency, a reload, a heartbeat restart). */
enum start_origin {
	START_NONE,     /* (restart_pending: none) */
	START_POLICY,
	START_USER,
};

struct process {
	/* Settings: point into the config generation currently applied (process_set_config()). */
	const struct program_config *prog;
	const struct proc_config *cfg;
	struct log_subject subject; /* name, pid and state for log messages, kept by the setters */

	enum proc_state state;      /* written only by process_set_state() */
	pid_t pid;                  /* written only by process_set_pid(); 0 when no child */
	int pidfd;                  /* lent by the reaper while pid is set; -1 when none (or unsupported) */
	struct spawn_job *spawning; /* the spawn asked for until its child has exec'd (or failed) */
	bool stdin_pending;          /* in spawn_worker: the stdin hook gave a descriptor, not yet settled */
	uint64_t spawned_ns;        /* CLOCK_MONOTONIC of the last spawn */
	uint64_t state_ns;          /* CLOCK_MONOTONIC when the state was entered */
	uint64_t state_real_ns;     /* CLOCK_REALTIME of the same moment (status: "since 09:14:03") */
	uint64_t timer_due_ns;      /* when the pending timer fires (status: next attempt) */
	int backoff;                /* failed starts in a row (supervisord's backoff counter) */
	unsigned spawns;            /* spawns so far */
	unsigned execs;             /* of them, those that reached the command (a worker that ran) */
	unsigned restarts_auto;     /* spawns after the first that no user asked for (crash, backoff retry,
	                             * heartbeat or health restart, a reload's restart) */
	unsigned restarts_manual;   /* spawns after the first that a user's start or restart asked for */
	bool spawn_by_user;         /* the next spawn attempt is a user's (process_start(START_USER)) */
	bool spawn_user_asked;      /* the spawn under way is a user's */
	bool killed_unready;        /* the worker was killed for not becoming ready in time */
	unsigned stops;             /* times STOPPED was entered (stop waves: stopped once is done) */
	int stopped_sig;            /* the worker is stopped by this signal (SIGSTOP...), 0 = not stopped */
	bool have_exit;
	int exit_wstatus;           /* raw wait status of the last exit */
	char description[256];      /* spawn error or exit description, shown by status */

	/* STARTING without a pid waits for one of two things before it spawns (status says which): */
	bool waiting_deps;          /* a dependency is not RUNNING yet */
	bool spawn_deferred;        /* the previous worker's tree is still dying (until defer_until_ns) */
	uint64_t defer_until_ns;
	uint64_t running_ns;        /* CLOCK_MONOTONIC when RUNNING was entered (backoff_reset) */
	enum start_origin restart_pending;   /* a restart is under way: start (by whom) once stopped */
	bool held;                  /* a user stopped it: only a user's start starts it again */
	bool removed;               /* reload removed it: destroy once stopped */
	struct proc_checks *checks; /* readiness and liveness checks (core/checks.c); NULL until needed */

	int slot;                   /* scoreboard slot, -1 when none */
	uint32_t generation;        /* bumped at every spawn (scoreboard, orphan marks) */
	size_t index;               /* position in the process table */

	ev_timer timer;             /* startsecs / backoff / stopwaitsecs / fatal_retry */
	struct logpipe *out;        /* stdout and stderr */
	struct reap_owner reaper;   /* the reaper hands the worker's exit back through it (supervisor.c) */
};

/* A message about p: the journal gets its name, pid and state. */
#define log_proc(prio, p, ...) log_about((prio), &(p)->subject, __VA_ARGS__)

/* What the lifecycle asks of the layers above it (dependencies). */
struct process_hooks {
	/* May p spawn now? Otherwise false, with what it waits for in why ("waiting for db"). */
	bool (*may_spawn)(const struct process *p, char *why, size_t size);
	/* p is being started (by a user or a policy): start what it needs first. */
	void (*starting)(struct process *p, enum start_origin by);
	/* p is about to be spawned: add what the layers above give the worker to env (NOTIFY_SOCKET). */
	void (*spawning)(struct process *p, char ***env);
	/* startsecs passed while STARTING: has readiness been reported meanwhile (read it now)? */
	bool (*ready_now)(struct process *p);
	/* What p's worker gets as its standard input: *ret_fd (the hook's: the spawn only dup2()s
	 * it), or -1 for /dev/null. 0, or -errno with the reason in err (a spawn error). NULL: none. */
	int (*stdin_open)(struct process *p, int *ret_fd, char *err, size_t errsize);
	/* The spawn stdin_open() was asked for is over: a worker was forked, or not. */
	void (*stdin_done)(struct process *p, bool forked);
};

/* The loop every process's timers and watchers run on, and the hooks (before any process_new). */
void process_init(struct ev_loop *loop, const struct process_hooks *hooks);
/* Daemon-wide settings of the config applied (instance name, umask): at start and every reload. */
void process_configure(const struct drover_config *cfg);
/* From now on nothing spawns (shutdown). */
void process_begin_shutdown(void);
bool process_shutting_down(void);

/* Lifecycle entry points; each feeds one FSM event. */
void process_start(struct process *p, enum start_origin by);     /* resets FATAL backoff */
void process_stop(struct process *p);
void process_restart(struct process *p, enum start_origin by);   /* stop, then start once stopped */
void process_hold(struct process *p);             /* a user's stop: no policy starts it from now on */
int process_signal(struct process *p, int sig);   /* 0, -ESRCH (not running), or -errno */
void process_up(struct process *p);               /* ready reported / startsecs reached */
bool process_reported_ready(struct process *p);   /* the worker reported ready (logged when so) */
void process_heartbeat_stale(struct process *p);  /* its heartbeat is older than heartbeat_timeout */
void process_health_failed(struct process *p);    /* health_failures liveness checks in a row failed */
/* The worker asked for more time to become ready (EXTEND_TIMEOUT_USEC=): the startsecs deadline
 * is moved to at least usec from now. */
void process_extend_start(struct process *p, uint64_t usec);
void process_deps_changed(struct process *p);     /* a dependency changed state: spawn if now satisfied */
void process_before_reap(struct process *p);      /* the worker is a zombie, not yet reaped */
/* From the reaper: the worker pid was reaped (its pid is free: p forgets it at once); then, once
 * the whole batch is reaped, its exit. */
void process_reaped(struct process *p, pid_t pid);
void process_on_exit(struct process *p, pid_t pid, int wstatus);
void process_stopped_by_signal(struct process *p, int sig);   /* SIGSTOP and the like; 0: continued */

struct process *process_new(const struct program_config *prog, const struct proc_config *cfg);
struct process *process_free(struct process *p);
/* Point p at another config generation's settings (reload). */
void process_set_config(struct process *p, const struct program_config *prog, const struct proc_config *cfg);

/* Human description of a wait status: "exit status 1", "terminated by SIGKILL (core dumped)". */
void wstatus_describe(int wstatus, char *buf, size_t size);
/* No child, none being stopped, none about to spawn (STARTING waits for a dependency). */
bool process_is_down(const struct process *p);
/* Down and staying down: STOPPED, EXITED or FATAL without a child (BACKOFF will retry). */
bool process_is_stopped(const struct process *p);

/* Fill the status record ctl shows (state, pid, uptime, exit, scoreboard fields). */
void process_status(const struct process *p, struct proto_status *ret);

#endif
