/* The lifecycle manager: what a control request does to processes. supervisord's rules for
 * start / stop / restart / signal of a process in each state are decided here and nowhere else;
 * every process named gets its own result code, and the words users read are droverctl's.
 * The control server decodes a request, matches its patterns here, forwards the action, and
 * answers (at once, or once the processes reached their goal: manager_progress()). */
#ifndef DROVER_MANAGER_H
#define DROVER_MANAGER_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "proto.h"

struct process;
struct reload_result;

/* One process a request named, or one pattern that named none. */
struct mgr_item {
	struct process *p;     /* NULL: a pattern that matched nothing (result -ENOENT) */
	const char *name;      /* the process's full name, or the pattern (both valid while the set
	                        * lives and no reload ran in between) */
	int result;            /* the action's code for this item (0 before any action) */
	unsigned spawns;       /* p's spawn count when matched: for manager_progress() */
	unsigned pattern;      /* index of the first pattern that named it (0 when none was given) */
};

struct mgr_set {
	struct mgr_item *v;
	size_t n;              /* all items: the matched processes first (table order), then the
	                        * patterns that matched nothing */
	size_t nprocs;         /* how many of them are processes */
};

/* Every process any pattern names, once: "all", "GROUP", "GROUP:*", "GROUP:NAME", a program
 * name, a process name or a full name. No pattern at all means "all". */
void manager_match(const char *const *patterns, size_t npatterns, struct mgr_set *ret);
void manager_set_free(struct mgr_set *s);

/* Act on every process of the set; each item's result:
 *   start    0          a start is under way (a STOPPING process starts once it is down)
 *            -EALREADY  already started: STARTING, RUNNING or BACKOFF
 *   stop     0          stopping (the whole set at once: dependants first, then by descending
 *                       priority; waves as at shutdown)
 *            -ESRCH     not running: STOPPED, EXITED, FATAL (a pending fatal_retry is cancelled)
 *   restart  0          stopping if up, then starting
 *   signal   0          sent; -ESRCH no live child; another -errno from the kill
 *   start and restart:  -ESHUTDOWN  droverd is shutting down
 *                       -EIDRM      removed by a reload (stopping for good)
 *   every action:       -ENOENT     a pattern that matched nothing (set by manager_match)
 * Returns the first non-zero result in the set's order, or 0. */
int manager_start(struct mgr_set *s);
int manager_stop(struct mgr_set *s);
int manager_restart(struct mgr_set *s);
int manager_signal(struct mgr_set *s, int sig);

/* What a waited request waits for. */
enum mgr_goal {
	MGR_GOAL_RUNNING,      /* RUNNING now (wait --started) */
	MGR_GOAL_STARTED,      /* RUNNING through a spawn after the action (start, restart) */
	MGR_GOAL_STOPPED,      /* no child and none coming: STOPPED, EXITED or FATAL */
};
/* Where p stands toward goal; spawns0 is item->spawns of the action (MGR_GOAL_STARTED).
 * 0 reached; -EINPROGRESS not yet (keep waiting: the event module tells of every change);
 * -EIO given up for good, and p's state says how: FATAL (spawn error), EXITED (abnormal
 * termination), STOPPED (stopped meanwhile). */
int manager_progress(const struct process *p, enum mgr_goal goal, unsigned spawns0);

/* Read-only facts of a process. */
const char *manager_name(const struct process *p);               /* "group:name" */
enum proc_state manager_state(const struct process *p);
void manager_status(const struct process *p, struct proto_status *ret);   /* the status record */
/* Why p is where it is, as status says it ("Exited too quickly (exit status 2)", "waiting for db",
 * "not ready within 4 s (startsecs)", a spawn error; "" when nothing is to be said), and where
 * more is to be found: MGR_WHY_OUTPUT when a worker of it ran since droverd started (its output
 * may tell), with MGR_WHY_STDERR_IN_STDOUT when its stderr goes to stdout (redirect_stderr). */
#define MGR_WHY_OUTPUT          0x1u
#define MGR_WHY_STDERR_IN_STDOUT 0x2u
unsigned manager_why(const struct process *p, char *buf, size_t size);
/* The processes that depend on p (depends_on) and are up now (STARTING, RUNNING, BACKOFF; not
 * those being stopped): their names, comma-separated, in buf (cut at size); how many. */
size_t manager_dependants_up(const struct process *p, char *buf, size_t size);

/* Output of one process: stream 0 stdout, 1 stderr; lines as tail(1)'s -n (0: none), or
 * MGR_LINES_ALL: everything kept; see os/logpipe.h for the codes. */
#define MGR_LINES_ALL UINT_MAX
int manager_tail(const struct process *p, int stream, unsigned lines, uint64_t since_ns, char **ret_text,
                 size_t *ret_len);
int manager_follow(struct process *p, int stream, unsigned lines, uint64_t since_ns, const char *fifo_path);

/* Reload the config file (see core/reload.h for the result); what a reload would do, applying
 * nothing (supervisorctl's reread; avail reads the entries' prog); shut down (every process
 * stopped in waves, the loop ends when all are down); is a shutdown under way. */
int manager_reload(struct reload_result *ret);
int manager_plan(struct reload_result *ret);
/* supervisorctl's update GROUP...: reload only the named process groups (core/reload.h,
 * reload_update: unknown names come back in ret->unknown); no name, or "all" among them, is
 * manager_reload. */
int manager_update(const char *const *groups, size_t n, struct reload_result *ret);
void manager_shutdown(void);
bool manager_shutting_down(void);

#endif
