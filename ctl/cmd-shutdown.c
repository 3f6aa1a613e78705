/* droverctl shutdown: droverd stops every process (reverse priority order) and exits. */
#include "cmd.h"
#include "output.h"

int cmd_shutdown_run(struct ctl_ctx *ctx, const struct cmd_args *a)
{
	struct proto_reply rep;
	int r = ctl_call(ctx, PROTO_SHUTDOWN, 0, 0, 0, NULL, 0, &rep);
	if (r)
		return r;
	if (rep.result < 0)
		r = ctl_reply_error(ctx, "shutdown", &rep);
	else if (ctx->json) {
		struct json j;
		json_init(&j, ctx->out);
		json_begin_object(&j, NULL);
		json_bool(&j, "shutdown", true);
		json_end_object(&j);
		json_finish(&j);
	} else
		fputs("Shut down\n", ctx->out);   /* supervisorctl's words */
	proto_reply_free(&rep);
	return r;
}
