/* droverctl status [PATTERN...]: the process table (or its JSON document); _names for completion.
 * As supervisorctl: patterns that match nothing first ("x: ERROR (no such process)", exit 4),
 * then the processes in the order of the patterns, each pattern's by group and name; exit 3 when one of them is STOPPED, EXITED,
 * FATAL or UNKNOWN (even with an unknown name), else 0 (STARTING and BACKOFF too). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "output.h"
#include "results.h"
#include "util.h"

int cmd_status_run(struct ctl_ctx *ctx, const struct cmd_args *a)
{
	struct proto_reply rep;
	struct ctl_patterns pats;
	int r;

	ctl_patterns_init(&pats, a->pos, a->npos);
	r = ctl_call(ctx, PROTO_STATUS, 0, 0, pats.n, pats.send, 0, &rep);
	if (r) {
		ctl_patterns_free(&pats);
		return r;
	}
	if (rep.result < 0) {
		r = ctl_reply_error(ctx, "status", &rep);
		goto out;
	}

	r = CTL_EXIT_OK;
	for (uint32_t i = 0; i < rep.nunmatched; i++) {
		char line[PROTO_NAME_MAX * 4 + 64];
		const char *p = rep.unmatched[i] < pats.n ? pats.show[rep.unmatched[i]] : "?";
		if (strcmp(p, "all") == 0)
			continue;   /* an empty table: nothing to say */
		unmatched_text(line, sizeof(line), p, &result_policy_stop);
		fprintf(ctx->json ? ctx->err : ctx->out, "%s%s\n", ctx->json ? "droverctl: " : "", line);
		r = CTL_EXIT_UNREACHABLE;
	}
	size_t n = rep.status ? rep.nrecords : 0;
	status_sort(rep.status, n);
	if (ctx->json)
		status_print_json(ctx->out, rep.status, n);
	else
		status_print_table(ctx->out, rep.status, n);
	for (size_t i = 0; i < n; i++)
		if (rep.status[i].state == PROC_STOPPED || rep.status[i].state == PROC_EXITED ||
		    rep.status[i].state == PROC_FATAL || rep.status[i].state == PROC_UNKNOWN)
			r = CTL_EXIT_NOT_RUNNING;
out:
	proto_reply_free(&rep);
	ctl_patterns_free(&pats);
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
