/* The parsed configuration: a fresh, immutable tree built from the INI files (config.c),
 * with every expansion done, so reload can diff it and spawn can use it as is. */
#ifndef DROVER_CONFIG_H
#define DROVER_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum autorestart { AUTORESTART_FALSE, AUTORESTART_UNEXPECTED, AUTORESTART_TRUE, AUTORESTART_MAX };
enum health_action { HEALTH_RESTART, HEALTH_LOG, HEALTH_ACTION_MAX };
enum backoff_mode { BACKOFF_LINEAR, BACKOFF_EXPONENTIAL, BACKOFF_MAX };
enum logfile_kind { LOGFILE_AUTO, LOGFILE_NONE, LOGFILE_PATH, LOGFILE_MAX };
/* The RFC 3339 time that starts a log line: none, local time with its offset, or UTC. */
enum log_timestamps { TIMESTAMPS_NONE, TIMESTAMPS_LOCAL, TIMESTAMPS_UTC, TIMESTAMPS_MAX };
/* The section that defines a program: [program:x], [eventlistener:x] (its processes speak
 * supervisord's event listener protocol on stdin/stdout), [fcgi-program:x] (its processes get a
 * listening socket droverd holds as their stdin). */
enum program_kind { PROGRAM_PLAIN, PROGRAM_LISTENER, PROGRAM_FCGI, PROGRAM_KIND_MAX };
/* shutdown_on: when the process does this, droverd stops everything and exits with its status. */
enum shutdown_on { SHUTDOWN_ON_NEVER, SHUTDOWN_ON_FATAL, SHUTDOWN_ON_EXIT, SHUTDOWN_ON_UNEXPECTED, SHUTDOWN_ON_MAX };

#define STARTRETRIES_INFINITE  (-1)

/* How readiness (ready =) or liveness (health =) is decided. CHECK_NONE: ready = startsecs (the
 * timer alone), or no health check. */
enum check_kind { CHECK_NONE, CHECK_SCOREBOARD, CHECK_NOTIFY, CHECK_TCP, CHECK_HTTP, CHECK_EXEC, CHECK_LOG, CHECK_MAX };

struct check_config {
	enum check_kind kind;
	char *spec;             /* as written (expanded): "http://127.0.0.1:8080/health"; NULL for CHECK_NONE */
	char *host;             /* TCP, HTTP: a numeric IPv4 or IPv6 address ("localhost" is taken as 127.0.0.1) */
	int port;               /* TCP, HTTP: 1..65535 */
	char *path;             /* HTTP: what is asked for, "/" when the URL has no path */
	char *command;          /* EXEC: run with /bin/sh -c, as the program's user, in its directory */
	char *regex;            /* LOG: POSIX extended regular expression (checked when the config is read) */
};

struct logfile_config {
	enum logfile_kind kind;
	char *path;             /* resolved path (AUTO resolved to log_dir/PROCESS-stdout.log), NULL for NONE */
	uint64_t maxbytes;      /* 0 = no rotation */
	int backups;
};

/* One process of a program: numprocs of these, each with its own expansions. */
struct proc_config {
	char *name;             /* process_name expanded, e.g. "web_00" */
	char *fullname;         /* as supervisorctl prints it: "group:name", or "name" when group == name */
	int num;                /* process_num */
	char **argv;            /* command split shell-like; argv[0] is the path or the name looked up in PATH */
	char **env;             /* KEY=VALUE (expanded): [supervisord] environment overlaid with the program's
	                         * environment= (not droverd's inherited environment) */
	char *directory;        /* NULL = inherit droverd's */
	struct logfile_config stdout_log, stderr_log;
	struct check_config ready;   /* how readiness is decided (%(process_num)d expands per process) */
	struct check_config health;  /* liveness check of a RUNNING process; CHECK_NONE = none */
	bool notify_socket;     /* derived: ready or health is notify, the worker gets a NOTIFY_SOCKET */
};

