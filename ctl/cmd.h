/* droverctl: the command table, the context every command runs in, and the exit codes. */
#ifndef DROVER_CTL_CMD_H
#define DROVER_CTL_CMD_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "proto.h"

/* Exit codes: supervisorctl's (LSB) for the commands both tools have, measured against
 * supervisorctl 4.2.5; the table is in man/droverctl.8. */
enum {
	CTL_EXIT_OK = 0,
	CTL_EXIT_FAILED = 1,         /* unknown name, wanted state not reached, daemon returned an error */
	CTL_EXIT_USAGE = 2,          /* unknown command/option, bad arguments; start: no such group */
	CTL_EXIT_NOT_RUNNING = 3,    /* status: a matched process is STOPPED, EXITED, FATAL or UNKNOWN */
	CTL_EXIT_UNREACHABLE = 4,    /* status: unknown name or no droverd; any: queue full, no reply */
	CTL_EXIT_DEAD = 7,           /* a program is not running: spawn error, abnormal termination,
	                              * signal or pid of a stopped process; no droverd (most commands) */
};

/* --timeout SECONDS, before or after the command, means one thing: droverctl waits at most that
 * long in all (for droverd's reply, and for the state start/stop/restart/wait ask for). Without
 * it: a request waits 5 s for its reply, start/stop/restart up to 300 s for their state, wait
 * 60 s. */
#define CTL_TIMEOUT_DEFAULT_S       5.0    /* a request's round trip */
#define CTL_WATCH_DEFAULT_S         2.0    /* status --watch: the refresh interval */
#define CTL_TIMEOUT_MAX_S           86400.0
#define CTL_WAIT_DEFAULT_S          60.0   /* wait: bound on reaching the state */
#define CTL_ACTION_WAIT_DEFAULT_S   300.0  /* start/stop/restart: bound on reaching the state */
#define CTL_TAIL_LINES_DEFAULT      10
#define CTL_TAIL_LINES_MAX          100000

struct client;

/* What every command runs with. out/err are stdout/stderr except in unit tests. */
struct ctl_ctx {
	char instance[40];           /* resolved and validated */
	bool json;
	bool color;                  /* colour states (--color, --no-color, $NO_COLOR, a terminal) */
	unsigned width;              /* the terminal's columns; 0: not a terminal (lines are not cut) */
	double timeout_s;            /* a request's round trip: CTL_TIMEOUT_DEFAULT_S, or limit_s */
	double limit_s;              /* --timeout as given (the smaller of the two places); 0: none */
	uint64_t deadline_ns;        /* limit_s from the first request on (monotonic); 0: not yet */
	FILE *out, *err;
	struct client *client;       /* connected lazily by ctl_call(); NULL until then */
	int down_exit;               /* exit code when no droverd runs (the command's; 0: unreachable) */
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
	CMD_O_TIMEOUT   = 1u << 1,   /* --timeout SECONDS (taken by every command: see above) */
	CMD_O_FOLLOW    = 1u << 2,   /* -f, --follow */
	CMD_O_LINES     = 1u << 3,   /* -n, --lines N */
	CMD_O_READY     = 1u << 4,   /* --ready */
	CMD_O_HEARTBEAT = 1u << 5,   /* --heartbeat */
	CMD_O_BUSY      = 1u << 6,   /* --busy */
	CMD_O_IDLE      = 1u << 7,   /* --idle */
	CMD_O_STATUS    = 1u << 8,   /* --status TEXT */
	CMD_O_BYTES     = 1u << 9,   /* -BYTES (supervisorctl's tail -1600): a number as an option */
	CMD_O_OPENMETRICS = 1u << 10, /* --openmetrics */
	CMD_O_SINCE     = 1u << 11,  /* --since TIME */
	CMD_O_WATCH     = 1u << 12,  /* --watch [SECONDS] (an optional argument in the next word) */
};

struct cmd_entry;

/* A parsed command line: positional arguments point into argv. */
struct cmd_args {
	const struct cmd_entry *cmd;
	bool help;                   /* -h/--help after the command: print its usage, exit 0 */
	size_t npos;
	const char *pos[PROTO_ARGS_MAX];
	bool no_wait;                /* --no-wait */
	double wait_s;               /* --timeout after the command; < 0 when not given (ctx->limit_s
	                              * has what counts) */
	int signo;                   /* signal */
	int state;                   /* wait: enum proc_state */
	bool follow;                 /* tail -f */
	uint32_t lines;              /* tail -n */
	bool lines_set;
	bool bytes_set;              /* tail -BYTES */
	uint32_t bytes;
	uint32_t stream;             /* tail: 0 stdout, 1 stderr */
	const char *since;           /* tail --since, as written */
	uint64_t since_ms;           /* ... as ms since the epoch (cmd_tail_validate); 0: none */
	unsigned report;             /* CTL_REPORT_* */
	const char *status_text;     /* report --status */
	bool openmetrics;            /* metrics --openmetrics */
	double watch_s;              /* status --watch: the refresh interval; 0: no --watch */
};

/* One row of the closed command table: nothing is looked up by name
 * outside this table. cmd_parse() scans the words after the command with getopt_long() and the
 * entry's option template (options); min_args/max_args bound the positional count (-1: no
 * upper bound); validate checks their meaning; run executes and returns the exit code. */
