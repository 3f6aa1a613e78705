/* The request handlers (see requests.h). Reply conventions droverctl relies on (lib/proto.h):
 * - START/STOP/RESTART/SIGNAL/WAIT: one result record per matched process (code, state, index
 *   of the pattern that matched it), and the indexes of the patterns that matched nothing;
 * - STATUS/PID: status records and the unmatched patterns; PID without a pattern: droverd's pid
 *   as the message;
 * - request-level failures: the reply's result (-EINVAL, -EBUSY, ...) and no records;
 * - VERSION: "droverd VERSION pid N protocol P\ncontrol received=... bad=..." (the counters);
 * - METRICS: the metrics text as the message (arg1: its dialect); -EFBIG when it is larger than
 *   a reply may be (metrics_file has no such bound).
 */
#include "ctl-server/requests.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/manager.h"
#include "core/reload.h"
#include "ctl-server/metrics.h"
#include "ctl-server/server.h"
#include "ctl-server/waiters.h"
#include "os/log.h"
#include "util.h"


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
		manager_status(set.v[i].p, &s);   /* fills all of s */
		s.pattern = req->nargs ? (uint16_t) set.v[i].pattern : PROTO_PATTERN_NONE;
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
	/* what a restart stops first, what a stop finds up: droverctl says "stopped" for those */
	bool *was_up = xcalloc(set.nprocs + 1, sizeof(*was_up));
	for (size_t i = 0; i < set.nprocs; i++) {
		enum proc_state st = manager_state(set.v[i].p);
		was_up[i] = st == PROC_STARTING || st == PROC_RUNNING || st == PROC_BACKOFF || st == PROC_STOPPING;
	}
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
		uint8_t flags = was_up[i] ? PROTO_RES_WAS_UP : 0;
		if (it->result == 0)
			waiter_add_proc(w, it->p, (uint16_t) it->pattern, it->spawns, flags);
		else
			waiter_add_done(w, it->p, (uint16_t) it->pattern, it->result, flags);
	}
	free(was_up);
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
		waiter_add_proc(w, set.v[i].p, (uint16_t) set.v[i].pattern, set.v[i].spawns, 0);
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

	if (req->arg1 > 64 || req->nargs == 0) {   /* 0: is it alive (kill(2)'s check) */
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

/* The plan's records: process, action. */
static void add_plan_records(struct proto_buf *b, const struct reload_result *rr, size_t *n)
{
	for (size_t i = 0; i < rr->n; i++) {
		struct proto_result res = {
			.state = PROC_UNKNOWN, .action = (uint8_t) rr->entries[i].action, .pattern = PROTO_PATTERN_NONE,
		};
		strcpy_bounded(res.name, sizeof(res.name), rr->entries[i].name);
		proto_reply_add_result(b, &res);
		(*n)++;
	}
}

/* RELOAD applies the config file's changes; REREAD only says what they are. A config with
 * errors is refused: -EINVAL and its FILE:LINE lines as the message. */
static void reply_plan(const struct proto_request *req, struct route *rt, int r, struct reload_result *rr)
{
	struct proto_buf b = { 0 };
	const char *msg = rr->errors ? rr->errors : "";
	uint16_t unknown[PROTO_ARGS_MAX];
	size_t n = 0, nunknown = 0;

	proto_reply_begin(&b, r, msg, strlen(msg));
	if (r == 0)
		add_plan_records(&b, rr, &n);
	for (size_t i = 0; i < rr->nunknown && nunknown < PROTO_ARGS_MAX; i++)
		unknown[nunknown++] = (uint16_t) rr->unknown[i];    /* UPDATE: names of no group */
	proto_reply_finish(&b, (uint32_t) n, (uint32_t) nunknown, unknown);
	reload_result_free(rr);
	reply_send(rt, req->type, req->id, &b);
}

static void do_reload(const struct proto_request *req, struct route *rt)
{
	struct reload_result rr;
	int r = manager_reload(&rr);
	reply_plan(req, rt, r, &rr);
}

static void do_reread(const struct proto_request *req, struct route *rt)
{
	struct reload_result rr;
	int r = manager_plan(&rr);
	reply_plan(req, rt, r, &rr);
}

/* supervisorctl's process group of a plan entry: its program's group, or the part of the full
 * name before ':' (a removed process has no program in the file). */
static void entry_group(const struct reload_entry *e, char *out, size_t size)
{
	if (e->prog)
		strcpy_bounded(out, size, e->prog->group);
	else
		snprintf(out, size, "%.*s", (int) strcspn(e->name, ":"), e->name);
}

/* AVAIL: every process of the config file, whether it is in the running table, its autostart
 * and priorities (supervisorctl's avail). Processes the file no longer has are not listed. */
static void do_avail(const struct proto_request *req, struct route *rt)
{
	struct proto_buf b = { 0 };
	struct reload_result rr;
	int r = manager_plan(&rr);
	uint32_t n = 0;

	if (r < 0) {
		reply_plan(req, rt, r, &rr);
		return;
	}
	proto_reply_begin(&b, 0, NULL, 0);
	for (size_t i = 0; i < rr.n; i++) {
		const struct reload_entry *e = &rr.entries[i];
		struct proto_avail av = { 0 };
		if (!e->prog)
			continue;
		strcpy_bounded(av.name, sizeof(av.name), e->name);
		entry_group(e, av.group, sizeof(av.group));
		av.flags = (e->action != RELOAD_ADDED ? PROTO_AV_IN_USE : 0) | (e->prog->autostart ? PROTO_AV_AUTOSTART : 0);
		av.group_priority = e->prog->group_priority;
		av.priority = e->prog->priority;
		proto_reply_add_avail(&b, &av);
		n++;
	}
	proto_reply_finish(&b, n, 0, NULL);
	reload_result_free(&rr);
	reply_send(rt, req->type, req->id, &b);
}

/* UPDATE [GROUP...]: apply the file's changes to every group (no name) or to the named ones;
 * the names that are no group are the reply's unmatched patterns. */
static void do_update(const struct proto_request *req, struct route *rt)
{
	struct reload_result rr;
	int r = manager_update(req->args, req->nargs, &rr);
	reply_plan(req, rt, r, &rr);
}

static void do_shutdown(const struct proto_request *req, struct route *rt)
{
	log_info("shutdown requested through droverctl");
	reply_simple(rt, req->type, req->id, 0, "");
	manager_shutdown();
}

/* ---- tail ---- */

/* TAIL: arg1 = lines (0 none, PROTO_TAIL_ALL all kept), arg2 = stream (0 stdout, 1 stderr) |
 * PROTO_TAIL_FOLLOW | PROTO_TAIL_SINCE (args[1], after the FIFO when following: since when, ms
 * since the epoch),
 * args[0] = one process, args[1] = the FIFO to stream into (follow). Codes: -ENOENT no such
 * process, -ENOTUNIQ the pattern names several, -ENODATA stderr is redirected to stdout, -ENOSTR
 * the stream has no log file (discarded),
 * -EPERM the FIFO is not private; the text is the data. See logpipe.h. */
static void do_tail(const struct proto_request *req, struct route *rt)
{
	struct mgr_set set;
	char *text = NULL;
	size_t len = 0;
	int stream = (int) (req->arg2 & 0xffu), r;
	bool follow = req->arg2 & PROTO_TAIL_FOLLOW, since = req->arg2 & PROTO_TAIL_SINCE;
	int64_t since_ms = 0;

	if (req->nargs < 1u + follow + since || (req->arg2 & ~(PROTO_TAIL_FOLLOW | PROTO_TAIL_SINCE | 0xffu)) ||
	    stream > 1 || (since && parse_int64(req->args[1 + follow], 1, INT64_MAX / 1000000, &since_ms) < 0)) {
		reply_simple(rt, req->type, req->id, -EINVAL, "");
		return;
	}
	manager_match(req->args, 1, &set);
	if (set.nprocs != 1) {
		reply_simple(rt, req->type, req->id, set.nprocs ? -ENOTUNIQ : -ENOENT, "");
		manager_set_free(&set);
		return;
	}
	unsigned lines = req->arg1 == PROTO_TAIL_ALL ? MGR_LINES_ALL : req->arg1;
	uint64_t since_ns = (uint64_t) since_ms * 1000000u;
	r = follow ? manager_follow(set.v[0].p, stream, lines, since_ns, req->args[1])
	           : manager_tail(set.v[0].p, stream, lines, since_ns, &text, &len);
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

/* ---- metrics ---- */

_Static_assert(PROTO_METRICS_PROMETHEUS == (unsigned) METRICS_PROMETHEUS &&
               PROTO_METRICS_OPENMETRICS == (unsigned) METRICS_OPENMETRICS, "metrics dialects travel as numbers");

static void do_metrics(const struct proto_request *req, struct route *rt)
{
	char *text = NULL;
	size_t len = 0;
	int r = req->arg1 < METRICS_FORMAT_MAX ? metrics_text((enum metrics_format) req->arg1, &text, &len) : -EINVAL;
	if (r == 0 && len + 64 > PROTO_REPLY_MAX)
		r = -EFBIG;
	reply_simple(rt, req->type, req->id, r, r == 0 ? text : "");
	free(text);
}

/* The command table is closed: indexed by the validated type, no lookup by name. */
static handler_fn *const handlers[PROTO_TYPE_MAX] = {
	[PROTO_STATUS] = reply_status, [PROTO_START] = do_action,      [PROTO_STOP] = do_action,
	[PROTO_RESTART] = do_action,   [PROTO_SIGNAL] = do_signal,     [PROTO_PID] = do_pid,
	[PROTO_RELOAD] = do_reload,    [PROTO_SHUTDOWN] = do_shutdown, [PROTO_TAIL] = do_tail,
	[PROTO_WAIT] = do_wait,        [PROTO_VERSION_REQ] = do_version, [PROTO_REREAD] = do_reread,
	[PROTO_UPDATE] = do_update,    [PROTO_AVAIL] = do_avail,       [PROTO_METRICS] = do_metrics,
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
