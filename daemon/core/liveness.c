/* Liveness (see liveness.h). A RUNNING process with health = set is checked every health_interval
 * (the first one interval after it became RUNNING): a probe bounded by health_timeout, or, for
 * health = scoreboard | notify, the age of its last heartbeat against health_timeout (a notify
 * worker's own WATCHDOG_USEC= replaces it). health_failures failures in a row take health_action
 * once; a success clears the count. Checks pause while a notify worker says RELOADING=1 or
 * STOPPING=1. Leaving RUNNING stops them. */
#include "core/liveness.h"

#include <stdio.h>
#include <string.h>

#include "core/checks.h"
#include "core/events.h"
#include "core/process.h"
#include "core/table.h"
#include "os/log.h"
#include "os/looptime.h"
#include "os/scoreboard.h"
#include "util.h"

static struct ev_loop *loop;

static bool wants(const struct process *p)
{
	return p->pid > 0 && p->state == PROC_RUNNING && p->cfg->health.kind != CHECK_NONE &&
	       p->cfg->health.kind != CHECK_LOG;
}

static bool running(const struct proc_checks *c)
{
	return c && (c->health_probe || ev_is_active(&c->health_timer));
}

static void arm(struct proc_checks *c, double seconds)
{
	looptime_arm(loop, &c->health_timer, seconds);
}

static void result(struct proc_checks *c, bool ok, uint64_t latency_ns, const char *detail)
{
	struct process *p = c->p;
	c->have_health = true;
	c->health_ok = ok;
	c->health_at_ns = now_mono_ns();
	c->health_latency_ns = latency_ns;
	snprintf(c->health_detail, sizeof(c->health_detail), "%.63s", detail);
	if (ok) {
		if (c->health_failures >= (unsigned) p->prog->health_failures)
			log_proc(LOG_INFO, p, "%s: health check passes again (%s)", p->cfg->fullname, detail);
		c->health_failures = 0;
		c->health_acted = false;
		return;
	}
	c->health_failures++;
	log_proc(c->health_failures < (unsigned) p->prog->health_failures ? LOG_INFO : LOG_WARNING, p,
	         "%s: health check failed (%u/%d): health = %s: %s", p->cfg->fullname, c->health_failures,
	         p->prog->health_failures, p->cfg->health.spec, detail);
	if (c->health_failures < (unsigned) p->prog->health_failures || c->health_acted)
		return;
	c->health_acted = true;
	if (p->prog->health_action == HEALTH_RESTART) {
		log_proc(LOG_WARNING, p, "%s: unhealthy (%u failed checks in a row): restarting it", p->cfg->fullname,
		         c->health_failures);
		process_health_failed(p);   /* stopsignal, stopwaitsecs, then a start: the normal path */
	} else {
		log_proc(LOG_WARNING, p, "%s: unhealthy (%u failed checks in a row); health_action = log: left running",
		         p->cfg->fullname, c->health_failures);
	}
}

static void probe_done(void *ctx, const struct probe_outcome *o)
{
	struct proc_checks *c = ctx;
	struct process *p = c->p;
	c->health_probe = NULL;
	double next = (p->prog->health_interval_ms - (double) o->latency_ns / 1e6) / 1000.;
	arm(c, next);   /* before result(): a restart stops it again through the state change */
	result(c, o->ok, o->latency_ns, o->detail);
}

