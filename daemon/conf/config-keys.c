/* The key tables as data ({name, parse, type, offset, reload}: one entry parses and stores a key,
 * and says what a change of it does) and the value types: how each parses supervisord's value
 * syntax, compares and frees what it stores. */
#include "conf/config-keys.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <grp.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf/config.h"
#include "conf/event-types.h"
#include "conf/suggest.h"
#include "util.h"

static const char *const backoff_names[] = { "linear", "exponential", NULL };
static const char *const health_action_names[] = { "restart", "log", NULL };
static const char *const shutdown_on_names[] = { "never", "fatal", "exit", "unexpected", NULL };
static const char *const kind_names[] = { "program", "eventlistener", "fcgi-program", NULL };
static const char *const timestamps_names[] = { "none", "local", "utc", NULL };

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

/* depends_on: program names, each optionally NAME:completed (a one-shot program that must have
 * exited with an expected code); the bare names go to depends_on, the completed ones also to
 * depends_completed. */
static int parse_depends(const struct config_key *k, const char *v, const struct config_value_ctx *ctx, void *base,
                         char **ret_error)
{
	struct program_config *p = base;
	char **items = config_split_list(v, ", \t\n"), **names = NULL, **completed = NULL;
	for (char **n = items; n && *n; n++) {
		char *colon = strchr(*n, ':');
		if (colon) {
			if (strcmp(colon + 1, "completed") != 0) {
				*ret_error = xasprintf("'%s': the only suffix is ':completed' (NAME:completed waits for a one-shot "
				                       "program to exit with an expected code)", config_quote(*n));
				goto fail;
			}
			*colon = '\0';
		}
		const char *why = config_name_invalid(*n);
		if (why) {
			*ret_error = xasprintf("program name '%s' %s", config_quote(*n), why);
			goto fail;
		}
		strv_push(&names, xstrdup(*n));
		if (colon)
			strv_push(&completed, xstrdup(*n));
	}
	strv_free(items);
	strv_free(p->depends_on);
	strv_free(p->depends_completed);
	p->depends_on = names;
	p->depends_completed = completed;
	return 0;
fail:
	strv_free(items);
	strv_free(names);
	strv_free(completed);
	return -EINVAL;
}

/* A probe's host: a numeric address (a name would need DNS, which blocks); "localhost" is 127.0.0.1. */
static int check_host(const char *h, size_t n, char **ret, char **ret_error)
{
	char buf[64];
	unsigned char addr[16];
	if (n == 0 || n >= sizeof(buf)) {
		*ret_error = xstrdup("the host is empty or too long");
		return -EINVAL;
	}
	memcpy(buf, h, n);
	buf[n] = '\0';
	if (strcasecmp(buf, "localhost") == 0) {
		*ret = xstrdup("127.0.0.1");
		return 0;
	}
	if (inet_pton(AF_INET, buf, addr) != 1 && inet_pton(AF_INET6, buf, addr) != 1) {
		*ret_error = xasprintf("host '%s' is not a numeric IPv4 or IPv6 address (or localhost): a probe never "
		                       "resolves names, which would block droverd", config_quote(buf));
		return -EINVAL;
	}
	*ret = xstrdup(buf);
	return 0;
}

/* "[::1]:80", "127.0.0.1:6379", "localhost" (then port def, 0 = required): host and port. The
 * host part ends at the last ':' outside brackets; *ret_rest is what follows the port. */
