/* Waiters (see waiters.h). Evaluation looks at the current state only, so a missed transition
 * is harmless: the next state change or the deadline answers. */
#include "ctl-server/waiters.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>

#include "ctl-server/server.h"
#include "util.h"

#define WAITERS_MAX        256
#define WAIT_MAX_MS        (24u * 3600u * 1000u)

/* One record: a process to watch, or one answered already. */
struct wentry {
	struct process *p;       /* NULL once answered and for a process that is gone */
	char *name;              /* owned copy when p is NULL */
	uint16_t pattern;
	unsigned spawns0;        /* p->spawns before acting */
	bool need_spawn;         /* START/RESTART: only a later spawn can satisfy it */
	bool done;
	int32_t result;
	uint8_t state;
};

enum answer_why { ANSWER_DONE, ANSWER_DEADLINE, ANSWER_CANCEL };

struct waiter {
	LIST_ENTRY(waiter) link;
	struct route rt;
	uint16_t type;
	uint32_t id;
	uint32_t target;         /* enum proc_state, PROTO_WAIT_STARTED or PROTO_WAIT_STOPPED */
	size_t n, cap, pending;
	struct wentry *e;
	size_t nunmatched;
	uint16_t unmatched[PROTO_ARGS_MAX];
	ev_timer timer;
};

static LIST_HEAD(, waiter) waiters = LIST_HEAD_INITIALIZER(waiters);

bool waiters_full(void)
{
	return srv.st.waiters >= WAITERS_MAX;
}

static bool entry_set(struct wentry *e, int32_t result, enum proc_state state)
{
	e->done = true;
	e->result = result;
	e->state = (uint8_t) state;
	return true;
}

/* Is the entry's target reached (or definitely missed)? Sets the record when so.
 *   PROTO_WAIT_STARTED: RUNNING -> 0; FATAL, EXITED, STOPPED -> -EIO (the state says which);
 *     STARTING / BACKOFF / STOPPING keep waiting. For START/RESTART (need_spawn) only the
 *     state after a new spawn counts, except FATAL, which is final.
 *   PROTO_WAIT_STOPPED: no child and none coming: STOPPED, EXITED or FATAL. BACKOFF is not
 *     stopped (a retry is pending), STOPPING is on its way.
 *   a state: exactly that state. */
static bool entry_eval(const struct waiter *w, struct wentry *e)
{
	const struct process *p = e->p;

	if (e->done)
		return true;
	if (!p)
		return false;
	switch (w->target) {
	case PROTO_WAIT_STARTED:
		if (p->state == PROC_FATAL)
			return entry_set(e, -EIO, p->state);
		if (e->need_spawn && p->spawns == e->spawns0)
			return false;
		switch (p->state) {
		case PROC_RUNNING:
			return entry_set(e, 0, p->state);
		case PROC_EXITED:
		case PROC_STOPPED:
			return entry_set(e, -EIO, p->state);
		default:
			return false;
		}
	case PROTO_WAIT_STOPPED:
		if (p->state == PROC_STOPPED || p->state == PROC_EXITED || p->state == PROC_FATAL)
			return entry_set(e, 0, p->state);
		return false;
	default:
		if (p->state == (enum proc_state) w->target)
			return entry_set(e, 0, p->state);
		return false;
	}
}

static const char *entry_name(const struct wentry *e)
{
	return e->p ? e->p->cfg->fullname : e->name ? e->name : "";
}

static void waiter_unlink(struct waiter *w)
{
	LIST_REMOVE(w, link);
	srv.st.waiters--;
}

static void waiter_free(struct waiter *w)
{
	for (size_t i = 0; i < w->n; i++)
		free(w->e[i].name);
	free(w->e);
	route_close(&w->rt);
	free(w);
}

/* Build the reply from the entries (unfinished ones per why) and send it; frees w. */
static void waiter_answer(struct waiter *w, enum answer_why why)
{
	struct proto_buf b = { 0 };

	for (size_t i = 0; i < w->n; i++) {
		struct wentry *e = &w->e[i];
		if (!e->done && why == ANSWER_DEADLINE)
			entry_set(e, -ETIMEDOUT, e->p ? e->p->state : PROC_UNKNOWN);
		else if (!e->done)
			entry_set(e, -ECANCELED, e->p ? e->p->state : PROC_UNKNOWN);
	}
	proto_reply_begin(&b, 0, NULL, 0);
	for (size_t i = 0; i < w->n; i++) {
		struct proto_result res = {
			.result = w->e[i].result, .state = w->e[i].state, .pattern = w->e[i].pattern,
		};
		strcpy_bounded(res.name, sizeof(res.name), entry_name(&w->e[i]));
		proto_reply_add_result(&b, &res);
	}
	proto_reply_finish(&b, (uint32_t) w->n, w->nunmatched, w->unmatched);
	if (srv.loop)
		ev_timer_stop(srv.loop, &w->timer);
	reply_send(&w->rt, w->type, w->id, &b);
	waiter_free(w);
}

