/* droverctl's closed command table, option scanning, usage generated from the table, and the
 * request helper every command uses. */
#include "cmd.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client.h"
#include "conf/suggest.h"
#include "output.h"
#include "term.h"
#include "util.h"

static int cmd_help_run(struct ctl_ctx *ctx, const struct cmd_args *a);

#define ACTION_OPTS (CMD_O_NO_WAIT | CMD_O_TIMEOUT)
#define REPORT_OPTS (CMD_O_READY | CMD_O_HEARTBEAT | CMD_O_BUSY | CMD_O_IDLE | CMD_O_STATUS)

/* The only place a command name maps to code (no name-to-function lookup anywhere else). */
static const struct cmd_entry cmd_table[] = {
	{ "status", "[--watch [SECONDS]] [PATTERN...]", "show processes: state, pid, uptime, restarts, worker status",
	  0, PROTO_ARGS_MAX, CMD_O_WATCH, CTL_EXIT_UNREACHABLE, false, true, cmd_status_validate, cmd_status_run },
	{ "start", "PATTERN... [--no-wait] [--timeout SECONDS]", "start processes and wait until RUNNING (or given up)",
	  1, PROTO_ARGS_MAX, ACTION_OPTS, CTL_EXIT_DEAD, false, true, NULL, cmd_action_run },
	{ "stop", "PATTERN... [--no-wait] [--timeout SECONDS]", "stop processes and wait until they are down",
	  1, PROTO_ARGS_MAX, ACTION_OPTS, CTL_EXIT_DEAD, false, true, NULL, cmd_action_run },
	{ "restart", "PATTERN... [--no-wait] [--timeout SECONDS]", "stop, then start processes; wait until RUNNING",
	  1, PROTO_ARGS_MAX, ACTION_OPTS, CTL_EXIT_DEAD, false, true, NULL, cmd_action_run },
	{ "signal", "SIG PATTERN...", "send a signal (TERM, SIGTERM or a number) to processes",
	  2, PROTO_ARGS_MAX, 0, CTL_EXIT_DEAD, false, true, cmd_signal_validate, cmd_signal_run },
	{ "pid", "[PATTERN...]", "print the daemon's pid, or the pid of each matched process (0: not running)",
	  0, PROTO_ARGS_MAX, 0, CTL_EXIT_DEAD, false, true, NULL, cmd_pid_run },
	{ "reload", "", "reread the config and apply the difference (restarts only what changed)",
	  0, 0, 0, CTL_EXIT_FAILED, false, true, NULL, cmd_reload_run },
	{ "reread", "", "show what a reload would add, change and remove (changes nothing)",
	  0, 0, 0, CTL_EXIT_FAILED, false, true, NULL, cmd_reread_run },
	{ "update", "[GROUP...]", "apply the config's changes, to every group or to these",
	  0, PROTO_ARGS_MAX, 0, CTL_EXIT_FAILED, false, true, NULL, cmd_update_run },
	{ "avail", "", "list the processes of the config file and whether they are in use",
	  0, 0, 0, CTL_EXIT_FAILED, false, true, NULL, cmd_avail_run },
	{ "shutdown", "", "stop every process and make droverd exit",
	  0, 0, 0, CTL_EXIT_FAILED, false, true, NULL, cmd_shutdown_run },
	{ "tail", "[-f | -n LINES | -BYTES] [--since TIME] PATTERN [stdout|stderr]",
	  "print the end of the output of processes (10 lines; -BYTES: that many bytes); -f follows it",
	  1, 2, CMD_O_FOLLOW | CMD_O_LINES | CMD_O_BYTES | CMD_O_SINCE, CTL_EXIT_DEAD, false, true, cmd_tail_validate,
	  cmd_tail_run },
	{ "wait", "STATE PATTERN... [--timeout SECONDS]", "wait until processes reach STATE (default timeout 60 s)",
	  2, PROTO_ARGS_MAX, CMD_O_TIMEOUT, CTL_EXIT_UNREACHABLE, false, true, cmd_wait_validate, cmd_wait_run },
	{ "report", "[--ready] [--heartbeat] [--busy|--idle] [--status TEXT]", "report to the scoreboard from a shell worker",
	  0, 0, REPORT_OPTS, 0, false, false, cmd_report_validate, cmd_report_run },
	{ "version", "", "print droverctl's and droverd's versions",
	  0, 0, 0, CTL_EXIT_DEAD, false, true, NULL, cmd_version_run },
	{ "metrics", "[--openmetrics]", "print droverd's metrics for Prometheus (text format; OpenMetrics with --openmetrics)",
	  0, 0, CMD_O_OPENMETRICS, CTL_EXIT_UNREACHABLE, false, true, NULL, cmd_metrics_run },
	{ "help", "[COMMAND]", "show this help, or one command's usage",
	  0, 1, 0, 0, false, false, NULL, cmd_help_run },
	/* Process names one per line, for the bash completion. */
	{ "_names", "", "",
	  0, 0, 0, CTL_EXIT_UNREACHABLE, true, true, NULL, cmd_names_run },
};

