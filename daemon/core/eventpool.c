/* Event listener pools (see eventpool.h), as supervisord 4.2.5 runs them:
 *
 * - An event is made when it happens, its payload rendered at once (a pid is the one of that
 *   moment), and only when some pool subscribes to its type. It gets the next droverd-wide serial
 *   when the first pool takes it; each pool numbers what it takes (poolserial).
 * - A pool queues at most buffer_size events (and POOL_BYTES_MAX bytes of payload): a new one
 *   beyond drops the oldest, counted, with supervisord's log line ("pool P event buffer
 *   overflowed, discarding event N"), at most once a minute per pool.
 * - The oldest event goes to the first process of the pool (process_num order) that is RUNNING
 *   and READY; a rejected event (RESULT other than OK, a broken protocol, the listener's death
 *   while it held the event) goes back to the head of the queue with its serials.
 * - At start-up, groups are announced (PROCESS_GROUP_ADDED) in supervisord's order (by group
 *   priority, then name), and a pool hears only the groups from its own on, as supervisord
 *   subscribes each pool as it creates its group; then
 *   SUPERVISOR_STATE_CHANGE_RUNNING, before any process starts.
 * - Ticks: TICK_5/60/3600 at the wall clock's multiples of 5/60/3600 s, only while a pool wants them.
 * Callbacks of the event module only record; events are handed out in the settle step. */
#include "core/eventpool.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "conf/event-types.h"
#include "core/eventfmt.h"
#include "core/events.h"
#include "core/process.h"
#include "core/table.h"
#include "os/listener.h"
#include "os/log.h"
#include "util.h"

#define POOL_BYTES_MAX (16u << 20)   /* payload bytes queued per pool (log events are up to 64 KiB each) */
#define DROP_SAY_NS    (60 * NSEC_PER_SEC)   /* overflow log lines of one pool: one a minute */

struct event {
	unsigned refs;
	enum event_type type;
	uint64_t serial;
	size_t len;
	char payload[];
};

struct queued {
	struct event *ev;
	uint64_t pool_serial;
};

struct pool {
	struct pool *next;
	char *name;                 /* the [eventlistener:x] name, also its group */
	event_mask mask;
	size_t capacity;            /* buffer_size */
	bool active;                /* takes events (at start-up: from its group's announcement on) */
	struct queued *q;           /* a ring of capacity entries */
	size_t head, n, bytes;
	uint64_t serial;            /* pool serials given so far */
	uint64_t dropped;
	uint64_t drop_said_ns;      /* when a drop was last logged */
};

/* One listener process. */
struct member {
	struct member *next;
	struct process *p;
	struct pool *pool;          /* NULL when its program is no pool any more (removed by a reload) */
	struct listener *ch;
	int stdin_rd, stdin_wr;     /* the pipe made for a spawn under way, -1 */
	struct queued inflight;     /* the event it was sent (ev NULL: none) */
};

static struct ev_loop *loop;
static struct pool *pools;
static struct member *members;
static event_mask subscribed;   /* union of the active pools' masks */
static uint64_t serial;         /* droverd-wide serials given so far */
static char *server;            /* [supervisord] identifier */
static bool dirty;              /* something to hand out may be there */
static bool running;            /* SUPERVISOR_STATE_CHANGE_RUNNING was announced */
static ev_periodic ticks[3];
static const int tick_period[3] = { 5, 60, 3600 };
static const enum event_type tick_type[3] = { EVENT_TICK_5, EVENT_TICK_60, EVENT_TICK_3600 };

/* A removed group whose processes are still going down: PROCESS_GROUP_REMOVED when the last is gone. */
struct leaving {
	struct leaving *next;
	char *group;
	size_t procs;
};
static struct leaving *leaving;
static char **groups;           /* the groups of the applied config */

/* The pid the last reap took from a process: its next state change (EXITED, STOPPED, BACKOFF)
 * is about that worker, whose pid supervisord still shows. */
static struct { const struct process *p; pid_t pid; } reaped;

/* ---- events and queues ---- */

static void event_unref(struct event *ev)
{
	if (ev && --ev->refs == 0)
		free(ev);
}

