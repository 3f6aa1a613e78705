/* droverctl status [PATTERN...]: the process table (or its JSON document); _names for completion. */
#include <errno.h>
#include <string.h>

#include "cmd.h"
#include "output.h"
#include "util.h"

int cmd_status_run(struct ctl_ctx *ctx, const struct cmd_args *a)
{
	struct proto_reply rep;
	int r = ctl_call(ctx, PROTO_STATUS, 0, 0, a->npos, a->pos, 0, &rep);
	if (r)
		return r;
	if (rep.result < 0) {
		r = ctl_reply_error(ctx, "status", &rep);
		goto out;
	}

	size_t n = rep.status ? rep.nrecords : 0;
	if (ctx->json)
		status_print_json(ctx->out, rep.status, n);
	else
		status_print_table(ctx->out, rep.status, n);

	if (rep.nunmatched > 0) {
		ctl_print_unmatched(ctx, &rep, a->pos, a->npos);
		r = CTL_EXIT_FAILED;
		goto out;
	}
	r = CTL_EXIT_OK;
	for (size_t i = 0; i < n; i++)
		if (rep.status[i].state != PROC_RUNNING)
			r = CTL_EXIT_NOT_RUNNING;
out:
	proto_reply_free(&rep);
	return r;
}

int cmd_names_run(struct ctl_ctx *ctx, const struct cmd_args *a)
{
	struct proto_reply rep;
	int r = ctl_call(ctx, PROTO_STATUS, 0, 0, 0, NULL, 0, &rep);
	if (r)
		return r;
	if (rep.result < 0) {
		r = ctl_reply_error(ctx, "status", &rep);
	} else {
		char name[PROTO_NAME_MAX * 4];
		for (size_t i = 0; rep.status && i < rep.nrecords; i++) {
			SAFE_FIELD(name, rep.status[i].name);
			fprintf(ctx->out, "%s\n", name);
		}
	}
	proto_reply_free(&rep);
	return r;
}
