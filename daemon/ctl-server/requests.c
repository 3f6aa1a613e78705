/* The request handlers (see requests.h). Reply conventions droverctl relies on (lib/proto.h):
 * - START/STOP/RESTART/SIGNAL/WAIT: one result record per matched process (code, state, index
 *   of the pattern that matched it), and the indexes of the patterns that matched nothing;
 * - STATUS/PID: status records and the unmatched patterns; PID without a pattern: droverd's pid
 *   as the message;
 * - request-level failures: the reply's result (-EINVAL, -EBUSY, ...) and no records;
 * - VERSION: "droverd VERSION pid N protocol P\ncontrol received=... bad=..." (the counters).
 */
#include "ctl-server/requests.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/depends.h"
#include "core/process.h"
#include "core/reload.h"
#include "core/supervisor.h"
#include "ctl-server/server.h"
#include "ctl-server/waiters.h"
#include "os/log.h"
#include "os/logpipe.h"
#include "util.h"

#define TAIL_FOLLOW 0x100u      /* TAIL arg2 flag: stream into the FIFO named by args[1] */

typedef void handler_fn(const struct proto_request *req, struct route *rt);

/* ---- matching ---- */

struct match {
	struct process **v;
	uint16_t *pattern;       /* per v[i]: index of the request pattern that matched it first */
	size_t n;
	uint16_t unmatched[PROTO_ARGS_MAX];
	size_t nunmatched;
};

/* Every pattern of the request (none = "all"); patterns that match nothing are listed. */
static void match_request(const struct proto_request *req, struct match *m)
{
	*m = (struct match) { 0 };
	if (req->nargs == 0) {
		(void) supervisor_match("all", &m->v, &m->n);
		m->pattern = xcalloc(m->n ? m->n : 1, sizeof(*m->pattern));
		for (size_t j = 0; j < m->n; j++)
			m->pattern[j] = PROTO_PATTERN_NONE;
		return;
	}
	for (uint32_t i = 0; i < req->nargs; i++) {
		size_t before = m->n;
		if (supervisor_match(req->args[i], &m->v, &m->n) == 0)
			m->unmatched[m->nunmatched++] = (uint16_t) i;
		if (m->n > before) {
			m->pattern = xrealloc(m->pattern, m->n, sizeof(*m->pattern));
			for (size_t j = before; j < m->n; j++)
				m->pattern[j] = (uint16_t) i;
		}
	}
}

static void match_free(struct match *m)
{
	free(m->v);
	free(m->pattern);
	*m = (struct match) { 0 };
}

/* ---- status, pid ---- */

static void reply_status(const struct proto_request *req, struct route *rt)
{
	struct proto_buf b = { 0 };
	struct match m;

	match_request(req, &m);
	proto_reply_begin(&b, 0, NULL, 0);
	for (size_t i = 0; i < m.n; i++) {
		struct proto_status s;
		memset(&s, 0, sizeof(s));
		process_status(m.v[i], &s);
		proto_reply_add_status(&b, &s);
	}
	proto_reply_finish(&b, (uint32_t) m.n, m.nunmatched, m.unmatched);
	match_free(&m);
	reply_send(rt, req->type, req->id, &b);
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

/* ---- start, stop, restart, wait ---- */

/* Requests that name processes and may wait: refused (answered) when they name none, or when
 * too many waiters are pending already. */
static bool waiter_admit(const struct proto_request *req, struct route *rt)
{
	if (req->nargs == 0) {
		reply_simple(rt, req->type, req->id, -EINVAL, "");
		return false;
	}
	if (req->arg2 > 0 && waiters_full()) {
		srv.st.busy++;
		reply_simple(rt, req->type, req->id, -EBUSY, "");
		return false;
	}
	return true;
}

/* START / STOP / RESTART: act on every matched process at once, then wait (arg2 ms) for all. */
static void do_action(const struct proto_request *req, struct route *rt)
{
	struct match m;
	struct waiter *w;

	if (!waiter_admit(req, rt))
		return;
	match_request(req, &m);
	struct process **tostop = xcalloc(m.n + 1, sizeof(*tostop));
	size_t ntostop = 0;
	w = waiter_new(req, rt, m.n, req->type == PROTO_STOP ? PROTO_WAIT_STOPPED : PROTO_WAIT_STARTED);

	for (size_t i = 0; i < m.n; i++) {
		struct process *p = m.v[i];

		if (req->type != PROTO_STOP && (sup.shutting_down || p->removed)) {
			waiter_add_done(w, p, m.pattern[i], p->removed ? -EIDRM : -ESHUTDOWN);
			continue;
		}
		switch (req->type) {
		case PROTO_START:
			/* supervisord: STARTING, RUNNING and BACKOFF are "already started" */
			if (p->state == PROC_STARTING || p->state == PROC_RUNNING || p->state == PROC_BACKOFF) {
				waiter_add_done(w, p, m.pattern[i], -EALREADY);
				break;
			}
			waiter_add_proc(w, p, m.pattern[i], true);
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
				waiter_add_done(w, p, m.pattern[i], -ESRCH);
				break;
			}
			waiter_add_proc(w, p, m.pattern[i], false);
			tostop[ntostop++] = p;   /* stopped together below, dependants first */
			break;
		default:
			waiter_add_proc(w, p, m.pattern[i], true);
			process_restart(p);
			break;
		}
	}
	stop_batch_start(tostop, ntostop);
	free(tostop);
	waiter_set_unmatched(w, m.unmatched, m.nunmatched);
	match_free(&m);
	waiter_submit(w, req->arg2, true);
}