struct program_config {
	char *name;             /* [program:NAME] */
	char *group;            /* [group:x] that lists it, else the program name */
	char *file;             /* where the section is defined */
	unsigned line;

	int numprocs, numprocs_start;
	char *user;             /* NULL = do not change user; resolved at spawn time (an unknown user is a spawn error) */
	int umask;              /* -1 = inherit */
	int priority;
	bool autostart;
	enum autorestart autorestart;
	uint8_t exitcodes[32];  /* bitmap of expected exit codes 0..255 */
	int startsecs;
	int startretries;       /* STARTRETRIES_INFINITE or >= 0 */
	int stopsignal;
	int stopwaitsecs;
	bool stopasgroup, killasgroup;
	bool redirect_stderr;
	int heartbeat_timeout;  /* seconds; 0 = off */
	int ready_interval_ms;  /* between two readiness probe attempts */
	int ready_timeout_ms;   /* one readiness probe attempt at most */
	int health_interval_ms; /* between two liveness checks */
	int health_timeout_ms;  /* one liveness probe at most; heartbeat age limit (health = scoreboard|notify) */
	int health_failures;    /* consecutive failed checks before health_action */
	enum health_action health_action;

	/* drover extensions; defaults reproduce supervisord. */
	enum backoff_mode backoff;
	int backoff_initial, backoff_max, backoff_reset;
	int fatal_retry;
	int respawn_interval;   /* seconds between spawns of a process that keeps dying sooner; 0 = none */
	bool killtree;
	enum log_timestamps log_timestamps;   /* stamp each line of its log files */

	/* added by the config parser */
	int group_priority;     /* [group:x] priority for a program in a group, else the program's priority */
	unsigned group_order;   /* in a [group:x]: its programs= order, ascending (supervisord starts a group's
	                         * programs in that order, not by their priority); 0 outside a group */
	char **depends_on;      /* program names (checked to exist, no cycles); NULL = none */
	char **depends_completed;   /* those of depends_on written NAME:completed (one-shot programs that must
	                             * have exited with an expected code); NULL = none */
	bool restart_with_dependency;
	char *environment_file; /* absolute path, NULL = none (read at spawn time) */

	enum program_kind kind; /* the section type (derived) */
	bool stdout_events, stderr_events;   /* stdout/stderr_events_enabled: PROCESS_LOG_* events */
	enum shutdown_on shutdown_on;

	/* [eventlistener:x] */
	uint32_t events;        /* event types it subscribes to (conf/event-types.h) */
	int buffer_size;        /* events queued for the pool; the oldest is dropped beyond */
	char *result_handler;   /* as written; only supervisord's default handler exists in drover */

	/* [fcgi-program:x]: the socket every process gets as its standard input */
	char *socket;           /* tcp://HOST:PORT or unix:///PATH, expanded; NULL for other kinds */
	char *socket_owner;     /* unix: USER or USER:GROUP; NULL = droverd's (or the program's user) */
	int socket_mode;        /* unix: file mode; -1 = 0700 */
	int socket_backlog;     /* listen() backlog; 0 = SOMAXCONN */

	size_t nprocs;
	struct proc_config *procs;
};

struct drover_config {
	char *file;             /* the main config file, absolute */
	char *name;             /* instance name */
	char *log_dir, *run_dir;
	mode_t control_mode;
	char *control_group;    /* NULL = none */
	gid_t control_gid;
	bool subreaper;
	int umask;              /* [supervisord] umask, -1 = inherit */
	char **environment;     /* [supervisord] environment, KEY=VALUE */
	long minfds, minprocs;
	char *pidfile;          /* [drover] or [supervisord] pidfile, absolute; NULL = none ([drover] wins) */
	char *user;             /* [drover] or [supervisord] user, as written; NULL = none ([drover] wins) */
	char *identifier;       /* [supervisord] identifier: the server: of event listener headers */
	bool shutdown_when_all_exited;   /* [drover]: exit once every autostart program has exited */
	char *metrics_file;     /* [drover]: the metrics text written there (absolute); NULL = none */
	int metrics_interval;   /* [drover]: seconds between two writes of metrics_file */
	enum log_timestamps log_timestamps;   /* [drover]: droverd's own lines on stderr (not the journal's) */

