/* droverctl instance resolution: -n, else -c FILE's [drover] name, else $DROVER_NAME, else "drover". */
#include "cmd.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

static char *trim(char *s)
{
	while (isspace((unsigned char) *s))
		s++;
	size_t n = strlen(s);
	while (n > 0 && isspace((unsigned char) s[n - 1]))
		s[--n] = '\0';
	return s;
}

/* A minimal scan, not a config parser (droverd -t is that): sections, comments (';' or '#'
 * at the start of a line, ';' after whitespace inline, as inih), and the last "name" key of
 * [drover]. Includes and %(...)s expansions are not followed. */
int instance_from_config(const char *path, char *ret, size_t size)
{
	FILE *f = fopen(path, "re");
	char *line = NULL, found[64] = "drover";
	size_t cap = 0;
	bool in_drover = false;
	int r = 0;

	if (!f)
		return -errno;
	errno = 0;
	while (getline(&line, &cap, f) >= 0) {
		char *s = trim(line);
		if (*s == ';' || *s == '#' || *s == '\0')
			continue;
		if (*s == '[') {
			char *end = strchr(s, ']');
			if (end) {
				*end = '\0';
				in_drover = strcmp(trim(s + 1), "drover") == 0;
			}
			continue;
		}
		if (!in_drover)
			continue;
		char *eq = strpbrk(s, "=:");
		if (!eq)
			continue;
		*eq = '\0';
		if (strcmp(trim(s), "name") != 0)
			continue;
		char *v = eq + 1;
		for (char *c = v; *c; c++)
			if (*c == ';' && c > v && isspace((unsigned char) c[-1])) {
				*c = '\0';
				break;
			}
		v = trim(v);
		if (!*v) {
			r = -EINVAL;
			break;
		}
		if (strcpy_bounded(found, sizeof(found), v) < 0) {
			/* Too long to be valid: keep it invalid for the caller's check. */
			found[sizeof(found) - 2] = '!';
		}
	}
	if (r == 0 && ferror(f))
		r = errno ? -errno : -EIO;
	free(line);
	(void) fclose(f);
	if (r < 0)
		return r;
	if (strcpy_bounded(ret, size, found) < 0)
		return -ENAMETOOLONG;
	return 0;
}

int instance_resolve(struct ctl_ctx *ctx, const char *opt_name, const char *opt_config)
{
	char name[64];
	const char *from;

	if (opt_name) {
		from = "-n";
		if (strcpy_bounded(name, sizeof(name), opt_name) < 0)
			name[sizeof(name) - 2] = '!';
	} else if (opt_config) {
		int r = instance_from_config(opt_config, name, sizeof(name));
		if (r == -EINVAL) {
			ctl_errorx(ctx, "%s: [drover] name is empty", opt_config);
			return CTL_EXIT_USAGE;
		}
		if (r < 0) {
			ctl_errorx(ctx, "cannot read %s: %s", opt_config, strerror(-r));
			return CTL_EXIT_USAGE;
		}
		from = opt_config;
	} else {
		const char *env = getenv("DROVER_NAME");
		if (env && *env) {
			from = "$DROVER_NAME";
			if (strcpy_bounded(name, sizeof(name), env) < 0)
				name[sizeof(name) - 2] = '!';
		} else {
			from = "default";
			snprintf(name, sizeof(name), "drover");
		}
	}
	if (!instance_name_valid(name)) {
		char esc[256];
		escape_line(esc, sizeof(esc), name);
		ctl_errorx(ctx, "invalid instance name '%s' (from %s): [A-Za-z0-9_-]{1,32}", esc, from);
		return CTL_EXIT_USAGE;
	}
	(void) strcpy_bounded(ctx->instance, sizeof(ctx->instance), name);   /* <= 32: validated */
	return 0;
}
