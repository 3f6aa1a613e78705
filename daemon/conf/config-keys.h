/* The key tables: every key of [program:x], [drover] and [supervisord] as data (name, value
 * type, where the value is stored, bounds, default, and what a change does on reload), and the
 * value types that parse, compare and free what a key stores (config-keys.c). Parsing, storing,
 * comparing two configs and planning a reload are all derived from these tables.
 * Pure: no I/O besides the user and group databases, no messages printed. */
#ifndef DROVER_CONFIG_KEYS_H
#define DROVER_CONFIG_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CONFIG_SECONDS_MAX (86400 * 365)
#define CONFIG_NAME_MAX    127          /* program, group and process names */
#define CONFIG_NUMPROCS_MAX 10000

enum config_value_type {
	CV_STRING,      /* char *: text as written; empty = NULL */
	CV_PATH,        /* char *: resolved against the file's directory; empty = NULL */
	CV_DIR,         /* char *: as CV_PATH, but empty is an error */
	CV_PATH_LIST,   /* char *: comma list of paths, each resolved; "-" before one makes it optional */
	CV_INT,         /* int in [min, max] */
	CV_LONG,        /* long in [min, max] */
	CV_BOOL,        /* bool: true/false yes/no on/off 1/0 */
	CV_SIZE,        /* uint64_t: bytes, with an optional KB / MB / GB suffix */
	CV_OCTAL,       /* int: octal number in [0, max] */
	CV_UMASK,       /* int: as CV_OCTAL; empty = -1 (inherit) */
	CV_MODE,        /* mode_t: octal, must give the owner read and write */
	CV_SIGNAL,      /* int: TERM, SIGTERM or 15 */
	CV_AUTORESTART, /* enum autorestart: a boolean or "unexpected" */
	CV_EXITCODES,   /* uint8_t[32]: bitmap of a comma list of 0..255 */
	CV_ENUM,        /* int: index of one of names[] */
	CV_RETRIES,     /* int: integer in [min, max] or "infinite" */
	CV_NAMES,       /* char **: comma- or blank-separated program names */
	CV_CHECK,       /* struct check_config: startsecs | none | scoreboard | notify | tcp:HOST:PORT |
	                 * http://HOST[:PORT]/PATH | exec:COMMAND | log:REGEX */
	CV_MSEC,        /* int: seconds with up to three decimals ("0.5"), stored in milliseconds, in [min, max] */
	CV_INSTANCE,    /* char *: an instance name */
	CV_UNIX_GROUP,  /* char * + gid_t: a group name or number (control_group, control_gid) */
	CV_EVENTS,      /* uint32_t: a comma list of supervisord event types (conf/event-types.h) */
	CV_SOCKET,      /* char *: tcp://HOST:PORT or unix:///PATH */
	CV_OWNER,       /* char *: USER or USER:GROUP */
	/* Built per process by the builder from more than the value (config-build.c): */
	CV_ARGV,        /* char **: command split shell-like */
	CV_PROC_NAME,   /* char *: process_name expanded and checked */
	CV_ENV,         /* char **: environment= merged over [supervisord] environment */
	CV_LOGFILE,     /* struct logfile_config kind + path: AUTO | NONE | path */
	CV_GLOBS,       /* include patterns: read by the reader, never stored */
	CV_MAX
};

/* Where a key's value lives. */
enum config_target {
	CT_DAEMON,      /* struct drover_config */
	CT_PROGRAM,     /* struct program_config */
	CT_PROC,        /* struct proc_config, one value per process */
	CT_NONE,        /* not stored (include) */
};

/* What a change of the key does when the config is reloaded. */
enum config_reload {
	CR_RESTART,     /* the process restarts to apply it */
	CR_LIVE,        /* applied in place: the process keeps running */
	CR_IDENTITY,    /* names which processes exist (numprocs): compared by the processes' names */
	CR_STARTUP,     /* a daemon setting read at start-up only; a change waits for droverd's restart */
	CR_FIXED,       /* a daemon setting a reload cannot change (the instance name) */
	CR_MERGED,      /* merged into every program (umask, environment): compared there */
	CR_MAX
};

struct config_key;

/* Context of a value beyond its text. */
struct config_value_ctx {
	const char *here;               /* directory of the file that sets the key: relative paths */
};

/* Parse V into the field at BASE + k->offset (and, for a few types, fields next to it). 0, or a
 * negative errno and a malloc'd message in *ret_error ("'V' is not an integer"): the caller adds
 * FILE:LINE, section and key. On failure the field is left as it was. */
typedef int (*config_parse_fn)(const struct config_key *k, const char *v, const struct config_value_ctx *ctx,
                               void *base, char **ret_error);

