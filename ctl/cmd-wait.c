/* droverctl wait STATE PATTERN... [--timeout SECONDS]: block until every matched process is in
 * STATE; exit 0 when all reached it, 1 otherwise (each process is printed with its outcome). */
#include <errno.h>
#include <string.h>

#include "cmd.h"
#include "output.h"
#include "results.h"
#include "util.h"

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
	double wait_s, daemon_s = ctl_state_wait(ctx, CTL_WAIT_DEFAULT_S, &wait_s);
	uint32_t wait_ms = daemon_s * 1000 < 1 ? 1 : (uint32_t) (daemon_s * 1000);
	const char *state = proc_state_to_string((enum proc_state) a->state);
	int r = ctl_call(ctx, PROTO_WAIT, (uint32_t) a->state, wait_ms, a->npos - 1, a->pos + 1, daemon_s, &rep);
	if (r)
		return r;
	if (rep.result < 0)
		r = ctl_reply_error(ctx, "wait", &rep);
	else {
		/* drover's own command: 0 when every process reached the state, else 1 */
		struct result_policy pol = { .w = { state, state, state, wait_s }, .nogroup_exit = CTL_EXIT_FAILED };
		r = results_print(ctx, &rep, a->pos + 1, a->npos - 1, &pol) ? CTL_EXIT_FAILED : CTL_EXIT_OK;
	}
	proto_reply_free(&rep);
	return r;
}
