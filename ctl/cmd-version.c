/* droverctl version: droverctl's version, then droverd's (exit 4 when it cannot be reached). */
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "output.h"
#include "util.h"

/* One value of droverd's version text: a number as a number, anything else as a string. */
static void json_value(struct json *j, const char *key, const char *v)
{
	int64_t n;
	if (*v && strspn(v, "0123456789") == strlen(v) && parse_int64(v, 0, INT64_MAX, &n) == 0)
		json_int(j, key, n);
	else
		json_str(j, key, v);
}

/* droverd's answer, "droverd VERSION pid N protocol P" then one line per counter group
 * ("control received=N bad=N ..."), as an object: {"version": V, "pid": N, "protocol": P,
 * "control": {"received": N, ...}}. Words it does not know are kept, as strings. */
static void json_daemon(struct json *j, const char *text, size_t len)
{
	char *copy = xstrndup(text, len), *save_line = NULL;
	bool first = true;

	json_begin_object(j, "droverd");
	for (char *line = strtok_r(copy, "\n", &save_line); line; line = strtok_r(NULL, "\n", &save_line)) {
		char *save = NULL, *w = strtok_r(line, " ", &save);
		if (!w)
			continue;
		if (first) {
			/* droverd VERSION KEY VALUE ... */
			char *v = strcmp(w, "droverd") == 0 ? strtok_r(NULL, " ", &save) : w;
			json_str(j, "version", v ? v : "");
			while ((w = strtok_r(NULL, " ", &save))) {
				char *val = strtok_r(NULL, " ", &save);
				json_value(j, w, val ? val : "");
			}
			first = false;
			continue;
		}
		/* GROUP KEY=VALUE ... */
		json_begin_object(j, w);
		while ((w = strtok_r(NULL, " ", &save))) {
			char *eq = strchr(w, '=');
			if (!eq)
				continue;
			*eq = '\0';
			json_value(j, w, eq + 1);
		}
		json_end_object(j);
	}
	json_end_object(j);
	free(copy);
}

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
			json_daemon(&j, rep.message, rep.message_len);
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
