/* droverctl pid [PATTERN]: the daemon's pid, or one pid per matched process (0: not running). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "output.h"
#include "util.h"

int cmd_pid_run(struct ctl_ctx *ctx, const struct cmd_args *a)
{
	struct proto_reply rep;
	struct json j;
	int r = ctl_call(ctx, PROTO_PID, 0, 0, a->npos, a->pos, 0, &rep);
	if (r)
		return r;
	if (rep.result < 0) {
		r = ctl_reply_error(ctx, "pid", &rep);
		goto out;
	}
	if (rep.nunmatched > 0) {
		ctl_print_unmatched(ctx, &rep, a->pos, a->npos);
		r = CTL_EXIT_FAILED;
		goto out;
	}
	json_init(&j, ctx->out);
	if (a->npos == 0) {
		/* The daemon's pid is its message: digits only, or the reply is not one we understand. */
		int64_t pid;
		char digits[32] = "";
		if (rep.message)
			snprintf(digits, sizeof(digits), "%.*s", (int) strcspn(rep.message, " \t\r\n"), rep.message);
		if (parse_int64(digits, 1, INT32_MAX, &pid) < 0) {
			ctl_errorx(ctx, "malformed pid reply from droverd %s", ctx->instance);
			r = CTL_EXIT_FAILED;
			goto out;
		}
		if (ctx->json) {
			json_begin_object(&j, NULL);
			json_int(&j, "pid", pid);
			json_end_object(&j);
			json_finish(&j);
		} else
			fprintf(ctx->out, "%lld\n", (long long) pid);
		r = CTL_EXIT_OK;
		goto out;
	}
	size_t n = rep.status ? rep.nrecords : 0;
	if (ctx->json)
		json_begin_array(&j, NULL);
	for (size_t i = 0; i < n; i++) {
		if (ctx->json) {
			json_begin_object(&j, NULL);
			json_strn(&j, "name", rep.status[i].name, FIELD_LEN(rep.status[i].name));
			json_int(&j, "pid", rep.status[i].pid);
			json_end_object(&j);
		} else
			fprintf(ctx->out, "%d\n", (int) rep.status[i].pid);
	}
	if (ctx->json) {
		json_end_array(&j);
		json_finish(&j);
	}
	r = CTL_EXIT_OK;
out:
	proto_reply_free(&rep);
	return r;
}
