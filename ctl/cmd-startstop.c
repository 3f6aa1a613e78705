/* droverctl start|stop|restart PATTERN...: one request acts on every matched process at once
 * and (unless --no-wait) is answered once each reached its state or gave up. The output and the
 * exit status are supervisorctl's (results.c). */
#include <errno.h>
#include <string.h>

#include "cmd.h"
#include "output.h"
#include "results.h"
#include "util.h"

struct action {
	const char *name;
	enum proto_type type;
	const struct result_policy *policy;
	struct result_words words;   /* what each record reads */
};

static const struct action actions[] = {
	{ "start",   PROTO_START,   &result_policy_start, { "started", "starting", "started", 0 } },
	{ "stop",    PROTO_STOP,    &result_policy_stop,  { "stopped", "stopping", "stopped", 0 } },
	{ "restart", PROTO_RESTART, &result_policy_start, { "restarted", "restarting", "restarted", 0 } },
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
	struct ctl_patterns pats;
	struct proto_reply rep;
	double wait_s, daemon_s = ctl_state_wait(ctx, CTL_ACTION_WAIT_DEFAULT_S, &wait_s);
	/* 0 would mean --no-wait to droverd */
	uint32_t wait_ms = a->no_wait ? 0 : daemon_s * 1000 < 1 ? 1 : (uint32_t) (daemon_s * 1000);
	int r;

	if (!act)
		return CTL_EXIT_USAGE;
	ctl_patterns_init(&pats, a->pos, a->npos);
	r = ctl_call(ctx, act->type, 0, wait_ms, pats.n, pats.send, a->no_wait ? 0 : daemon_s, &rep);
	if (r) {
		ctl_patterns_free(&pats);
		return r;
	}
	if (rep.result < 0)
		r = ctl_reply_error(ctx, act->name, &rep);
	else if (act->type == PROTO_RESTART && !a->no_wait && !ctx->json)
		r = results_print_restart(ctx, &rep, pats.show, pats.n, wait_s);
	else {
		struct result_policy pol = *act->policy;
		pol.w = act->words;
		pol.w.wait_s = wait_s;
		r = results_print(ctx, &rep, pats.show, pats.n, &pol);
	}
	proto_reply_free(&rep);
	ctl_patterns_free(&pats);
	return r;
}
