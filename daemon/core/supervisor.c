/* The daemon's core as a whole (see supervisor.h): start-up wiring, autostart, shutdown and the
 * settle check that ends the loop once everything is down. */
#include "core/supervisor.h"

#include <stdlib.h>

#include "core/checks.h"
#include "core/depends.h"
#include "core/eventpool.h"
#include "core/events.h"
#include "core/exitpolicy.h"
#include "core/fcgi.h"
#include "core/health.h"
#include "core/liveness.h"
#include "core/process.h"
#include "core/readiness.h"
#include "core/reload.h"
#include "core/table.h"
#include "os/killtree.h"
#include "os/log.h"
#include "os/logpipe.h"
#include "os/notify.h"
#include "os/probe.h"
#include "os/reap.h"
#include "os/scoreboard.h"
#include "util.h"

static struct ev_loop *loop;
static bool check_done;   /* during a shutdown: something went down, the loop may end */

/* ---- the leaf services' callbacks ---- */

static void worker_reaped(struct reap_owner *o, pid_t pid)
{
	process_reaped(container_of(o, struct process, reaper), pid);
}

static void worker_exited(struct reap_owner *o, pid_t pid, int wstatus)
{
	process_on_exit(container_of(o, struct process, reaper), pid, wstatus);
}

static const struct reap_ops worker_reap_ops = { .reaped = worker_reaped, .exited = worker_exited };

static struct reap_owner *reap_exiting(pid_t pid)
{
	struct process *p = table_find_pid(pid);
	if (!p)
		return probe_reap_exiting(pid);   /* a probe's command is droverd's child too */
	process_before_reap(p);
	p->reaper.ops = &worker_reap_ops;
	return &p->reaper;
}

static void reap_stopped(pid_t pid, int sig)
{
	struct process *p = table_find_pid(pid);
	if (p)
		process_stopped_by_signal(p, sig);
}

static const struct reap_hooks reap_hooks = {
	.exiting = reap_exiting, .stopped = reap_stopped,
};

static bool is_worker(pid_t pid)
{
	return table_find_pid(pid) != NULL;
}

static void stragglers_changed(void)
{
	check_done = true;
}

static const struct killtree_hooks killtree_hooks = { .is_worker = is_worker, .changed = stragglers_changed };

/* A listener's stdin is a pipe droverd writes events into; an fcgi-program's the socket droverd
 * holds for it; everyone else's /dev/null. */
static int stdin_open(struct process *p, int *ret_fd, char *err, size_t errsize)
{
	*ret_fd = -1;
	switch (p->prog->kind) {
	case PROGRAM_LISTENER:
		return eventpool_stdin_open(p, ret_fd, err, errsize);
	case PROGRAM_FCGI:
		return fcgi_stdin_open(p, ret_fd, err, errsize);
	default:
		return 0;
	}
}

static void stdin_done(struct process *p, bool forked)
{
	if (p->prog->kind == PROGRAM_LISTENER)
		eventpool_stdin_done(p, forked);
}

static const struct process_hooks process_hooks = {
	.may_spawn = depends_satisfied, .starting = depends_start_for,
	.spawning = checks_spawning, .ready_now = checks_ready_now,
	.stdin_open = stdin_open, .stdin_done = stdin_done,
};

/* ---- the end of a shutdown ---- */

static void on_state_changed(void *ctx, struct process *p, enum proc_state old)
{
	if (process_shutting_down())
		check_done = true;
}

static bool all_down(void)
{
	for (size_t i = 0; i < tab.n; i++)
		if (!process_is_down(tab.procs[i]))
			return false;
	return true;
}

static bool settle(void *ctx)
{
	if (check_done && process_shutting_down()) {
		check_done = false;
		if (all_down() && !killtree_pending())
			ev_break(loop, EVBREAK_ALL);
	}
	return false;
}

static struct events_subscriber subscriber = { .state_changed = on_state_changed, .settle = settle };

int supervisor_start(struct ev_loop *l, const char *config_path, struct drover_config *cfg)
{
	int r = scoreboard_open((uint32_t) config_nprocs(cfg));
	if (r < 0)
		return r;
	loop = l;
	events_start(loop);
	logpipe_init(loop);
	killtree_init(loop, cfg->name, &killtree_hooks);
	reap_init(loop, &reap_hooks);
	process_init(loop, &process_hooks);
	process_configure(cfg);
	/* Subscribers settle in this order: dependants and stop waves, removed processes, the end. */
	table_init(cfg);
	checks_init(loop, cfg->run_dir, cfg->name);
	depends_init();
	health_init(loop);
	readiness_init(loop);
	liveness_init(loop);
	reload_init(config_path);
	eventpool_init(loop, cfg);
	fcgi_init();
	exitpolicy_init(cfg, supervisor_shutdown);
	events_subscribe(&subscriber);
	return 0;
}

void supervisor_autostart(void)
{
	events_phase(EVENTS_RUNNING);
	struct process **v = xcalloc(tab.n + 1, sizeof(*v));
	size_t n = 0;
	for (size_t i = 0; i < tab.n; i++)
		if (tab.procs[i]->prog->autostart)
			v[n++] = tab.procs[i];
	table_start_sorted(v, n, START_POLICY);
	free(v);
}

void supervisor_shutdown(void)
{
	if (process_shutting_down())
		return;
	process_begin_shutdown();
	log_info("shutting down: stopping %zu processes", tab.n);
	notify_stopping();
	events_phase(EVENTS_STOPPING);
	struct process **v = xcalloc(tab.n + 1, sizeof(*v));
	size_t n = 0;
	for (size_t i = 0; i < tab.n; i++) {
		struct process *p = tab.procs[i];
		if (p->state == PROC_BACKOFF || p->state == PROC_FATAL)
			process_stop(p);   /* pending retries will never run */
		if (!process_is_down(p))
			v[n++] = p;
	}
	stop_batch_start(v, n);
	free(v);
	check_done = true;
}

int supervisor_exit_status(void)
{
	return exitpolicy_status();
}

void supervisor_teardown(void)
{
	killtree_shutdown();
	readiness_stop();
	liveness_stop();
	health_stop();
	exitpolicy_stop();
	eventpool_stop();
	fcgi_stop();
	checks_teardown();
	events_unsubscribe(&subscriber);
	events_stop();
	table_free();
	scoreboard_close();
}
