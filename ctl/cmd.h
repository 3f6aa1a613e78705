/* droverctl: the command table, the context every command runs in, and the exit codes. */
#ifndef DROVER_CTL_CMD_H
#define DROVER_CTL_CMD_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "proto.h"

/* Exit codes (man/droverctl.8). */
enum {
	CTL_EXIT_OK = 0,
	CTL_EXIT_FAILED = 1,         /* unknown name, wanted state not reached, daemon returned an error */
	CTL_EXIT_USAGE = 2,          /* unknown command/option, bad arguments */
	CTL_EXIT_NOT_RUNNING = 3,    /* status: at least one matched process is not RUNNING */
	CTL_EXIT_UNREACHABLE = 4,    /* no queue, queue full, no reply in time */
};

#define CTL_TIMEOUT_DEFAULT_S       5.0    /* global --timeout: one request round trip */
#define CTL_TIMEOUT_MAX_S           86400.0
#define CTL_WAIT_DEFAULT_S          60.0   /* wait --timeout */
#define CTL_ACTION_WAIT_DEFAULT_S   300.0  /* start/stop/restart: bound on reaching the state */
#define CTL_TAIL_LINES_DEFAULT      10
#define CTL_TAIL_LINES_MAX          100000

struct client;

/* What every command runs with. out/err are stdout/stderr except in unit tests. */
struct ctl_ctx {
	char instance[40];           /* resolved and validated */
	bool json;
	double timeout_s;            /* global --timeout */
	FILE *out, *err;
	struct client *client;       /* connected lazily by ctl_call(); NULL until then */
};

/* Flags of `report`. */
#define CTL_REPORT_READY     0x01
#define CTL_REPORT_HEARTBEAT 0x02
#define CTL_REPORT_BUSY      0x04
#define CTL_REPORT_IDLE      0x08
#define CTL_REPORT_STATUS    0x10

/* The options a command may take (bits of cmd_entry.options). Each has one meaning in every
 * command that takes it; --json and -h/--help are taken by all. */
enum {
	CMD_O_NO_WAIT   = 1u << 0,   /* --no-wait */
	CMD_O_TIMEOUT   = 1u << 1,   /* --timeout SECONDS (how long to wait for the state) */
	CMD_O_FOLLOW    = 1u << 2,   /* -f, --follow */
	CMD_O_LINES     = 1u << 3,   /* -n, --lines N */
	CMD_O_READY     = 1u << 4,   /* --ready */
	CMD_O_HEARTBEAT = 1u << 5,   /* --heartbeat */
	CMD_O_BUSY      = 1u << 6,   /* --busy */
	CMD_O_IDLE      = 1u << 7,   /* --idle */
	CMD_O_STATUS    = 1u << 8,   /* --status TEXT */
};

struct cmd_entry;

/* A parsed command line: positional arguments point into argv. */
struct cmd_args {
	const struct cmd_entry *cmd;
	bool help;                   /* -h/--help after the command: print its usage, exit 0 */
	size_t npos;
	const char *pos[PROTO_ARGS_MAX];
	bool no_wait;                /* --no-wait */
	double wait_s;               /* --timeout after the command; < 0 when not given */
	int signo;                   /* signal */
	int state;                   /* wait: enum proc_state */
	bool follow;                 /* tail -f */
	uint32_t lines;              /* tail -n */
	uint32_t stream;             /* tail: 0 stdout, 1 stderr */
	unsigned report;             /* CTL_REPORT_* */
	const char *status_text;     /* report --status */
};

/* One row of the closed command table (tmux's cmd_table[]): nothing is looked up by name
 * outside this table. cmd_parse() scans the words after the command with getopt_long() and the
 * entry's option template (options); min_args/max_args bound the positional count (-1: no
 * upper bound); validate checks their meaning; run executes and returns the exit code. */
struct cmd_entry {
	const char *name;
	const char *usage;           /* arguments, for the usage line */
	const char *help;            /* one line for `droverctl help` */
	int min_args, max_args;
	unsigned options;            /* CMD_O_* */
	bool hidden;                 /* not in help (completion helpers) */
	bool needs_daemon;           /* false: runs without droverd (help, report) */
	int (*validate)(struct ctl_ctx *ctx, struct cmd_args *a);
	int (*run)(struct ctl_ctx *ctx, const struct cmd_args *a);
};

const struct cmd_entry *cmd_find(const char *name);
/* argv[0] is the command. Returns 0 or CTL_EXIT_USAGE (the message and usage are printed). */
int cmd_parse(struct ctl_ctx *ctx, int argc, char **argv, struct cmd_args *ret);
int cmd_run(struct ctl_ctx *ctx, const struct cmd_args *a);
/* The whole usage text, generated from the table. */
void cmd_usage(FILE *f);
void cmd_usage_one(FILE *f, const struct cmd_entry *c);

