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
	struct proto_reply rep;
	struct json j;
	int r = ctl_call(ctx, PROTO_SIGNAL, (uint32_t) a->signo, 0, a->npos - 1, a->pos + 1, 0, &rep);
	if (r)
		return r;
	size_t n = rep.results ? rep.nrecords : 0;
	if (rep.result < 0 && n == 0) {
		if (rep.result == -ENOENT) {
			struct cmd_args pats = *a;
			pats.npos = a->npos - 1;
			memmove(pats.pos, a->pos + 1, pats.npos * sizeof(pats.pos[0]));
			ctl_print_no_such(ctx, &pats, &rep);
			r = CTL_EXIT_FAILED;
		} else
			r = ctl_reply_error(ctx, "signal", &rep);
		goto out;
	}
	r = rep.result < 0 ? CTL_EXIT_FAILED : CTL_EXIT_OK;
	json_init(&j, ctx->out);
	if (ctx->json)
		json_begin_array(&j, NULL);
	for (size_t i = 0; i < n; i++) {
		const struct proto_result *res = &rep.results[i];
		char name[PROTO_NAME_MAX], msg[PROTO_NAME_MAX];
		snprintf(name, sizeof(name), "%.*s", (int) FIELD_LEN(res->name), res->name);
		snprintf(msg, sizeof(msg), "%.*s", (int) FIELD_LEN(res->message), res->message);
		if (res->result < 0)
			r = CTL_EXIT_FAILED;
		if (ctx->json)
			result_print_json(&j, name, res->result, msg, "signalled");
		else
			result_print_line(ctx->out, name, res->result, msg, "signalled");
	}
	if (ctx->json) {
		json_end_array(&j);
		json_finish(&j);
	}
out:
	proto_reply_free(&rep);
	return r;
}
