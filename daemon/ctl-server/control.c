/* The control server: the request queue /NAME.ctl, validation, dispatch, non-blocking replies.
 *
 * Contract (issue 3, RELIABILITY T23-T29):
 * - The request queue is read non-blocking from an ev_io watcher, at most RECEIVE_BATCH
 *   messages per wakeup (libev io watchers are level-triggered: the rest comes next iteration,
 *   so a flood cannot starve the loop). The watcher is never stopped before control_close().
 * - Every request is validated by proto_request_decode() and its reply route by route_open()
 *   BEFORE anything is executed. A request whose route cannot be opened is not executed:
 *   nobody could learn its result. Authorization is the mode/group of /NAME.ctl only; the
 *   route checks below protect third parties' queues, they grant nothing.
 * - Replies are sent with mq_send() on O_NONBLOCK descriptors only. A reply queue that is full
 *   before the first fragment is dropped at once (a client that does not read its queue costs
 *   one failed mq_send per request); one that fills up mid-reply gets an "outbox" that an
 *   EV_WRITE watcher drains, bounded in number, bytes, one per queue name, and time.
 * - Requests that wait for states (START/STOP/RESTART with a deadline, WAIT) become "waiters",
 *   bounded in number, re-evaluated on every state change, answered when done or at their
 *   deadline. Evaluation looks at the current state only, so a missed transition is harmless.
 *
 * Reply conventions (droverctl relies on them):
 * - result records: 0 "started" / "stopped" / "restarted" (waited), "starting" / "stopping" /
 *   "restarting" (not waited: arg2 == 0), "signalled"; errors -EALREADY "ERROR (already started)",
 *   -ESRCH "ERROR (not running)", -ENOENT "ERROR (no such process)", -EIO "ERROR (spawn error)"
 *   (FATAL) / "ERROR (abnormal termination)" (EXITED) / "ERROR (stopped)", -ETIMEDOUT with the
 *   current state name as message, -ESHUTDOWN "ERROR (shutting down)", -ECANCELED at daemon exit.
 * - The reply's own result is 0 when every record is 0, else the first non-zero record result.
 * - STATUS / PID with an unknown pattern: result -ENOENT, message "no such process: a, b", and
 *   the status records of what matched.
 * - VERSION: "droverd VERSION pid N protocol P\ncontrol received=... bad=..." (struct control_stats).
 */
#include "ctl-server/control.h"

#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/depends.h"
#include "core/events.h"
#include "core/manager.h"
#include "core/process.h"
#include "os/log.h"
#include "os/logpipe.h"
#include "proto.h"
#include "core/reload.h"
#include "core/supervisor.h"
#include "util.h"

#define RECEIVE_BATCH      64                    /* messages per wakeup */
#define WAITERS_MAX        256
#define OUTBOXES_MAX       64
#define OUTBOX_BYTES_MAX   (8u << 20)
#define OUTBOX_TIMEOUT_S   5.0
#define WAIT_MAX_MS        (24u * 3600u * 1000u)
#define CTL_MSGSIZE        4096
#define CTL_MAXMSG_CAP     64                    /* RLIMIT_MSGQUEUE is shared with the reply queues */
#define BADLOG_PER_SEC     5

#define container_of(ptr, type, member) ((type *) (void *) ((char *) (ptr) - offsetof(type, member)))

/* An opened, checked reply queue. */
struct route {
	mqd_t mq;
	size_t msgsize;
	char name[PROTO_NAME_MAX];
};

/* A reply that met a full queue mid-way: the rest goes out when the queue has room. */
struct outbox {
	struct outbox *next, *prev;
	struct route rt;
	uint16_t type;
	uint32_t id;
	uint16_t next_fragment;
	struct proto_buf payload;
	ev_io io;
	ev_timer timer;
};

/* One record of a waiter: a process to watch, or a fixed answer (unmatched pattern, error). */
struct wentry {
	struct process *p;       /* NULL once the process is gone, or for a fixed answer */
	char *name;              /* owned copy when p is NULL */
	unsigned spawns0;        /* p->spawns before acting */
	bool need_spawn;         /* START/RESTART: only a later spawn can satisfy it */
	bool done;
	int32_t result;
	const char *message;     /* static text */
};

enum answer_why { ANSWER_DONE, ANSWER_DEADLINE, ANSWER_CANCEL };

struct waiter {
	struct waiter *next, *prev;
	struct route rt;
	uint16_t type;
	uint32_t id;
	uint32_t target;         /* enum proc_state, PROTO_WAIT_STARTED or PROTO_WAIT_STOPPED */
	const char *ok_word;     /* message for a satisfied record; NULL = the state's name */
	size_t n, pending;
	struct wentry *e;
	ev_timer timer;
};

static struct {
	struct ev_loop *loop;
	bool open, started, closing;
	mqd_t mq;
	char name[PROTO_NAME_MAX];
	char instance[PROTO_NAME_MAX];
	size_t msgsize;
	uint8_t *rxbuf;
	ev_io io;
	struct waiter *waiters;
	struct outbox *outboxes;
	struct control_stats st;
	uint64_t badlog_window_ns;
	unsigned badlog_lines;
	unsigned long badlog_suppressed;
} ctl = { .mq = (mqd_t) -1 };

static void on_state_changed(void *ctx, struct process *p, enum proc_state old);
static void on_gone(void *ctx, struct process *p);
static void on_config_applied(void *ctx, const struct drover_config *cfg);