static struct queued *q_at(struct pool *pl, size_t i)
{
	return &pl->q[(pl->head + i) % pl->capacity];
}

static void q_drop_oldest(struct pool *pl)
{
	struct queued *o = q_at(pl, 0);
	uint64_t now = now_mono_ns();
	pl->dropped++;
	/* supervisord's line for every event dropped; here the first of a burst, then one a minute
	 * with the count: a pool nobody serves must not flood the log */
	if (!pl->drop_said_ns || now - pl->drop_said_ns >= DROP_SAY_NS) {
		log_error("pool %s event buffer overflowed, discarding event %llu (%s); %llu dropped in all", pl->name,
		          (unsigned long long) o->ev->serial, event_type_name(o->ev->type), (unsigned long long) pl->dropped);
		pl->drop_said_ns = now;
	}
	pl->bytes -= o->ev->len;
	event_unref(o->ev);
	o->ev = NULL;
	pl->head = (pl->head + 1) % pl->capacity;
	pl->n--;
}

/* Queue e at the tail (new) or the head (rejected, back for another try). */
static void q_push(struct pool *pl, struct queued e, bool at_head)
{
	if (pl->n >= pl->capacity)
		q_drop_oldest(pl);
	while (pl->n > 0 && pl->bytes + e.ev->len > POOL_BYTES_MAX)
		q_drop_oldest(pl);
	if (at_head) {
		pl->head = (pl->head + pl->capacity - 1) % pl->capacity;
		*q_at(pl, 0) = e;
	} else {
		*q_at(pl, pl->n) = e;
	}
	pl->n++;
	pl->bytes += e.ev->len;
	dirty = true;
}

static struct queued q_pop(struct pool *pl)
{
	struct queued e = *q_at(pl, 0);
	q_at(pl, 0)->ev = NULL;
	pl->head = (pl->head + 1) % pl->capacity;
	pl->n--;
	pl->bytes -= e.ev->len;
	return e;
}

/* A pool's queue with room for capacity entries, keeping the newest when it shrinks. */
static void q_resize(struct pool *pl, size_t capacity)
{
	while (pl->n > capacity)
		q_drop_oldest(pl);
	struct queued *q = xcalloc(capacity, sizeof(*q));
	for (size_t i = 0; i < pl->n; i++)
		q[i] = *q_at(pl, i);
	free(pl->q);
	pl->q = q;
	pl->head = 0;
	pl->capacity = capacity;
}

static bool wanted(enum event_type t)
{
	return subscribed & EVENT_BIT(t);
}

/* Queue a new event (payload taken) in every active pool that subscribes to its type. */
static void publish(enum event_type t, char *payload, size_t len)
{
	struct event *ev = NULL;
	for (struct pool *pl = pools; pl; pl = pl->next) {
		if (!pl->active || !(pl->mask & EVENT_BIT(t)))
			continue;
		if (!ev) {
			ev = xmalloc(sizeof(*ev) + len + 1);
			ev->refs = 0;
			ev->type = t;
			ev->serial = serial++;   /* supervisord's first serial is 0 */
			ev->len = len;
			memcpy(ev->payload, payload, len);
			ev->payload[len] = '\0';
		}
		ev->refs++;
		q_push(pl, (struct queued) { ev, pl->serial++ }, false);
	}
	free(payload);
}

static void subscribed_update(void)
{
	subscribed = 0;
	for (struct pool *pl = pools; pl; pl = pl->next)
		if (pl->active)
			subscribed |= pl->mask;
	for (int i = 0; i < 3; i++) {
		bool want = running && wanted(tick_type[i]);
		if (want && !ev_is_active(&ticks[i]))
			ev_periodic_start(loop, &ticks[i]);
		else if (!want && ev_is_active(&ticks[i]))
			ev_periodic_stop(loop, &ticks[i]);
	}
}

/* ---- pools ---- */

static struct pool *pool_find(const char *name)
{
	for (struct pool *pl = pools; pl; pl = pl->next)
		if (strcmp(pl->name, name) == 0)
			return pl;
	return NULL;
}

static void pool_configure(struct pool *pl, const struct program_config *prog)
{
	pl->mask = prog->events;
	if (!pl->q || (size_t) prog->buffer_size != pl->capacity)
		q_resize(pl, (size_t) prog->buffer_size);
}

