/* droverctl instance resolution: -n, else -c FILE's [drover] name, else $DROVER_NAME, else "drover". */
#include "cmd.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "conf/config.h"
#include "util.h"

/* -c FILE: the name droverd takes from FILE, read by droverd's own config reader (comments, key
 * case, includes, expansions as droverd sees them). Errors elsewhere in FILE do not matter here. */
static int name_from_config(struct ctl_ctx *ctx, const char *path, char *name, size_t size)
{
	struct config_diag diag = { 0 };
	int r = config_instance_name(path, name, size, &diag);
	if (r < 0) {
		size_t n = 0;
		for (char **e = diag.errors; r == -EINVAL && e && *e; e++, n++)
			ctl_errorx(ctx, "%s", *e);
		if (n == 0)
			ctl_errorx(ctx, "cannot read %s: %s", path, strerror(-r));
	}
	config_diag_clear(&diag);
	return r < 0 ? CTL_EXIT_USAGE : 0;
}

int instance_resolve(struct ctl_ctx *ctx, const char *opt_name, const char *opt_config)
{
	char name[64];
	const char *from;

	if (opt_name) {
		from = "-n";
		if (strcpy_bounded(name, sizeof(name), opt_name) < 0)
			name[sizeof(name) - 2] = '!';
	} else if (opt_config) {
		int r = name_from_config(ctx, opt_config, name, sizeof(name));
		if (r)
			return r;
		from = opt_config;
	} else {
		const char *env = getenv("DROVER_NAME");
		if (env && *env) {
			from = "$DROVER_NAME";
			if (strcpy_bounded(name, sizeof(name), env) < 0)
				name[sizeof(name) - 2] = '!';
		} else {
			from = "default";
			snprintf(name, sizeof(name), "drover");
		}
	}
	if (!instance_name_valid(name)) {
		char esc[256];
		escape_line(esc, sizeof(esc), name);
		ctl_errorx(ctx, "invalid instance name '%s' (from %s): [A-Za-z0-9_-]{1,32}", esc, from);
		return CTL_EXIT_USAGE;
	}
	(void) strcpy_bounded(ctx->instance, sizeof(ctx->instance), name);   /* <= 32: validated */
	return 0;
}