struct config_key {
	const char *name;
	config_parse_fn parse;          /* NULL: the type's parser (none for CV_ARGV ... CV_GLOBS: the builder's) */
	enum config_value_type type;
	enum config_target target;
	size_t offset;                  /* of the field in the target struct */
	int64_t min, max;               /* CV_INT, CV_LONG, CV_RETRIES, CV_SIZE, CV_OCTAL, CV_UMASK bounds */
	const char *const *names;       /* CV_ENUM: accepted words, index = enum value */
	const char *def;                /* default as a user would write it; NULL = none (field stays zero/NULL) */
	bool per_process;               /* expanded once per process: %(process_num)d is known */
	bool derived;                   /* set by the builder from other sections, never written in this one */
	enum config_reload reload;
	bool negative_is_zero;          /* supervisord takes any integer and acts on a negative one as on 0 */
};

enum program_key {
	PK_COMMAND, PK_PROCESS_NAME, PK_NUMPROCS, PK_NUMPROCS_START, PK_DIRECTORY, PK_USER, PK_ENVIRONMENT,
	PK_UMASK, PK_PRIORITY, PK_AUTOSTART, PK_AUTORESTART, PK_EXITCODES, PK_STARTSECS, PK_STARTRETRIES,
	PK_STOPSIGNAL, PK_STOPWAITSECS, PK_STOPASGROUP, PK_KILLASGROUP, PK_REDIRECT_STDERR,
	PK_STDOUT_LOGFILE, PK_STDOUT_LOGFILE_MAXBYTES, PK_STDOUT_LOGFILE_BACKUPS,
	PK_STDERR_LOGFILE, PK_STDERR_LOGFILE_MAXBYTES, PK_STDERR_LOGFILE_BACKUPS,
	PK_READY, PK_HEARTBEAT_TIMEOUT, PK_BACKOFF, PK_BACKOFF_INITIAL, PK_BACKOFF_MAX, PK_BACKOFF_RESET,
	PK_FATAL_RETRY, PK_RESPAWN_INTERVAL, PK_KILLTREE, PK_DEPENDS_ON, PK_RESTART_WITH_DEPENDENCY,
	PK_ENVIRONMENT_FILE, PK_READY_INTERVAL, PK_READY_TIMEOUT, PK_HEALTH, PK_HEALTH_INTERVAL, PK_HEALTH_TIMEOUT,
	PK_HEALTH_FAILURES, PK_HEALTH_ACTION,
	PK_STDOUT_EVENTS_ENABLED, PK_STDERR_EVENTS_ENABLED, PK_SHUTDOWN_ON, PK_LOG_TIMESTAMPS,
	PK_EVENTS, PK_BUFFER_SIZE, PK_RESULT_HANDLER,                   /* [eventlistener:x] */
	PK_SOCKET, PK_SOCKET_OWNER, PK_SOCKET_MODE, PK_SOCKET_BACKLOG,  /* [fcgi-program:x] */
	PK_GROUP, PK_GROUP_PRIORITY,    /* derived: from the [group:x] that lists the program */
	PK_NOTIFY_SOCKET,               /* derived: ready or health is notify */
	PK_DEPENDS_COMPLETED,           /* derived: the NAME:completed items of depends_on */
	PK_KIND,                        /* derived: from the section type */
	PK_MAX
};

enum daemon_key {
	DK_NAME, DK_LOG_DIR, DK_RUN_DIR, DK_CONTROL_MODE, DK_CONTROL_GROUP, DK_INCLUDE, DK_SUBREAPER,
	DK_PIDFILE, DK_USER, DK_SHUTDOWN_WHEN_ALL_EXITED, DK_METRICS_FILE, DK_METRICS_INTERVAL,
	DK_LOG_TIMESTAMPS,                                              /* [drover] */
	DK_SV_CHILDLOGDIR, DK_SV_ENVIRONMENT, DK_SV_UMASK, DK_SV_MINFDS, DK_SV_MINPROCS,
	DK_SV_PIDFILE, DK_SV_USER, DK_SV_IDENTIFIER,                    /* [supervisord] */
	DK_MAX
};

extern const struct config_key program_keys[PK_MAX];
extern const struct config_key daemon_keys[DK_MAX];

/* A set of keys of one table (which keys differ between two configs). */
struct config_keyset {
	uint64_t bits[2];
};
_Static_assert(PK_MAX <= 128 && DK_MAX <= 128, "config_keyset holds 128 keys");

static inline void config_keyset_add(struct config_keyset *s, unsigned k)
{
	s->bits[k / 64] |= UINT64_C(1) << (k % 64);
}

