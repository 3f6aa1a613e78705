/* Readiness and liveness from the scoreboard (see health.h). What a report means is decided
 * here; the lifecycle acts on it through its FSM events (up, heartbeat stale). */
#include "core/health.h"

#include <stdbool.h>

#include "core/checks.h"
#include "core/events.h"
#include "core/process.h"
#include "core/table.h"
#include "os/log.h"
#include "os/looptime.h"
#include "os/scoreboard.h"
#include "util.h"

#define SWEEP_FAST_S 0.01   /* while a ready = scoreboard process is STARTING */
#define SWEEP_MIN_S  0.05
#define SWEEP_MAX_S  1.0

static struct ev_loop *loop;
static ev_timer sweep;
static double sweep_iv;   /* the armed interval, 0 = not armed */

static bool wants_ready(const struct process *p)
{
	return p->pid > 0 && p->state == PROC_STARTING && p->cfg->ready.kind == CHECK_SCOREBOARD;
}

static bool wants_heartbeat(const struct process *p)
{
	return p->pid > 0 && p->prog->heartbeat_timeout > 0 &&
	       (p->state == PROC_RUNNING || p->state == PROC_STARTING);
}

static void sweep_arm(double iv)
{
	looptime_arm(loop, &sweep, iv);
	sweep_iv = iv;
}

/* How often the sweep must run now; 0 = not at all (no wakeups). */
static double sweep_interval(void)
{
	double iv = 0;
	for (size_t i = 0; i < tab.n; i++) {
		const struct process *p = tab.procs[i];
		if (wants_ready(p))
			return SWEEP_FAST_S;
		if (wants_heartbeat(p)) {
			double h = p->prog->heartbeat_timeout / 4.0;
			h = h < SWEEP_MIN_S ? SWEEP_MIN_S : h > SWEEP_MAX_S ? SWEEP_MAX_S : h;
			if (iv == 0 || h < iv)
				iv = h;
		}
	}
	return iv;
}

void health_replan(void)
{
	double iv = sweep_interval();
	if (iv == 0) {
		ev_timer_stop(loop, &sweep);
		sweep_iv = 0;
		return;
	}
	if (ev_is_active(&sweep) && sweep_iv <= iv)
		return;
	sweep_arm(iv);
}

static void check_heartbeat(struct process *p, uint64_t now)
{
	struct sb_view v;
	uint64_t last = p->state_ns > p->spawned_ns ? p->state_ns : p->spawned_ns;
	if (p->state != PROC_RUNNING)
		return;
	if (p->slot >= 0 && scoreboard_slot_view((uint32_t) p->slot, &v, now) == 0 && v.have_heartbeat &&
	    v.heartbeat_ns > last)
		last = v.heartbeat_ns;
	if (checks_notify_heartbeat(p) > last)   /* a notify worker's WATCHDOG=1 */
		last = checks_notify_heartbeat(p);
	uint64_t limit = (uint64_t) p->prog->heartbeat_timeout * NSEC_PER_SEC;
	if (now <= last || now - last <= limit)
		return;
	log_proc(LOG_WARNING, p, "%s: heartbeat stale (last %.1f s ago, heartbeat_timeout %d s): restarting it",
	         p->cfg->fullname, (double) (now - last) / 1e9, p->prog->heartbeat_timeout);
	process_heartbeat_stale(p);
}

static void sweep_cb(struct ev_loop *l, ev_timer *w, int revents)
{
	sweep_iv = 0;
	uint64_t now = now_mono_ns();
	/* process_up / process_heartbeat_stale never change the table (removals wait for the
	 * settle step). */
	for (size_t i = 0; i < tab.n; i++) {
		struct process *p = tab.procs[i];
		if (wants_ready(p)) {
			if (process_reported_ready(p))
				checks_ready(p, CHECK_SCOREBOARD, "reported ready");
		}
		else if (wants_heartbeat(p))
			check_heartbeat(p, now);
	}
	health_replan();
}

/* The slot shows the worker its incarnation's pid and state. */
static void slot_publish(const struct process *p)
{
	if (p->slot < 0)
		return;
	struct sb_owner o = { .generation = p->generation, .pid = p->pid, .state = (uint32_t) p->state };
	scoreboard_slot_publish((uint32_t) p->slot, &o);
}

static void on_state_changed(void *ctx, struct process *p, enum proc_state old)
{
	slot_publish(p);
}

/* A spawn or an exit; a worker that will report (readiness or heartbeats) was spawned: sweep for it. */
static void on_pid_changed(void *ctx, struct process *p, pid_t old)
{
	slot_publish(p);
	if (p->pid <= 0 || (p->cfg->ready.kind != CHECK_SCOREBOARD && p->prog->heartbeat_timeout <= 0))
		return;
	double iv = p->cfg->ready.kind == CHECK_SCOREBOARD ? SWEEP_FAST_S : SWEEP_MAX_S;
	if (!ev_is_active(&sweep) || sweep_iv > iv)
		sweep_arm(iv);
}

static struct events_subscriber subscriber = { .state_changed = on_state_changed, .pid_changed = on_pid_changed };

void health_init(struct ev_loop *l)
{
	loop = l;
	ev_init(&sweep, sweep_cb);
	events_subscribe(&subscriber);
}

void health_stop(void)
{
	events_unsubscribe(&subscriber);
	if (loop)
		ev_timer_stop(loop, &sweep);
}