static void pool_free(struct pool *pl)
{
	if (pl->n)
		log_info("pool %s removed: %zu queued events dropped", pl->name, pl->n);
	while (pl->n)
		event_unref(q_pop(pl).ev);
	free(pl->q);
	free(pl->name);
	free(pl);
}

static struct member *member_of(const struct process *p)
{
	for (struct member *m = members; m; m = m->next)
		if (m->p == p)
			return m;
	return NULL;
}

/* Pools for cfg's listeners (new ones inactive: start-up and a reload announce them); the rest freed. */
static void pools_sync(const struct drover_config *cfg)
{
	struct pool *keep = NULL, **tail = &keep;
	for (size_t i = 0; i < cfg->nprograms; i++) {
		const struct program_config *prog = &cfg->programs[i];
		if (prog->kind != PROGRAM_LISTENER)
			continue;
		struct pool **pp = &pools;
		while (*pp && strcmp((*pp)->name, prog->name) != 0)
			pp = &(*pp)->next;
		struct pool *pl = *pp;
		if (pl) {
			*pp = pl->next;
		} else {
			pl = xcalloc(1, sizeof(*pl));
			pl->name = xstrdup(prog->name);
		}
		pool_configure(pl, prog);
		pl->next = NULL;
		*tail = pl;
		tail = &pl->next;
	}
	while (pools) {
		struct pool *pl = pools;
		pools = pl->next;
		for (struct member *m = members; m; m = m->next)
			if (m->pool == pl)
				m->pool = NULL;
		pool_free(pl);
	}
	pools = keep;
	for (struct member *m = members; m; m = m->next)
		m->pool = m->p->prog->kind == PROGRAM_LISTENER ? pool_find(m->p->prog->name) : NULL;
	subscribed_update();
	dirty = true;
}

/* ---- groups ---- */

/* supervisord's order of groups: by priority, then by name (its Config.__lt__). */
struct group_rank {
	const char *name;
	int priority;
	const struct program_config *prog;
};

