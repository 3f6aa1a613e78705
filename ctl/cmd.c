/* droverctl's closed command table, option scanning, usage generated from the table, and the
 * request helper every command uses. */
#include "cmd.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "output.h"
#include "util.h"

static int cmd_help_run(struct ctl_ctx *ctx, const struct cmd_args *a);

/* The only place a command name maps to code (cf. CVE-2017-11610: no name-to-function lookup). */
static const struct cmd_entry cmd_table[] = {
	{ "status", "[PATTERN...]", "show processes: state, pid, uptime, restarts, worker status",
	  0, PROTO_ARGS_MAX, false, true, cmd_parse_plain, NULL, cmd_status_run },
	{ "start", "PATTERN... [--no-wait] [--timeout SECONDS]", "start processes and wait until RUNNING (or given up)",
	  1, PROTO_ARGS_MAX, false, true, cmd_action_parse, NULL, cmd_action_run },
	{ "stop", "PATTERN... [--no-wait] [--timeout SECONDS]", "stop processes and wait until they are down",
	  1, PROTO_ARGS_MAX, false, true, cmd_action_parse, NULL, cmd_action_run },
	{ "restart", "PATTERN... [--no-wait] [--timeout SECONDS]", "stop, then start processes; wait until RUNNING",
	  1, PROTO_ARGS_MAX, false, true, cmd_action_parse, NULL, cmd_action_run },
	{ "signal", "SIG PATTERN...", "send a signal (TERM, SIGTERM or a number) to processes",
	  2, PROTO_ARGS_MAX, false, true, cmd_parse_plain, cmd_signal_validate, cmd_signal_run },
	{ "pid", "[PATTERN]", "print the daemon's pid, or the pids of the matched processes",
	  0, 1, false, true, cmd_parse_plain, NULL, cmd_pid_run },
	{ "reload", "", "reread the config and apply the difference",
	  0, 0, false, true, cmd_parse_plain, NULL, cmd_reload_run },
	{ "shutdown", "", "stop every process and make droverd exit",
	  0, 0, false, true, cmd_parse_plain, NULL, cmd_shutdown_run },
	{ "tail", "[-f] [-n LINES] PROCESS [stdout|stderr]", "print the last lines of a process's output; -f follows it",
	  1, 2, false, true, cmd_tail_parse, cmd_tail_validate, cmd_tail_run },
	{ "wait", "STATE PATTERN... [--timeout SECONDS]", "wait until processes reach STATE (default timeout 60 s)",
	  2, PROTO_ARGS_MAX, false, true, cmd_wait_parse, cmd_wait_validate, cmd_wait_run },
	{ "report", "[--ready] [--heartbeat] [--busy|--idle] [--status TEXT]", "report to the scoreboard from a shell worker",
	  0, 0, false, false, cmd_report_parse, cmd_report_validate, cmd_report_run },
	{ "version", "", "print droverctl's and droverd's versions",
	  0, 0, false, true, cmd_parse_plain, NULL, cmd_version_run },
	{ "help", "[COMMAND]", "show this help, or one command's usage",
	  0, 1, false, false, cmd_parse_plain, NULL, cmd_help_run },
	/* Process names one per line, for the bash completion. */
	{ "_names", "", "",
	  0, 0, true, true, cmd_parse_plain, NULL, cmd_names_run },
};

const struct cmd_entry *cmd_find(const char *name)
{
	for (size_t i = 0; i < ELEMENTSOF(cmd_table); i++)
		if (strcmp(cmd_table[i].name, name) == 0)
			return &cmd_table[i];
	return NULL;
}

void cmd_usage_one(FILE *f, const struct cmd_entry *c)
{
	fprintf(f, "usage: droverctl [options] %s%s%s\n", c->name, c->usage[0] ? " " : "", c->usage);
}