static int check_host_port(const char *s, int def, const char *stop, struct check_config *c, const char **ret_rest,
                           char **ret_error)
{
	const char *h = s, *he, *p;
	if (*s == '[') {
		he = strchr(s, ']');
		if (!he) {
			*ret_error = xstrdup("'[' without ']' around an IPv6 address");
			return -EINVAL;
		}
		h = s + 1;
		p = he + 1;
	} else {
		he = s + strcspn(s, stop);
		/* tcp:HOST:PORT with an IPv6 host in brackets only: a bare IPv6 address has colons */
		p = he;
	}
	int r = check_host(h, (size_t) (he - h), &c->host, ret_error);
	if (r < 0)
		return r;
	const char *rest = p;
	if (*p == ':') {
		int64_t port;
		size_t n = strspn(p + 1, "0123456789");
		char num[8];
		if (n == 0 || n >= sizeof(num)) {
			*ret_error = xasprintf("'%s': the port is not a number", config_quote(p + 1));
			return -EINVAL;
		}
		memcpy(num, p + 1, n);
		num[n] = '\0';
		if (parse_int64(num, 1, 65535, &port) < 0) {
			*ret_error = xasprintf("port %s is out of range (1..65535)", num);
			return -ERANGE;
		}
		c->port = (int) port;
		rest = p + 1 + n;
	} else if (def) {
		c->port = def;
	} else {
		*ret_error = xstrdup("a port is required (tcp:HOST:PORT)");
		return -EINVAL;
	}
	*ret_rest = rest;
	return 0;
}

static void check_clear(struct check_config *c)
{
	free(c->spec);
	free(c->host);
	free(c->path);
	free(c->command);
	free(c->regex);
	memset(c, 0, sizeof(*c));
}

/* ready = / health = : what the check is and where it looks. */
static int parse_check_into(bool ready, const char *v, struct check_config *c, char **ret_error)
{
	const char *rest;
	int r = 0;
	if ((ready && strcasecmp(v, "startsecs") == 0) || (!ready && (!*v || strcasecmp(v, "none") == 0)))
		c->kind = CHECK_NONE;
	else if (strcasecmp(v, "scoreboard") == 0)
		c->kind = CHECK_SCOREBOARD;
	else if (strcasecmp(v, "notify") == 0)
		c->kind = CHECK_NOTIFY;
	else if (strncasecmp(v, "tcp:", 4) == 0) {
		c->kind = CHECK_TCP;
		r = check_host_port(v + 4, 0, ":", c, &rest, ret_error);
		if (r == 0 && *rest) {
			*ret_error = xasprintf("'%s' after the port", config_quote(rest));
			r = -EINVAL;
		}
	} else if (strncasecmp(v, "http://", 7) == 0) {
		c->kind = CHECK_HTTP;
		r = check_host_port(v + 7, 80, ":/", c, &rest, ret_error);
		if (r == 0 && *rest && *rest != '/') {
			*ret_error = xasprintf("'%s': the path must start with '/'", config_quote(rest));
			r = -EINVAL;
		}
		for (const char *q = rest; r == 0 && *q; q++)
			if ((unsigned char) *q <= ' ' || *q == 0x7f) {
				*ret_error = xstrdup("the path may contain no blanks or control characters (percent-encode them)");
				r = -EINVAL;
			}
		if (r == 0)
			c->path = xstrdup(*rest ? rest : "/");
	} else if (strncasecmp(v, "https://", 8) == 0) {
		*ret_error = xstrdup("https is not probed (probe a plain-HTTP port, or use exec:curl -fsS https://...)");
		r = -EINVAL;
	} else if (strncasecmp(v, "exec:", 5) == 0) {
		c->kind = CHECK_EXEC;
		if (!v[5 + strspn(v + 5, " \t")]) {
			*ret_error = xstrdup("exec: needs a command");
			r = -EINVAL;
		} else
			c->command = xstrdup(v + 5);
	} else if (strncasecmp(v, "log:", 4) == 0 && ready) {
		regex_t re;
		c->kind = CHECK_LOG;
		int e = v[4] ? regcomp(&re, v + 4, REG_EXTENDED | REG_NOSUB) : REG_BADPAT;
		if (e != 0) {
			char why[128] = "empty";
			if (v[4])
				regerror(e, &re, why, sizeof(why));
			*ret_error = xasprintf("log: '%s' is not a regular expression: %s", config_quote(v + 4), why);
			r = -EINVAL;
		} else {
			regfree(&re);
			c->regex = xstrdup(v + 4);
		}
	} else {
		*ret_error = xasprintf("'%s' is not one of %s", config_quote(v),
		                       ready ? "startsecs, scoreboard, notify, tcp:HOST:PORT, http://HOST:PORT/PATH, exec:COMMAND, "
		                               "log:REGEX"
		                             : "none, scoreboard, notify, tcp:HOST:PORT, http://HOST:PORT/PATH, exec:COMMAND");
		r = -EINVAL;
	}
	if (r == 0 && c->kind != CHECK_NONE)
		c->spec = xstrdup(v);
	return r;
}