static inline bool config_keyset_has(const struct config_keyset *s, unsigned k)
{
	return s->bits[k / 64] & (UINT64_C(1) << (k % 64));
}

static inline bool config_keyset_empty(const struct config_keyset *s)
{
	return !s->bits[0] && !s->bits[1];
}

enum group_key { GK_PROGRAMS, GK_PRIORITY, GK_MAX };
/* [group:x]: stored into the builder's group record (struct conf_group). */
extern const struct config_key group_keys[GK_MAX];

/* Which section a key is looked up for. */
enum config_keys_of { CONF_KEYS_PROGRAM, CONF_KEYS_GROUP, CONF_KEYS_DROVER, CONF_KEYS_SUPERVISORD, CONF_KEYS_INCLUDE,
                      CONF_KEYS_ANY, CONF_KEYS_LISTENER, CONF_KEYS_FCGI };
/* The keys of the section that defines a program of that kind. */
enum config_keys_of config_keys_of_program(int program_kind);
/* NAME is a key of that section: one drover reads, or one of supervisord's that drover ignores. */
bool config_key_known(enum config_keys_of which, const char *name);
/* The key of that section nearest to NAME (a likely typo) into BUF, or NULL. */
const char *config_key_suggest(enum config_keys_of which, const char *name, char *buf, size_t size);

/* The builder's record of a [group:x]. */
struct conf_group {
	char **programs;
	int priority;
};

/* Index of a key of [program:x] (lower case) that a user may write, or -1. */
int program_key_lookup(const char *name);
/* Key K is one of the section that defines a program of KIND (enum program_kind). */
bool program_key_applies(enum program_key k, int kind);
/* Index of a key of [drover] (drover true) or [supervisord], or -1. */
int daemon_key_lookup(const char *name, bool drover);
/* Whether daemon key K belongs to [drover] (else [supervisord]). */
bool daemon_key_is_drover(enum daemon_key k);
/* supervisord [program:x] keys that drover accepts with a warning and ignores. */
bool program_key_supervisord_only(const char *name);
/* Keys of supervisord's [supervisord] section that drover does not use (warned about). */
bool supervisord_key_known(const char *name);

/* The field of key K in BASE (the struct k->target names). */
static inline void *config_key_field(const struct config_key *k, void *base)
{
	return (char *) base + k->offset;
}

/* Parse V into BASE as key K says (its own parser, else its type's). */
int config_key_parse(const struct config_key *k, const char *v, const struct config_value_ctx *ctx, void *base,
                     char **ret_error);
/* K has a parser (else the builder builds its value: command, environment, log files, ...). */
bool config_key_builtin(const struct config_key *k);
/* The two fields of key K are equal (by its type). */
bool config_key_equal(const struct config_key *k, const void *base_a, const void *base_b);
/* Free what key K stores in BASE and reset the field. */
void config_key_release(const struct config_key *k, void *base);
/* The field of key K in BASE, a bitwise copy of another struct's, gets memory of its own (strings
 * and vectors duplicated): deep copies of configs are made this way. */
void config_key_unshare(const struct config_key *k, void *base);
/* Copy the value of a scalar key (not a pointer) from SRC to DST. */
void config_key_copy_scalar(const struct config_key *k, void *dst, const void *src);
/* The key stores a pointer (string, vector) that config_key_release frees. */
bool config_key_owns_memory(const struct config_key *k);

/* What the user wrote, quoted for a message: escaped, one line, cut at 60 bytes. Four rotating
 * buffers, so up to four quotes can appear in one message (single-threaded callers only). */
const char *config_quote(const char *s);
/* The same for a path: cut only at 1000 bytes. */
const char *config_quote_path(const char *s);

/* Value parsers: 0 on success; -EINVAL (not of the syntax) or -ERANGE (outside the bounds). */
int config_value_bool(const char *s, bool *ret);
int config_value_int(const char *s, int64_t min, int64_t max, int64_t *ret);
int config_value_size(const char *s, uint64_t max, uint64_t *ret);
int config_value_octal(const char *s, unsigned max, unsigned *ret);
int config_value_exitcodes(const char *s, uint8_t bitmap[32]);
int config_value_enum(const char *s, const char *const *names);     /* index or -EINVAL */

/* The one list splitter: split S at any character of SEPS, trim blanks around each item, drop
 * empty items. Returns a NULL-terminated vector (NULL when there is no item). */
char **config_split_list(const char *s, const char *seps);

/* supervisord's process_or_group_name(), stricter: NULL when NAME is usable, else why not. */
const char *config_name_invalid(const char *name);

/* DIR joined with REL (REL as is when absolute). */
char *config_path_join(const char *dir, const char *rel);

const char *config_reload_to_string(enum config_reload r);

#endif
