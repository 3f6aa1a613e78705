/* [program:x] keys as data (tmux's options-table.c): type, bounds, default, restart-or-live;
 * and the parsers of supervisord's value syntax (datatypes.py: boolean, byte_size, octal_type, ...). */
#include "conf/config-keys.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util.h"

static const char *const autorestart_names[] = { "false", "unexpected", "true", NULL };
static const char *const ready_names[] = { "startsecs", "scoreboard", NULL };
static const char *const backoff_names[] = { "linear", "exponential", NULL };

#define SECS(d) CV_INT, 0, CONFIG_SECONDS_MAX, NULL, d
#define BOOL(d) CV_BOOL, 0, 0, NULL, d

const struct config_key program_keys[PK_MAX] = {
	[PK_COMMAND]                = { "command", CV_STRING, 0, 0, NULL, NULL, true, true },
	[PK_PROCESS_NAME]           = { "process_name", CV_STRING, 0, 0, NULL, "%(program_name)s", true, true },
	[PK_NUMPROCS]               = { "numprocs", CV_INT, 1, 10000, NULL, "1", false, true },
	[PK_NUMPROCS_START]         = { "numprocs_start", CV_INT, 0, 1000000, NULL, "0", false, true },
	[PK_DIRECTORY]              = { "directory", CV_STRING, 0, 0, NULL, NULL, true, true },
	[PK_USER]                   = { "user", CV_STRING, 0, 0, NULL, NULL, false, true },
	[PK_ENVIRONMENT]            = { "environment", CV_STRING, 0, 0, NULL, NULL, true, true },
	[PK_UMASK]                  = { "umask", CV_OCTAL, 0, 0777, NULL, NULL, false, true },
	[PK_PRIORITY]               = { "priority", CV_INT, -1000000, 1000000, NULL, "999", false, false },
	[PK_AUTOSTART]              = { "autostart", BOOL("true"), false, false },
	[PK_AUTORESTART]            = { "autorestart", CV_AUTORESTART, 0, 0, autorestart_names, "unexpected", false, false },
	[PK_EXITCODES]              = { "exitcodes", CV_EXITCODES, 0, 255, NULL, "0", false, false },
	[PK_STARTSECS]              = { "startsecs", SECS("1"), false, false },
	[PK_STARTRETRIES]           = { "startretries", CV_RETRIES, 0, 1000000, NULL, "3", false, false },
	[PK_STOPSIGNAL]             = { "stopsignal", CV_SIGNAL, 0, 0, NULL, "TERM", false, false },
	[PK_STOPWAITSECS]           = { "stopwaitsecs", SECS("10"), false, false },
	[PK_STOPASGROUP]            = { "stopasgroup", BOOL("false"), false, true },
	[PK_KILLASGROUP]            = { "killasgroup", BOOL(NULL), false, true },   /* default: stopasgroup */
	[PK_REDIRECT_STDERR]        = { "redirect_stderr", BOOL("false"), false, true },
	[PK_STDOUT_LOGFILE]         = { "stdout_logfile", CV_STRING, 0, 0, NULL, "AUTO", true, true },
	[PK_STDOUT_LOGFILE_MAXBYTES] = { "stdout_logfile_maxbytes", CV_SIZE, 0, 1LL << 50, NULL, "50MB", false, false },
	[PK_STDOUT_LOGFILE_BACKUPS] = { "stdout_logfile_backups", CV_INT, 0, 1000, NULL, "10", false, false },
	[PK_STDERR_LOGFILE]         = { "stderr_logfile", CV_STRING, 0, 0, NULL, "AUTO", true, true },
	[PK_STDERR_LOGFILE_MAXBYTES] = { "stderr_logfile_maxbytes", CV_SIZE, 0, 1LL << 50, NULL, "50MB", false, false },
	[PK_STDERR_LOGFILE_BACKUPS] = { "stderr_logfile_backups", CV_INT, 0, 1000, NULL, "10", false, false },
	[PK_READY]                  = { "ready", CV_ENUM, 0, 0, ready_names, "startsecs", false, true },
	[PK_HEARTBEAT_TIMEOUT]      = { "heartbeat_timeout", SECS("0"), false, false },
	[PK_BACKOFF]                = { "backoff", CV_ENUM, 0, 0, backoff_names, "linear", false, false },
	[PK_BACKOFF_INITIAL]        = { "backoff_initial", CV_INT, 1, CONFIG_SECONDS_MAX, NULL, "1", false, false },
	[PK_BACKOFF_MAX]            = { "backoff_max", CV_INT, 1, CONFIG_SECONDS_MAX, NULL, "60", false, false },
	[PK_BACKOFF_RESET]          = { "backoff_reset", SECS("0"), false, false },
	[PK_FATAL_RETRY]            = { "fatal_retry", SECS("0"), false, false },
	[PK_KILLTREE]               = { "killtree", BOOL("true"), false, true },
	[PK_DEPENDS_ON]             = { "depends_on", CV_NAMES, 0, 0, NULL, NULL, false, false },
	[PK_RESTART_WITH_DEPENDENCY] = { "restart_with_dependency", BOOL("false"), false, false },
	[PK_ENVIRONMENT_FILE]       = { "environment_file", CV_STRING, 0, 0, NULL, NULL, false, true },
};

