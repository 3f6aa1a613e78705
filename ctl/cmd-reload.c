/* droverctl reload: reread the config and apply the difference; prints what changed. */
#include <errno.h>
#include <string.h>

#include "cmd.h"
#include "output.h"
#include "util.h"

/* Text label and suffix of each action, in print order. */
static const struct { enum proto_reload_action action; const char *key; const char *suffix; } sections[] = {
	{ RELOAD_ADDED,   "added",   "" },
	{ RELOAD_CHANGED, "changed", " (restarted)" },
	{ RELOAD_UPDATED, "updated", " (in place)" },
	{ RELOAD_REMOVED, "removed", "" },
};

static void print_error_json(struct ctl_ctx *ctx, const struct proto_reply *rep)
{
	struct json j;
	json_init(&j, ctx->out);
	json_begin_object(&j, NULL);
	if (rep->result == -ENOSYS)
		json_str(&j, "error", "not supported by this droverd");
	else if (rep->message && rep->message[0])
		json_strn(&j, "error", rep->message, rep->message_len);
	else
		json_str(&j, "error", strerror(rep->result < 0 ? -rep->result : EIO));
	json_end_object(&j);
	json_finish(&j);
}

int cmd_reload_run(struct ctl_ctx *ctx, const struct cmd_args *a)
{
	struct proto_reply rep;
	int r = ctl_call(ctx, PROTO_RELOAD, 0, 0, 0, NULL, 0, &rep);
	if (r)
		return r;
	if (rep.result < 0) {
		if (ctx->json)
			print_error_json(ctx, &rep);
		else
			(void) ctl_reply_error(ctx, "reload", &rep);
		r = CTL_EXIT_FAILED;
		goto out;
	}

	size_t n = rep.results ? rep.nrecords : 0, unchanged = 0;
	for (size_t i = 0; i < n; i++)
		if (rep.results[i].action == RELOAD_UNCHANGED)
			unchanged++;

	if (ctx->json) {
		struct json j;
		json_init(&j, ctx->out);
		json_begin_object(&j, NULL);
		for (size_t s = 0; s < ELEMENTSOF(sections); s++) {
			json_begin_array(&j, sections[s].key);
			for (size_t i = 0; i < n; i++)
				if (rep.results[i].action == sections[s].action)
					json_strn(&j, NULL, rep.results[i].name, FIELD_LEN(rep.results[i].name));
			json_end_array(&j);
		}
		json_uint(&j, "unchanged", unchanged);
		if (rep.message && rep.message[0])
			json_strn(&j, "message", rep.message, rep.message_len);
		json_end_object(&j);
		json_finish(&j);
	} else {
		char name[PROTO_NAME_MAX * 4];
		for (size_t s = 0; s < ELEMENTSOF(sections); s++)
			for (size_t i = 0; i < n; i++)
				if (rep.results[i].action == sections[s].action) {
					SAFE_FIELD(name, rep.results[i].name);
					fprintf(ctx->out, "%s: %s%s\n", sections[s].key, name, sections[s].suffix);
				}
		fprintf(ctx->out, "unchanged: %zu\n", unchanged);
		/* Anything else the daemon says on success (warnings) goes with the errors. */
		if (rep.message && rep.message[0]) {
			struct proto_reply warn = rep;
			warn.result = 0;
			(void) ctl_reply_error(ctx, "reload", &warn);
		}
	}
	r = CTL_EXIT_OK;
out:
	proto_reply_free(&rep);
	return r;
}