/* health = scoreboard | notify: the newest heartbeat, counted from RUNNING at the earliest. */
static void check_heartbeat(struct proc_checks *c)
{
	struct process *p = c->p;
	uint64_t now = now_mono_ns(), last = c->health_since_ns, limit_ns;
	char detail[64];
	if (p->cfg->health.kind == CHECK_SCOREBOARD) {
		struct sb_view v;
		if (p->slot >= 0 && scoreboard_slot_view((uint32_t) p->slot, &v, now) == 0 && v.have_heartbeat &&
		    v.heartbeat_ns > last)
			last = v.heartbeat_ns;
		limit_ns = (uint64_t) p->prog->health_timeout_ms * NSEC_PER_MSEC;
	} else {
		notifysock_poll(c->ns);
		if (c->notify_heartbeat_ns > last)
			last = c->notify_heartbeat_ns;
		limit_ns = c->watchdog_usec ? c->watchdog_usec * 1000 : (uint64_t) p->prog->health_timeout_ms * NSEC_PER_MSEC;
	}
	uint64_t age = now > last ? now - last : 0;
	bool ok = age <= limit_ns;
	if (last == c->health_since_ns)
		snprintf(detail, sizeof(detail), "%s %.1f s", ok ? "no heartbeat yet," : "no heartbeat for", (double) age / 1e9);
	else
		snprintf(detail, sizeof(detail), "heartbeat %.1f s ago%s", (double) age / 1e9, ok ? "" : " (too old)");
	result(c, ok, 0, detail);
}

static void timer_cb(struct ev_loop *l, ev_timer *w, int revents)
{
	struct proc_checks *c = container_of(w, struct proc_checks, health_timer);
	struct process *p = c->p;
	if (!wants(p))
		return;
	if (c->notify_reloading || c->notify_stopping) {   /* the worker said so: not now */
		arm(c, p->prog->health_interval_ms / 1000.);
		return;
	}
	if (p->cfg->health.kind == CHECK_SCOREBOARD || p->cfg->health.kind == CHECK_NOTIFY) {
		arm(c, p->prog->health_interval_ms / 1000.);
		check_heartbeat(c);
		return;
	}
	struct probe_spec spec;
	checks_probe_spec(p, &p->cfg->health, p->prog->health_timeout_ms, p->cfg->env, &spec);
	int r = probe_start(&spec, probe_done, c, &c->health_probe);
	if (r < 0) {   /* droverd's own shortage (descriptors) is not the worker's failure */
		log_proc(LOG_WARNING, p, "%s: cannot run its health check now: %s", p->cfg->fullname, strerror(-r));
		arm(c, p->prog->health_interval_ms / 1000.);
	}
}

static void stop(struct process *p)
{
	struct proc_checks *c = p->checks;
	if (!c)
		return;
	c->health_probe = probe_cancel(c->health_probe);
	ev_timer_stop(loop, &c->health_timer);
}

static uint64_t digest(const struct process *p)
{
	return checks_digest(&p->cfg->health, p->prog->health_interval_ms, p->prog->health_timeout_ms,
	                     p->prog->health_failures, (int) p->prog->health_action);
}

static void start(struct process *p)
{
	struct proc_checks *c = checks_of(p);
	ev_init(&c->health_timer, timer_cb);
	c->health_digest = digest(p);
	c->health_since_ns = now_mono_ns();
	c->health_failures = 0;
	c->health_acted = false;
	c->have_health = false;
	c->health_detail[0] = '\0';
	arm(c, p->prog->health_interval_ms / 1000.);
}

static void replan(struct process *p)
{
	bool w = wants(p);
	if (w && !running(p->checks))
		start(p);
	else if (!w && running(p->checks))
		stop(p);
}

static void on_state_changed(void *ctx, struct process *p, enum proc_state old)
{
	replan(p);
}

static void on_pid_changed(void *ctx, struct process *p, pid_t old)
{
	replan(p);
}

static void on_config_applied(void *ctx, const struct drover_config *cfg)
{
	/* health settings apply in place: a changed check starts over on the new schedule (the
	 * failure count too: failures of the old check say nothing about the new one) */
	for (size_t i = 0; i < tab.n; i++) {
		struct process *p = tab.procs[i];
		if (running(p->checks) && p->checks->health_digest != digest(p))
			stop(p);
		replan(p);
	}
}

static struct events_subscriber subscriber = {
	.state_changed = on_state_changed, .pid_changed = on_pid_changed, .config_applied = on_config_applied,
};

void liveness_init(struct ev_loop *l)
{
	loop = l;
	events_subscribe(&subscriber);
}

void liveness_stop(void)
{
	events_unsubscribe(&subscriber);
	for (size_t i = 0; i < tab.n; i++)
		stop(tab.procs[i]);
}
