/* Readiness by probe: ready = tcp:, http://, exec: and log: (see readiness.h). While a process is
 * STARTING with a live worker, one probe attempt runs at a time, every ready_interval, each bounded
 * by ready_timeout; or its output goes through the log: matcher. The first success is readiness
 * (FSM_UP); startsecs stays the deadline (process.c's timer feeds FSM_READY_TIMEOUT). Leaving
 * STARTING stops everything at once: no attempt outlives the state it was made for. */
#include "core/readiness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/checks.h"
#include "core/events.h"
#include "core/process.h"
#include "core/table.h"
#include "os/linematch.h"
#include "os/log.h"
#include "os/looptime.h"
#include "os/logpipe.h"
#include "util.h"

static struct ev_loop *loop;

static bool is_probe(enum check_kind k)
{
	return k == CHECK_TCP || k == CHECK_HTTP || k == CHECK_EXEC;
}

static bool wants(const struct process *p)
{
	enum check_kind k = p->cfg->ready.kind;
	return p->pid > 0 && p->state == PROC_STARTING && (is_probe(k) || k == CHECK_LOG) &&
	       !(p->checks && p->checks->ready_decided);
}

static bool running(const struct proc_checks *c)
{
	return c && (c->ready_probe || ev_is_active(&c->ready_timer) || c->lines);
}

static void stop(struct process *p)
{
	struct proc_checks *c = p->checks;
	if (!c)
		return;
	c->ready_probe = probe_cancel(c->ready_probe);
	ev_timer_stop(loop, &c->ready_timer);
	if (c->lines)
		logpipe_set_tap(p->out, NULL, NULL);
	c->lines = linematch_free(c->lines);
}

static void attempt(struct proc_checks *c);

static void probe_done(void *ctx, const struct probe_outcome *o)
{
	struct proc_checks *c = ctx;
	struct process *p = c->p;
	c->ready_probe = NULL;
	snprintf(c->ready_detail, sizeof(c->ready_detail), "%.63s", o->detail);
	if (o->ok) {
		checks_ready(p, p->cfg->ready.kind, o->detail);
		return;
	}
	log_proc(LOG_DEBUG, p, "%s: not ready yet (ready = %s): %s", p->cfg->fullname, p->cfg->ready.spec, o->detail);
	/* the next attempt one interval after this one began */
	double wait = (p->prog->ready_interval_ms - (double) o->latency_ns / 1e6) / 1000.;
	looptime_arm(loop, &c->ready_timer, wait);
}

static void attempt(struct proc_checks *c)
{
	struct process *p = c->p;
	struct probe_spec spec;
	checks_probe_spec(p, &p->cfg->ready, p->prog->ready_timeout_ms, p->cfg->env, &spec);
	int r = probe_start(&spec, probe_done, c, &c->ready_probe);
	if (r < 0) {   /* no descriptor or no memory for it now: try again next interval */
		snprintf(c->ready_detail, sizeof(c->ready_detail), "cannot probe: %s", strerror(-r));
		looptime_arm(loop, &c->ready_timer, p->prog->ready_interval_ms / 1000.);
	}
}

static void timer_cb(struct ev_loop *l, ev_timer *w, int revents)
{
	struct proc_checks *c = container_of(w, struct proc_checks, ready_timer);
	if (wants(c->p))
		attempt(c);
}

static void tap(void *ctx, int stream, const char *data, size_t n)
{
	struct proc_checks *c = ctx;
	if (!c->lines || !linematch_feed(c->lines, stream, data, n))
		return;
	struct process *p = c->p;
	/* Not from inside the logpipe's read: the matcher goes when the state changes. Deciding
	 * here only feeds the FSM, which touches neither the pipe nor the tap. */
	if (wants(p))
		checks_ready(p, CHECK_LOG, stream ? "matched a line of stderr" : "matched a line of stdout");
}

static uint64_t digest(const struct process *p)
{
	return checks_digest(&p->cfg->ready, p->prog->ready_interval_ms, p->prog->ready_timeout_ms, 0, 0);
}

static void start(struct process *p)
{
	struct proc_checks *c = checks_of(p);
	c->ready_digest = digest(p);
	if (!ev_is_active(&c->ready_timer) && !c->ready_probe)
		ev_init(&c->ready_timer, timer_cb);
	if (p->cfg->ready.kind == CHECK_LOG) {
		if (linematch_new(p->cfg->ready.regex, &c->lines) < 0) {   /* checked when the config was read */
			log_proc(LOG_ERR, p, "%s: ready = %s: bad regular expression", p->cfg->fullname, p->cfg->ready.spec);
			return;
		}
		logpipe_set_tap(p->out, tap, c);
		return;
	}
	attempt(c);   /* at once: a worker that is quick to listen is RUNNING without waiting an interval */
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
	/* a reload that changed ready =, ready_interval or ready_timeout: the attempts start over
	 * with the new settings (the worker keeps running: readiness settings apply in place) */
	for (size_t i = 0; i < tab.n; i++) {
		struct process *p = tab.procs[i];
		if (running(p->checks) && p->checks->ready_digest != digest(p))
			stop(p);
		replan(p);
	}
}

static struct events_subscriber subscriber = {
	.state_changed = on_state_changed, .pid_changed = on_pid_changed, .config_applied = on_config_applied,
};

void readiness_init(struct ev_loop *l)
{
	loop = l;
	events_subscribe(&subscriber);
}

void readiness_stop(void)
{
	events_unsubscribe(&subscriber);
	for (size_t i = 0; i < tab.n; i++)
		stop(tab.procs[i]);
}