struct cmd_entry {
	const char *name;
	const char *usage;           /* arguments, for the usage line */
	const char *help;            /* one line for `droverctl help` */
	int min_args, max_args;
	unsigned options;            /* CMD_O_* */
	int down_exit;               /* exit code when no droverd runs (supervisorctl's; 0: 4) */
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
	int color;                   /* enum term_color_opt: --color, --no-color or neither */
	double timeout_s;            /* --timeout; < 0 when not given */
	bool help;
};
/* Parse the options before the command; *ret_index is the command's index in argv (argc when
 * there is none). Returns 0 or CTL_EXIT_USAGE. */
int cmd_parse_global(struct ctl_ctx *ctx, int argc, char **argv, struct ctl_globals *ret, int *ret_index);
/* "5", "0.5": seconds in (0, CTL_TIMEOUT_MAX_S]; -EINVAL / -ERANGE. */
int parse_seconds(const char *s, double *ret);
/* status's --watch with --json: a usage error. */
int cmd_status_validate(struct ctl_ctx *ctx, struct cmd_args *a);

/* Instance resolution (instance.c): -n, else -c FILE's [drover] name, else $DROVER_NAME, else
 * "drover". Returns 0 or CTL_EXIT_USAGE with the message printed. */
int instance_resolve(struct ctl_ctx *ctx, const char *opt_name, const char *opt_config);
/* The instances whose droverd runs now (its instance lock is held), except
 * EXCEPT: "a, b" into out (cut to size), and how many there are. */
size_t instances_running(char *out, size_t size, const char *except);

/* Helpers for the commands (cmd.c). */
void ctl_errorx(struct ctl_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Send one request and wait for the whole reply: with --timeout, until the command's deadline
 * (limit_s from its first request); without, the send within CTL_TIMEOUT_DEFAULT_S and the reply
 * within that plus wait_s (the time the daemon may take on purpose: start/stop/restart/wait).
 * On failure prints the reason (not running, busy, no reply, bad reply) and returns the exit
 * code (> 0); 0 on a reply, whose own result may still be an error. */
int ctl_call(struct ctl_ctx *ctx, uint16_t type, uint32_t arg1, uint32_t arg2,
             size_t nargs, const char *const *args, double wait_s, struct proto_reply *ret);
/* How long a command that waits for a state (default: default_s) lets droverd wait: with
 * --timeout, a little less than it, so that droverd's answer ("not stopped after N s") arrives
 * before droverctl's deadline. *shown: the N of that answer (what the user asked for). */
double ctl_state_wait(const struct ctl_ctx *ctx, double default_s, double *shown);
/* A reply whose result < 0 (the request as a whole failed): print "droverctl: CMD: why" (one
 * line per line of the daemon's text when it sent some: a reload's config errors) and return
 * the exit code: CTL_EXIT_UNREACHABLE for -EBUSY, else CTL_EXIT_FAILED. */
int ctl_reply_error(struct ctl_ctx *ctx, const char *cmd, const struct proto_reply *r);

/* The exit code when the daemon could not be reached (no queue). */
int ctl_down_exit(const struct ctl_ctx *ctx);

/* The patterns of a command as supervisorctl takes them: "all" alone when it is one of them
 * (the others are then ignored), and "G:" meaning "G:*". show[] is what the user typed (for the
 * messages), send[] what goes to droverd; both have n entries. */
struct ctl_patterns {
	size_t n;
	const char *show[PROTO_ARGS_MAX];
	const char *send[PROTO_ARGS_MAX];
	char *owned[PROTO_ARGS_MAX];     /* the rewritten ones, freed by ctl_patterns_free() */
};
void ctl_patterns_init(struct ctl_patterns *p, const char *const *pos, size_t npos);
void ctl_patterns_free(struct ctl_patterns *p);

/* The command implementations (ctl/cmd-*.c). */
int cmd_status_run(struct ctl_ctx *ctx, const struct cmd_args *a);
int cmd_names_run(struct ctl_ctx *ctx, const struct cmd_args *a);
int cmd_action_run(struct ctl_ctx *ctx, const struct cmd_args *a);
int cmd_signal_validate(struct ctl_ctx *ctx, struct cmd_args *a);
int cmd_signal_run(struct ctl_ctx *ctx, const struct cmd_args *a);
int cmd_pid_run(struct ctl_ctx *ctx, const struct cmd_args *a);
int cmd_reload_run(struct ctl_ctx *ctx, const struct cmd_args *a);
int cmd_reread_run(struct ctl_ctx *ctx, const struct cmd_args *a);
int cmd_update_run(struct ctl_ctx *ctx, const struct cmd_args *a);
int cmd_avail_run(struct ctl_ctx *ctx, const struct cmd_args *a);
int cmd_shutdown_run(struct ctl_ctx *ctx, const struct cmd_args *a);
int cmd_tail_validate(struct ctl_ctx *ctx, struct cmd_args *a);
int cmd_tail_run(struct ctl_ctx *ctx, const struct cmd_args *a);
int cmd_wait_validate(struct ctl_ctx *ctx, struct cmd_args *a);
int cmd_wait_run(struct ctl_ctx *ctx, const struct cmd_args *a);
int cmd_version_run(struct ctl_ctx *ctx, const struct cmd_args *a);
int cmd_metrics_run(struct ctl_ctx *ctx, const struct cmd_args *a);
int cmd_report_validate(struct ctl_ctx *ctx, struct cmd_args *a);
int cmd_report_run(struct ctl_ctx *ctx, const struct cmd_args *a);

#endif