/* The command a mistyped word most likely meant (edit distance, as the config's "did you mean"),
 * or NULL when none is near. Hidden commands are never suggested. */
static const char *nearest_command(const char *word)
{
	static struct suggest sg;
	suggest_init(&sg, word);
	for (size_t i = 0; i < ELEMENTSOF(cmd_table); i++)
		if (!cmd_table[i].hidden)
			suggest_offer(&sg, cmd_table[i].name);
	return suggest_result(&sg);
}

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
	fputs("usage: droverctl [-c FILE | -n NAME] [--json] [--timeout SECONDS] [--color | --no-color] COMMAND [ARGS]\n"
	      "\n"
	      "options:\n"
	      "  -c, --config FILE     take the instance name from FILE's [drover] name\n"
	      "  -n, --name NAME       instance name (default: $DROVER_NAME, else drover)\n"
	      "      --json            print one JSON document on stdout\n"
	      "      --timeout SECONDS the longest droverctl waits, in all, state waits included\n"
	      "                        (also after the command; default: 5 for a reply, 300 for\n"
	      "                        start/stop/restart, 60 for wait)\n"
	      "      --color           colour states even when stdout is not a terminal\n"
	      "      --no-color        never colour (as a non-empty $NO_COLOR)\n"
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
	fputs("\nPATTERN: all | GROUP:* | GROUP: | GROUP | GROUP:PROCESS | PROCESS\n"
	      "exit status (supervisorctl's): 0 done, 1 failed, 2 usage, 3 status: a process is stopped,\n"
	      "4 status: no such process; droverd unreachable, 7 not running (see droverctl(8))\n", f);
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

#define CMD_O_JSON (1u << 30)
#define CMD_O_HELP (1u << 31)

/* Every option any command takes: the templates (cmd_entry.options) select from these. */
static const struct cmd_option {
	unsigned bit;
	const char *name;            /* long name, without "--" */
	char short_name;             /* 0: none */
	bool has_arg;
} cmd_options[] = {
	{ CMD_O_JSON,      "json",      0,   false },
	{ CMD_O_HELP,      "help",      'h', false },
	{ CMD_O_NO_WAIT,   "no-wait",   0,   false },
	{ CMD_O_TIMEOUT,   "timeout",   0,   true },
	{ CMD_O_FOLLOW,    "follow",    'f', false },
	{ CMD_O_LINES,     "lines",     'n', true },
	{ CMD_O_READY,     "ready",     0,   false },
	{ CMD_O_HEARTBEAT, "heartbeat", 0,   false },
	{ CMD_O_BUSY,      "busy",      0,   false },
	{ CMD_O_IDLE,      "idle",      0,   false },
	{ CMD_O_STATUS,    "status",    0,   true },
	{ CMD_O_OPENMETRICS, "openmetrics", 0, false },
	{ CMD_O_SINCE,     "since",     0,   true },
};

static int usage_error(struct ctl_ctx *ctx, const struct cmd_entry *c, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int usage_error(struct ctl_ctx *ctx, const struct cmd_entry *c, const char *fmt, ...)
{
	va_list ap;
	fprintf(ctx->err, "droverctl: %s: ", c->name);
	va_start(ap, fmt);
	vfprintf(ctx->err, fmt, ap);
	va_end(ap);
	fputc('\n', ctx->err);
	cmd_usage_one(ctx->err, c);
	return CTL_EXIT_USAGE;
}

/* What an option means: the same in every command that takes it. */
static int option_apply(struct ctl_ctx *ctx, struct cmd_args *a, const struct cmd_option *o, const char *v)
{
	static const struct { unsigned bit, flag; } report_flags[] = {
		{ CMD_O_READY, CTL_REPORT_READY }, { CMD_O_HEARTBEAT, CTL_REPORT_HEARTBEAT },
		{ CMD_O_BUSY, CTL_REPORT_BUSY }, { CMD_O_IDLE, CTL_REPORT_IDLE },
	};
	int64_t n;

	switch (o->bit) {
	case CMD_O_JSON:
		ctx->json = true;
		return 0;
	case CMD_O_HELP:
		a->help = true;
		return 0;
	case CMD_O_NO_WAIT:
		a->no_wait = true;
		return 0;
	case CMD_O_TIMEOUT:
		if (parse_seconds(v, &a->wait_s) < 0)
			return usage_error(ctx, a->cmd, "invalid --timeout '%s'", v);
		return 0;
	case CMD_O_FOLLOW:
		a->follow = true;
		return 0;
	case CMD_O_SINCE:
		a->since = v;   /* read by the command (tail) */
		return 0;
	case CMD_O_LINES:
		if (parse_int64(v, 0, CTL_TAIL_LINES_MAX, &n) < 0)
			return usage_error(ctx, a->cmd, "invalid line count '%s' (0..%d)", v, CTL_TAIL_LINES_MAX);
		a->lines = (uint32_t) n;
		a->lines_set = true;
		return 0;
	case CMD_O_STATUS:
		a->report |= CTL_REPORT_STATUS;
		a->status_text = v;
		return 0;
	case CMD_O_OPENMETRICS:
		a->openmetrics = true;
		return 0;
	}
	for (size_t i = 0; i < ELEMENTSOF(report_flags); i++)
		if (o->bit == report_flags[i].bit)
			a->report |= report_flags[i].flag;
	return 0;
}

/* The words after the command: options of the entry's template (anywhere, until "--"), then
 * positional arguments, by getopt_long(). */
static int parse_words(struct ctl_ctx *ctx, struct cmd_args *a, int argc, char **argv)
{
	const struct cmd_entry *c = a->cmd;
	struct option longopts[ELEMENTSOF(cmd_options) + 1];
	const struct cmd_option *byval[ELEMENTSOF(cmd_options)];
	char shortopts[2 * ELEMENTSOF(cmd_options) + 2];
	size_t nl = 0, ns = 0;
	unsigned allowed = c->options | CMD_O_JSON | CMD_O_HELP | CMD_O_TIMEOUT;

	shortopts[ns++] = ':';   /* a missing argument is ':', not '?' */
	for (size_t i = 0; i < ELEMENTSOF(cmd_options); i++) {
		const struct cmd_option *o = &cmd_options[i];
		if (!(allowed & o->bit))
			continue;
		byval[nl] = o;
		longopts[nl] = (struct option) { o->name, o->has_arg ? required_argument : no_argument, NULL,
		                                 (int) (256 + nl) };
		nl++;
		if (o->short_name) {
			shortopts[ns++] = o->short_name;
			if (o->has_arg)
				shortopts[ns++] = ':';
		}
	}
	longopts[nl] = (struct option) { 0 };
	shortopts[ns] = '\0';

	/* status --watch [SECONDS]: the interval is optional, so it is the next word only when that is
	 * a number (a process named "5" is then written after "--watch 2", or as --watch=5). */
	if (c->options & CMD_O_WATCH) {
		int k = 1;
		for (int i = 1; i < argc; i++) {
			const char *w = argv[i];
			if (strcmp(w, "--") == 0) {
				while (i < argc)
					argv[k++] = argv[i++];
				break;
			}
			if (strcmp(w, "--watch") == 0 || strncmp(w, "--watch=", 8) == 0) {
				const char *v = w[7] == '=' ? w + 8 : NULL;
				a->watch_s = CTL_WATCH_DEFAULT_S;
				if (!v && i + 1 < argc && argv[i + 1][0] >= '0' && argv[i + 1][0] <= '9')
					v = argv[++i];
				if (v && parse_seconds(v, &a->watch_s) < 0) {
					char shown[64];
					escape_line(shown, sizeof(shown), v);
					return usage_error(ctx, c, "invalid --watch interval '%s'", shown);
				}
				continue;
			}
			argv[k++] = argv[i];
		}
		argc = k;
	}

	/* supervisorctl's "tail -1600 NAME": a number as an option (before "--"). Taken out of argv
	 * before getopt_long, which would read it as the options -1, -6, -0, -0. */
	if (c->options & CMD_O_BYTES) {
		int k = 1;
		for (int i = 1; i < argc; i++) {
			const char *w = argv[i];
			int64_t n;
			if (strcmp(w, "--") == 0) {
				while (i < argc)
					argv[k++] = argv[i++];
				break;
			}
			if (w[0] == '-' && w[1] >= '0' && w[1] <= '9') {
				if (parse_int64(w + 1, 0, INT32_MAX, &n) < 0) {
					char shown[64];
					escape_line(shown, sizeof(shown), w);
					return usage_error(ctx, c, "invalid byte count '%s'", shown);
				}
				if (a->bytes_set)
					return usage_error(ctx, c, "more than one byte count");
				a->bytes_set = true;
				a->bytes = (uint32_t) n;
				continue;
			}
			argv[k++] = argv[i];
		}
		argc = k;
	}

	opterr = 0;
	optind = 0;   /* glibc: start afresh (this runs once per command line, and in unit tests) */
	for (;;) {
		const struct cmd_option *o = NULL;
		int r, ch = getopt_long(argc, argv, shortopts, longopts, NULL);
		if (ch == -1)
			break;
		if (ch == '?' || ch == ':') {
			const char *word = argv[optind - 1];
			char shown[256], opt[3] = { '-', (char) optopt, '\0' };
			/* a bad short option inside a cluster ("-fx") is named alone */
			if (optopt && !(word[0] == '-' && word[1] == '-'))
				word = opt;
			escape_line(shown, sizeof(shown), word);
			if (ch == ':')
				return usage_error(ctx, c, "option '%s' needs an argument", shown);
			return usage_error(ctx, c, "unknown option '%s'", shown);
		}
		if (ch >= 256)
			o = byval[ch - 256];
		else
			for (size_t i = 0; i < nl && !o; i++)
				if (byval[i]->short_name == ch)
					o = byval[i];
		if (!o)
			return usage_error(ctx, c, "unknown option");
		r = option_apply(ctx, a, o, optarg);
		if (r)
			return r;
	}
	for (int i = optind; i < argc; i++) {
		if (a->npos >= ELEMENTSOF(a->pos)) {
			ctl_errorx(ctx, "%s: too many arguments (at most %zu)", c->name, ELEMENTSOF(a->pos));
			return CTL_EXIT_USAGE;
		}
		a->pos[a->npos++] = argv[i];
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
		char shown[256];
		const char *near = nearest_command(argv[0]);
		escape_line(shown, sizeof(shown), argv[0]);
		if (near)
			ctl_errorx(ctx, "unknown command '%s': did you mean '%s'? (see 'droverctl help')", shown, near);
		else
			ctl_errorx(ctx, "unknown command '%s' (see 'droverctl help')", shown);
		return CTL_EXIT_USAGE;
	}
	ret->cmd = c;
	ret->wait_s = -1;
	ret->lines = CTL_TAIL_LINES_DEFAULT;
	r = parse_words(ctx, ret, argc, argv);
	if (r)
		return r;
	/* --timeout before and after the command mean the same: the smaller one counts. */
	if (ret->wait_s > 0 && (ctx->limit_s <= 0 || ret->wait_s < ctx->limit_s))
		ctx->limit_s = ret->wait_s;
	ctx->timeout_s = ctx->limit_s > 0 ? ctx->limit_s : CTL_TIMEOUT_DEFAULT_S;
	if (ret->help)
		return 0;
	if ((int) ret->npos < c->min_args)
		return usage_error(ctx, c, "missing argument");
	if (c->max_args >= 0 && (int) ret->npos > c->max_args)
		return usage_error(ctx, c, "too many arguments");
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
			char shown[256];
			const char *near = nearest_command(a->pos[0]);
			escape_line(shown, sizeof(shown), a->pos[0]);
			if (near)
				ctl_errorx(ctx, "unknown command '%s': did you mean '%s'?", shown, near);
			else
				ctl_errorx(ctx, "unknown command '%s'", shown);
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
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "name", required_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ "color", no_argument, NULL, 'C' },
		{ "no-color", no_argument, NULL, 'N' },
		{ 0 },
	};
	struct ctl_globals g = { .timeout_s = -1 };

	opterr = 0;
	optind = 0;
	for (;;) {
		/* "+": the first word that is not an option is the command */
		int ch = getopt_long(argc, argv, "+:c:n:h", longopts, NULL);
		char shown[256];
		if (ch == -1)
			break;
		switch (ch) {
		case 'c':
			g.config = optarg;
			break;
		case 'n':
			g.name = optarg;
			break;
		case 'j':
			g.json = true;
			break;
		case 'h':
			g.help = true;
			break;
		case 'C':
			g.color = TERM_COLOR_ALWAYS;
			break;
		case 'N':
			g.color = TERM_COLOR_NEVER;
			break;
		case 't':
			if (parse_seconds(optarg, &g.timeout_s) < 0) {
				escape_line(shown, sizeof(shown), optarg);
				ctl_errorx(ctx, "invalid --timeout '%s' (seconds, > 0, at most %.0f)", shown, CTL_TIMEOUT_MAX_S);
				return CTL_EXIT_USAGE;
			}
			break;
		case ':':
			escape_line(shown, sizeof(shown), argv[optind - 1]);
			ctl_errorx(ctx, "option '%s' needs an argument (see 'droverctl help')", shown);
			return CTL_EXIT_USAGE;
		default:
			escape_line(shown, sizeof(shown), argv[optind - 1]);
			ctl_errorx(ctx, "unknown option '%s' (see 'droverctl help')", shown);
			return CTL_EXIT_USAGE;
		}
	}
	*ret = g;
	*ret_index = optind;
	return 0;
}

