/* Waiters (see waiters.h). Evaluation looks at the current state only, so a missed transition
 * is harmless: the next state change or the deadline answers. */
#include "ctl-server/waiters.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/queue.h>
#include <unistd.h>

#include "ctl-server/server.h"
#include "os/log.h"
#include "util.h"

#define WAITERS_MAX        256
#define WAIT_MAX_MS        (24u * 3600u * 1000u)

/* One record: a process to watch, or one answered already. */
struct wentry {
	struct process *p;       /* NULL once answered and for a process that is gone */
	char *name;              /* owned copy when p is NULL */
	uint16_t pattern;
	uint8_t flags;           /* PROTO_RES_* */
	unsigned spawns0;        /* the process's spawn count before the action */
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
	bool exact;              /* wait for exactly state, else for goal */
	enum proc_state state;
	enum mgr_goal goal;
	size_t n, cap, pending;
	struct wentry *e;
	size_t nunmatched;
	uint16_t unmatched[PROTO_ARGS_MAX];
	ev_timer timer;
	int client_fd;           /* pidfd of the client that waits; -1 none */
	ev_io client_watch;
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

/* Is the entry's goal reached, or given up for good? Sets the record when so (the manager
 * decides: 0 reached, -EIO given up, -EINPROGRESS keep waiting). */
static bool entry_eval(const struct waiter *w, struct wentry *e)
{
	const struct process *p = e->p;

	if (e->done)
		return true;
	if (!p)
		return false;
	if (w->exact)
		return manager_state(p) == w->state && entry_set(e, 0, w->state);
	int r = manager_progress(p, w->goal, e->spawns0);
	if (r == -EINPROGRESS)
		return false;
	return entry_set(e, r, manager_state(p));
}

static const char *entry_name(const struct wentry *e)
{
	return e->p ? manager_name(e->p) : e->name ? e->name : "";
}

static void waiter_unlink(struct waiter *w)
{
	LIST_REMOVE(w, link);
	srv.st.waiters--;
}

static void waiter_free(struct waiter *w)
{
	if (srv.loop)   /* stopping also clears an event pending in this iteration */
		ev_timer_stop(srv.loop, &w->timer);
	if (w->client_fd >= 0) {
		if (srv.loop)
			ev_io_stop(srv.loop, &w->client_watch);
		close(w->client_fd);
	}
	for (size_t i = 0; i < w->n; i++)
		free(w->e[i].name);
	free(w->e);
	route_close(&w->rt);
	free(w);
}

/* What droverctl says along with a result: why a start gave up or a wait ran out (and whether
 * the process's output may tell more), which dependants a stop leaves running. */
static void result_reason(struct proto_result *res, uint16_t type, const struct process *p)
{
	if (!p)
		return;
	/* (a process stopped meanwhile, or RUNNING, STOPPING: its last exit is no reason) */
	bool failing = res->state == PROC_STARTING || res->state == PROC_BACKOFF || res->state == PROC_FATAL ||
	               res->state == PROC_EXITED;
	if ((res->result == -EIO || res->result == -ETIMEDOUT) && failing) {
		unsigned why = manager_why(p, res->reason, sizeof(res->reason));
		if (why & MGR_WHY_OUTPUT)
			res->flags |= PROTO_RES_OUTPUT;
		if (why & MGR_WHY_STDERR_IN_STDOUT)
			res->flags |= PROTO_RES_ERR_IN_OUT;
	} else if (type == PROTO_STOP && (res->result == 0 || res->result == -EINPROGRESS)) {
		if (manager_dependants_up(p, res->reason, sizeof(res->reason)) > 0)
			res->flags |= PROTO_RES_DEPENDANTS;
	}
}

/* Build the reply from the entries (unfinished ones per why) and send it; frees w. */
static void waiter_answer(struct waiter *w, enum answer_why why)
{
	struct proto_buf b = { 0 };

	for (size_t i = 0; i < w->n; i++) {
		struct wentry *e = &w->e[i];
		if (!e->done && why == ANSWER_DEADLINE)
			entry_set(e, -ETIMEDOUT, e->p ? manager_state(e->p) : PROC_UNKNOWN);
		else if (!e->done)
			entry_set(e, -ECANCELED, e->p ? manager_state(e->p) : PROC_UNKNOWN);
	}
	proto_reply_begin(&b, 0, NULL, 0);
	for (size_t i = 0; i < w->n; i++) {
		struct proto_result res = {
			.result = w->e[i].result, .state = w->e[i].state, .flags = w->e[i].flags,
			.pattern = w->e[i].pattern,
		};
		strcpy_bounded(res.name, sizeof(res.name), entry_name(&w->e[i]));
		result_reason(&res, w->type, w->e[i].p);
		proto_reply_add_result(&b, &res);
	}
	proto_reply_finish(&b, (uint32_t) w->n, w->nunmatched, w->unmatched);
	reply_send(&w->rt, w->type, w->id, &b);
	waiter_free(w);
}

static void waiter_timer_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct waiter *w = container_of(t, struct waiter, timer);
	waiter_unlink(w);
	waiter_answer(w, ANSWER_DEADLINE);
}

