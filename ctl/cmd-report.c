/* droverctl report [--ready] [--heartbeat] [--busy|--idle] [--status TEXT]: a shell worker's
 * way to the scoreboard. It uses the worker environment droverd sets (DROVER_NAME,
 * DROVER_SLOT, ...) through libdrover's worker API, not the control queue. */
#include <errno.h>
#include <string.h>

#include "cmd.h"
#include "drover.h"
#include "util.h"

int cmd_report_validate(struct ctl_ctx *ctx, struct cmd_args *a)
{
	if (a->report == 0) {
		ctl_errorx(ctx, "report: nothing to report");
		cmd_usage_one(ctx->err, a->cmd);
		return CTL_EXIT_USAGE;
	}
	if ((a->report & CTL_REPORT_BUSY) && (a->report & CTL_REPORT_IDLE)) {
		ctl_errorx(ctx, "report: --busy and --idle exclude each other");
		return CTL_EXIT_USAGE;
	}
	if (a->status_text && strlen(a->status_text) >= PROTO_STATUS_LINE_MAX) {
		ctl_errorx(ctx, "report: --status text longer than %d bytes", PROTO_STATUS_LINE_MAX - 1);
		return CTL_EXIT_USAGE;
	}
	return 0;
}

/* The worker API calls, in the order a worker would make them (ready last: by then the status
 * line a supervisor shows is already in place). */
static int report_apply(const struct cmd_args *a)
{
	int r = drover_attach();
	if (r < 0)
		return r;   /* -ENOENT: not run by droverd */
	if (a->report & CTL_REPORT_STATUS)
		r = drover_status("%s", a->status_text);
	if (r == 0 && (a->report & CTL_REPORT_BUSY))
		r = drover_busy();
	if (r == 0 && (a->report & CTL_REPORT_IDLE))
		r = drover_idle();
	if (r == 0 && (a->report & CTL_REPORT_HEARTBEAT))
		r = drover_heartbeat();
	if (r == 0 && (a->report & CTL_REPORT_READY))
		r = drover_ready();
	return r;
}

int cmd_report_run(struct ctl_ctx *ctx, const struct cmd_args *a)
{
	int r = report_apply(a);
	if (r == -ENOSYS) {
		ctl_errorx(ctx, "report: scoreboard not available in this build");
		return CTL_EXIT_FAILED;
	}
	if (r == -ENOENT || r == -ENOTCONN) {
		ctl_errorx(ctx, "report: not running under droverd (no DROVER_NAME/DROVER_SLOT in the environment)");
		return CTL_EXIT_FAILED;
	}
	if (r < 0) {
		ctl_errorx(ctx, "report: %s", strerror(-r));
		return CTL_EXIT_FAILED;
	}
	return CTL_EXIT_OK;
}