static void waiter_timer_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct waiter *w = container_of(t, struct waiter, timer);
	waiter_unlink(w);
	waiter_answer(w, ANSWER_DEADLINE);
}

struct waiter *waiter_new(const struct proto_request *req, struct route *rt, size_t n, uint32_t target)
{
	struct waiter *w = xcalloc(1, sizeof(*w));
	w->rt = *rt;
	rt->mq = (mqd_t) -1;
	w->type = req->type;
	w->id = req->id;
	w->target = target;
	w->cap = n;
	w->e = xcalloc(n ? n : 1, sizeof(*w->e));
	return w;
}

static struct wentry *entry_new(struct waiter *w, uint16_t pattern)
{
	if (w->n >= w->cap)
		abort();   /* more records than announced: a bug of the caller, not input */
	struct wentry *e = &w->e[w->n++];
	e->pattern = pattern;
	return e;
}

void waiter_add_done(struct waiter *w, const struct process *p, uint16_t pattern, int32_t result)
{
	struct wentry *e = entry_new(w, pattern);
	e->name = xstrdup(p->cfg->fullname);
	entry_set(e, result, p->state);
}

void waiter_add_proc(struct waiter *w, struct process *p, uint16_t pattern, bool need_spawn)
{
	struct wentry *e = entry_new(w, pattern);
	e->p = p;
	e->spawns0 = p->spawns;
	e->need_spawn = need_spawn;
}

void waiter_set_unmatched(struct waiter *w, const uint16_t *idx, size_t n)
{
	w->nunmatched = n < PROTO_ARGS_MAX ? n : PROTO_ARGS_MAX;
	memcpy(w->unmatched, idx, w->nunmatched * sizeof(*idx));
}

void waiter_submit(struct waiter *w, uint32_t deadline_ms, bool action)
{
	w->pending = 0;
	for (size_t i = 0; i < w->n; i++)
		if (!entry_eval(w, &w->e[i]))
			w->pending++;
	if (w->pending == 0) {
		waiter_answer(w, ANSWER_DONE);
		return;
	}
	if (deadline_ms == 0 || !srv.loop) {
		if (!action) {
			/* WAIT without a deadline: a snapshot, unsatisfied records time out at once */
			waiter_answer(w, ANSWER_DEADLINE);
			return;
		}
		/* START/STOP/RESTART not waited for: the action was taken, say so */
		for (size_t i = 0; i < w->n; i++)
			if (!w->e[i].done)
				entry_set(&w->e[i], -EINPROGRESS, w->e[i].p->state);
		waiter_answer(w, ANSWER_DONE);
		return;
	}
	if (deadline_ms > WAIT_MAX_MS)
		deadline_ms = WAIT_MAX_MS;
	ev_timer_init(&w->timer, waiter_timer_cb, deadline_ms / 1000.0, 0.);
	ev_timer_start(srv.loop, &w->timer);
	LIST_INSERT_HEAD(&waiters, w, link);
	srv.st.waiters++;
}

void waiters_on_state_change(void *ctx, struct process *p, enum proc_state old)
{
	struct waiter *w, *next;

	for (w = LIST_FIRST(&waiters); w; w = next) {
		next = LIST_NEXT(w, link);
		for (size_t i = 0; i < w->n; i++)
			if (w->e[i].p == p && !w->e[i].done && entry_eval(w, &w->e[i]))
				w->pending--;
		if (w->pending == 0) {
			waiter_unlink(w);
			waiter_answer(w, ANSWER_DONE);
		}
	}
}

void waiters_process_gone(void *ctx, struct process *p)
{
	struct waiter *w, *next;

	for (w = LIST_FIRST(&waiters); w; w = next) {
		next = LIST_NEXT(w, link);
		for (size_t i = 0; i < w->n; i++) {
			struct wentry *e = &w->e[i];
			if (e->p != p)
				continue;
			if (!e->done) {
				/* removed by a reload: it is stopped for good */
				if (w->target == PROTO_WAIT_STOPPED || w->target == PROC_STOPPED)
					entry_set(e, 0, PROC_STOPPED);
				else
					entry_set(e, -EIDRM, PROC_STOPPED);
				w->pending--;
			}
			e->name = xstrdup(p->cfg->fullname);
			e->p = NULL;
		}
		if (w->pending == 0) {
			waiter_unlink(w);
			waiter_answer(w, ANSWER_DONE);
		}
	}
}

void waiters_cancel_all(void)
{
	while (!LIST_EMPTY(&waiters)) {
		struct waiter *w = LIST_FIRST(&waiters);
		waiter_unlink(w);
		waiter_answer(w, ANSWER_CANCEL);
	}
}
