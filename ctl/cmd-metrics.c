/* droverctl metrics [--openmetrics]: droverd's metrics for Prometheus, as droverd renders them
 * (the text its metrics_file gets): the Prometheus text format, or OpenMetrics 1.0.0. */
#include <errno.h>
#include <string.h>

#include "cmd.h"
#include "output.h"

int cmd_metrics_run(struct ctl_ctx *ctx, const struct cmd_args *a)
{
	uint32_t format = a->openmetrics ? PROTO_METRICS_OPENMETRICS : PROTO_METRICS_PROMETHEUS;
	struct proto_reply rep;
	int r = ctl_call(ctx, PROTO_METRICS, format, 0, 0, NULL, 0, &rep);
	if (r != 0)
		return r;
	if (rep.result == -EFBIG) {
		ctl_errorx(ctx, "metrics: the text is larger than a reply can carry (%u MiB): "
		           "have droverd write it to [drover] metrics_file", PROTO_REPLY_MAX >> 20);
		proto_reply_free(&rep);
		return CTL_EXIT_FAILED;
	}
	if (rep.result < 0) {
		r = ctl_reply_error(ctx, "metrics", &rep);
		proto_reply_free(&rep);
		return r;
	}
	if (ctx->json) {
		struct json j;
		json_init(&j, ctx->out);
		json_begin_object(&j, NULL);
		json_str(&j, "format", a->openmetrics ? "openmetrics" : "prometheus");
		json_strn(&j, "text", rep.message ? rep.message : "", rep.message ? rep.message_len : 0);
		json_end_object(&j);
		json_finish(&j);
	} else if (rep.message_len && fwrite(rep.message, 1, rep.message_len, ctx->out) != rep.message_len) {
		r = CTL_EXIT_FAILED;
	}
	proto_reply_free(&rep);
	return r;
}
