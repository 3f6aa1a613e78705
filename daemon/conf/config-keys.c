/* The key tables as data ({name, parse, type, offset, reload}: one entry parses and stores a key,
 * and says what a change of it does) and the value types: how each parses supervisord's value
 * syntax, compares and frees what it stores. */
#include "conf/config-keys.h"

#include <ctype.h>
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf/config.h"
#include "conf/suggest.h"
#include "util.h"

static const char *const ready_names[] = { "startsecs", "scoreboard", NULL };
static const char *const backoff_names[] = { "linear", "exponential", NULL };

/* ---- value parsers ---- */

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

char **config_split_list(const char *s, const char *seps)
{
	char **out = NULL;
	const char *p = s;

	for (;;) {
		size_t n = strcspn(p, seps);
		const char *b = p, *e = p + n;
		while (b < e && isspace((unsigned char) *b))
			b++;
		while (e > b && isspace((unsigned char) e[-1]))
			e--;
		if (e > b)
			strv_push(&out, xstrndup(b, (size_t) (e - b)));
		if (!p[n])
			return out;
		p += n + 1;
	}
}

int config_value_exitcodes(const char *s, uint8_t bitmap[32])
{
	uint8_t bits[32] = { 0 };
	const char *p = s;
	int r = 0;

	/* supervisord splits on commas and refuses an empty item; an empty list is no code at all */
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p) {
		for (;;) {
			size_t n = strcspn(p, ",");
			char *item = xstrndup(p, n), **one = config_split_list(item, "");
			int64_t v;
			r = one ? config_value_int(one[0], 0, 255, &v) : -EINVAL;
			strv_free(one);
			free(item);
			if (r < 0)
				return r;
			bits[v / 8] |= (uint8_t) (1u << (v % 8));
			if (!p[n])
				break;
			p += n + 1;
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

/* Escaped, one line, cut after CUT bytes; four rotating buffers. */
static const char *quote(const char *s, size_t cut)
{
	static char bufs[4][1040];
	static unsigned i;
	char *b = bufs[i++ % 4];
	s = s ? s : "";
	escape_line(b, cut + 20, s);
	if (strlen(s) > cut || strlen(b) >= cut + 19)
		strcpy(b + (strlen(b) > cut ? cut : strlen(b)), "...");
	return b;
}

const char *config_quote(const char *s)
{
	return quote(s, 60);
}

const char *config_quote_path(const char *s)
{
	return quote(s, 1000);
}

const char *config_name_invalid(const char *name)
{
	size_t n = strlen(name);
	if (n == 0)
		return "is empty";
	if (n > CONFIG_NAME_MAX)
		return "is longer than 127 bytes";
	if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return "is not a usable name";
	for (const char *p = name; *p; p++) {
		unsigned char c = (unsigned char) *p;
		if (c <= ' ' || c == 0x7f)         /* UTF-8 letters are fine, as in supervisord */
			return "may contain no blanks or control characters";
		if (c == ':' || c == '/')
			return "may not contain ':' or '/'";
	}
	return NULL;
}

char *config_path_join(const char *dir, const char *rel)
{
	if (rel[0] == '/')
		return xstrdup(rel);
	if (strcmp(dir, "/") == 0)
		return xasprintf("/%s", rel);
	return xasprintf("%s/%s", dir, rel);
}

/* ---- the types: parse into the field, compare, free ---- */

#define FIELD(k, base, type) ((type *) config_key_field((k), (base)))

static int bad(char **ret_error, int r, const char *v, const char *what)
{
	*ret_error = xasprintf("'%s' %s", config_quote(v), what);
	return r;
}

static int out_of_range(char **ret_error, const char *v, const char *range)
{
	*ret_error = xasprintf("'%s' is out of range (%s)", config_quote(v), range);
	return -ERANGE;
}

static int parse_string(const struct config_key *k, const char *v, const struct config_value_ctx *ctx, void *base,
                        char **ret_error)
{
	char **dst = FIELD(k, base, char *);
	free(*dst);
	*dst = *v ? xstrdup(v) : NULL;
	return 0;
}

static int parse_path(const struct config_key *k, const char *v, const struct config_value_ctx *ctx, void *base,
                      char **ret_error)
{
	char **dst = FIELD(k, base, char *);
	if (!*v && k->type == CV_DIR) {
		*ret_error = xstrdup("must not be empty");
		return -EINVAL;
	}
	free(*dst);
	*dst = *v ? config_path_join(ctx->here, v) : NULL;
	return 0;
}

/* environment_file: a comma-separated list; "-" before a path makes a missing file fine. Each
 * path is resolved here; the list keeps its "-" marks for envfile_load_list() at spawn time. */
static int parse_path_list(const struct config_key *k, const char *v, const struct config_value_ctx *ctx, void *base,
                           char **ret_error)
{
	char **items = config_split_list(v, ","), *out = NULL;
	for (char **i = items; i && *i; i++) {
		bool optional = (*i)[0] == '-';
		if (!(*i)[optional])
			continue;
		char *abs = config_path_join(ctx->here, *i + optional);
		char *next = xasprintf("%s%s%s%s", out ? out : "", out ? "," : "", optional ? "-" : "", abs);
		free(abs);
		free(out);
		out = next;
	}
	strv_free(items);
	char **dst = FIELD(k, base, char *);
	free(*dst);
	*dst = out;
	return 0;
}

static int get_int64(const struct config_key *k, const char *v, int64_t *ret, char **ret_error)
{
	int r = config_value_int(v, k->min, k->max, ret);
	if (r == -ERANGE) {
		char range[64];
		snprintf(range, sizeof(range), "%lld..%lld", (long long) k->min, (long long) k->max);
		return out_of_range(ret_error, v, range);
	}
	if (r < 0)
		return bad(ret_error, r, v, "is not an integer");
	return 0;
}

static int parse_int(const struct config_key *k, const char *v, const struct config_value_ctx *ctx, void *base,
                     char **ret_error)
{
	int64_t x;
	int r = get_int64(k, v, &x, ret_error);
	if (r < 0)
		return r;
	if (k->type == CV_LONG)
		*FIELD(k, base, long) = (long) x;
	else
		*FIELD(k, base, int) = (int) x;
	return 0;
}

static int parse_bool(const struct config_key *k, const char *v, const struct config_value_ctx *ctx, void *base,
                      char **ret_error)
{
	if (config_value_bool(v, FIELD(k, base, bool)) < 0)
		return bad(ret_error, -EINVAL, v, "is not a boolean (true/false, yes/no, on/off, 1/0)");
	return 0;
}

static int parse_size(const struct config_key *k, const char *v, const struct config_value_ctx *ctx, void *base,
                      char **ret_error)
{
	int r = config_value_size(v, (uint64_t) k->max, FIELD(k, base, uint64_t));
	if (r == -ERANGE) {
		char range[64];
		snprintf(range, sizeof(range), "0..%lluGB", (unsigned long long) ((uint64_t) k->max >> 30));
		return out_of_range(ret_error, v, range);
	}
	if (r < 0)
		return bad(ret_error, r, v, "is not a size (a number with an optional KB, MB or GB)");
	return 0;
}

static int get_octal(const struct config_key *k, const char *v, unsigned *ret, char **ret_error)
{
	int r = config_value_octal(v, (unsigned) k->max, ret);
	if (r == -ERANGE) {
		char range[32];
		snprintf(range, sizeof(range), "0..0%llo", (unsigned long long) k->max);
		return out_of_range(ret_error, v, range);
	}
	if (r < 0)
		return bad(ret_error, r, v, "is not an octal number");
	return 0;
}

static int parse_octal(const struct config_key *k, const char *v, const struct config_value_ctx *ctx, void *base,
                       char **ret_error)
{
	unsigned m;
	if (k->type == CV_UMASK && !*v) {
		*FIELD(k, base, int) = -1;
		return 0;
	}
	int r = get_octal(k, v, &m, ret_error);
	if (r < 0)
		return r;
	*FIELD(k, base, int) = (int) m;
	return 0;
}

static int parse_mode(const struct config_key *k, const char *v, const struct config_value_ctx *ctx, void *base,
                      char **ret_error)
{
	unsigned m;
	int r = get_octal(k, v, &m, ret_error);
	if (r < 0)
		return r;
	if ((m & 0600) != 0600)
		return bad(ret_error, -EINVAL, v, "must give the owner read and write (0600)");
	*FIELD(k, base, mode_t) = (mode_t) m;
	return 0;
}

static int parse_signal(const struct config_key *k, const char *v, const struct config_value_ctx *ctx, void *base,
                        char **ret_error)
{
	int sig = signal_from_string(v);
	if (sig < 0) {
		struct suggest sg;
		suggest_init(&sg, strncasecmp(v, "SIG", 3) == 0 ? v + 3 : v);
		for (int n = 1; n < 32; n++)
			if (strcmp(signal_to_string(n), "?") != 0)
				suggest_offer(&sg, signal_to_string(n));
		if (suggest_result(&sg))
			*ret_error = xasprintf("unknown signal '%s' (did you mean %s?)", config_quote(v), suggest_result(&sg));
		else
			*ret_error = xasprintf("unknown signal '%s' (a name such as TERM or SIGTERM, or a number)", config_quote(v));
		return -EINVAL;
	}
	*FIELD(k, base, int) = sig;
	return 0;
}

static int parse_autorestart(const struct config_key *k, const char *v, const struct config_value_ctx *ctx,
                             void *base, char **ret_error)
{
	bool b;
	enum autorestart *dst = FIELD(k, base, enum autorestart);
	if (config_value_bool(v, &b) == 0)
		*dst = b ? AUTORESTART_TRUE : AUTORESTART_FALSE;
	else if (strcasecmp(v, "unexpected") == 0)
		*dst = AUTORESTART_UNEXPECTED;
	else
		return bad(ret_error, -EINVAL, v, "is not one of true, false, unexpected");
	return 0;
}

static int parse_exitcodes(const struct config_key *k, const char *v, const struct config_value_ctx *ctx,
                           void *base, char **ret_error)
{
	if (config_value_exitcodes(v, FIELD(k, base, uint8_t)) < 0)
		return bad(ret_error, -EINVAL, v, "is not a list of exit codes (comma-separated, 0..255)");
	return 0;
}

static int parse_enum(const struct config_key *k, const char *v, const struct config_value_ctx *ctx, void *base,
                      char **ret_error)
{
	int e = config_value_enum(v, k->names);
	if (e < 0) {
		char list[128] = "is not one of ";
		for (size_t n = 0; k->names[n]; n++)
			snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s", n ? ", " : "", k->names[n]);
		return bad(ret_error, -EINVAL, v, list);
	}
	*FIELD(k, base, int) = e;
	return 0;
}

static int parse_retries(const struct config_key *k, const char *v, const struct config_value_ctx *ctx, void *base,
                         char **ret_error)
{
	int64_t x;
	if (strcasecmp(v, "infinite") == 0) {
		*FIELD(k, base, int) = STARTRETRIES_INFINITE;
		return 0;
	}
	int r = config_value_int(v, k->min, k->max, &x);
	if (r == -ERANGE) {
		char range[64];
		snprintf(range, sizeof(range), "%lld..%lld, or infinite", (long long) k->min, (long long) k->max);
		return out_of_range(ret_error, v, range);
	}
	if (r < 0)
		return bad(ret_error, r, v, "is not an integer (or infinite)");
	*FIELD(k, base, int) = (int) x;
	return 0;
}

static int parse_names(const struct config_key *k, const char *v, const struct config_value_ctx *ctx, void *base,
                       char **ret_error)
{
	char **names = config_split_list(v, ", \t\n");
	for (char **n = names; n && *n; n++) {
		const char *why = config_name_invalid(*n);
		if (why) {
			*ret_error = xasprintf("program name '%s' %s", config_quote(*n), why);
			strv_free(names);
			return -EINVAL;
		}
	}
	char ***dst = FIELD(k, base, char **);
	strv_free(*dst);
	*dst = names;
	return 0;
}

static int parse_instance(const struct config_key *k, const char *v, const struct config_value_ctx *ctx, void *base,
                          char **ret_error)
{
	if (!instance_name_valid(v))
		return bad(ret_error, -EINVAL, v, "is not a valid instance name ([A-Za-z0-9_-], 1 to 32 characters)");
	return parse_string(k, v, ctx, base, ret_error);
}

/* control_group and control_gid: the group's canonical name and its number. */
static int parse_unix_group(const struct config_key *k, const char *v, const struct config_value_ctx *ctx,
                            void *base, char **ret_error)
{
	struct drover_config *c = base;
	if (!*v)
		return 0;
	int64_t gid;
	struct group *gr = config_value_int(v, 0, INT32_MAX, &gid) == 0 ? getgrgid((gid_t) gid) : getgrnam(v);
	if (!gr) {
		*ret_error = xasprintf("unknown group '%s'", config_quote(v));
		return -ENOENT;
	}
	free(c->control_group);
	c->control_group = xstrdup(gr->gr_name);
	c->control_gid = gr->gr_gid;
	return 0;
}

struct value_type {
	config_parse_fn parse;
	size_t size;                    /* of the field */
	enum { VT_SCALAR, VT_STRING, VT_STRV, VT_LOGFILE, VT_NONE } storage;
};

static const struct value_type types[CV_MAX] = {
	[CV_STRING]      = { parse_string, sizeof(char *), VT_STRING },
	[CV_PATH]        = { parse_path, sizeof(char *), VT_STRING },
	[CV_DIR]         = { parse_path, sizeof(char *), VT_STRING },
	[CV_PATH_LIST]   = { parse_path_list, sizeof(char *), VT_STRING },
	[CV_INT]         = { parse_int, sizeof(int), VT_SCALAR },
	[CV_LONG]        = { parse_int, sizeof(long), VT_SCALAR },
	[CV_BOOL]        = { parse_bool, sizeof(bool), VT_SCALAR },
	[CV_SIZE]        = { parse_size, sizeof(uint64_t), VT_SCALAR },
	[CV_OCTAL]       = { parse_octal, sizeof(int), VT_SCALAR },
	[CV_UMASK]       = { parse_octal, sizeof(int), VT_SCALAR },
	[CV_MODE]        = { parse_mode, sizeof(mode_t), VT_SCALAR },
	[CV_SIGNAL]      = { parse_signal, sizeof(int), VT_SCALAR },
	[CV_AUTORESTART] = { parse_autorestart, sizeof(enum autorestart), VT_SCALAR },
	[CV_EXITCODES]   = { parse_exitcodes, 32, VT_SCALAR },
	[CV_ENUM]        = { parse_enum, sizeof(int), VT_SCALAR },
	[CV_RETRIES]     = { parse_retries, sizeof(int), VT_SCALAR },
	[CV_NAMES]       = { parse_names, sizeof(char **), VT_STRV },
	[CV_INSTANCE]    = { parse_instance, sizeof(char *), VT_STRING },
	[CV_UNIX_GROUP]  = { parse_unix_group, sizeof(char *), VT_STRING },
	[CV_ARGV]        = { NULL, sizeof(char **), VT_STRV },
	[CV_PROC_NAME]   = { NULL, sizeof(char *), VT_STRING },
	[CV_ENV]         = { NULL, sizeof(char **), VT_STRV },
	[CV_LOGFILE]     = { NULL, sizeof(struct logfile_config), VT_LOGFILE },
	[CV_GLOBS]       = { NULL, 0, VT_NONE },
};

_Static_assert(sizeof(enum ready_mode) == sizeof(int) && sizeof(enum backoff_mode) == sizeof(int),
               "CV_ENUM stores an int");

int config_key_parse(const struct config_key *k, const char *v, const struct config_value_ctx *ctx, void *base,
                     char **ret_error)
{
	config_parse_fn parse = k->parse ? k->parse : types[k->type].parse;
	if (!parse)
		abort();                /* a key the builder builds itself */
	return parse(k, v, ctx, base, ret_error);
}

bool config_key_builtin(const struct config_key *k)
{
	return k->parse || types[k->type].parse;
}

bool config_key_equal(const struct config_key *k, const void *base_a, const void *base_b)
{
	const void *a = (const char *) base_a + k->offset, *b = (const char *) base_b + k->offset;
	switch (types[k->type].storage) {
	case VT_SCALAR:
		return memcmp(a, b, types[k->type].size) == 0;
	case VT_STRING:
		return streq_ptr(*(char *const *) a, *(char *const *) b);
	case VT_STRV:
		return strv_equal(*(char **const *) a, *(char **const *) b);
	case VT_LOGFILE: {
		/* what the file is; its rotation (maxbytes, backups) are keys of their own */
		const struct logfile_config *x = a, *y = b;
		return x->kind == y->kind && streq_ptr(x->path, y->path);
	}
	case VT_NONE:
		return true;
	}
	return false;
}

void config_key_release(const struct config_key *k, void *base)
{
	void *f = config_key_field(k, base);
	switch (types[k->type].storage) {
	case VT_STRING: {
		char **s = f;
		free(*s);
		*s = NULL;
		break;
	}
	case VT_STRV: {
		char ***v = f;
		*v = strv_free(*v);
		break;
	}
	case VT_LOGFILE: {
		struct logfile_config *lc = f;
		free(lc->path);
		lc->path = NULL;
		break;
	}
	case VT_SCALAR:
	case VT_NONE:
		break;
	}
}

void config_key_copy_scalar(const struct config_key *k, void *dst, const void *src)
{
	if (types[k->type].storage != VT_SCALAR)
		abort();
	memcpy((char *) dst + k->offset, (const char *) src + k->offset, types[k->type].size);
}

bool config_key_owns_memory(const struct config_key *k)
{
	return types[k->type].storage != VT_SCALAR && types[k->type].storage != VT_NONE;
}

/* ---- the tables ---- */

#define PROG(field)  CT_PROGRAM, offsetof(struct program_config, field)
#define PROC(field)  CT_PROC, offsetof(struct proc_config, field)
#define DMN(field)   CT_DAEMON, offsetof(struct drover_config, field)
#define T(type)      NULL, type
#define NOBOUNDS     0, 0, NULL
#define BOUNDS(a, b) a, b, NULL
#define SECS         BOUNDS(0, CONFIG_SECONDS_MAX)
#define SIZE_MAX_    BOUNDS(0, 1LL << 50)

const struct config_key program_keys[PK_MAX] = {
	/* name, parse, type, target, offset, min, max, names, default, per_process, derived, reload */
	[PK_COMMAND]       = { "command", T(CV_ARGV), PROC(argv), NOBOUNDS, NULL, true, false, CR_RESTART, false },
	[PK_PROCESS_NAME]  = { "process_name", T(CV_PROC_NAME), PROC(name), NOBOUNDS, "%(program_name)s", true, false,
	                       CR_RESTART, false },
	[PK_NUMPROCS]      = { "numprocs", T(CV_INT), PROG(numprocs), BOUNDS(0, CONFIG_NUMPROCS_MAX), "1", false, false,
	                       CR_IDENTITY, true },
	[PK_NUMPROCS_START] = { "numprocs_start", T(CV_INT), PROG(numprocs_start), BOUNDS(0, 1000000), "0", false, false,
	                        CR_IDENTITY, false },
	[PK_DIRECTORY]     = { "directory", T(CV_PATH), PROC(directory), NOBOUNDS, NULL,
	                       true, false, CR_RESTART, false },
	[PK_USER]          = { "user", T(CV_STRING), PROG(user), NOBOUNDS, NULL, false, false, CR_RESTART, false },
	[PK_ENVIRONMENT]   = { "environment", T(CV_ENV), PROC(env), NOBOUNDS, NULL, true, false, CR_RESTART, false },
	[PK_UMASK]         = { "umask", T(CV_UMASK), PROG(umask), BOUNDS(0, 0777), NULL,
	                       false, false, CR_RESTART, false },
	[PK_PRIORITY]      = { "priority", T(CV_INT), PROG(priority), BOUNDS(-1000000, 1000000), "999", false, false,
	                       CR_LIVE, false },
	[PK_AUTOSTART]     = { "autostart", T(CV_BOOL), PROG(autostart), NOBOUNDS, "true",
	                       false, false, CR_LIVE, false },
	[PK_AUTORESTART]   = { "autorestart", T(CV_AUTORESTART), PROG(autorestart), NOBOUNDS, "unexpected", false, false,
	                       CR_LIVE, false },
	[PK_EXITCODES]     = { "exitcodes", T(CV_EXITCODES), PROG(exitcodes), NOBOUNDS, "0",
	                       false, false, CR_LIVE, false },
	[PK_STARTSECS]     = { "startsecs", T(CV_INT), PROG(startsecs), SECS, "1", false, false, CR_LIVE, true },
	[PK_STARTRETRIES]  = { "startretries", T(CV_RETRIES), PROG(startretries), BOUNDS(0, 1000000), "3", false, false,
	                       CR_LIVE, true },
	[PK_STOPSIGNAL]    = { "stopsignal", T(CV_SIGNAL), PROG(stopsignal), NOBOUNDS, "TERM",
	                       false, false, CR_LIVE, false },
	[PK_STOPWAITSECS]  = { "stopwaitsecs", T(CV_INT), PROG(stopwaitsecs), SECS, "10", false, false, CR_LIVE, true },
	[PK_STOPASGROUP]   = { "stopasgroup", T(CV_BOOL), PROG(stopasgroup), NOBOUNDS, "false",
	                       false, false, CR_RESTART, false },
	/* default: stopasgroup's value (the builder fills it) */
	[PK_KILLASGROUP]   = { "killasgroup", T(CV_BOOL), PROG(killasgroup), NOBOUNDS, NULL,
	                       false, false, CR_RESTART, false },
	[PK_REDIRECT_STDERR] = { "redirect_stderr", T(CV_BOOL), PROG(redirect_stderr), NOBOUNDS, "false", false, false,
	                         CR_RESTART, false },
	[PK_STDOUT_LOGFILE] = { "stdout_logfile", T(CV_LOGFILE), PROC(stdout_log), NOBOUNDS, "AUTO", true, false,
	                        CR_RESTART, false },
	[PK_STDOUT_LOGFILE_MAXBYTES] = { "stdout_logfile_maxbytes", T(CV_SIZE), PROC(stdout_log.maxbytes), SIZE_MAX_,
	                                 "50MB", false, false, CR_LIVE, false },
	[PK_STDOUT_LOGFILE_BACKUPS] = { "stdout_logfile_backups", T(CV_INT), PROC(stdout_log.backups), BOUNDS(0, 1000),
	                                "10", false, false, CR_LIVE, true },
	[PK_STDERR_LOGFILE] = { "stderr_logfile", T(CV_LOGFILE), PROC(stderr_log), NOBOUNDS, "AUTO", true, false,
	                        CR_RESTART, false },
	[PK_STDERR_LOGFILE_MAXBYTES] = { "stderr_logfile_maxbytes", T(CV_SIZE), PROC(stderr_log.maxbytes), SIZE_MAX_,
	                                 "50MB", false, false, CR_LIVE, false },
	[PK_STDERR_LOGFILE_BACKUPS] = { "stderr_logfile_backups", T(CV_INT), PROC(stderr_log.backups), BOUNDS(0, 1000),
	                                "10", false, false, CR_LIVE, true },
	[PK_READY]         = { "ready", T(CV_ENUM), PROG(ready), 0, 0, ready_names, "startsecs",
	                       false, false, CR_RESTART, false },
	[PK_HEARTBEAT_TIMEOUT] = { "heartbeat_timeout", T(CV_INT), PROG(heartbeat_timeout), SECS, "0", false, false,
	                           CR_LIVE, false },
	[PK_BACKOFF]       = { "backoff", T(CV_ENUM), PROG(backoff), 0, 0, backoff_names, "linear",
	                       false, false, CR_LIVE, false },
	[PK_BACKOFF_INITIAL] = { "backoff_initial", T(CV_INT), PROG(backoff_initial), BOUNDS(1, CONFIG_SECONDS_MAX), "1",
	                         false, false, CR_LIVE, false },
	[PK_BACKOFF_MAX]   = { "backoff_max", T(CV_INT), PROG(backoff_max), BOUNDS(1, CONFIG_SECONDS_MAX), "60", false,
	                       false, CR_LIVE, false },
	[PK_BACKOFF_RESET] = { "backoff_reset", T(CV_INT), PROG(backoff_reset), SECS, "0",
	                       false, false, CR_LIVE, false },
	[PK_FATAL_RETRY]   = { "fatal_retry", T(CV_INT), PROG(fatal_retry), SECS, "0", false, false, CR_LIVE, false },
	[PK_KILLTREE]      = { "killtree", T(CV_BOOL), PROG(killtree), NOBOUNDS, "true",
	                       false, false, CR_RESTART, false },
	[PK_DEPENDS_ON]    = { "depends_on", T(CV_NAMES), PROG(depends_on), NOBOUNDS, NULL,
	                       false, false, CR_LIVE, false },
	[PK_RESTART_WITH_DEPENDENCY] = { "restart_with_dependency", T(CV_BOOL), PROG(restart_with_dependency), NOBOUNDS,
	                                 "false", false, false, CR_LIVE, false },
	[PK_ENVIRONMENT_FILE] = { "environment_file", T(CV_PATH_LIST), PROG(environment_file), NOBOUNDS, NULL, false,
	                          false, CR_RESTART, false },
	[PK_GROUP]         = { "group", T(CV_STRING), PROG(group), NOBOUNDS, NULL, false, true, CR_RESTART, false },
	[PK_GROUP_PRIORITY] = { "group_priority", T(CV_INT), PROG(group_priority), NOBOUNDS, NULL,
	                       false, true, CR_LIVE, false },
};

/* [supervisord] is applied before [drover]: a key of both that shares a field ([drover] log_dir
 * and [supervisord] childlogdir, pidfile, user) takes [drover]'s value when both set it. */
const struct config_key daemon_keys[DK_MAX] = {
	[DK_NAME]         = { "name", T(CV_INSTANCE), DMN(name), NOBOUNDS, "drover", false, false, CR_FIXED, false },
	[DK_LOG_DIR]      = { "log_dir", T(CV_DIR), DMN(log_dir), NOBOUNDS, "/var/log/drover",
	                       false, false, CR_MERGED, false },
	[DK_RUN_DIR]      = { "run_dir", T(CV_DIR), DMN(run_dir), NOBOUNDS, "/run/drover",
	                       false, false, CR_STARTUP, false },
	[DK_CONTROL_MODE] = { "control_mode", T(CV_MODE), DMN(control_mode), BOUNDS(0, 0777), "0600",
	                       false, false, CR_LIVE, false },
	[DK_CONTROL_GROUP] = { "control_group", T(CV_UNIX_GROUP), DMN(control_group), NOBOUNDS, NULL, false, false,
	                       CR_LIVE, false },
	[DK_INCLUDE]      = { "include", T(CV_GLOBS), CT_NONE, 0, NOBOUNDS, NULL, false, false, CR_MERGED, false },
	[DK_SUBREAPER]    = { "subreaper", T(CV_BOOL), DMN(subreaper), NOBOUNDS, "true", false, false, CR_LIVE, false },
	[DK_PIDFILE]      = { "pidfile", T(CV_PATH), DMN(pidfile), NOBOUNDS, NULL, false, false, CR_STARTUP, false },
	[DK_USER]         = { "user", T(CV_STRING), DMN(user), NOBOUNDS, NULL, false, false, CR_STARTUP, false },
	[DK_SV_CHILDLOGDIR] = { "childlogdir", T(CV_DIR), DMN(log_dir), NOBOUNDS, NULL,
	                       false, false, CR_MERGED, false },
	[DK_SV_ENVIRONMENT] = { "environment", T(CV_ENV), DMN(environment), NOBOUNDS, NULL,
	                       false, false, CR_MERGED, false },
	[DK_SV_UMASK]     = { "umask", T(CV_OCTAL), DMN(umask), BOUNDS(0, 0777), NULL, false, false, CR_MERGED, false },
	[DK_SV_MINFDS]    = { "minfds", T(CV_LONG), DMN(minfds), BOUNDS(0, 1 << 20), NULL,
	                       false, false, CR_STARTUP, false },
	[DK_SV_MINPROCS]  = { "minprocs", T(CV_LONG), DMN(minprocs), BOUNDS(0, 1 << 22), NULL,
	                       false, false, CR_STARTUP, false },
	[DK_SV_PIDFILE]   = { "pidfile", T(CV_PATH), DMN(pidfile), NOBOUNDS, NULL, false, false, CR_STARTUP, false },
	[DK_SV_USER]      = { "user", T(CV_STRING), DMN(user), NOBOUNDS, NULL, false, false, CR_STARTUP, false },
};

const struct config_key group_keys[GK_MAX] = {
	[GK_PROGRAMS] = { "programs", T(CV_NAMES), CT_NONE, offsetof(struct conf_group, programs), NOBOUNDS, NULL, false,
	                  false, CR_IDENTITY, false },
	[GK_PRIORITY] = { "priority", T(CV_INT), CT_NONE, offsetof(struct conf_group, priority), BOUNDS(-1000000, 1000000),
	                  "999", false, false, CR_LIVE, false },
};

bool daemon_key_is_drover(enum daemon_key k)
{
	return k < DK_SV_CHILDLOGDIR;
}

int program_key_lookup(const char *name)
{
	for (size_t i = 0; i < PK_MAX; i++)
		if (!program_keys[i].derived && strcmp(program_keys[i].name, name) == 0)
			return (int) i;
	return -1;
}

int daemon_key_lookup(const char *name, bool drover)
{
	for (size_t i = 0; i < DK_MAX; i++)
		if (daemon_key_is_drover((enum daemon_key) i) == drover && strcmp(daemon_keys[i].name, name) == 0)
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


static const char *const supervisord_program_only[] = {
	"serverurl", "stdout_capture_maxbytes", "stderr_capture_maxbytes", "stdout_events_enabled",
	"stderr_events_enabled", "stdout_syslog", "stderr_syslog", NULL,
};

static const char *const supervisord_only[] = {
	"logfile", "logfile_maxbytes", "logfile_backups", "loglevel", "nodaemon", "silent",
	"directory", "identifier", "nocleanup", "strip_ansi", NULL,
};

bool supervisord_key_known(const char *name)
{
	return in_list(supervisord_only, name);
}

bool program_key_supervisord_only(const char *name)
{
	return in_list(supervisord_program_only, name);
}

/* Offer every key of that section to CB. */
static void each_key(enum config_keys_of which, void (*cb)(void *, const char *), void *ctx)
{
	bool any = which == CONF_KEYS_ANY;
	if (any || which == CONF_KEYS_PROGRAM) {
		for (size_t i = 0; i < PK_MAX; i++)
			if (!program_keys[i].derived)
				cb(ctx, program_keys[i].name);
		for (size_t i = 0; supervisord_program_only[i]; i++)
			cb(ctx, supervisord_program_only[i]);
	}
	if (any || which == CONF_KEYS_GROUP)
		for (size_t i = 0; i < GK_MAX; i++)
			cb(ctx, group_keys[i].name);
	if (any || which == CONF_KEYS_DROVER || which == CONF_KEYS_SUPERVISORD)
		for (size_t i = 0; i < DK_MAX; i++)
			if (any || daemon_key_is_drover((enum daemon_key) i) == (which == CONF_KEYS_DROVER))
				cb(ctx, daemon_keys[i].name);
	if (any || which == CONF_KEYS_SUPERVISORD)
		for (size_t i = 0; supervisord_only[i]; i++)
			cb(ctx, supervisord_only[i]);
	if (any || which == CONF_KEYS_INCLUDE)
		cb(ctx, "files");
}

struct known_ctx {
	const char *name;
	bool found;
};

static void known_cb(void *ctx, const char *key)
{
	struct known_ctx *k = ctx;
	k->found |= strcmp(k->name, key) == 0;
}

bool config_key_known(enum config_keys_of which, const char *name)
{
	struct known_ctx k = { name, false };
	each_key(which, known_cb, &k);
	return k.found;
}

static void suggest_cb(void *ctx, const char *key)
{
	suggest_offer(ctx, key);
}

const char *config_key_suggest(enum config_keys_of which, const char *name, char *buf, size_t size)
{
	struct suggest sg;
	suggest_init(&sg, name);
	each_key(which, suggest_cb, &sg);
	const char *best = suggest_result(&sg);
	if (!best || size == 0)
		return NULL;
	snprintf(buf, size, "%s", best);
	return buf;
}

const char *config_reload_to_string(enum config_reload r)
{
	static const char *const t[CR_MAX] = { "restart", "live", "identity", "startup", "fixed", "merged" };
	return r >= 0 && r < CR_MAX ? t[r] : "?";
}