static void do_wait(const struct proto_request *req, struct route *rt)
{
	struct match m;
	struct waiter *w;

	if (req->arg1 >= PROC_STATE_MAX && req->arg1 != PROTO_WAIT_STARTED && req->arg1 != PROTO_WAIT_STOPPED) {
		reply_simple(rt, req->type, req->id, -EINVAL, "");
		return;
	}
	if (!waiter_admit(req, rt))
		return;
	match_request(req, &m);
	w = waiter_new(req, rt, m.n, req->arg1);
	for (size_t i = 0; i < m.n; i++)
		waiter_add_proc(w, m.v[i], m.pattern[i], false);
	waiter_set_unmatched(w, m.unmatched, m.nunmatched);
	match_free(&m);
	/* deadline 0: answer at once, unsatisfied records get -ETIMEDOUT */
	waiter_submit(w, req->arg2, false);
}

/* ---- signal ---- */

static void do_signal(const struct proto_request *req, struct route *rt)
{
	struct proto_buf b = { 0 };
	struct match m;

	if (req->arg1 < 1 || req->arg1 > 64 || req->nargs == 0) {
		reply_simple(rt, req->type, req->id, -EINVAL, "");
		return;
	}
	match_request(req, &m);
	proto_reply_begin(&b, 0, NULL, 0);
	for (size_t i = 0; i < m.n; i++) {
		struct proto_result res = { .pattern = m.pattern[i] };
		res.result = process_signal(m.v[i], (int) req->arg1);
		res.state = (uint8_t) m.v[i]->state;
		strcpy_bounded(res.name, sizeof(res.name), m.v[i]->cfg->fullname);
		proto_reply_add_result(&b, &res);
	}
	proto_reply_finish(&b, (uint32_t) m.n, m.nunmatched, m.unmatched);
	match_free(&m);
	reply_send(rt, req->type, req->id, &b);
}

/* ---- reload, shutdown ---- */

static void do_reload(const struct proto_request *req, struct route *rt)
{
	struct proto_buf b = { 0 };
	struct reload_result rr;
	int r = reload_run(&rr);
	const char *msg = rr.errors ? rr.errors : "";

	proto_reply_begin(&b, r, msg, strlen(msg));
	for (size_t i = 0; i < rr.n; i++) {
		struct proto_result res = {
			.state = PROC_UNKNOWN, .action = (uint8_t) rr.entries[i].action, .pattern = PROTO_PATTERN_NONE,
		};
		strcpy_bounded(res.name, sizeof(res.name), rr.entries[i].name);
		proto_reply_add_result(&b, &res);
	}
	proto_reply_finish(&b, (uint32_t) rr.n, 0, NULL);
	reload_result_free(&rr);
	reply_send(rt, req->type, req->id, &b);
}

static void do_shutdown(const struct proto_request *req, struct route *rt)
{
	log_info("shutdown requested through droverctl");
	reply_simple(rt, req->type, req->id, 0, "");
	supervisor_shutdown();
}

/* ---- tail ---- */

/* TAIL: arg1 = lines (0 = all kept), arg2 = stream (0 stdout, 1 stderr) | TAIL_FOLLOW,
 * args[0] = one process, args[1] = the FIFO to stream into (follow). Codes: -ENOENT no such
 * process, -ENOTUNIQ the pattern names several, -ENODATA stderr is redirected to stdout,
 * -EPERM the FIFO is not private; the text is the data. See logpipe.h. */
static void do_tail(const struct proto_request *req, struct route *rt)
{
	struct process **v = NULL;
	size_t n = 0;
	char *text = NULL;
	size_t len = 0;
	int stream = (int) (req->arg2 & 0xffu), r;
	bool follow = req->arg2 & TAIL_FOLLOW;

	if (req->nargs < (follow ? 2u : 1u) || (req->arg2 & ~(TAIL_FOLLOW | 0xffu)) || stream > 1) {
		reply_simple(rt, req->type, req->id, -EINVAL, "");
		return;
	}
	n = 0;
	if (supervisor_match(req->args[0], &v, &n) != 1) {
		reply_simple(rt, req->type, req->id, n ? -ENOTUNIQ : -ENOENT, "");
		free(v);
		return;
	}
	r = follow ? logpipe_follow(v[0], stream, req->arg1, req->args[1])
	           : logpipe_tail(v[0], stream, req->arg1, &text, &len);
	free(v);
	if (r < 0) {
		reply_simple(rt, req->type, req->id, r, "");
		return;
	}
	struct proto_buf b = { 0 };
	proto_reply_begin(&b, 0, text, len);
	proto_reply_finish(&b, 0, 0, NULL);
	free(text);
	reply_send(rt, req->type, req->id, &b);
}

/* ---- version ---- */

static void do_version(const struct proto_request *req, struct route *rt)
{
	const struct control_stats *s = &srv.st;
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

/* The command table is closed: indexed by the validated type, no lookup by name. */
static handler_fn *const handlers[PROTO_TYPE_MAX] = {
	[PROTO_STATUS] = reply_status, [PROTO_START] = do_action,      [PROTO_STOP] = do_action,
	[PROTO_RESTART] = do_action,   [PROTO_SIGNAL] = do_signal,     [PROTO_PID] = do_pid,
	[PROTO_RELOAD] = do_reload,    [PROTO_SHUTDOWN] = do_shutdown, [PROTO_TAIL] = do_tail,
	[PROTO_WAIT] = do_wait,        [PROTO_VERSION_REQ] = do_version,
};

void requests_handle(const struct proto_request *req, struct route *rt)
{
	if (req->type >= PROTO_TYPE_MAX || !handlers[req->type]) {
		/* cannot happen: decode checked the range and the table is full */
		reply_simple(rt, req->type, req->id, -ENOSYS, "");
		return;
	}
	handlers[req->type](req, rt);
}