static struct waiter *waiter_alloc(const struct proto_request *req, struct route *rt, size_t n)
{
	struct waiter *w = xcalloc(1, sizeof(*w));
	w->rt = *rt;
	rt->mq = (mqd_t) -1;
	w->type = req->type;
	w->id = req->id;
	w->cap = n;
	w->e = xcalloc(n ? n : 1, sizeof(*w->e));
	w->client_fd = -1;
	ev_init(&w->timer, waiter_timer_cb);
	return w;
}

struct waiter *waiter_new(const struct proto_request *req, struct route *rt, size_t n, enum mgr_goal goal)
{
	struct waiter *w = waiter_alloc(req, rt, n);
	w->goal = goal;
	return w;
}

struct waiter *waiter_new_exact(const struct proto_request *req, struct route *rt, size_t n, enum proc_state state)
{
	struct waiter *w = waiter_alloc(req, rt, n);
	w->exact = true;
	w->state = state;
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

void waiter_add_done(struct waiter *w, const struct process *p, uint16_t pattern, int32_t result, uint8_t flags)
{
	struct wentry *e = entry_new(w, pattern);
	e->flags = flags;
	e->name = xstrdup(manager_name(p));
	entry_set(e, result, manager_state(p));
}

void waiter_add_proc(struct waiter *w, struct process *p, uint16_t pattern, unsigned spawns0, uint8_t flags)
{
	struct wentry *e = entry_new(w, pattern);
	e->flags = flags;
	e->p = p;
	e->spawns0 = spawns0;
}

void waiter_set_unmatched(struct waiter *w, const uint16_t *idx, size_t n)
{
	w->nunmatched = n < PROTO_ARGS_MAX ? n : PROTO_ARGS_MAX;
	memcpy(w->unmatched, idx, w->nunmatched * sizeof(*idx));
}

/* The client is gone (a droverctl killed while it waited): nobody will read the answer. The
 * waiter goes now rather than at its deadline (up to a day: 256 such waiters made every later
 * waiting command "busy"), and so does the reply queue the client could not remove. */
static void client_gone(struct waiter *w)
{
	log_debug("control: client of %s is gone: its waiter is dropped", w->rt.name);
	(void) mq_unlink(w->rt.name);
	waiter_free(w);
}

static void client_cb(struct ev_loop *loop, ev_io *io, int revents)
{
	struct waiter *w = container_of(io, struct waiter, client_watch);
	waiter_unlink(w);
	client_gone(w);
}

/* Watch the client's process (the pid its reply queue's name carries: checked to be the queue
 * owner's when droverd runs as root) through a pidfd, readable once it exits. 0, or -ESRCH when
 * it is gone already. Without a pidfd (an old kernel, no descriptor left) the deadline alone
 * ends the waiter, as it would anyway. */
static int client_watch(struct waiter *w)
{
	pid_t pid = route_client_pid(&w->rt);
	if (pid <= 0)
		return 0;
	int fd = (int) pidfd_open(pid, 0);
	if (fd < 0)
		return errno == ESRCH ? -ESRCH : 0;
	w->client_fd = fd;
	ev_io_init(&w->client_watch, client_cb, fd, EV_READ);
	ev_io_start(srv.loop, &w->client_watch);
	return 0;
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
				entry_set(&w->e[i], -EINPROGRESS, manager_state(w->e[i].p));
		waiter_answer(w, ANSWER_DONE);
		return;
	}
	if (client_watch(w) < 0) {
		client_gone(w);
		return;
	}
	if (deadline_ms > WAIT_MAX_MS)
		deadline_ms = WAIT_MAX_MS;
	ev_timer_set(&w->timer, deadline_ms / 1000.0, 0.);
	/* the action may have taken long (a start of 1000 processes): the deadline counts from now */
	ev_now_update(srv.loop);
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
				if (w->exact ? w->state == PROC_STOPPED : w->goal == MGR_GOAL_STOPPED)
					entry_set(e, 0, PROC_STOPPED);
				else
					entry_set(e, -EIDRM, PROC_STOPPED);
				w->pending--;
			}
			e->name = xstrdup(manager_name(p));
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