void cmd_usage(FILE *f)
{
	fputs("usage: droverctl [-c FILE | -n NAME] [--json] [--timeout SECONDS] COMMAND [ARGS]\n"
	      "\n"
	      "options:\n"
	      "  -c, --config FILE     take the instance name from FILE's [drover] name\n"
	      "  -n, --name NAME       instance name (default: $DROVER_NAME, else drover)\n"
	      "      --json            print one JSON document on stdout\n"
	      "      --timeout SECONDS how long to wait for droverd's reply (default 5)\n"
	      "  -h, --help            show this help\n"
	      "\n"
	      "commands:\n", f);
	for (size_t i = 0; i < ELEMENTSOF(cmd_table); i++) {
		const struct cmd_entry *c = &cmd_table[i];
		char left[128];
		if (c->hidden)
			continue;
		snprintf(left, sizeof(left), "%s%s%s", c->name, c->usage[0] ? " " : "", c->usage);
		if (strlen(left) > 40)
			fprintf(f, "  %s\n  %-40s  %s\n", left, "", c->help);
		else
			fprintf(f, "  %-40s  %s\n", left, c->help);
	}
	fputs("\nPATTERN: all | GROUP | GROUP:* | GROUP:PROCESS | PROCESS\n"
	      "exit status: 0 done, 1 failed, 2 usage, 3 status: not all RUNNING, 4 droverd unreachable\n", f);
}

void ctl_errorx(struct ctl_ctx *ctx, const char *fmt, ...)
{
	va_list ap;
	fputs("droverctl: ", ctx->err);
	va_start(ap, fmt);
	vfprintf(ctx->err, fmt, ap);
	va_end(ap);
	fputc('\n', ctx->err);
}

/* ---- option scanning ---------------------------------------------------------------------- */

int cmd_bad_option(struct ctl_ctx *ctx, const struct cmd_args *a, const char *arg)
{
	ctl_errorx(ctx, "%s: unknown option '%s'", a->cmd->name, arg);
	cmd_usage_one(ctx->err, a->cmd);
	return CTL_EXIT_USAGE;
}

int cmd_push_pos(struct ctl_ctx *ctx, struct cmd_args *a, const char *arg)
{
	if (a->npos >= ELEMENTSOF(a->pos)) {
		ctl_errorx(ctx, "%s: too many arguments (at most %zu)", a->cmd->name, ELEMENTSOF(a->pos));
		return CTL_EXIT_USAGE;
	}
	a->pos[a->npos++] = arg;
	return 0;
}

int cmd_opt_common(struct ctl_ctx *ctx, struct cmd_args *a, const char *arg)
{
	if (strcmp(arg, "--json") == 0) {
		ctx->json = true;
		return 1;
	}
	if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
		a->help = true;
		return 1;
	}
	return 0;
}

int cmd_opt(struct ctl_ctx *ctx, const struct cmd_args *a, int argc, char **argv, int *i,
            const char *long_name, char short_name, bool has_arg, const char **ret_value)
{
	const char *arg = argv[*i];
	const char *value = NULL;
	size_t ln = long_name ? strlen(long_name) : 0;

	if (long_name && strncmp(arg, long_name, ln) == 0 && (arg[ln] == '\0' || (has_arg && arg[ln] == '='))) {
		if (arg[ln] == '=')
			value = arg + ln + 1;
	} else if (short_name && arg[0] == '-' && arg[1] == short_name && (arg[2] == '\0' || has_arg)) {
		if (arg[2])
			value = arg + 2;
	} else
		return 0;

	if (!has_arg)
		return 1;
	if (!value) {
		if (*i + 1 >= argc) {
			ctl_errorx(ctx, "%s: option '%s' needs an argument", a->cmd ? a->cmd->name : "droverctl", arg);
			if (a->cmd)
				cmd_usage_one(ctx->err, a->cmd);
			return -1;
		}
		value = argv[++*i];
	}
	*ret_value = value;
	return 1;
}