	size_t nprograms;
	struct program_config *programs;   /* in file order */
};

/* Diagnostics collected while parsing: every message is complete ("FILE:LINE: [section] key: what"). */
struct config_diag {
	char **errors;
	char **warnings;
	/* In: do not look commands and log directories up in the filesystem. The running daemon's
	 * loads set it: a path on a filesystem that never answers (a hard NFS mount whose server is
	 * gone) would hold droverd's loop inside stat(); only `droverd -t` (and tests) look. */
	bool no_lookups;
};

/* Parse PATH and everything it includes into a new config. Returns 0, or -EINVAL when
 * diag->errors is non-empty (all errors found are listed, not only the first), or another
 * -errno when the main file cannot be read (also listed in diag). Never partially applies. */
int config_load(const char *path, struct drover_config **ret, struct config_diag *diag);
/* The instance name droverd would take from PATH ([drover] name, read and checked as
 * config_load does), without building the programs: a config with errors elsewhere still gives
 * it (droverctl -c). 0; -EINVAL when the name itself is invalid (in diag); another -errno when
 * PATH cannot be read. "drover" when no name is set. */
int config_instance_name(const char *path, char *ret, size_t size, struct config_diag *diag);
/* The same from a string (unit tests, fuzzing); FILENAME is used in messages and for %(here)s. */
int config_load_string(const char *text, const char *filename, struct drover_config **ret, struct config_diag *diag);
/* The same from LEN bytes that may contain NULs (fuzzing; a NUL byte is an error). */
int config_load_buffer(const char *buf, size_t len, const char *filename, struct drover_config **ret,
                       struct config_diag *diag);

struct drover_config *config_free(struct drover_config *c);
/* Deep copies (for configs made of parts of others): DST owns all it points to; free it as a
 * program of a config. */
void program_config_copy(struct program_config *dst, const struct program_config *src);
/* C's daemon settings without its programs (nprograms 0, programs NULL). */
struct drover_config *config_copy_daemon(const struct drover_config *c);

/* droverd -t: print every warning and error of D ("warning: FILE:LINE: ...", "error: ...") on
 * stderr and a summary on stdout; return the exit status: 1 when C is NULL (errors), or when
 * STRICT and there is a warning; else 0. */
int config_check_print(const char *path, const struct drover_config *c, const struct config_diag *d, bool strict);
void config_diag_clear(struct config_diag *d);

bool program_exitcode_expected(const struct program_config *p, int code);
/* The worker of P ended with WSTATUS without droverd asking it to (it was STARTING or RUNNING):
 * does its shutdown_on say that droverd shuts down now (exit, or unexpected and the code is not
 * one of exitcodes)? FATAL is decided where the process gives up. */
bool program_exit_shuts_down(const struct program_config *p, int wstatus);
/* The exit status droverd passes on for WSTATUS: the code, or 128 + the signal. */
int wstatus_exit_code(int wstatus);

const char *autorestart_to_string(enum autorestart a);
/* "startsecs" (ready) / "none" (health) for CHECK_NONE, then "scoreboard", "notify", "tcp", "http", "exec", "log". */
const char *check_kind_to_string(enum check_kind k, bool ready);
const char *health_action_to_string(enum health_action a);
/* NAME is one of p's depends_on written NAME:completed. */
bool program_depends_completed(const struct program_config *p, const char *name);
const char *backoff_mode_to_string(enum backoff_mode m);
const char *logfile_kind_to_string(enum logfile_kind k);
const char *program_kind_to_string(enum program_kind k);     /* the section type: "program", ... */

#endif
