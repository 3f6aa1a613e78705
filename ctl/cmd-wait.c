/* droverctl wait STATE PATTERN... [--timeout SECONDS]: block until every matched process is in
 * STATE; exit 0 when all reached it, 1 otherwise (each process is printed with its outcome). */
#include <errno.h>
#include <string.h>

#include "cmd.h"
#include "output.h"
#include "util.h"

int cmd_wait_parse(struct ctl_ctx *ctx, struct cmd_args *a, int argc, char **argv)
{
	/* Same options as start/stop/restart minus --no-wait, which makes no sense here. */
	int r = cmd_action_parse(ctx, a, argc, argv);
	if (r == 0 && a->no_wait)
		return cmd_bad_option(ctx, a, "--no-wait");
	return r;
}

int cmd_wait_validate(struct ctl_ctx *ctx, struct cmd_args *a)
{
	int s = proc_state_from_string(a->pos[0]);
	if (s < 0 || s >= PROC_STATE_MAX) {
		char esc[256];
		escape_line(esc, sizeof(esc), a->pos[0]);
		ctl_errorx(ctx, "wait: unknown state '%s' (STOPPED, STARTING, RUNNING, BACKOFF, STOPPING, "
		           "EXITED, FATAL, UNKNOWN)", esc);
		cmd_usage_one(ctx->err, a->cmd);
		return CTL_EXIT_USAGE;
	}
	a->state = s;
	return 0;
}

int cmd_wait_run(struct ctl_ctx *ctx, const struct cmd_args *a)
{
	struct proto_reply rep;
	struct json j;
	double wait_s = a->wait_s > 0 ? a->wait_s : CTL_WAIT_DEFAULT_S;
	struct cmd_args pats = *a;
	const char *state = proc_state_to_string((enum proc_state) a->state);

	pats.npos = a->npos - 1;
	memmove(pats.pos, a->pos + 1, pats.npos * sizeof(pats.pos[0]));
	int r = ctl_call(ctx, PROTO_WAIT, (uint32_t) a->state, (uint32_t) (wait_s * 1000), pats.npos, pats.pos,
	                 wait_s, &rep);
	if (r)
		return r;
	size_t n = rep.results ? rep.nrecords : 0;
	if (rep.result < 0 && n == 0) {
		if (rep.result == -ENOENT)
			ctl_print_no_such(ctx, &pats, &rep);
		else
			(void) ctl_reply_error(ctx, "wait", &rep);
		r = rep.result == -EBUSY ? CTL_EXIT_UNREACHABLE : CTL_EXIT_FAILED;
		goto out;
	}
	r = rep.result < 0 ? CTL_EXIT_FAILED : CTL_EXIT_OK;
	json_init(&j, ctx->out);
	if (ctx->json)
		json_begin_array(&j, NULL);
	for (size_t i = 0; i < n; i++) {
		const struct proto_result *res = &rep.results[i];
		char name[PROTO_NAME_MAX], msg[PROTO_NAME_MAX + 64];
		snprintf(name, sizeof(name), "%.*s", (int) FIELD_LEN(res->name), res->name);
		if (res->result == -ETIMEDOUT && res->message[0])
			/* Say which state it is in instead of the one we wanted. */
			snprintf(msg, sizeof(msg), "ERROR (not %s after %g s: %.*s)", state, wait_s,
			         (int) FIELD_LEN(res->message), res->message);
		else if (res->result == -ETIMEDOUT)
			snprintf(msg, sizeof(msg), "ERROR (not %s after %g s)", state, wait_s);
		else
			snprintf(msg, sizeof(msg), "%.*s", (int) FIELD_LEN(res->message), res->message);
		if (res->result < 0)
			r = CTL_EXIT_FAILED;
		if (ctx->json)
			result_print_json(&j, name, res->result, msg, state);
		else
			result_print_line(ctx->out, name, res->result, msg, state);
	}
	if (ctx->json) {
		json_end_array(&j);
		json_finish(&j);
	}
out:
	proto_reply_free(&rep);
	return r;
}