/* Waiters follow every state change; a removed process answers its waiters; control_mode and
 * control_group of a reloaded config apply to the open queue at once. */
static struct events_subscriber subscriber = {
	.state_changed = on_state_changed, .gone = on_gone, .config_applied = on_config_applied,
};

/* Rate-limited warning about a bad request: at most BADLOG_PER_SEC lines per second. */
static void bad_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void bad_log(const char *fmt, ...)
{
	uint64_t now = now_mono_ns();
	char buf[512];
	va_list ap;

	if (now - ctl.badlog_window_ns >= NSEC_PER_SEC) {
		if (ctl.badlog_suppressed)
			log_warn("control: %lu more bad requests not logged", ctl.badlog_suppressed);
		ctl.badlog_window_ns = now;
		ctl.badlog_lines = 0;
		ctl.badlog_suppressed = 0;
	}
	if (ctl.badlog_lines >= BADLOG_PER_SEC) {
		ctl.badlog_suppressed++;
		return;
	}
	ctl.badlog_lines++;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	log_warn("control: %s (%lu bad so far)", buf, ctl.st.bad);
}

/* ---- reply routes ---- */

static void route_close(struct route *rt)
{
	if (rt->mq != (mqd_t) -1)
		(void) mq_close(rt->mq);
	rt->mq = (mqd_t) -1;
}

/* The name must be ours (proto_reply_queue_name_valid); the queue must exist (never created
 * here), be private (mode 0600 as droverctl creates it) and, when we run as root and could
 * write into anybody's queue, belong to the owner of the pid its name carries. */
static int route_open(const char *name, struct route *rt)
{
	struct mq_attr a;
	struct stat st;
	mqd_t q;
	int r;

	if (!proto_reply_queue_name_valid(name, ctl.instance))
		return -EINVAL;
	q = mq_open(name, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	if (q == (mqd_t) -1)
		return -errno;
	if (fstat(q, &st) < 0) {
		r = -errno;
		goto fail;
	}
	if (st.st_mode & 077) {
		r = -EPERM;
		goto fail;
	}
	if (geteuid() == 0) {
		/* name = "/" instance ".reply." PID "." HEX, already validated */
		const char *pid = name + 1 + strlen(ctl.instance) + strlen(".reply.");
		char proc[64];
		struct stat ps;
		snprintf(proc, sizeof(proc), "/proc/%.*s", (int) strcspn(pid, "."), pid);
		if (stat(proc, &ps) < 0) {
			r = -ESRCH;   /* its droverctl is gone */
			goto fail;
		}
		if (ps.st_uid != st.st_uid) {
			r = -EPERM;
			goto fail;
		}
	}
	if (mq_getattr(q, &a) < 0) {
		r = -errno;
		goto fail;
	}
	if (a.mq_msgsize < PROTO_MSG_MIN) {
		r = -EMSGSIZE;
		goto fail;
	}
	rt->mq = q;
	rt->msgsize = a.mq_msgsize > PROTO_MSG_MAX ? PROTO_MSG_MAX : (size_t) a.mq_msgsize;
	strcpy_bounded(rt->name, sizeof(rt->name), name);
	return 0;
fail:
	(void) mq_close(q);
	return r;
}

/* Send fragments from *k on; 0 when the last one is out, -EAGAIN when the queue is full. */
static int send_fragments(struct route *rt, uint16_t type, uint32_t id, const struct proto_buf *b, uint16_t *k)
{
	static uint8_t out[PROTO_MSG_MAX];

	for (;;) {
		bool more;
		size_t n = proto_reply_fragment(b, type, id, rt->msgsize, *k, out, &more);
		if (n == 0)
			return -EMSGSIZE;
		if (mq_send(rt->mq, (const char *) out, n, 0) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (!more)
			return 0;
		(*k)++;
	}
}

static void outbox_free(struct outbox *o)
{
	if (o->prev)
		o->prev->next = o->next;
	else
		ctl.outboxes = o->next;
	if (o->next)
		o->next->prev = o->prev;
	ev_io_stop(ctl.loop, &o->io);
	ev_timer_stop(ctl.loop, &o->timer);
	ctl.st.outboxes--;
	ctl.st.outbox_bytes -= o->payload.len;
	route_close(&o->rt);
	proto_buf_free(&o->payload);
	free(o);
}

static void outbox_io_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct outbox *o = container_of(w, struct outbox, io);
	int r = send_fragments(&o->rt, o->type, o->id, &o->payload, &o->next_fragment);

	if (r == -EAGAIN)
		return;
	if (r == 0)
		ctl.st.replies_sent++;
	else
		ctl.st.replies_dropped++;
	outbox_free(o);
}

static void outbox_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct outbox *o = container_of(w, struct outbox, timer);
	ctl.st.replies_dropped++;
	bad_log("reply to %s not read within %.0f s: dropped", o->rt.name, OUTBOX_TIMEOUT_S);
	outbox_free(o);
}