int program_key_lookup(const char *name)
{
	for (size_t i = 0; i < PK_MAX; i++)
		if (strcmp(program_keys[i].name, name) == 0)
			return (int) i;
	return -1;
}

static bool in_list(const char *const *list, const char *name)
{
	for (; *list; list++)
		if (strcmp(*list, name) == 0)
			return true;
	return false;
}

bool program_key_supervisord_only(const char *name)
{
	static const char *const keys[] = {
		"serverurl", "stdout_capture_maxbytes", "stderr_capture_maxbytes", "stdout_events_enabled",
		"stderr_events_enabled", "stdout_syslog", "stderr_syslog", NULL,
	};
	return in_list(keys, name);
}

bool supervisord_key_known(const char *name)
{
	static const char *const keys[] = {
		"logfile", "logfile_maxbytes", "logfile_backups", "loglevel", "nodaemon", "silent",
		"directory", "identifier", "nocleanup", "strip_ansi", NULL,
	};
	return in_list(keys, name);
}

int config_value_bool(const char *s, bool *ret)
{
	static const char *const yes[] = { "true", "yes", "on", "1", NULL }, *const no[] = { "false", "no", "off", "0", NULL };
	for (size_t i = 0; yes[i]; i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*ret = true;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*ret = false;
			return 0;
		}
	}
	return -EINVAL;
}

int config_value_int(const char *s, int64_t min, int64_t max, int64_t *ret)
{
	/* parse_int64 lets strtoll skip leading blanks; a value never has them (inih strips),
	 * but a joined continuation line could: refuse anything but an optional sign and digits. */
	const char *p = s;
	if (*p == '-' || *p == '+')
		p++;
	if (!*p)
		return -EINVAL;
	for (; *p; p++)
		if (!isdigit((unsigned char) *p))
			return -EINVAL;
	return parse_int64(s, min, max, ret);
}

int config_value_size(const char *s, uint64_t max, uint64_t *ret)
{
	static const struct { const char *suffix; uint64_t mult; } units[] = {
		{ "kb", 1ULL << 10 }, { "mb", 1ULL << 20 }, { "gb", 1ULL << 30 },
	};
	size_t n = strlen(s);
	uint64_t mult = 1;
	char num[32];

	for (size_t i = 0; i < ELEMENTSOF(units); i++) {
		if (n >= 2 && strcasecmp(s + n - 2, units[i].suffix) == 0) {
			mult = units[i].mult;
			n -= 2;
			break;
		}
	}
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))     /* "50 MB" as Python's int(" 50 ") */
		n--;
	if (n == 0 || n >= sizeof(num))
		return n == 0 ? -EINVAL : -ERANGE;
	memcpy(num, s, n);
	num[n] = '\0';
	int64_t v;
	int r = config_value_int(num, INT64_MIN + 1, INT64_MAX, &v);
	if (r < 0)
		return r;
	if (v < 0)
		return -ERANGE;
	uint64_t total;
	if (__builtin_mul_overflow((uint64_t) v, mult, &total) || total > max)
		return -ERANGE;
	*ret = total;
	return 0;
}

int config_value_octal(const char *s, unsigned max, unsigned *ret)
{
	unsigned v = 0;
	if (!*s)
		return -EINVAL;
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '7')
			return -EINVAL;
		v = v * 8 + (unsigned) (*p - '0');
		if (v > max)
			return -ERANGE;
	}
	*ret = v;
	return 0;
}

int config_value_exitcodes(const char *s, uint8_t bitmap[32])
{
	uint8_t bits[32] = { 0 };
	const char *p = s;

	while (*p == ' ' || *p == '\t')
		p++;
	if (*p) {
		for (;;) {
			const char *start = p;
			char item[16];
			while (*p && *p != ',')
				p++;
			const char *end = p;
			while (start < end && (*start == ' ' || *start == '\t'))
				start++;
			while (end > start && (end[-1] == ' ' || end[-1] == '\t'))
				end--;
			if ((size_t) (end - start) >= sizeof(item))
				return -ERANGE;
			memcpy(item, start, (size_t) (end - start));
			item[end - start] = '\0';
			int64_t v;
			int r = config_value_int(item, 0, 255, &v);
			if (r < 0)
				return r;
			bits[v / 8] |= (uint8_t) (1u << (v % 8));
			if (!*p)
				break;
			p++;
		}
	}
	memcpy(bitmap, bits, sizeof(bits));
	return 0;
}

int config_value_enum(const char *s, const char *const *names)
{
	for (int i = 0; names[i]; i++)
		if (strcasecmp(s, names[i]) == 0)
			return i;
	return -EINVAL;
}
