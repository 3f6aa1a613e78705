/* droverctl pid [PATTERN...]: the daemon's pid, or one pid per matched process (0: not running),
 * as supervisorctl: in the order of the patterns, "No such process X" for a name that matches
 * nothing (exit 1), exit 7 when a process named is not running ("pid all": 0). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "output.h"
#include "util.h"

static bool is_unmatched(const struct proto_reply *rep, size_t i)
{
	for (uint32_t k = 0; k < rep->nunmatched; k++)
		if (rep->unmatched[k] == i)
			return true;
	return false;
}

static int daemon_pid(struct ctl_ctx *ctx, const struct proto_reply *rep)
{
	/* The daemon's pid is its message: digits only, or the reply is not one we understand. */
	int64_t pid;
	char digits[32] = "";
	if (rep->message)
		snprintf(digits, sizeof(digits), "%.*s", (int) strcspn(rep->message, " \t\r\n"), rep->message);
	if (parse_int64(digits, 1, INT32_MAX, &pid) < 0) {
		ctl_errorx(ctx, "malformed pid reply from droverd %s", ctx->instance);
		return CTL_EXIT_FAILED;
	}
	if (ctx->json) {
		struct json j;
		json_init(&j, ctx->out);
		json_begin_object(&j, NULL);
		json_int(&j, "pid", pid);
		json_end_object(&j);
		json_finish(&j);
	} else
		fprintf(ctx->out, "%lld\n", (long long) pid);
	return CTL_EXIT_OK;
}

int cmd_pid_run(struct ctl_ctx *ctx, const struct cmd_args *a)
{
	struct proto_reply rep;
	struct ctl_patterns pats;
	struct json j;
	int r;

	ctl_patterns_init(&pats, a->pos, a->npos);
	size_t npats = pats.n;
	bool all = npats == 1 && strcmp(pats.send[0], "all") == 0;
	r = ctl_call(ctx, PROTO_PID, 0, 0, npats, pats.send, 0, &rep);
	if (r) {
		ctl_patterns_free(&pats);
		return r;
	}
	if (rep.result < 0) {
		r = ctl_reply_error(ctx, "pid", &rep);
		goto out;
	}
	if (npats == 0) {
		r = daemon_pid(ctx, &rep);
		goto out;
	}
	r = CTL_EXIT_OK;
	if (rep.status)
		status_sort(rep.status, rep.nrecords);
	json_init(&j, ctx->out);
	if (ctx->json)
		json_begin_array(&j, NULL);
	for (size_t i = 0; i < npats; i++) {
		char esc[PROTO_NAME_MAX * 4];
		if (is_unmatched(&rep, i)) {
			escape_line(esc, sizeof(esc), pats.show[i]);
			fprintf(ctx->json ? ctx->err : ctx->out, "%sNo such process %s\n", ctx->json ? "droverctl: " : "", esc);
			r = CTL_EXIT_FAILED;
			continue;
		}
		for (size_t k = 0; rep.status && k < rep.nrecords; k++) {
			const struct proto_status *s = &rep.status[k];
			if (s->pattern != i)
				continue;
			if (s->pid == 0 && !all)
				r = CTL_EXIT_DEAD;
			if (ctx->json) {
				json_begin_object(&j, NULL);
				json_strn(&j, "name", s->name, FIELD_LEN(s->name));
				json_int(&j, "pid", s->pid);
				json_end_object(&j);
			} else
				fprintf(ctx->out, "%d\n", (int) s->pid);
		}
	}
	if (ctx->json) {
		json_end_array(&j);
		json_finish(&j);
	}
out:
	proto_reply_free(&rep);
	ctl_patterns_free(&pats);
	return r;
}
