/* droverctl signal SIG PATTERN...: SIG as TERM, SIGTERM or a number. */
#include <errno.h>
#include <string.h>

#include "cmd.h"
#include "output.h"
#include "util.h"

int cmd_signal_validate(struct ctl_ctx *ctx, struct cmd_args *a)
{
	int sig = signal_from_string(a->pos[0]);
	if (sig <= 0) {
		char esc[256];
		escape_line(esc, sizeof(esc), a->pos[0]);
		ctl_errorx(ctx, "signal: invalid signal '%s' (TERM, SIGTERM or a number)", esc);
		cmd_usage_one(ctx->err, a->cmd);
		return CTL_EXIT_USAGE;
	}
	a->signo = sig;
	return 0;
}

int cmd_signal_run(struct ctl_ctx *ctx, const struct cmd_args *a)
{
	static const struct result_words w = { "signalled", "signalled", "signalled", 0 };
	struct proto_reply rep;
	int r = ctl_call(ctx, PROTO_SIGNAL, (uint32_t) a->signo, 0, a->npos - 1, a->pos + 1, 0, &rep);
	if (r)
		return r;
	if (rep.result < 0)
		r = ctl_reply_error(ctx, "signal", &rep);
	else
		r = ctl_print_results(ctx, &rep, a->pos + 1, a->npos - 1, &w);
	proto_reply_free(&rep);
	return r;
}