/* Positional arguments only (plus --json, -h and "--"). */
int cmd_parse_plain(struct ctl_ctx *ctx, struct cmd_args *a, int argc, char **argv)
{
	bool opts = true;
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];
		if (opts && arg[0] == '-' && arg[1]) {
			if (strcmp(arg, "--") == 0) {
				opts = false;
				continue;
			}
			if (cmd_opt_common(ctx, a, arg))
				continue;
			return cmd_bad_option(ctx, a, arg);
		}
		int r = cmd_push_pos(ctx, a, arg);
		if (r)
			return r;
	}
	return 0;
}

int cmd_parse(struct ctl_ctx *ctx, int argc, char **argv, struct cmd_args *ret)
{
	const struct cmd_entry *c;
	int r;

	memset(ret, 0, sizeof(*ret));
	if (argc < 1) {
		cmd_usage(ctx->err);
		return CTL_EXIT_USAGE;
	}
	c = cmd_find(argv[0]);
	if (!c) {
		ctl_errorx(ctx, "unknown command '%s' (see 'droverctl help')", argv[0]);
		return CTL_EXIT_USAGE;
	}
	ret->cmd = c;
	ret->wait_s = -1;
	r = c->parse(ctx, ret, argc, argv);
	if (r)
		return r;
	if (ret->help)
		return 0;
	if ((int) ret->npos < c->min_args || (c->max_args >= 0 && (int) ret->npos > c->max_args)) {
		if ((int) ret->npos < c->min_args)
			ctl_errorx(ctx, "%s: missing argument", c->name);
		else
			ctl_errorx(ctx, "%s: too many arguments", c->name);
		cmd_usage_one(ctx->err, c);
		return CTL_EXIT_USAGE;
	}
	return c->validate ? c->validate(ctx, ret) : 0;
}

int cmd_run(struct ctl_ctx *ctx, const struct cmd_args *a)
{
	if (a->help) {
		cmd_usage_one(ctx->out, a->cmd);
		return CTL_EXIT_OK;
	}
	return a->cmd->run(ctx, a);
}

static int cmd_help_run(struct ctl_ctx *ctx, const struct cmd_args *a)
{
	if (a->npos == 1) {
		const struct cmd_entry *c = cmd_find(a->pos[0]);
		if (!c || c->hidden) {
			ctl_errorx(ctx, "unknown command '%s'", a->pos[0]);
			return CTL_EXIT_USAGE;
		}
		cmd_usage_one(ctx->out, c);
		fprintf(ctx->out, "%s\n", c->help);
		return CTL_EXIT_OK;
	}
	cmd_usage(ctx->out);
	return CTL_EXIT_OK;
}

/* ---- global options ----------------------------------------------------------------------- */

int parse_seconds(const char *s, double *ret)
{
	char *end;
	if (!s || !*s || *s == '-' || *s == '+' || *s == ' ')
		return -EINVAL;
	errno = 0;
	double v = strtod(s, &end);
	if (end == s || *end != '\0' || errno == ERANGE || !isfinite(v))
		return -EINVAL;
	if (v <= 0 || v > CTL_TIMEOUT_MAX_S)
		return -ERANGE;
	*ret = v;
	return 0;
}