static int rank_cmp(const void *a, const void *b)
{
	const struct group_rank *x = a, *y = b;
	if (x->priority != y->priority)
		return x->priority < y->priority ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* The groups of cfg in supervisord's order (each once). */
static struct group_rank *groups_ranked(const struct drover_config *cfg, size_t *ret_n)
{
	struct group_rank *v = xcalloc(cfg->nprograms + 1, sizeof(*v));
	size_t n = 0;
	for (size_t i = 0; i < cfg->nprograms; i++) {
		const struct program_config *prog = &cfg->programs[i];
		bool seen = false;
		for (size_t k = 0; k < n && !seen; k++)
			seen = strcmp(v[k].name, prog->group) == 0;
		if (!seen)
			v[n++] = (struct group_rank) { prog->group, prog->group_priority, prog };
	}
	qsort(v, n, sizeof(*v), rank_cmp);
	*ret_n = n;
	return v;
}

/* A group removed by a reload is back (a later reload) while processes of its old self still go
 * down: its removal is not announced any more. True when there was one. */
static bool leaving_cancel(const char *group)
{
	for (struct leaving **lp = &leaving; *lp; lp = &(*lp)->next) {
		struct leaving *lv = *lp;
		if (strcmp(lv->group, group) != 0)
			continue;
		*lp = lv->next;
		free(lv->group);
		free(lv);
		return true;
	}
	return false;
}

static bool in_list(char *const *v, const char *s)
{
	for (; v && *v; v++)
		if (strcmp(*v, s) == 0)
			return true;
	return false;
}

/* Announce the groups of cfg not in before (all when before is NULL), in supervisord's order,
 * each new pool taking events from its own announcement on. */
static void groups_announce(const struct drover_config *cfg, char *const *before)
{
	size_t n;
	struct group_rank *v = groups_ranked(cfg, &n);
	char **now = NULL;
	for (size_t i = 0; i < n; i++) {
		strv_push(&now, xstrdup(v[i].name));
		if (in_list(before, v[i].name) || leaving_cancel(v[i].name))
			continue;   /* known, or back before its removal was announced: it never left */
		if (v[i].prog->kind == PROGRAM_LISTENER) {
			struct pool *pl = pool_find(v[i].name);
			if (pl && !pl->active) {
				pl->active = true;
				subscribed_update();
			}
		}
		if (wanted(EVENT_PROCESS_GROUP_ADDED)) {
			size_t len;
			char *pay = eventfmt_group(v[i].name, &len);
			publish(EVENT_PROCESS_GROUP_ADDED, pay, len);
		}
	}
	for (struct pool *pl = pools; pl; pl = pl->next)
		pl->active = true;   /* kept pools (their group was announced before) */
	subscribed_update();
	/* groups gone: announced once their last process is gone */
	for (char **g = groups; g && *g; g++) {
		if (in_list(now, *g))
			continue;
		struct leaving *lv = xcalloc(1, sizeof(*lv));
		lv->group = xstrdup(*g);
		for (size_t i = 0; i < tab.n; i++)
			lv->procs += tab.procs[i]->removed && strcmp(tab.procs[i]->prog->group, *g) == 0;
		lv->next = leaving;
		leaving = lv;
	}
	strv_free(groups);
	groups = now;
	free(v);
}

static void group_removed(struct leaving *lv)
{
	if (wanted(EVENT_PROCESS_GROUP_REMOVED)) {
		size_t len;
		char *pay = eventfmt_group(lv->group, &len);
		publish(EVENT_PROCESS_GROUP_REMOVED, pay, len);
	}
}

/* Groups that left with no process at all are announced at once. */
static void leaving_flush(void)
{
	for (struct leaving **lp = &leaving; *lp; ) {
		struct leaving *lv = *lp;
		if (lv->procs) {
			lp = &lv->next;
			continue;
		}
		group_removed(lv);
		*lp = lv->next;
		free(lv->group);
		free(lv);
	}
}

/* ---- listeners ---- */

static void member_ready(void *ctx)
{
	dirty = true;
}

static void member_done(void *ctx, bool accepted)
{
	struct member *m = ctx;
	struct queued e = m->inflight;
	m->inflight.ev = NULL;
	if (!e.ev)
		return;
	if (accepted || !m->pool) {
		event_unref(e.ev);
		return;
	}
	log_debug("%s: event %llu was rejected: queued again", m->p->cfg->fullname, (unsigned long long) e.ev->serial);
	q_push(m->pool, e, true);
}

static const struct listener_hooks member_hooks = { .ready = member_ready, .done = member_done };

static struct member *member_get(struct process *p)
{
	struct member *m = member_of(p);
	if (m)
		return m;
	m = xcalloc(1, sizeof(*m));
	m->p = p;
	m->stdin_rd = m->stdin_wr = -1;
	m->pool = pool_find(p->prog->name);
	m->ch = listener_new(loop, &member_hooks, m, &p->subject);
	/* in process_num order: the first READY one of a pool gets the event, as in supervisord */
	struct member **mp = &members;
	while (*mp && ((*mp)->p->prog != p->prog || (*mp)->p->cfg->num < p->cfg->num))
		mp = &(*mp)->next;
	m->next = *mp;
	*mp = m;
	return m;
}

static void pipe_close(struct member *m)
{
	if (m->stdin_rd >= 0)
		(void) close(m->stdin_rd);
	if (m->stdin_wr >= 0)
		(void) close(m->stdin_wr);
	m->stdin_rd = m->stdin_wr = -1;
}

static void member_free(struct member *m)
{
	listener_free(m->ch);   /* an event in flight goes back to its pool */
	pipe_close(m);
	event_unref(m->inflight.ev);
	free(m);
}

int eventpool_stdin_open(struct process *p, int *ret_fd, char *err, size_t errsize)
{
	struct member *m = member_get(p);
	int fds[2];
	pipe_close(m);
	if (pipe2(fds, O_CLOEXEC) < 0) {
		int r = -errno;
		snprintf(err, errsize, "spawn error: cannot make the event listener's stdin pipe: %s", strerror(-r));
		return r;
	}
	m->stdin_rd = fds[0];
	m->stdin_wr = fds[1];
	*ret_fd = fds[0];
	return 0;
}

void eventpool_stdin_done(struct process *p, bool forked)
{
	struct member *m = member_of(p);
	if (!m)
		return;
	if (forked) {
		listener_attach(m->ch, m->stdin_wr);
		m->stdin_wr = -1;
	}
	pipe_close(m);
}

/* Hand out what is queued: the oldest event of each pool to its first RUNNING, READY listener. */
static void dispatch(void)
{
	for (struct pool *pl = pools; pl; pl = pl->next) {
		struct member *m = members;
		while (pl->n > 0 && m) {
			if (m->pool != pl || m->p->state != PROC_RUNNING || listener_state(m->ch) != LISTENER_READY) {
				m = m->next;
				continue;
			}
			struct queued e = q_pop(pl);
			struct listener_event le = {
				.server = server, .serial = e.ev->serial, .pool = pl->name, .pool_serial = e.pool_serial,
				.name = event_type_name(e.ev->type), .payload = e.ev->payload, .len = e.ev->len,
			};
			if (listener_send(m->ch, &le) < 0) {
				q_push(pl, e, true);   /* it could not take it: the next one may */
				m = m->next;
				continue;
			}
			m->inflight = e;
		}
	}
}

/* ---- the event module's callbacks ---- */

static const enum event_type state_event[PROC_STATE_MAX] = {
	[PROC_STOPPED] = EVENT_PROCESS_STATE_STOPPED, [PROC_STARTING] = EVENT_PROCESS_STATE_STARTING,
	[PROC_RUNNING] = EVENT_PROCESS_STATE_RUNNING, [PROC_BACKOFF] = EVENT_PROCESS_STATE_BACKOFF,
	[PROC_STOPPING] = EVENT_PROCESS_STATE_STOPPING, [PROC_EXITED] = EVENT_PROCESS_STATE_EXITED,
	[PROC_FATAL] = EVENT_PROCESS_STATE_FATAL, [PROC_UNKNOWN] = EVENT_PROCESS_STATE_UNKNOWN,
};

static void on_state_changed(void *ctx, struct process *p, enum proc_state old)
{
	pid_t pid = p->pid > 0 ? p->pid : reaped.p == p ? reaped.pid : 0;
	reaped.p = NULL;
	if (p->prog->kind == PROGRAM_LISTENER && p->state == PROC_RUNNING)
		dirty = true;
	enum event_type t = state_event[p->state];
	if (!wanted(t))
		return;
	bool expected = WIFEXITED(p->exit_wstatus) && program_exitcode_expected(p->prog, WEXITSTATUS(p->exit_wstatus));
	size_t len;
	char *pay = eventfmt_state(t, p->cfg->name, p->prog->group, proc_state_to_string(old), p->backoff, expected, pid,
	                           &len);
	publish(t, pay, len);
}

static void on_pid_changed(void *ctx, struct process *p, pid_t old)
{
	if (p->pid > 0 || old <= 0)
		return;
	reaped.p = p;
	reaped.pid = old;
	struct member *m = p->prog->kind == PROGRAM_LISTENER ? member_of(p) : NULL;
	if (m)
		listener_detach(m->ch);   /* an event it held goes back to the head of its pool */
}

static void on_gone(void *ctx, struct process *p)
{
	if (reaped.p == p)
		reaped.p = NULL;
	for (struct member **mp = &members; *mp; mp = &(*mp)->next)
		if ((*mp)->p == p) {
			struct member *m = *mp;
			*mp = m->next;
			member_free(m);
			break;
		}
	for (struct leaving *lv = leaving; lv; lv = lv->next)
		if (lv->procs && p->removed && strcmp(lv->group, p->prog->group) == 0) {
			lv->procs--;
			break;
		}
	leaving_flush();
}

static void on_config_applied(void *ctx, const struct drover_config *cfg)
{
	free(server);
	server = xstrdup(cfg->identifier ? cfg->identifier : "supervisor");
	pools_sync(cfg);
	if (running)
		groups_announce(cfg, groups);
	leaving_flush();
}

static void on_output(void *ctx, struct process *p, int stream, const char *data, size_t n)
{
	if (p->prog->kind == PROGRAM_LISTENER && stream == 0) {
		struct member *m = member_of(p);
		if (m)
			listener_feed(m->ch, data, n);
		return;   /* a listener's stdout is the protocol, never a log event */
	}
	enum event_type t = stream == 0 ? EVENT_PROCESS_LOG_STDOUT : EVENT_PROCESS_LOG_STDERR;
	if (!(stream == 0 ? p->prog->stdout_events : p->prog->stderr_events) || !wanted(t))
		return;
	size_t len;
	char *pay = eventfmt_log(t, p->cfg->name, p->prog->group, p->pid, data, n, &len);
	publish(t, pay, len);
}

static void on_phase(void *ctx, enum events_phase phase)
{
	if (phase == EVENTS_RUNNING && !running) {
		running = true;
		groups_announce(tab.config, NULL);
		if (wanted(EVENT_SUPERVISOR_STATE_CHANGE_RUNNING))
			publish(EVENT_SUPERVISOR_STATE_CHANGE_RUNNING, xstrdup(""), 0);
	} else if (phase == EVENTS_STOPPING && wanted(EVENT_SUPERVISOR_STATE_CHANGE_STOPPING)) {
		publish(EVENT_SUPERVISOR_STATE_CHANGE_STOPPING, xstrdup(""), 0);
	}
}

static bool settle(void *ctx)
{
	if (dirty) {
		dirty = false;
		dispatch();
	}
	return false;
}

static struct events_subscriber subscriber = {
	.state_changed = on_state_changed, .pid_changed = on_pid_changed, .gone = on_gone,
	.config_applied = on_config_applied, .output = on_output, .phase = on_phase, .settle = settle,
};

static void tick_cb(struct ev_loop *l, ev_periodic *w, int revents)
{
	int i = (int) (w - ticks);
	long long now = (long long) ev_now(l);
	long long when = now - now % tick_period[i];   /* supervisord's timeslice: the period's start */
	if (!wanted(tick_type[i]))
		return;
	size_t len;
	char *pay = eventfmt_tick(when, &len);
	publish(tick_type[i], pay, len);
}

/* ---- start, stop, status ---- */

void eventpool_init(struct ev_loop *l, const struct drover_config *cfg)
{
	loop = l;
	for (int i = 0; i < 3; i++)
		ev_periodic_init(&ticks[i], tick_cb, 0., tick_period[i], NULL);
	server = xstrdup(cfg->identifier ? cfg->identifier : "supervisor");
	pools_sync(cfg);
	events_subscribe(&subscriber);
}

void eventpool_stop(void)
{
	events_unsubscribe(&subscriber);
	for (int i = 0; i < 3; i++)
		if (loop)
			ev_periodic_stop(loop, &ticks[i]);
	while (members) {
		struct member *m = members;
		members = m->next;
		m->pool = NULL;   /* nothing is queued again */
		member_free(m);
	}
	while (pools) {
		struct pool *pl = pools;
		pools = pl->next;
		while (pl->n)
			event_unref(q_pop(pl).ev);
		free(pl->q);
		free(pl->name);
		free(pl);
	}
	while (leaving) {
		struct leaving *lv = leaving;
		leaving = lv->next;
		free(lv->group);
		free(lv);
	}
	groups = strv_free(groups);
	free(server);
	server = NULL;
	running = false;
	subscribed = 0;
}

bool eventpool_describe(const struct process *p, char *buf, size_t size)
{
	if (p->prog->kind != PROGRAM_LISTENER)
		return false;
	const struct member *m = member_of(p);
	const struct pool *pl = pool_find(p->prog->name);
	const struct listener_counters *c = m ? listener_counters(m->ch) : NULL;
	snprintf(buf, size, "listener %s: %llu sent, %llu rejected, %llu protocol errors; pool: %zu queued, %llu dropped",
	         m && p->pid > 0 ? listener_state_to_string(listener_state(m->ch)) : "-",
	         (unsigned long long) (c ? c->sent : 0), (unsigned long long) (c ? c->rejected : 0),
	         (unsigned long long) (c ? c->violations : 0), pl ? pl->n : 0,
	         (unsigned long long) (pl ? pl->dropped : 0));
	return true;
}
