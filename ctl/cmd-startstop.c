/* droverctl start|stop|restart PATTERN...: one request acts on every matched process at once
 * and (unless --no-wait) is answered once each reached its state or gave up. */
#include <errno.h>
#include <string.h>

#include "cmd.h"
#include "output.h"
#include "util.h"

struct action {
	const char *name;
	enum proto_type type;
	const char *done;          /* success word once waited */
	const char *requested;     /* success word with --no-wait */
};

static const struct action actions[] = {
	{ "start",   PROTO_START,   "started",   "starting" },
	{ "stop",    PROTO_STOP,    "stopped",   "stopping" },
	{ "restart", PROTO_RESTART, "restarted", "restarting" },
};

static const struct action *action_of(const struct cmd_args *a)
{
	for (size_t i = 0; i < ELEMENTSOF(actions); i++)
		if (strcmp(actions[i].name, a->cmd->name) == 0)
			return &actions[i];
	return NULL;
}

/* One request does both: the daemon acts on every matched process at once and, with a wait
 * deadline in arg2, answers only when each one reached its state or gave up (the server's
 * waiters). A separate WAIT request after the action would race with a restart, whose process
 * passes through STOPPED on its way to RUNNING. */
int cmd_action_run(struct ctl_ctx *ctx, const struct cmd_args *a)
{
	const struct action *act = action_of(a);
	struct proto_reply rep;
	double wait_s = a->wait_s > 0 ? a->wait_s : CTL_ACTION_WAIT_DEFAULT_S;
	uint32_t wait_ms = a->no_wait ? 0 : (uint32_t) (wait_s * 1000);
	int r;

	if (!act)
		return CTL_EXIT_USAGE;
	r = ctl_call(ctx, act->type, 0, wait_ms, a->npos, a->pos, a->no_wait ? 0 : wait_s, &rep);
	if (r)
		return r;
	if (rep.result < 0)
		r = ctl_reply_error(ctx, act->name, &rep);
	else {
		struct result_words w = { act->done, act->requested, act->done, wait_s };
		r = ctl_print_results(ctx, &rep, a->pos, a->npos, &w);
	}
	proto_reply_free(&rep);
	return r;
}