int cmd_parse_global(struct ctl_ctx *ctx, int argc, char **argv, struct ctl_globals *ret, int *ret_index)
{
	struct ctl_globals g = { .timeout_s = CTL_TIMEOUT_DEFAULT_S };
	struct cmd_args none = { 0 };
	int i;

	for (i = 1; i < argc; i++) {
		const char *arg = argv[i], *v = NULL;
		int r;
		if (arg[0] != '-' || !arg[1])
			break;
		if (strcmp(arg, "--") == 0) {
			i++;
			break;
		}
		if (strcmp(arg, "--json") == 0) {
			g.json = true;
			continue;
		}
		if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
			g.help = true;
			continue;
		}
		if ((r = cmd_opt(ctx, &none, argc, argv, &i, "--config", 'c', true, &v)) != 0) {
			if (r < 0)
				return CTL_EXIT_USAGE;
			g.config = v;
			continue;
		}
		if ((r = cmd_opt(ctx, &none, argc, argv, &i, "--name", 'n', true, &v)) != 0) {
			if (r < 0)
				return CTL_EXIT_USAGE;
			g.name = v;
			continue;
		}
		if ((r = cmd_opt(ctx, &none, argc, argv, &i, "--timeout", 0, true, &v)) != 0) {
			if (r < 0)
				return CTL_EXIT_USAGE;
			if (parse_seconds(v, &g.timeout_s) < 0) {
				ctl_errorx(ctx, "invalid --timeout '%s' (seconds, > 0, at most %.0f)", v, CTL_TIMEOUT_MAX_S);
				return CTL_EXIT_USAGE;
			}
			continue;
		}
		ctl_errorx(ctx, "unknown option '%s' (see 'droverctl help')", arg);
		return CTL_EXIT_USAGE;
	}
	*ret = g;
	*ret_index = i;
	return 0;
}

/* ---- requests ----------------------------------------------------------------------------- */

int ctl_call(struct ctl_ctx *ctx, uint16_t type, uint32_t arg1, uint32_t arg2,
             size_t nargs, const char *const *args, double wait_s, struct proto_reply *ret)
{
	double timeout_s = ctx->timeout_s + wait_s;
	int r;
	if (!ctx->client) {
		struct client *c = xcalloc(1, sizeof(*c));
		r = client_open(c, ctx->instance);
		bool reply_failed = c->failed_reply;
		if (r < 0)
			free(c);
		if (r < 0 && reply_failed) {
			ctl_errorx(ctx, "cannot create a reply queue /%s.reply.*: %s%s", ctx->instance, strerror(-r),
			           r == -EMFILE ? " (this user's message queues exceed RLIMIT_MSGQUEUE)" :
			           r == -ENOSPC ? " (/proc/sys/fs/mqueue/queues_max reached)" : "");
			return CTL_EXIT_UNREACHABLE;
		}
		if (r < 0) {
			switch (r) {
			case -ENOENT:
				ctl_errorx(ctx, "droverd %s is not running", ctx->instance);
				break;
			case -EACCES:
				ctl_errorx(ctx, "droverd %s: permission denied on /%s.ctl "
				           "(see control_mode and control_group in drover.ini(5))", ctx->instance, ctx->instance);
				break;
			case -EPROTO:
				ctl_errorx(ctx, "droverd %s: message queue too small (mq_msgsize below %d)",
				           ctx->instance, PROTO_MSG_MIN);
				break;
			default:
				ctl_errorx(ctx, "droverd %s: cannot open the control queue: %s", ctx->instance, strerror(-r));
				break;
			}
			return CTL_EXIT_UNREACHABLE;
		}
		ctx->client = c;
	}

	uint64_t now = now_mono_ns();
	memset(ret, 0, sizeof(*ret));
	r = client_call(ctx->client, type, arg1, arg2, nargs, args, now + (uint64_t) (ctx->timeout_s * 1e9),
	                now + (uint64_t) (timeout_s * 1e9), ret);
	switch (r) {
	case 0:
		return 0;
	case -EBUSY:
		ctl_errorx(ctx, "droverd %s is busy (control queue full)", ctx->instance);
		return CTL_EXIT_UNREACHABLE;
	case -ETIMEDOUT:
		ctl_errorx(ctx, "no reply from droverd %s within %g s", ctx->instance, timeout_s);
		return CTL_EXIT_UNREACHABLE;
	case -ECONNRESET:
		ctl_errorx(ctx, "droverd %s went away before replying", ctx->instance);
		return CTL_EXIT_UNREACHABLE;
	case -EMSGSIZE:
		ctl_errorx(ctx, "arguments too long for one request (%zu bytes at most)", ctx->client->req_cap);
		return CTL_EXIT_USAGE;
	case -EPROTO:
		ctl_errorx(ctx, "droverd %s speaks another protocol version (droverctl: %d); "
		           "use the droverctl that came with it", ctx->instance, PROTO_VERSION);
		return CTL_EXIT_FAILED;
	case -EBADMSG:
		ctl_errorx(ctx, "malformed reply from droverd %s", ctx->instance);
		return CTL_EXIT_FAILED;
	case -EINVAL:
	case -ENAMETOOLONG:
		ctl_errorx(ctx, "invalid arguments (a pattern longer than %d bytes?)", PROTO_NAME_MAX - 1);
		return CTL_EXIT_USAGE;
	default:
		ctl_errorx(ctx, "droverd %s: %s", ctx->instance, strerror(-r));
		return CTL_EXIT_FAILED;
	}
}

