/* droverctl version: droverctl's version, then droverd's (exit 4 when it cannot be reached). */
#include <string.h>

#include "cmd.h"
#include "output.h"
#include "util.h"

int cmd_version_run(struct ctl_ctx *ctx, const struct cmd_args *a)
{
	struct proto_reply rep;
	struct json j;
	int r;

	/* Our own line first: it is useful even when the daemon is down. */
	if (!ctx->json) {
		fprintf(ctx->out, "droverctl %s (protocol %d)\n", DROVER_VERSION, PROTO_VERSION);
		if (fflush(ctx->out) != 0)
			return CTL_EXIT_FAILED;
	}
	r = ctl_call(ctx, PROTO_VERSION_REQ, 0, 0, 0, NULL, 0, &rep);
	if (r == 0 && rep.result < 0) {
		r = ctl_reply_error(ctx, "version", &rep);
		proto_reply_free(&rep);
		memset(&rep, 0, sizeof(rep));
	}
	if (ctx->json) {
		json_init(&j, ctx->out);
		json_begin_object(&j, NULL);
		json_str(&j, "droverctl", DROVER_VERSION);
		json_int(&j, "protocol", PROTO_VERSION);
		if (r == 0 && rep.message)
			json_strn(&j, "droverd", rep.message, rep.message_len);
		else
			json_null(&j, "droverd");
		json_end_object(&j);
		json_finish(&j);
	} else if (r == 0) {
		/* "droverd 0.1.0 ..." then counters, one line each; add the name if it only sent the number. */
		const char *p = rep.message ? rep.message : "";
		char raw[PROTO_NAME_MAX * 4], line[PROTO_NAME_MAX * 4];
		for (bool first = true; *p || first; first = false) {
			size_t l = strcspn(p, "\n");
			snprintf(raw, sizeof(raw), "%.*s", (int) (l < sizeof(raw) ? l : sizeof(raw) - 1), p);
			escape_line(line, sizeof(line), raw);
			fprintf(ctx->out, "%s%s\n", first && strncmp(line, "droverd", 7) != 0 ? "droverd " : "", line);
			p += l;
			if (*p)
				p++;
		}
	}
	if (r == 0)
		proto_reply_free(&rep);
	return r;
}