/* Global options. */
struct ctl_globals {
	const char *config;          /* -c FILE */
	const char *name;            /* -n NAME */
	bool json;
	double timeout_s;
	bool help;
};
/* Parse the options before the command; *ret_index is the command's index in argv (argc when
 * there is none). Returns 0 or CTL_EXIT_USAGE. */
int cmd_parse_global(struct ctl_ctx *ctx, int argc, char **argv, struct ctl_globals *ret, int *ret_index);
/* "5", "0.5": seconds in (0, CTL_TIMEOUT_MAX_S]; -EINVAL / -ERANGE. */
int parse_seconds(const char *s, double *ret);

/* Instance resolution (instance.c): -n, else -c FILE's [drover] name, else $DROVER_NAME, else
 * "drover". Returns 0 or CTL_EXIT_USAGE with the message printed. */
int instance_resolve(struct ctl_ctx *ctx, const char *opt_name, const char *opt_config);
/* The minimal config scan: the last `name = X` of the [drover] section, or "drover".
 * Returns 0 or -errno (file unreadable); -EINVAL when the value is empty. */
int instance_from_config(const char *path, char *ret, size_t size);

/* Helpers for the commands (cmd.c). */
void ctl_errorx(struct ctl_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Send one request (within the global timeout) and wait for the whole reply until the global
 * timeout plus wait_s (the time the daemon may take on purpose: start/stop/restart/wait) from
 * now. On failure prints the reason (not running, busy, no reply, bad reply) and returns the
 * exit code (> 0); 0 on a reply, whose own result may still be an error. */
int ctl_call(struct ctl_ctx *ctx, uint16_t type, uint32_t arg1, uint32_t arg2,
             size_t nargs, const char *const *args, double wait_s, struct proto_reply *ret);
/* A reply whose result < 0 (the request as a whole failed): print "droverctl: CMD: why" (one
 * line per line of the daemon's text when it sent some: a reload's config errors) and return
 * the exit code: CTL_EXIT_UNREACHABLE for -EBUSY, else CTL_EXIT_FAILED. */
int ctl_reply_error(struct ctl_ctx *ctx, const char *cmd, const struct proto_reply *r);

/* "PATTERN: ERROR (no such process)" for each pattern of the reply's unmatched list (stdout;
 * stderr with --json, where stdout holds the document). patterns are the request's. */
void ctl_print_unmatched(struct ctl_ctx *ctx, const struct proto_reply *rep, const char *const *patterns,
                         size_t npatterns);

/* The records of a START/STOP/RESTART/SIGNAL/WAIT reply and its unmatched patterns, one line
 * each (a JSON array with --json), worded by w. Returns CTL_EXIT_OK, or CTL_EXIT_FAILED when a
 * record failed or a pattern matched nothing. */
struct result_words;
int ctl_print_results(struct ctl_ctx *ctx, const struct proto_reply *rep, const char *const *patterns,
                      size_t npatterns, const struct result_words *w);

/* The command implementations (ctl/cmd-*.c). */
int cmd_status_run(struct ctl_ctx *ctx, const struct cmd_args *a);
int cmd_names_run(struct ctl_ctx *ctx, const struct cmd_args *a);
int cmd_action_run(struct ctl_ctx *ctx, const struct cmd_args *a);
int cmd_signal_validate(struct ctl_ctx *ctx, struct cmd_args *a);
int cmd_signal_run(struct ctl_ctx *ctx, const struct cmd_args *a);
int cmd_pid_run(struct ctl_ctx *ctx, const struct cmd_args *a);
int cmd_reload_run(struct ctl_ctx *ctx, const struct cmd_args *a);
int cmd_shutdown_run(struct ctl_ctx *ctx, const struct cmd_args *a);
int cmd_tail_validate(struct ctl_ctx *ctx, struct cmd_args *a);
int cmd_tail_run(struct ctl_ctx *ctx, const struct cmd_args *a);
int cmd_wait_validate(struct ctl_ctx *ctx, struct cmd_args *a);
int cmd_wait_run(struct ctl_ctx *ctx, const struct cmd_args *a);
int cmd_version_run(struct ctl_ctx *ctx, const struct cmd_args *a);
int cmd_report_validate(struct ctl_ctx *ctx, struct cmd_args *a);
int cmd_report_run(struct ctl_ctx *ctx, const struct cmd_args *a);

#endif