/* ---- requests ----------------------------------------------------------------------------- */

double ctl_state_wait(const struct ctl_ctx *ctx, double default_s, double *shown)
{
	double t = ctx->limit_s > 0 ? ctx->limit_s : default_s;
	*shown = t;
	if (ctx->limit_s <= 0)
		return t;
	/* The answer must still travel: a quarter of a short limit, half a second of a long one. */
	return t - (t / 4 < 0.5 ? t / 4 : 0.5);
}

/* "droverd X is not running", and the instances that are (a forgotten -n is the usual cause). */
static void say_not_running(struct ctl_ctx *ctx)
{
	char names[2048];
	size_t n = instances_running(names, sizeof(names), ctx->instance);
	if (n == 0)
		ctl_errorx(ctx, "droverd %s is not running", ctx->instance);
	else if (n == 1)
		ctl_errorx(ctx, "droverd %s is not running; droverd %s is: droverctl -n %s ...", ctx->instance, names, names);
	else
		ctl_errorx(ctx, "droverd %s is not running; running: %s (choose one with -n NAME)", ctx->instance, names);
}

/* "user nobody (uid 65534)", or "uid 1234" when the user database has no name for it. */
static void user_label(char *out, size_t size, uid_t uid)
{
	struct passwd *pw = getpwuid(uid);
	if (pw && pw->pw_name)
		snprintf(out, size, "user %.32s (uid %lu)", pw->pw_name, (unsigned long) uid);
	else
		snprintf(out, size, "uid %lu", (unsigned long) uid);
}