/* Keep the rest of a reply for later; false when over a bound (the caller drops it). */
static bool outbox_add(struct route *rt, uint16_t type, uint32_t id, struct proto_buf *payload, uint16_t k)
{
	struct outbox *o;

	if (ctl.closing || !ctl.loop || ctl.st.outboxes >= OUTBOXES_MAX ||
	    ctl.st.outbox_bytes + payload->len > OUTBOX_BYTES_MAX)
		return false;
	for (o = ctl.outboxes; o; o = o->next)
		if (strcmp(o->rt.name, rt->name) == 0)
			return false;   /* one per reply queue: a client cannot hold many */
	o = xcalloc(1, sizeof(*o));
	o->rt = *rt;
	rt->mq = (mqd_t) -1;   /* the outbox owns the descriptor now: the caller must not close it */
	o->type = type;
	o->id = id;
	o->next_fragment = k;
	o->payload = *payload;
	*payload = (struct proto_buf) { 0 };
	/* Linux: an mqueue descriptor polls POLLOUT while the queue is not full. */
	ev_io_init(&o->io, outbox_io_cb, o->rt.mq, EV_WRITE);
	ev_timer_init(&o->timer, outbox_timer_cb, OUTBOX_TIMEOUT_S, 0.);
	ev_io_start(ctl.loop, &o->io);
	ev_timer_start(ctl.loop, &o->timer);
	o->next = ctl.outboxes;
	if (o->next)
		o->next->prev = o;
	ctl.outboxes = o;
	ctl.st.outboxes++;
	ctl.st.outbox_bytes += o->payload.len;
	ctl.st.replies_deferred++;
	return true;
}

/* Send a whole reply; takes the route and the payload. Never blocks. */
static void reply_send(struct route *rt, uint16_t type, uint32_t id, struct proto_buf *payload)
{
	uint16_t k = 0;
	int r;

	type &= (uint16_t) ~PROTO_REPLY_BIT;
	if (payload->len > PROTO_REPLY_MAX) {
		static const char msg[] = "reply too large";
		proto_reply_begin(payload, -EMSGSIZE, msg, sizeof(msg) - 1);
		proto_reply_finish(payload, 0);
	}
	r = send_fragments(rt, type, id, payload, &k);
	if (r == 0) {
		ctl.st.replies_sent++;
	} else if (r == -EAGAIN && k > 0 && outbox_add(rt, type, id, payload, k)) {
		return;   /* the outbox owns route and payload now */
	} else {
		/* full before the first fragment (a client that does not read), gone, or over a bound */
		ctl.st.replies_dropped++;
		log_debug("control: reply to %s dropped: %s", rt->name, strerror(-r));
	}
	route_close(rt);
	proto_buf_free(payload);
}

static void reply_simple(struct route *rt, uint16_t type, uint32_t id, int32_t result, const char *msg)
{
	struct proto_buf b = { 0 };
	proto_reply_begin(&b, result, msg, strlen(msg));
	proto_reply_finish(&b, 0);
	reply_send(rt, type, id, &b);
}

/* ---- matching ---- */

struct match {
	struct process **v;
	size_t n;
	const char *unmatched[PROTO_ARGS_MAX];
	size_t nunmatched;
};

/* Every pattern of the request (none = "all"); patterns that match nothing are listed. */
static void match_request(const struct proto_request *req, struct match *m)
{
	*m = (struct match) { 0 };
	if (req->nargs == 0) {
		(void) supervisor_match("all", &m->v, &m->n);
		return;
	}
	for (uint32_t i = 0; i < req->nargs; i++)
		if (supervisor_match(req->args[i], &m->v, &m->n) == 0)
			m->unmatched[m->nunmatched++] = req->args[i];
}

static void match_free(struct match *m)
{
	free(m->v);
	m->v = NULL;
	m->n = 0;
}

/* ---- waiters ---- */

static bool entry_set(struct wentry *e, int32_t result, const char *message)
{
	e->done = true;
	e->result = result;
	e->message = message;
	return true;
}

/* Is the entry's target reached (or definitely missed)? Sets the record when so.
 *   PROTO_WAIT_STARTED: RUNNING -> ok; FATAL -> "spawn error"; EXITED -> "abnormal termination";
 *     STOPPED -> "stopped"; STARTING / BACKOFF / STOPPING keep waiting. For START/RESTART
 *     (need_spawn) only the state after a new spawn counts, except FATAL, which is final.
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
			return entry_set(e, -EIO, "ERROR (spawn error)");
		if (e->need_spawn && p->spawns == e->spawns0)
			return false;
		switch (p->state) {
		case PROC_RUNNING:
			return entry_set(e, 0, w->ok_word);
		case PROC_EXITED:
			return entry_set(e, -EIO, "ERROR (abnormal termination)");
		case PROC_STOPPED:
			return entry_set(e, -EIO, "ERROR (stopped)");
		default:
			return false;
		}
	case PROTO_WAIT_STOPPED:
		if (p->state == PROC_STOPPED || p->state == PROC_EXITED || p->state == PROC_FATAL)
			return entry_set(e, 0, w->ok_word);
		return false;
	default:
		if (p->state == (enum proc_state) w->target)
			return entry_set(e, 0, w->ok_word ? w->ok_word : proc_state_to_string(p->state));
		return false;
	}
}

static const char *entry_name(const struct wentry *e)
{
	return e->p ? e->p->cfg->fullname : e->name ? e->name : "";
}

static void waiter_unlink(struct waiter *w)
{
	if (w->prev)
		w->prev->next = w->next;
	else
		ctl.waiters = w->next;
	if (w->next)
		w->next->prev = w->prev;
	w->next = w->prev = NULL;
	ctl.st.waiters--;
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
	int32_t overall = 0;
	const char *msg = "";

	for (size_t i = 0; i < w->n; i++) {
		struct wentry *e = &w->e[i];
		if (!e->done && why == ANSWER_DEADLINE)
			entry_set(e, -ETIMEDOUT, e->p ? proc_state_to_string(e->p->state) : "UNKNOWN");
		else if (!e->done)
			entry_set(e, -ECANCELED, "ERROR (droverd is shutting down)");
		if (e->result != 0 && overall == 0)
			overall = e->result;
	}
	if (overall == -ETIMEDOUT)
		msg = "timed out";
	proto_reply_begin(&b, overall, msg, strlen(msg));
	for (size_t i = 0; i < w->n; i++)
		proto_reply_add_result(&b, entry_name(&w->e[i]), w->e[i].result, w->e[i].message);
	proto_reply_finish(&b, (uint32_t) w->n);
	if (ctl.loop)
		ev_timer_stop(ctl.loop, &w->timer);
	reply_send(&w->rt, w->type, w->id, &b);
	waiter_free(w);
}

static void waiter_timer_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct waiter *w = container_of(t, struct waiter, timer);
	waiter_unlink(w);
	waiter_answer(w, ANSWER_DEADLINE);
}

/* Evaluate every entry once; answer now when nothing is pending or there is no deadline,
 * else register the waiter. Takes w (and its route). */