int ctl_reply_error(struct ctl_ctx *ctx, const char *cmd, const struct proto_reply *r)
{
	if (r->result == -ENOSYS)
		ctl_errorx(ctx, "%s: not supported by this droverd", cmd);
	else if (r->message && r->message[0]) {
		/* One prefixed line per line of the daemon's text (reload errors come several). */
		const char *p = r->message;
		while (*p) {
			size_t l = strcspn(p, "\n");
			if (l > 0)
				ctl_errorx(ctx, "%s: %.*s", cmd, (int) l, p);
			p += l;
			if (*p)
				p++;
		}
	} else
		ctl_errorx(ctx, "%s: %s", cmd, strerror(r->result < 0 ? -r->result : EIO));
	return CTL_EXIT_FAILED;
}

/* Unmatched patterns: the daemon answers -ENOENT with "no such process: a, b" in message
 * (daemon/ctl-server/control.c); a line of another form is taken as one pattern, or printed as is when it
 * already reads "x: ERROR (...)". */
void ctl_print_no_such(struct ctl_ctx *ctx, const struct cmd_args *a, const struct proto_reply *rep)
{
	FILE *f = ctx->json ? ctx->err : ctx->out;
	const char *prefix = ctx->json ? "droverctl: " : "";
	const char *p = rep->message ? rep->message : "";
	char esc[PROTO_NAME_MAX * 4], line[PROTO_NAME_MAX];

	if (!*p) {
		if (a->npos == 1) {
			escape_line(esc, sizeof(esc), a->pos[0]);
			fprintf(f, "%s%s: ERROR (no such process)\n", prefix, esc);
		} else
			fprintf(f, "%sERROR (no such process)\n", prefix);
		return;
	}
	while (*p) {
		size_t l = strcspn(p, "\n");
		if (l >= 16 && strncmp(p, "no such process:", 16) == 0) {
			/* droverd's form: "no such process: a, b" */
			const char *q = p + 16, *end = p + l;
			while (q < end) {
				while (q < end && (*q == ' ' || *q == ','))
					q++;
				size_t k = 0;
				while (q + k < end && q[k] != ',')
					k++;
				while (k > 0 && q[k - 1] == ' ')
					k--;
				if (k > 0) {
					snprintf(line, sizeof(line), "%.*s", (int) (k < sizeof(line) ? k : sizeof(line) - 1), q);
					escape_line(esc, sizeof(esc), line);
					fprintf(f, "%s%s: ERROR (no such process)\n", prefix, esc);
				}
				q += k;
				while (q < end && *q != ',')
					q++;
			}
		} else if (l > 0) {
			snprintf(line, sizeof(line), "%.*s", (int) (l < sizeof(line) ? l : sizeof(line) - 1), p);
			escape_line(esc, sizeof(esc), line);
			if (strstr(esc, "ERROR"))
				fprintf(f, "%s%s\n", prefix, esc);
			else
				fprintf(f, "%s%s: ERROR (no such process)\n", prefix, esc);
		}
		p += l;
		if (*p)
			p++;
	}
}
