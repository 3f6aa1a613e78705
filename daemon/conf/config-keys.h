/* The key table of [program:x] (name, type, bounds, default, restart-or-live) and the value
 * parsers every section shares (config-keys.c). Pure: no I/O, no messages. */
#ifndef DROVER_CONFIG_KEYS_H
#define DROVER_CONFIG_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CONFIG_SECONDS_MAX (86400 * 365)

enum config_value_type {
	CV_STRING,      /* text, interpreted by config.c (command, paths, environment, ...) */
	CV_INT,         /* decimal integer in [min, max] */
	CV_BOOL,        /* true/false yes/no on/off 1/0 */
	CV_SIZE,        /* bytes, with an optional KB / MB / GB suffix */
	CV_OCTAL,       /* octal number in [min, max] */
	CV_SIGNAL,      /* TERM, SIGTERM or 15 */
	CV_AUTORESTART, /* true | false | unexpected */
	CV_EXITCODES,   /* comma list of 0..255 */
	CV_ENUM,        /* one of names[] */
	CV_RETRIES,     /* integer in [min, max] or "infinite" */
	CV_NAMES,       /* comma- or space-separated program names */
};

enum program_key {
	PK_COMMAND, PK_PROCESS_NAME, PK_NUMPROCS, PK_NUMPROCS_START, PK_DIRECTORY, PK_USER, PK_ENVIRONMENT,
	PK_UMASK, PK_PRIORITY, PK_AUTOSTART, PK_AUTORESTART, PK_EXITCODES, PK_STARTSECS, PK_STARTRETRIES,
	PK_STOPSIGNAL, PK_STOPWAITSECS, PK_STOPASGROUP, PK_KILLASGROUP, PK_REDIRECT_STDERR,
	PK_STDOUT_LOGFILE, PK_STDOUT_LOGFILE_MAXBYTES, PK_STDOUT_LOGFILE_BACKUPS,
	PK_STDERR_LOGFILE, PK_STDERR_LOGFILE_MAXBYTES, PK_STDERR_LOGFILE_BACKUPS,
	PK_READY, PK_HEARTBEAT_TIMEOUT, PK_BACKOFF, PK_BACKOFF_INITIAL, PK_BACKOFF_MAX, PK_BACKOFF_RESET,
	PK_FATAL_RETRY, PK_KILLTREE, PK_DEPENDS_ON, PK_RESTART_WITH_DEPENDENCY, PK_ENVIRONMENT_FILE,
	PK_MAX
};

struct config_key {
	const char *name;
	enum config_value_type type;
	int64_t min, max;
	const char *const *names;       /* CV_ENUM: accepted words, index = enum value */
	const char *def;                /* default as a user would write it; NULL = unset */
	bool per_process;               /* expanded once per process (%(process_num)d is known) */
	bool restart;                   /* a change restarts the process on reload (else applied in place) */
};

extern const struct config_key program_keys[PK_MAX];

/* Index of a [program:x] key (lower case), or -1. */
int program_key_lookup(const char *name);
/* supervisord [program:x] keys that drover accepts with a warning and ignores. */
bool program_key_supervisord_only(const char *name);
/* Keys of supervisord's [supervisord] section that drover does not use (warned about). */
bool supervisord_key_known(const char *name);

/* Value parsers: 0 on success; -EINVAL (not of the syntax) or -ERANGE (outside the bounds). */
int config_value_bool(const char *s, bool *ret);
int config_value_int(const char *s, int64_t min, int64_t max, int64_t *ret);
int config_value_size(const char *s, uint64_t max, uint64_t *ret);
int config_value_octal(const char *s, unsigned max, unsigned *ret);
int config_value_exitcodes(const char *s, uint8_t bitmap[32]);
int config_value_enum(const char *s, const char *const *names);     /* index or -EINVAL */

#endif