static void waiter_submit(struct waiter *w, uint32_t deadline_ms, const char *nowait_word)
{
	w->pending = 0;
	for (size_t i = 0; i < w->n; i++)
		if (!entry_eval(w, &w->e[i]))
			w->pending++;
	if (w->pending == 0) {
		waiter_answer(w, ANSWER_DONE);
		return;
	}
	if (deadline_ms == 0 || !ctl.loop) {
		if (!nowait_word) {
			/* WAIT without a deadline: a snapshot, unsatisfied records time out at once */
			waiter_answer(w, ANSWER_DEADLINE);
			return;
		}
		/* START/STOP/RESTART not waited for: the request was made, say so */
		for (size_t i = 0; i < w->n; i++)
			if (!w->e[i].done)
				entry_set(&w->e[i], 0, nowait_word);
		waiter_answer(w, ANSWER_DONE);
		return;
	}
	if (deadline_ms > WAIT_MAX_MS)
		deadline_ms = WAIT_MAX_MS;
	ev_timer_init(&w->timer, waiter_timer_cb, deadline_ms / 1000.0, 0.);
	ev_timer_start(ctl.loop, &w->timer);
	w->next = ctl.waiters;
	if (w->next)
		w->next->prev = w;
	ctl.waiters = w;
	ctl.st.waiters++;
}

static struct waiter *waiter_new(const struct proto_request *req, struct route *rt, size_t n)
{
	struct waiter *w = xcalloc(1, sizeof(*w));
	w->rt = *rt;
	rt->mq = (mqd_t) -1;
	w->type = req->type;
	w->id = req->id;
	w->e = xcalloc(n ? n : 1, sizeof(*w->e));
	return w;
}

static void waiter_add_fixed(struct waiter *w, const char *name, int32_t result, const char *message)
{
	struct wentry *e = &w->e[w->n++];
	e->name = xstrdup(name);
	entry_set(e, result, message);
}

static void waiter_add_proc(struct waiter *w, struct process *p, bool need_spawn)
{
	struct wentry *e = &w->e[w->n++];
	e->p = p;
	e->spawns0 = p->spawns;
	e->need_spawn = need_spawn;
}

static void on_state_changed(void *ctx, struct process *p, enum proc_state old)
{
	struct waiter *w, *next;

	for (w = ctl.waiters; w; w = next) {
		next = w->next;
		for (size_t i = 0; i < w->n; i++)
			if (w->e[i].p == p && !w->e[i].done && entry_eval(w, &w->e[i]))
				w->pending--;
		if (w->pending == 0) {
			waiter_unlink(w);
			waiter_answer(w, ANSWER_DONE);
		}
	}
}