static int parse_check(const struct config_key *k, const char *v, const struct config_value_ctx *ctx, void *base,
                       char **ret_error)
{
	struct check_config c = { 0 };
	int r = parse_check_into(strcmp(k->name, "ready") == 0, v, &c, ret_error);
	if (r < 0) {
		check_clear(&c);
		return r;
	}
	struct check_config *dst = FIELD(k, base, struct check_config);
	check_clear(dst);
	*dst = c;
	return 0;
}

/* "0.5" seconds -> 500: a number with up to three decimals. */
static int parse_msec(const struct config_key *k, const char *v, const struct config_value_ctx *ctx, void *base,
                      char **ret_error)
{
	const char *dot = strchr(v, '.');
	size_t ni = dot ? (size_t) (dot - v) : strlen(v), nf = dot ? strlen(dot + 1) : 0;
	char ip[24];
	int64_t secs = 0, frac = 0;
	if (ni >= sizeof(ip) || nf > 3 || (dot && nf == 0) || (ni == 0 && !dot) ||
	    strspn(v, "0123456789") != ni || (dot && strspn(dot + 1, "0123456789") != nf))
		return bad(ret_error, -EINVAL, v, "is not a number of seconds (such as 2 or 0.5)");
	memcpy(ip, v, ni);
	ip[ni] = '\0';
	if (ni && parse_int64(ip, 0, INT32_MAX / 1000, &secs) < 0)
		secs = INT32_MAX;
	for (size_t i = 0; i < 3; i++)
		frac = frac * 10 + (i < nf ? dot[1 + i] - '0' : 0);
	int64_t ms = secs * 1000 + frac;
	if (ms < k->min || ms > k->max) {
		char range[64];
		snprintf(range, sizeof(range), "%lld.%03lld..%lld s", (long long) (k->min / 1000), (long long) (k->min % 1000),
		         (long long) (k->max / 1000));
		return out_of_range(ret_error, v, range);
	}
	*FIELD(k, base, int) = (int) ms;
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

/* events: supervisord's list_of_strings (commas, each item stripped), each a type or supertype. */
static int parse_events(const struct config_key *k, const char *v, const struct config_value_ctx *ctx, void *base,
                        char **ret_error)
{
	char **items = config_split_list(v, ",");
	uint32_t mask = 0;
	int r = 0;
	for (char **i = items; i && *i && r == 0; i++) {
		uint32_t m = event_type_lookup(*i);
		if (!m) {
			*ret_error = xasprintf("unknown event type '%s'", config_quote(*i));
			r = -EINVAL;
		}
		mask |= m;
	}
	if (r == 0 && !items) {
		*ret_error = xstrdup("names no event type (PROCESS_STATE, TICK_60, ...)");
		r = -ENODATA;
	}
	strv_free(items);
	if (r == 0)
		*FIELD(k, base, uint32_t) = mask;
	return r;
}

/* supervisord's fcgi socket forms: tcp://HOST:PORT (HOST without blanks or ':') or
 * unix:///ABSOLUTE-PATH. */
static int parse_socket(const struct config_key *k, const char *v, const struct config_value_ctx *ctx, void *base,
                        char **ret_error)
{
	if (strncmp(v, "unix://", 7) == 0) {
		if (v[7] != '/')
			return bad(ret_error, -EINVAL, v, "is not unix:///ABSOLUTE-PATH");
		if (strlen(v + 7) >= 108)   /* sun_path */
			return bad(ret_error, -ENAMETOOLONG, v, "names a path longer than a unix socket's (107 bytes)");
	} else if (strncmp(v, "tcp://", 6) == 0) {
		const char *host = v + 6, *colon = strrchr(host, ':');
		int64_t port;
		if (!colon || colon == host || strcspn(host, " \t:") != (size_t) (colon - host) ||
		    config_value_int(colon + 1, 1, 65535, &port) < 0 || colon[1] == '+' || colon[1] == '-')
			return bad(ret_error, -EINVAL, v, "is not tcp://HOST:PORT (PORT 1..65535)");
	} else {
		return bad(ret_error, -EINVAL, v, "is not tcp://HOST:PORT or unix:///PATH");
	}
	return parse_string(k, v, ctx, base, ret_error);
}

/* socket_owner: USER or USER:GROUP (resolved when the socket is made). */
static int parse_owner(const struct config_key *k, const char *v, const struct config_value_ctx *ctx, void *base,
                       char **ret_error)
{
	const char *colon = strchr(v, ':');
	if (!*v || colon == v || (colon && (!colon[1] || strchr(colon + 1, ':'))))
		return bad(ret_error, -EINVAL, v, "is not USER or USER:GROUP");
	return parse_string(k, v, ctx, base, ret_error);
}

struct value_type {
	config_parse_fn parse;
	size_t size;                    /* of the field */
	enum { VT_SCALAR, VT_STRING, VT_STRV, VT_LOGFILE, VT_CHECK, VT_NONE } storage;
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
	[CV_CHECK]       = { parse_check, sizeof(struct check_config), VT_CHECK },
	[CV_MSEC]        = { parse_msec, sizeof(int), VT_SCALAR },
	[CV_INSTANCE]    = { parse_instance, sizeof(char *), VT_STRING },
	[CV_UNIX_GROUP]  = { parse_unix_group, sizeof(char *), VT_STRING },
	[CV_EVENTS]      = { parse_events, sizeof(uint32_t), VT_SCALAR },
	[CV_SOCKET]      = { parse_socket, sizeof(char *), VT_STRING },
	[CV_OWNER]       = { parse_owner, sizeof(char *), VT_STRING },
	[CV_ARGV]        = { NULL, sizeof(char **), VT_STRV },
	[CV_PROC_NAME]   = { NULL, sizeof(char *), VT_STRING },
	[CV_ENV]         = { NULL, sizeof(char **), VT_STRV },
	[CV_LOGFILE]     = { NULL, sizeof(struct logfile_config), VT_LOGFILE },
	[CV_GLOBS]       = { NULL, 0, VT_NONE },
};

_Static_assert(sizeof(enum health_action) == sizeof(int) && sizeof(enum backoff_mode) == sizeof(int) &&
               sizeof(enum shutdown_on) == sizeof(int) && sizeof(enum program_kind) == sizeof(int) &&
               sizeof(enum log_timestamps) == sizeof(int),
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
	case VT_CHECK: {
		/* the spec as written says it all (host, port, path, command and regex come from it) */
		const struct check_config *x = a, *y = b;
		return x->kind == y->kind && streq_ptr(x->spec, y->spec);
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
	case VT_CHECK:
		check_clear(f);
		break;
	case VT_SCALAR:
	case VT_NONE:
		break;
	}
}

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

void config_key_unshare(const struct config_key *k, void *base)
{
	void *f = config_key_field(k, base);
	switch (types[k->type].storage) {
	case VT_STRING: {
		char **s = f;
		*s = dup_or_null(*s);
		break;
	}
	case VT_STRV: {
		char ***v = f;
		if (*v)                 /* NULL (none) stays NULL: an empty vector compares unequal to it */
			*v = strv_copy(*v);
		break;
	}
	case VT_LOGFILE: {
		struct logfile_config *lc = f;
		lc->path = dup_or_null(lc->path);
		break;
	}
	case VT_CHECK: {
		struct check_config *c = f;
		c->spec = dup_or_null(c->spec);
		c->host = dup_or_null(c->host);
		c->path = dup_or_null(c->path);
		c->command = dup_or_null(c->command);
		c->regex = dup_or_null(c->regex);
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
#define LISTENER     (1u << PROGRAM_LISTENER)
#define FCGI         (1u << PROGRAM_FCGI)

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
	/* Checks apply in place; giving or taking away the NOTIFY_SOCKET (notify_socket) restarts. */
	[PK_READY]         = { "ready", T(CV_CHECK), PROC(ready), NOBOUNDS, "startsecs", true, false, CR_LIVE, false },
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
	[PK_RESPAWN_INTERVAL] = { "respawn_interval", T(CV_INT), PROG(respawn_interval), SECS, "1", false, false,
	                          CR_LIVE, false },
	[PK_KILLTREE]      = { "killtree", T(CV_BOOL), PROG(killtree), NOBOUNDS, "true",
	                       false, false, CR_RESTART, false },
	[PK_DEPENDS_ON]    = { "depends_on", parse_depends, CV_NAMES, PROG(depends_on), NOBOUNDS, NULL,
	                       false, false, CR_LIVE, false },
	[PK_RESTART_WITH_DEPENDENCY] = { "restart_with_dependency", T(CV_BOOL), PROG(restart_with_dependency), NOBOUNDS,
	                                 "false", false, false, CR_LIVE, false },
	[PK_ENVIRONMENT_FILE] = { "environment_file", T(CV_PATH_LIST), PROG(environment_file), NOBOUNDS, NULL, false,
	                          false, CR_RESTART, false },
	[PK_READY_INTERVAL] = { "ready_interval", T(CV_MSEC), PROG(ready_interval_ms), BOUNDS(10, 86400000), "0.5",
	                        false, false, CR_LIVE, false },
	[PK_READY_TIMEOUT] = { "ready_timeout", T(CV_MSEC), PROG(ready_timeout_ms), BOUNDS(10, 86400000), "1",
	                       false, false, CR_LIVE, false },
	[PK_HEALTH]        = { "health", T(CV_CHECK), PROC(health), NOBOUNDS, NULL, true, false, CR_LIVE, false },
	[PK_HEALTH_INTERVAL] = { "health_interval", T(CV_MSEC), PROG(health_interval_ms), BOUNDS(10, 86400000), "10",
	                         false, false, CR_LIVE, false },
	[PK_HEALTH_TIMEOUT] = { "health_timeout", T(CV_MSEC), PROG(health_timeout_ms), BOUNDS(10, 86400000), "3",
	                        false, false, CR_LIVE, false },
	[PK_HEALTH_FAILURES] = { "health_failures", T(CV_INT), PROG(health_failures), BOUNDS(1, 1000), "3",
	                         false, false, CR_LIVE, false },
	[PK_HEALTH_ACTION] = { "health_action", T(CV_ENUM), PROG(health_action), 0, 0, health_action_names, "restart",
	                       false, false, CR_LIVE, false },
	[PK_STDOUT_EVENTS_ENABLED] = { "stdout_events_enabled", T(CV_BOOL), PROG(stdout_events), NOBOUNDS, "false",
	                               false, false, CR_LIVE, false },
	[PK_STDERR_EVENTS_ENABLED] = { "stderr_events_enabled", T(CV_BOOL), PROG(stderr_events), NOBOUNDS, "false",
	                               false, false, CR_LIVE, false },
	[PK_SHUTDOWN_ON]   = { "shutdown_on", T(CV_ENUM), PROG(shutdown_on), 0, 0, shutdown_on_names, "never",
	                       false, false, CR_LIVE, false },
	[PK_LOG_TIMESTAMPS] = { "log_timestamps", T(CV_ENUM), PROG(log_timestamps), 0, 0, timestamps_names, "none",
	                        false, false, CR_LIVE, false },
	[PK_EVENTS]        = { "events", T(CV_EVENTS), PROG(events), NOBOUNDS, NULL, false, false, CR_LIVE, false },
	[PK_BUFFER_SIZE]   = { "buffer_size", T(CV_INT), PROG(buffer_size), BOUNDS(1, 100000), "10", false, false,
	                       CR_LIVE, false },
	[PK_RESULT_HANDLER] = { "result_handler", T(CV_STRING), PROG(result_handler), NOBOUNDS, NULL, false, false,
	                        CR_LIVE, false },
	[PK_SOCKET]        = { "socket", T(CV_SOCKET), PROG(socket), NOBOUNDS, NULL, false, false, CR_RESTART, false },
	[PK_SOCKET_OWNER]  = { "socket_owner", T(CV_OWNER), PROG(socket_owner), NOBOUNDS, NULL, false, false,
	                       CR_RESTART, false },
	/* unset: -1 (the builder's), 0700 for a unix socket */
	[PK_SOCKET_MODE]   = { "socket_mode", T(CV_OCTAL), PROG(socket_mode), BOUNDS(0, 0777), NULL, false, false,
	                       CR_RESTART, false },
	[PK_SOCKET_BACKLOG] = { "socket_backlog", T(CV_INT), PROG(socket_backlog), BOUNDS(1, 65535), NULL, false,
	                        false, CR_RESTART, false },
	[PK_GROUP]         = { "group", T(CV_STRING), PROG(group), NOBOUNDS, NULL, false, true, CR_RESTART, false },
	[PK_GROUP_PRIORITY] = { "group_priority", T(CV_INT), PROG(group_priority), NOBOUNDS, NULL,
	                       false, true, CR_LIVE, false },
	/* The socket's path is in the worker's environment: only a restart can give or take it. */
	[PK_NOTIFY_SOCKET] = { "notify_socket", T(CV_BOOL), PROC(notify_socket), NOBOUNDS, NULL, true, true, CR_RESTART,
	                       false },
	[PK_DEPENDS_COMPLETED] = { "depends_completed", T(CV_NAMES), PROG(depends_completed), NOBOUNDS, NULL,
	                           false, true, CR_LIVE, false },
	[PK_KIND]          = { "kind", T(CV_ENUM), PROG(kind), 0, 0, kind_names, NULL, false, true, CR_RESTART, false },
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
	[DK_SHUTDOWN_WHEN_ALL_EXITED] = { "shutdown_when_all_exited", T(CV_BOOL), DMN(shutdown_when_all_exited), NOBOUNDS,
	                                  "false", false, false, CR_LIVE, false },
	[DK_METRICS_FILE] = { "metrics_file", T(CV_PATH), DMN(metrics_file), NOBOUNDS, NULL, false, false, CR_LIVE, false },
	[DK_METRICS_INTERVAL] = { "metrics_interval", T(CV_INT), DMN(metrics_interval), BOUNDS(1, 3600), "15",
	                          false, false, CR_LIVE, false },
	[DK_LOG_TIMESTAMPS] = { "log_timestamps", T(CV_ENUM), DMN(log_timestamps), 0, 0, timestamps_names, "local",
	                        false, false, CR_LIVE, false },
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
	[DK_SV_IDENTIFIER] = { "identifier", T(CV_STRING), DMN(identifier), NOBOUNDS, "supervisor", false, false,
	                       CR_LIVE, false },
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

/* The section types that have a program key, when not all of them (bits of enum program_kind). */
static const unsigned program_key_kinds[PK_MAX] = {
	[PK_EVENTS] = LISTENER, [PK_BUFFER_SIZE] = LISTENER, [PK_RESULT_HANDLER] = LISTENER,
	[PK_SOCKET] = FCGI, [PK_SOCKET_OWNER] = FCGI, [PK_SOCKET_MODE] = FCGI, [PK_SOCKET_BACKLOG] = FCGI,
};

bool program_key_applies(enum program_key k, int kind)
{
	return !program_key_kinds[k] || (program_key_kinds[k] & (1u << kind));
}

enum config_keys_of config_keys_of_program(int kind)
{
	return kind == PROGRAM_LISTENER ? CONF_KEYS_LISTENER : kind == PROGRAM_FCGI ? CONF_KEYS_FCGI : CONF_KEYS_PROGRAM;
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
	"serverurl", "stdout_capture_maxbytes", "stderr_capture_maxbytes", "stdout_syslog", "stderr_syslog", NULL,
};

static const char *const supervisord_only[] = {
	"logfile", "logfile_maxbytes", "logfile_backups", "loglevel", "nodaemon", "silent",
	"directory", "nocleanup", "strip_ansi", NULL,
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
	if (any || which == CONF_KEYS_PROGRAM || which == CONF_KEYS_LISTENER || which == CONF_KEYS_FCGI) {
		int kind = which == CONF_KEYS_LISTENER ? PROGRAM_LISTENER : which == CONF_KEYS_FCGI ? PROGRAM_FCGI : PROGRAM_PLAIN;
		for (size_t i = 0; i < PK_MAX; i++)
			if (!program_keys[i].derived && (any || program_key_applies((enum program_key) i, kind)))
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
