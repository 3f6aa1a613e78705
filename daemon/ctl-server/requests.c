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

#include "core/manager.h"
#include "core/reload.h"
#include "ctl-server/server.h"
#include "ctl-server/waiters.h"
#include "os/log.h"
#include "util.h"

#define TAIL_FOLLOW 0x100u      /* TAIL arg2 flag: stream into the FIFO named by args[1] */

typedef void handler_fn(const struct proto_request *req, struct route *rt);

/* The patterns of the request that matched nothing: their indexes, increasing (the manager
 * lists them after the processes, in pattern order). */
static size_t unmatched_of(const struct mgr_set *set, uint16_t idx[PROTO_ARGS_MAX])
{
	size_t n = 0;
	for (size_t i = set->nprocs; i < set->n && n < PROTO_ARGS_MAX; i++)
		idx[n++] = (uint16_t) set->v[i].pattern;
	return n;
}

static void match_request(const struct proto_request *req, struct mgr_set *set)
{
	manager_match(req->args, req->nargs, set);
}

/* ---- status, pid ---- */

static void reply_status(const struct proto_request *req, struct route *rt)
{
	struct proto_buf b = { 0 };
	struct mgr_set set;
	uint16_t unmatched[PROTO_ARGS_MAX];

	match_request(req, &set);
	proto_reply_begin(&b, 0, NULL, 0);
	for (size_t i = 0; i < set.nprocs; i++) {
		struct proto_status s;
		memset(&s, 0, sizeof(s));
		manager_status(set.v[i].p, &s);
		proto_reply_add_status(&b, &s);
	}
	proto_reply_finish(&b, (uint32_t) set.nprocs, unmatched_of(&set, unmatched), unmatched);
	manager_set_free(&set);
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

/* START / STOP / RESTART: the manager acts on every matched process at once; then wait (arg2
 * ms) until each one the action went ahead for reached its goal or gave up. */
static void do_action(const struct proto_request *req, struct route *rt)
{
	struct mgr_set set;
	struct waiter *w;
	uint16_t unmatched[PROTO_ARGS_MAX];

	if (!waiter_admit(req, rt))
		return;
	match_request(req, &set);
	switch (req->type) {
	case PROTO_START:
		(void) manager_start(&set);
		break;
	case PROTO_STOP:
		(void) manager_stop(&set);
		break;
	default:
		(void) manager_restart(&set);
		break;
	}
	w = waiter_new(req, rt, set.nprocs, req->type == PROTO_STOP ? MGR_GOAL_STOPPED : MGR_GOAL_STARTED);
	for (size_t i = 0; i < set.nprocs; i++) {
		const struct mgr_item *it = &set.v[i];
		if (it->result == 0)
			waiter_add_proc(w, it->p, (uint16_t) it->pattern, it->spawns);
		else
			waiter_add_done(w, it->p, (uint16_t) it->pattern, it->result);
	}
	waiter_set_unmatched(w, unmatched, unmatched_of(&set, unmatched));
	manager_set_free(&set);
	waiter_submit(w, req->arg2, true);
}

/* WAIT: arg1 a state, or PROTO_WAIT_STARTED (RUNNING, or given up) / PROTO_WAIT_STOPPED. */
static void do_wait(const struct proto_request *req, struct route *rt)
{
	struct mgr_set set;
	struct waiter *w;
	uint16_t unmatched[PROTO_ARGS_MAX];

	if (req->arg1 >= PROC_STATE_MAX && req->arg1 != PROTO_WAIT_STARTED && req->arg1 != PROTO_WAIT_STOPPED) {
		reply_simple(rt, req->type, req->id, -EINVAL, "");
		return;
	}
	if (!waiter_admit(req, rt))
		return;
	match_request(req, &set);
	if (req->arg1 == PROTO_WAIT_STARTED)
		w = waiter_new(req, rt, set.nprocs, MGR_GOAL_RUNNING);
	else if (req->arg1 == PROTO_WAIT_STOPPED)
		w = waiter_new(req, rt, set.nprocs, MGR_GOAL_STOPPED);
	else
		w = waiter_new_exact(req, rt, set.nprocs, (enum proc_state) req->arg1);
	for (size_t i = 0; i < set.nprocs; i++)
		waiter_add_proc(w, set.v[i].p, (uint16_t) set.v[i].pattern, set.v[i].spawns);
	waiter_set_unmatched(w, unmatched, unmatched_of(&set, unmatched));
	manager_set_free(&set);
	/* deadline 0: answer at once, unsatisfied records get -ETIMEDOUT */
	waiter_submit(w, req->arg2, false);
}

/* ---- signal ---- */

static void do_signal(const struct proto_request *req, struct route *rt)
{
	struct proto_buf b = { 0 };
	struct mgr_set set;
	uint16_t unmatched[PROTO_ARGS_MAX];

	if (req->arg1 < 1 || req->arg1 > 64 || req->nargs == 0) {
		reply_simple(rt, req->type, req->id, -EINVAL, "");
		return;
	}
	match_request(req, &set);
	(void) manager_signal(&set, (int) req->arg1);
	proto_reply_begin(&b, 0, NULL, 0);
	for (size_t i = 0; i < set.nprocs; i++) {
		const struct mgr_item *it = &set.v[i];
		struct proto_result res = {
			.result = it->result, .state = (uint8_t) manager_state(it->p), .pattern = (uint16_t) it->pattern,
		};
		strcpy_bounded(res.name, sizeof(res.name), it->name);
		proto_reply_add_result(&b, &res);
	}
	proto_reply_finish(&b, (uint32_t) set.nprocs, unmatched_of(&set, unmatched), unmatched);
	manager_set_free(&set);
	reply_send(rt, req->type, req->id, &b);
}

/* ---- reload, shutdown ---- */

static void do_reload(const struct proto_request *req, struct route *rt)
{
	struct proto_buf b = { 0 };
	struct reload_result rr;
	int r = manager_reload(&rr);
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
	manager_shutdown();
}

/* ---- tail ---- */

/* TAIL: arg1 = lines (0 = all kept), arg2 = stream (0 stdout, 1 stderr) | TAIL_FOLLOW,
 * args[0] = one process, args[1] = the FIFO to stream into (follow). Codes: -ENOENT no such
 * process, -ENOTUNIQ the pattern names several, -ENODATA stderr is redirected to stdout,
 * -EPERM the FIFO is not private; the text is the data. See logpipe.h. */
static void do_tail(const struct proto_request *req, struct route *rt)
{
	struct mgr_set set;
	char *text = NULL;
	size_t len = 0;
	int stream = (int) (req->arg2 & 0xffu), r;
	bool follow = req->arg2 & TAIL_FOLLOW;

	if (req->nargs < (follow ? 2u : 1u) || (req->arg2 & ~(TAIL_FOLLOW | 0xffu)) || stream > 1) {
		reply_simple(rt, req->type, req->id, -EINVAL, "");
		return;
	}
	manager_match(req->args, 1, &set);
	if (set.nprocs != 1) {
		reply_simple(rt, req->type, req->id, set.nprocs ? -ENOTUNIQ : -ENOENT, "");
		manager_set_free(&set);
		return;
	}
	r = follow ? manager_follow(set.v[0].p, stream, req->arg1, req->args[1])
	           : manager_tail(set.v[0].p, stream, req->arg1, &text, &len);
	manager_set_free(&set);
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