static void on_gone(void *ctx, struct process *p)
{
	struct waiter *w, *next;

	for (w = ctl.waiters; w; w = next) {
		next = w->next;
		for (size_t i = 0; i < w->n; i++) {
			struct wentry *e = &w->e[i];
			if (e->p != p)
				continue;
			if (!e->done) {
				/* removed by reload: it is stopped for good */
				if (w->target == PROTO_WAIT_STOPPED || w->target == PROC_STOPPED)
					entry_set(e, 0, w->ok_word ? w->ok_word : "STOPPED");
				else
					entry_set(e, -ENOENT, "ERROR (removed)");
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

/* ---- handlers: one per request type, each consumes the route ---- */

typedef void handler_fn(const struct proto_request *req, struct route *rt);

/* "no such process: a, b" into buf. */
static const char *unmatched_text(const struct match *m, char *buf, size_t size)
{
	size_t o;
	if (m->nunmatched == 0)
		return "";
	o = (size_t) snprintf(buf, size, "no such process:");
	for (size_t i = 0; i < m->nunmatched && o < size; i++)
		o += (size_t) snprintf(buf + o, size - o, "%s %s", i ? "," : "", m->unmatched[i]);
	return buf;
}

static void reply_status(const struct proto_request *req, struct route *rt)
{
	struct proto_buf b = { 0 };
	struct match m;
	char text[1024];
	const char *msg;

	match_request(req, &m);
	msg = unmatched_text(&m, text, sizeof(text));
	proto_reply_begin(&b, m.nunmatched ? -ENOENT : 0, msg, strlen(msg));
	for (size_t i = 0; i < m.n; i++) {
		struct proto_status s;
		memset(&s, 0, sizeof(s));
		process_status(m.v[i], &s);
		proto_reply_add_status(&b, &s);
	}
	proto_reply_finish(&b, (uint32_t) m.n);
	match_free(&m);
	reply_send(rt, req->type, req->id, &b);
}

static void do_status(const struct proto_request *req, struct route *rt)
{
	reply_status(req, rt);
}

static void do_pid(const struct proto_request *req, struct route *rt)
{
	char pid[32];
	if (req->nargs > 0) {
		reply_status(req, rt);
		return;
	}
	snprintf(pid, sizeof(pid), "%d", (int) getpid());
	reply_simple(rt, req->type, req->id, 0, pid);
}

/* START / STOP / RESTART: act on every matched process at once, then wait (arg2 ms) for all. */
/* Requests that name processes and may wait: refused (answered) when they name none, or when
 * too many waiters are pending already. */
static bool waiter_admit(const struct proto_request *req, struct route *rt)
{
	if (req->nargs == 0) {
		reply_simple(rt, req->type, req->id, -EINVAL, "no process name given");
		return false;
	}
	if (req->arg2 > 0 && ctl.st.waiters >= WAITERS_MAX) {
		ctl.st.busy++;
		reply_simple(rt, req->type, req->id, -EBUSY, "droverd is busy: too many pending requests");
		return false;
	}
	return true;
}

static void do_action(const struct proto_request *req, struct route *rt)
{
	static const struct {
		uint32_t target;
		const char *ok, *nowait;
	} kinds[PROTO_TYPE_MAX] = {
		[PROTO_START] = { PROTO_WAIT_STARTED, "started", "starting" },
		[PROTO_STOP] = { PROTO_WAIT_STOPPED, "stopped", "stopping" },
		[PROTO_RESTART] = { PROTO_WAIT_STARTED, "restarted", "restarting" },
	};
	struct match m;
	struct waiter *w;

	if (!waiter_admit(req, rt))
		return;
	match_request(req, &m);
	struct process **tostop = xcalloc(m.n + 1, sizeof(*tostop));
	size_t ntostop = 0;
	w = waiter_new(req, rt, m.n + m.nunmatched);
	w->target = kinds[req->type].target;
	w->ok_word = kinds[req->type].ok;

	for (size_t i = 0; i < m.n; i++) {
		struct process *p = m.v[i];

		if (req->type != PROTO_STOP && (manager_shutting_down() || p->removed)) {
			waiter_add_fixed(w, p->cfg->fullname, -ESHUTDOWN,
			                 p->removed ? "ERROR (removed by reload)" : "ERROR (shutting down)");
			continue;
		}
		switch (req->type) {
		case PROTO_START:
			/* supervisord: STARTING, RUNNING and BACKOFF are "already started" */
			if (p->state == PROC_STARTING || p->state == PROC_RUNNING || p->state == PROC_BACKOFF) {
				waiter_add_fixed(w, p->cfg->fullname, -EALREADY, "ERROR (already started)");
				break;
			}
			waiter_add_proc(w, p, true);
			/* a stopping process starts once it is down */
			if (p->state == PROC_STOPPING)
				process_restart(p);
			else
				process_start(p);
			break;
		case PROTO_STOP:
			if (p->state == PROC_STOPPED || p->state == PROC_EXITED || p->state == PROC_FATAL ||
			    p->state == PROC_UNKNOWN) {
				if (p->state == PROC_FATAL)
					process_stop(p);   /* cancels a pending fatal_retry */
				waiter_add_fixed(w, p->cfg->fullname, -ESRCH, "ERROR (not running)");
				break;
			}
			waiter_add_proc(w, p, false);
			tostop[ntostop++] = p;   /* stopped together below, dependants first */
			break;
		default:
			waiter_add_proc(w, p, true);
			process_restart(p);
			break;
		}
	}
	stop_batch_start(tostop, ntostop);
	free(tostop);
	for (size_t i = 0; i < m.nunmatched; i++)
		waiter_add_fixed(w, m.unmatched[i], -ENOENT, "ERROR (no such process)");
	match_free(&m);
	waiter_submit(w, req->arg2, kinds[req->type].nowait);
}

static void do_wait(const struct proto_request *req, struct route *rt)
{
	struct match m;
	struct waiter *w;

	if (req->arg1 >= PROC_STATE_MAX && req->arg1 != PROTO_WAIT_STARTED && req->arg1 != PROTO_WAIT_STOPPED) {
		reply_simple(rt, req->type, req->id, -EINVAL, "invalid wait target");
		return;
	}
	if (!waiter_admit(req, rt))
		return;
	match_request(req, &m);
	w = waiter_new(req, rt, m.n + m.nunmatched);
	w->target = req->arg1;
	w->ok_word = req->arg1 == PROTO_WAIT_STARTED ? "started" : req->arg1 == PROTO_WAIT_STOPPED ? "stopped" : NULL;
	for (size_t i = 0; i < m.n; i++)
		waiter_add_proc(w, m.v[i], false);
	for (size_t i = 0; i < m.nunmatched; i++)
		waiter_add_fixed(w, m.unmatched[i], -ENOENT, "ERROR (no such process)");
	match_free(&m);
	/* deadline 0: answer at once, unsatisfied records get -ETIMEDOUT (see waiter_submit) */
	waiter_submit(w, req->arg2, NULL);
}

static void do_signal(const struct proto_request *req, struct route *rt)
{
	struct proto_buf b = { 0 };
	struct match m;
	int32_t overall = 0;
	int *res;

	if (req->arg1 < 1 || req->arg1 > 64) {
		reply_simple(rt, req->type, req->id, -EINVAL, "invalid signal number");
		return;
	}
	if (req->nargs == 0) {
		reply_simple(rt, req->type, req->id, -EINVAL, "no process name given");
		return;
	}
	match_request(req, &m);
	res = xcalloc(m.n ? m.n : 1, sizeof(*res));
	for (size_t i = 0; i < m.n; i++) {
		res[i] = process_signal(m.v[i], (int) req->arg1);
		if (res[i] < 0 && overall == 0)
			overall = res[i];
	}
	if (m.nunmatched && overall == 0)
		overall = -ENOENT;
	proto_reply_begin(&b, overall, NULL, 0);
	for (size_t i = 0; i < m.n; i++) {
		char text[PROTO_NAME_MAX];
		if (res[i] == 0)
			snprintf(text, sizeof(text), "signalled");
		else if (res[i] == -ESRCH)
			snprintf(text, sizeof(text), "ERROR (not running)");
		else
			snprintf(text, sizeof(text), "ERROR (%s)", strerror(-res[i]));
		proto_reply_add_result(&b, m.v[i]->cfg->fullname, res[i], text);
	}
	for (size_t i = 0; i < m.nunmatched; i++)
		proto_reply_add_result(&b, m.unmatched[i], -ENOENT, "ERROR (no such process)");
	proto_reply_finish(&b, (uint32_t) (m.n + m.nunmatched));
	free(res);
	match_free(&m);
	reply_send(rt, req->type, req->id, &b);
}

static void do_reload(const struct proto_request *req, struct route *rt)
{
	struct proto_buf b = { 0 };
	struct reload_result rr;
	int r = reload_run(&rr);
	const char *msg = rr.errors ? rr.errors : "";

	proto_reply_begin(&b, r, msg, strlen(msg));
	for (size_t i = 0; i < rr.n; i++)
		proto_reply_add_result(&b, rr.entries[i].name, (int32_t) rr.entries[i].action,
		                       proto_reload_action_to_string(rr.entries[i].action));
	proto_reply_finish(&b, (uint32_t) rr.n);
	reload_result_free(&rr);
	reply_send(rt, req->type, req->id, &b);
}

static void do_shutdown(const struct proto_request *req, struct route *rt)
{
	log_info("shutdown requested through droverctl");
	reply_simple(rt, req->type, req->id, 0, "shutting down");
	supervisor_shutdown();
}

/* TAIL: arg1 = lines (0 = all kept), arg2 = stream (0 stdout, 1 stderr) | 0x100 follow,
 * args[0] = one process, args[1] = the FIFO to stream into (follow). See logpipe.h. */
static void do_tail(const struct proto_request *req, struct route *rt)
{
	struct process **v = NULL;
	size_t n = 0;
	char *text = NULL, msg[PROTO_NAME_MAX + 128];
	size_t len = 0;
	int stream = (int) (req->arg2 & 0xffu), r;
	bool follow = req->arg2 & 0x100u;

	if (req->nargs < (follow ? 2u : 1u) || (req->arg2 & ~0x1ffu)) {
		reply_simple(rt, req->type, req->id, -EINVAL, "tail: bad request");
		return;
	}
	if (supervisor_match(req->args[0], &v, &n) != 1) {
		msg[0] = '\0';   /* -ENOENT without text: droverctl prints its "no such process" */
		if (n)
			snprintf(msg, sizeof(msg), "tail: '%s' names %zu processes, not one", req->args[0], n);
		reply_simple(rt, req->type, req->id, n ? -EINVAL : -ENOENT, msg);
		free(v);
		return;
	}
	r = follow ? manager_follow(v[0], stream, req->arg1, req->args[1])
	           : manager_tail(v[0], stream, req->arg1, &text, &len);
	if (r == -ENODATA)
		snprintf(msg, sizeof(msg), "%s: stderr is redirected to stdout (redirect_stderr)", v[0]->cfg->fullname);
	else if (r == -EPERM)
		snprintf(msg, sizeof(msg), "tail -f: %s is not a private FIFO (mode 0600, in a 0700 directory of its owner)",
		         req->args[1]);
	else if (r < 0)
		snprintf(msg, sizeof(msg), "tail%s: %s", follow ? " -f" : "", strerror(-r));
	free(v);
	if (r < 0) {
		reply_simple(rt, req->type, req->id, r, msg);
		return;
	}
	struct proto_buf b = { 0 };
	proto_reply_begin(&b, 0, text, len);
	proto_reply_finish(&b, 0);
	free(text);
	reply_send(rt, req->type, req->id, &b);
}

static void do_version(const struct proto_request *req, struct route *rt)
{
	const struct control_stats *s = control_get_stats();
	char text[512];
	snprintf(text, sizeof(text),
	         "droverd %s pid %d protocol %d\n"
	         "control received=%lu bad=%lu bad_answered=%lu replies_sent=%lu replies_deferred=%lu "
	         "replies_dropped=%lu busy=%lu waiters=%lu outboxes=%lu outbox_bytes=%lu",
	         DROVER_VERSION, (int) getpid(), PROTO_VERSION, s->received, s->bad, s->bad_answered,
	         s->replies_sent, s->replies_deferred, s->replies_dropped, s->busy, s->waiters, s->outboxes,
	         s->outbox_bytes);
	reply_simple(rt, req->type, req->id, 0, text);
}

/* The command table is closed: indexed by the validated type, no lookup by name (T24). */
static handler_fn *const handlers[PROTO_TYPE_MAX] = {
	[PROTO_STATUS] = do_status,   [PROTO_START] = do_action,      [PROTO_STOP] = do_action,
	[PROTO_RESTART] = do_action,  [PROTO_SIGNAL] = do_signal,     [PROTO_PID] = do_pid,
	[PROTO_RELOAD] = do_reload,   [PROTO_SHUTDOWN] = do_shutdown, [PROTO_TAIL] = do_tail,
	[PROTO_WAIT] = do_wait,       [PROTO_VERSION_REQ] = do_version,
};

/* ---- receiving ---- */

static void handle_bad(const uint8_t *buf, size_t len, int r)
{
	char q[PROTO_NAME_MAX], shown[64], text[128];
	struct route rt = { .mq = (mqd_t) -1 };
	uint32_t id;
	uint16_t type;

	ctl.st.bad++;
	if (proto_request_salvage(buf, len, &id, &type, q) < 0) {
		bad_log("malformed request of %zu bytes dropped: %s", len, strerror(-r));
		return;
	}
	escape_line(shown, sizeof(shown), q);
	int rr = route_open(q, &rt);
	if (rr < 0) {
		bad_log("malformed request of %zu bytes (%s) for reply queue %s dropped: %s", len, strerror(-r),
		        shown, strerror(-rr));
		return;
	}
	ctl.st.bad_answered++;
	bad_log("malformed request of %zu bytes from %s answered: %s", len, shown, strerror(-r));
	if (r == -EPROTO)
		snprintf(text, sizeof(text), "protocol version mismatch: droverd %s speaks protocol %d",
		         DROVER_VERSION, PROTO_VERSION);
	else
		snprintf(text, sizeof(text), "malformed request: %s", strerror(-r));
	reply_simple(&rt, type, id, r, text);
}

static void handle_message(const uint8_t *buf, size_t len)
{
	static struct proto_request req;   /* 8 KiB: not on the stack */
	struct route rt = { .mq = (mqd_t) -1 };
	int r;

	r = proto_request_decode(buf, len, &req);
	if (r < 0) {
		handle_bad(buf, len, r);
		return;
	}
	r = route_open(req.reply_queue, &rt);
	if (r < 0) {
		char shown[64];
		ctl.st.bad++;
		escape_line(shown, sizeof(shown), req.reply_queue);
		bad_log("%s request dropped: reply queue %s: %s", proto_type_to_string(req.type), shown,
		        r == -EINVAL ? "not a droverctl reply queue of this instance" : strerror(-r));
		return;
	}
	if (!handlers[req.type]) {   /* cannot happen: decode checked the range and the table is full */
		reply_simple(&rt, req.type, req.id, -ENOSYS, "not implemented");
		return;
	}
	handlers[req.type](&req, &rt);
}

static void receive_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	for (int i = 0; i < RECEIVE_BATCH && ctl.open; i++) {
		unsigned prio;
		ssize_t n = mq_receive(ctl.mq, (char *) ctl.rxbuf, ctl.msgsize, &prio);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				bad_log("receiving from %s: %s", ctl.name, strerror(errno));
			return;
		}
		ctl.st.received++;
		handle_message(ctl.rxbuf, (size_t) n);
	}
	/* more may be queued: the level-triggered watcher fires again on the next iteration */
}

/* ---- life cycle ---- */

static long read_proc_long(const char *path, long def)
{
	FILE *f = fopen(path, "re");
	long v;
	if (!f)
		return def;
	if (fscanf(f, "%ld", &v) != 1 || v <= 0)
		v = def;
	fclose(f);
	return v;
}

/* The queue exists: refuse a foreign one; ours is stale (the caller holds the instance lock,
 * so no live droverd uses it): unlink it. 0 = try creating again. */
static int examine_existing(void)
{
	struct stat st;
	mqd_t q = mq_open(ctl.name, O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (q == (mqd_t) -1) {
		int r = -errno;
		if (r == -ENOENT)
			return 0;
		log_error("control queue %s exists and cannot be opened (%s): owned by another user? "
		          "refusing to start (squatted?)", ctl.name, strerror(-r));
		return -EEXIST;
	}
	if (fstat(q, &st) < 0) {
		int r = -errno;
		log_error("control queue %s exists and cannot be examined: %s", ctl.name, strerror(-r));
		(void) mq_close(q);
		return r;
	}
	(void) mq_close(q);
	if (st.st_uid != geteuid()) {
		struct passwd *pw = getpwuid(st.st_uid);
		log_error("control queue %s is owned by uid %u (%s): refusing to start (squatted?)", ctl.name,
		          (unsigned) st.st_uid, pw ? pw->pw_name : "unknown user");
		return -EEXIST;
	}
	log_warn("control queue %s was left over by a droverd that is gone: replacing it", ctl.name);
	if (mq_unlink(ctl.name) < 0 && errno != ENOENT) {
		int r = -errno;
		log_error("cannot remove stale control queue %s: %s", ctl.name, strerror(-r));
		return r;
	}
	return 0;
}

static int apply_access(const struct drover_config *cfg)
{
	/* through the descriptor: the creation mode was masked by the umask */
	if (cfg->control_group && fchown(ctl.mq, (uid_t) -1, cfg->control_gid) < 0) {
		int r = -errno;
		log_error("cannot give control queue %s to group %s: %s", ctl.name, cfg->control_group, strerror(-r));
		return r;
	}
	if (fchmod(ctl.mq, cfg->control_mode & 0777) < 0) {
		int r = -errno;
		log_error("cannot set mode %04o on control queue %s: %s", (unsigned) (cfg->control_mode & 0777),
		          ctl.name, strerror(-r));
		return r;
	}
	return 0;
}

int control_open(const struct drover_config *cfg)
{
	struct mq_attr attr = { 0 };
	long msg_max, msgsize_max;
	int r;

	if (ctl.open)
		return -EBUSY;
	if (strcpy_bounded(ctl.instance, sizeof(ctl.instance), cfg->name) < 0 || !instance_name_valid(cfg->name)) {
		log_error("invalid instance name '%s'", cfg->name);
		return -EINVAL;
	}
	snprintf(ctl.name, sizeof(ctl.name), "/%s.ctl", cfg->name);

	/* creating with more than msg_max fails with EINVAL, even as root */
	msg_max = read_proc_long("/proc/sys/fs/mqueue/msg_max", 10);
	msgsize_max = read_proc_long("/proc/sys/fs/mqueue/msgsize_max", PROTO_MSG_MAX);
	attr.mq_maxmsg = msg_max < CTL_MAXMSG_CAP ? msg_max : CTL_MAXMSG_CAP;
	/* Requests are small (a few names); 4 KiB halves the queue's share of the user's
	 * RLIMIT_MSGQUEUE budget (800 KiB by default, for all of the user's queues). */
	attr.mq_msgsize = msgsize_max < CTL_MSGSIZE ? msgsize_max : CTL_MSGSIZE;
	if (attr.mq_msgsize < PROTO_MSG_MIN) {
		log_error("cannot create control queue %s: /proc/sys/fs/mqueue/msgsize_max is %ld, below %d",
		          ctl.name, msgsize_max, PROTO_MSG_MIN);
		return -EMSGSIZE;
	}

	for (int attempt = 0;; attempt++) {
		ctl.mq = mq_open(ctl.name, O_RDONLY | O_CREAT | O_EXCL | O_NONBLOCK | O_CLOEXEC, 0600, &attr);
		if (ctl.mq != (mqd_t) -1)
			break;
		r = -errno;
		if (r == -EEXIST && attempt == 0) {
			r = examine_existing();
			if (r < 0)
				return r;
			continue;
		}
		log_error("cannot create control queue %s (mq_maxmsg %ld, mq_msgsize %ld): %s%s", ctl.name,
		          (long) attr.mq_maxmsg, (long) attr.mq_msgsize, strerror(-r),
		          r == -EMFILE || r == -ENOSPC || r == -ENOMEM
		                  ? " (queues_max or RLIMIT_MSGQUEUE reached? see LimitMSGQUEUE=)"
		                  : r == -EEXIST ? " (created again by someone else: squatted?)" : "");
		return r;
	}

	r = apply_access(cfg);
	if (r < 0)
		goto fail;
	if (mq_getattr(ctl.mq, &attr) < 0) {
		r = -errno;
		log_error("cannot read the attributes of control queue %s: %s", ctl.name, strerror(-r));
		goto fail;
	}
	ctl.msgsize = (size_t) attr.mq_msgsize;
	ctl.rxbuf = xmalloc(ctl.msgsize);
	ctl.open = true;
	ctl.closing = false;
	log_debug("control queue %s: %ld messages of %ld bytes, mode %04o", ctl.name, (long) attr.mq_maxmsg,
	          (long) attr.mq_msgsize, (unsigned) (cfg->control_mode & 0777));
	return 0;
fail:
	(void) mq_close(ctl.mq);
	(void) mq_unlink(ctl.name);
	ctl.mq = (mqd_t) -1;
	return r;
}

void control_start(struct ev_loop *loop)
{
	if (!ctl.open || ctl.started)
		return;
	ctl.loop = loop;
	/* Linux: an mqd_t is a descriptor that polls POLLIN while messages are queued */
	ev_io_init(&ctl.io, receive_cb, ctl.mq, EV_READ);
	ev_io_start(loop, &ctl.io);
	events_subscribe(&subscriber);
	ctl.started = true;
}

static void on_config_applied(void *ctx, const struct drover_config *cfg)
{
	if (ctl.open)
		(void) apply_access(cfg);   /* logged; the old access stays in force */
}

void control_close(void)
{
	if (!ctl.open)
		return;
	ctl.closing = true;
	if (ctl.started) {
		ev_io_stop(ctl.loop, &ctl.io);
		events_unsubscribe(&subscriber);
	}
	/* pending waiters get a last, best-effort answer; no new outboxes while closing */
	while (ctl.waiters) {
		struct waiter *w = ctl.waiters;
		waiter_unlink(w);
		waiter_answer(w, ANSWER_CANCEL);
	}
	while (ctl.outboxes) {
		ctl.st.replies_dropped++;
		outbox_free(ctl.outboxes);
	}
	(void) mq_close(ctl.mq);
	if (mq_unlink(ctl.name) < 0 && errno != ENOENT)
		log_warn("cannot remove control queue %s: %s", ctl.name, strerror(errno));
	ctl.mq = (mqd_t) -1;
	free(ctl.rxbuf);
	ctl.rxbuf = NULL;
	ctl.open = false;
	ctl.started = false;
	ctl.loop = NULL;
}

const struct control_stats *control_get_stats(void)
{
	return &ctl.st;
}
