/* droverctl: global options, instance resolution, dispatch through the command table. */
#include <errno.h>
#include <stdio.h>
#include <stdio_ext.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "cmd.h"
#include "term.h"

int main(int argc, char **argv)
{
	struct ctl_ctx ctx = { .out = stdout, .err = stderr, .timeout_s = CTL_TIMEOUT_DEFAULT_S };
	struct ctl_globals g;
	struct cmd_args a;
	int idx, r;

	/* One thread: stdout needs no lock around each of the many small writes of a long table
	 * or document (taking it was a third of the cost of status --json of thousands). */
	__fsetlocking(stdout, FSETLOCKING_BYCALLER);
	/* Before any IPC object exists: a signal must find the handlers that remove it. */
	cleanup_install_handlers();

	r = cmd_parse_global(&ctx, argc, argv, &g, &idx);
	if (r)
		return r;
	ctx.json = g.json;
	ctx.color = term_color(STDOUT_FILENO, (enum term_color_opt) g.color);
	ctx.width = term_width(STDOUT_FILENO);
	ctx.limit_s = g.timeout_s > 0 ? g.timeout_s : 0;   /* cmd_parse() adds the command's own */
	if (g.help) {
		cmd_usage(stdout);
		return CTL_EXIT_OK;
	}
	if (idx >= argc) {
		cmd_usage(stderr);
		return CTL_EXIT_USAGE;
	}
	r = cmd_parse(&ctx, argc - idx, argv + idx, &a);
	if (r)
		return r;
	ctx.down_exit = a.cmd->down_exit;
	if (a.cmd->needs_daemon && !a.help) {
		r = instance_resolve(&ctx, g.name, g.config);
		if (r)
			return r;
	}

	r = cmd_run(&ctx, &a);

	if (ctx.client) {
		client_close(ctx.client);
		free(ctx.client);
		ctx.client = NULL;
	}
	/* A full disk or a closed pipe must not look like success. */
	if (fflush(stdout) != 0 || ferror(stdout)) {
		if (errno != EPIPE)
			fprintf(stderr, "droverctl: write error on stdout: %s\n", strerror(errno));
		if (r == CTL_EXIT_OK)
			r = CTL_EXIT_FAILED;
	}
	return r;
}
