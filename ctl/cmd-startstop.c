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

int cmd_action_parse(struct ctl_ctx *ctx, struct cmd_args *a, int argc, char **argv)
{
	bool opts = true;
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i], *v = NULL;
		int r;
		if (opts && arg[0] == '-' && arg[1]) {
			if (strcmp(arg, "--") == 0) {
				opts = false;
				continue;
			}
			if (cmd_opt_common(ctx, a, arg))
				continue;
			if (strcmp(arg, "--no-wait") == 0) {
				a->no_wait = true;
				continue;
			}
			if ((r = cmd_opt(ctx, a, argc, argv, &i, "--timeout", 0, true, &v)) != 0) {
				if (r < 0)
					return CTL_EXIT_USAGE;
				if (parse_seconds(v, &a->wait_s) < 0) {
					ctl_errorx(ctx, "%s: invalid --timeout '%s'", a->cmd->name, v);
					return CTL_EXIT_USAGE;
				}
				continue;
			}
			return cmd_bad_option(ctx, a, arg);
		}
		if ((r = cmd_push_pos(ctx, a, arg)) != 0)
			return r;
	}
	return 0;
}

static void emit(struct ctl_ctx *ctx, struct json *j, const struct proto_result *res, const char *ok_word)
{
	char name[PROTO_NAME_MAX], msg[PROTO_NAME_MAX];
	snprintf(name, sizeof(name), "%.*s", (int) FIELD_LEN(res->name), res->name);
	snprintf(msg, sizeof(msg), "%.*s", (int) FIELD_LEN(res->message), res->message);
	if (ctx->json)
		result_print_json(j, name, res->result, msg, ok_word);
	else
		result_print_line(ctx->out, name, res->result, msg, ok_word);
}

/* One request does both: the daemon acts on every matched process at once and, with a wait
 * deadline in arg2, answers only when each one reached its state or gave up (daemon/ctl-server/control.c
 * "waiters"). A separate WAIT request after the action would race with a restart, whose
 * process passes through STOPPED on its way to RUNNING. */
int cmd_action_run(struct ctl_ctx *ctx, const struct cmd_args *a)
{
	const struct action *act = action_of(a);
	struct proto_reply rep;
	struct json j;
	double wait_s = a->wait_s > 0 ? a->wait_s : CTL_ACTION_WAIT_DEFAULT_S;
	uint32_t wait_ms = a->no_wait ? 0 : (uint32_t) (wait_s * 1000);
	int r;

	if (!act)
		return CTL_EXIT_USAGE;
	r = ctl_call(ctx, act->type, 0, wait_ms, a->npos, a->pos,
	             a->no_wait ? 0 : wait_s, &rep);
	if (r)
		return r;
	size_t n = rep.results ? rep.nrecords : 0;
	if (rep.result < 0 && n == 0) {
		if (rep.result == -ENOENT)
			ctl_print_no_such(ctx, a, &rep);
		else
			(void) ctl_reply_error(ctx, act->name, &rep);
		r = rep.result == -EBUSY ? CTL_EXIT_UNREACHABLE : CTL_EXIT_FAILED;
		goto out;
	}

	r = rep.result < 0 ? CTL_EXIT_FAILED : CTL_EXIT_OK;
	json_init(&j, ctx->out);
	if (ctx->json)
		json_begin_array(&j, NULL);
	for (size_t i = 0; i < n; i++) {
		const struct proto_result *res = &rep.results[i];
		if (res->result < 0)
			r = CTL_EXIT_FAILED;
		if (res->result == -ETIMEDOUT) {
			/* Still on its way when the wait ran out: say where it is. */
			struct proto_result late = *res;
			if (res->message[0])
				snprintf(late.message, sizeof(late.message), "ERROR (not %s after %g s: %.*s)",
				         act->done, wait_s, 64, res->message);
			else
				snprintf(late.message, sizeof(late.message), "ERROR (not %s after %g s)", act->done, wait_s);
			emit(ctx, &j, &late, act->done);
			continue;
		}
		emit(ctx, &j, res, a->no_wait ? act->requested : act->done);
	}
	if (ctx->json) {
		json_end_array(&j);
		json_finish(&j);
	}
out:
	proto_reply_free(&rep);
	return r;
}