/* droverd runs as another user than we do, and we cannot give it our reply queue. */
static void say_other_user(struct ctl_ctx *ctx, uid_t daemon)
{
	char who[64], me[64];
	user_label(who, sizeof(who), daemon);
	user_label(me, sizeof(me), geteuid());
	ctl_errorx(ctx, "droverd %s runs as %s and cannot write replies to droverctl running as %s; "
	           "run droverctl as %s (or as root)", ctx->instance, who, me, who);
}

int ctl_call(struct ctl_ctx *ctx, uint16_t type, uint32_t arg1, uint32_t arg2,
             size_t nargs, const char *const *args, double wait_s, struct proto_reply *ret)
{
	uint64_t now = now_mono_ns(), send_by, reply_by;
	double timeout_s;
	int r;

	/* --timeout bounds the whole command, from its first request on; without it, each request
	 * has CTL_TIMEOUT_DEFAULT_S plus the time droverd takes on purpose. */
	if (ctx->limit_s > 0) {
		if (ctx->deadline_ns == 0)
			ctx->deadline_ns = now + (uint64_t) (ctx->limit_s * 1e9);
		send_by = reply_by = ctx->deadline_ns;
		timeout_s = ctx->limit_s;
	} else {
		timeout_s = CTL_TIMEOUT_DEFAULT_S + wait_s;
		send_by = now + (uint64_t) (CTL_TIMEOUT_DEFAULT_S * 1e9);
		reply_by = now + (uint64_t) (timeout_s * 1e9);
	}
	if (!ctx->client) {
		struct client *c = xcalloc(1, sizeof(*c));
		r = client_open(c, ctx->instance);
		bool reply_failed = c->failed_reply, owner_failed = c->failed_owner;
		uid_t daemon_uid = c->daemon_uid;
		if (r < 0)
			free(c);
		if (r < 0 && owner_failed) {
			say_other_user(ctx, daemon_uid);
			return CTL_EXIT_UNREACHABLE;
		}
		if (r < 0 && reply_failed) {
			ctl_errorx(ctx, "cannot create a reply queue /%s.reply.*: %s%s", ctx->instance, strerror(-r),
			           r == -EMFILE ? " (this user's message queues exceed RLIMIT_MSGQUEUE)" :
			           r == -ENOSPC ? " (/proc/sys/fs/mqueue/queues_max reached)" : "");
			return CTL_EXIT_UNREACHABLE;
		}
		if (r < 0) {
			switch (r) {
			case -ENOENT:
				say_not_running(ctx);
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
			/* no daemon: the command's own code (supervisorctl's: 4 for status, 7 or 1 for the
			 * others); refused or broken: unreachable */
			return r == -ENOENT ? ctl_down_exit(ctx) : CTL_EXIT_UNREACHABLE;
		}
		ctx->client = c;
	}

	memset(ret, 0, sizeof(*ret));
	r = client_call(ctx->client, type, arg1, arg2, nargs, args, send_by, reply_by, ret);
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
		return ctl_down_exit(ctx);
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
	if (r->message && r->message[0]) {
		/* One prefixed line per line of the daemon's text (a reload's config errors). */
		const char *p = r->message;
		while (*p) {
			size_t l = strcspn(p, "\n");
			if (l > 0)
				ctl_errorx(ctx, "%s: %.*s", cmd, (int) l, p);
			p += l;
			if (*p)
				p++;
		}
	} else {
		switch (r->result) {
		case -ENOSYS:
			ctl_errorx(ctx, "%s: not supported by this droverd", cmd);
			break;
		case -EBUSY:
			ctl_errorx(ctx, "%s: droverd is busy: too many pending requests", cmd);
			break;
		case -EINVAL:
			ctl_errorx(ctx, "%s: droverd refused the request as invalid", cmd);
			break;
		case -EMSGSIZE:
			ctl_errorx(ctx, "%s: reply too large", cmd);
			break;
		default:
			ctl_errorx(ctx, "%s: %s", cmd, strerror(r->result < 0 ? -r->result : EIO));
			break;
		}
	}
	return r->result == -EBUSY ? CTL_EXIT_UNREACHABLE : CTL_EXIT_FAILED;
}

int ctl_down_exit(const struct ctl_ctx *ctx)
{
	return ctx->down_exit ? ctx->down_exit : CTL_EXIT_UNREACHABLE;
}

void ctl_patterns_init(struct ctl_patterns *p, const char *const *pos, size_t npos)
{
	memset(p, 0, sizeof(*p));
	for (size_t i = 0; i < npos; i++)
		if (strcmp(pos[i], "all") == 0) {
			p->n = 1;
			p->show[0] = p->send[0] = "all";
			return;
		}
	for (size_t i = 0; i < npos && i < PROTO_ARGS_MAX; i++) {
		size_t l = strlen(pos[i]);
		p->show[i] = p->send[i] = pos[i];
		if (l > 1 && pos[i][l - 1] == ':')
			p->send[i] = p->owned[i] = xasprintf("%s*", pos[i]);
	}
	p->n = npos < PROTO_ARGS_MAX ? npos : PROTO_ARGS_MAX;
}

void ctl_patterns_free(struct ctl_patterns *p)
{
	for (size_t i = 0; i < PROTO_ARGS_MAX; i++)
		free(p->owned[i]);
	memset(p, 0, sizeof(*p));
}
