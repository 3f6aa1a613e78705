/* droverctl signal SIG PATTERN...: SIG as TERM, SIGTERM or a number. */
#include <errno.h>
#include <string.h>

#include "cmd.h"
#include "output.h"
#include "results.h"
#include "util.h"

/* A bad signal name is the result of each pattern, as supervisorctl reports it (exit 1). */
int cmd_signal_validate(struct ctl_ctx *ctx, struct cmd_args *a)
{
	/* "0" checks that the process exists, as kill(1) and supervisorctl take it */
	int sig = strcmp(a->pos[0], "0") == 0 ? 0 : signal_from_string(a->pos[0]);
	a->signo = sig < 0 ? -1 : sig;
	return 0;
}

int cmd_signal_run(struct ctl_ctx *ctx, const struct cmd_args *a)
{
	struct ctl_patterns pats;
	struct proto_reply rep;
	int r;

	ctl_patterns_init(&pats, a->pos + 1, a->npos - 1);
	if (a->signo < 0) {
		char name[PROTO_NAME_MAX * 4];
		for (size_t i = 0; i < pats.n; i++) {
			escape_line(name, sizeof(name), pats.show[i]);
			fprintf(ctx->json ? ctx->err : ctx->out, "%s%s: ERROR (bad signal name)\n",
			        ctx->json ? "droverctl: " : "", name);
		}
		ctl_patterns_free(&pats);
		return CTL_EXIT_FAILED;
	}
	r = ctl_call(ctx, PROTO_SIGNAL, (uint32_t) a->signo, 0, pats.n, pats.send, 0, &rep);
	if (r == 0) {
		if (rep.result < 0)
			r = ctl_reply_error(ctx, "signal", &rep);
		else
			r = results_print(ctx, &rep, pats.show, pats.n, &result_policy_signal);
		proto_reply_free(&rep);
	}
	ctl_patterns_free(&pats);
	return r;
}
