/* droverctl instance resolution: -n, else -c FILE's [drover] name, else $DROVER_NAME, else "drover";
 * and the instances that run (for "not running"). */
#include "cmd.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "conf/config.h"
#include "util.h"

/* -c FILE: the name droverd takes from FILE, read by droverd's own config reader (comments, key
 * case, includes, expansions as droverd sees them). Errors elsewhere in FILE do not matter here. */
static int name_from_config(struct ctl_ctx *ctx, const char *path, char *name, size_t size)
{
	struct config_diag diag = { 0 };
	int r = config_instance_name(path, name, size, &diag);
	if (r < 0) {
		size_t n = 0;
		for (char **e = diag.errors; r == -EINVAL && e && *e; e++, n++)
			ctl_errorx(ctx, "%s", *e);
		if (n == 0)
			ctl_errorx(ctx, "cannot read %s: %s", path, strerror(-r));
	}
	config_diag_clear(&diag);
	return r < 0 ? CTL_EXIT_USAGE : 0;
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
		int r = name_from_config(ctx, opt_config, name, sizeof(name));
		if (r)
			return r;
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

/* Is the instance lock at PATH held? droverd holds an flock() on /dev/shm/NAME.lock while it
 * runs, and /proc/locks lists held flocks by device and inode. Read, never taken: trying the
 * lock ourselves could make a droverd starting at that moment believe another one runs. When
 * /proc/locks cannot be read, the object is taken for a running droverd. */
static bool lock_held(const char *path)
{
	char want[64], *line = NULL;
	size_t cap = 0;
	struct stat st;
	bool held = false;
	FILE *f;

	if (stat(path, &st) < 0)
		return false;
	f = fopen("/proc/locks", "re");
	if (!f)
		return true;
	snprintf(want, sizeof(want), "%02x:%02x:%lu", major(st.st_dev), minor(st.st_dev), (unsigned long) st.st_ino);
	while (!held && getline(&line, &cap, f) > 0) {
		/* "1: FLOCK  ADVISORY  WRITE 1234 00:1a:5678 0 EOF" ("->" marks a waiter) */
		char kind[16], dev[64];
		if (strstr(line, "->"))
			continue;
		if (sscanf(line, "%*s %15s %*s %*s %*s %63s", kind, dev) == 2 && strcmp(kind, "FLOCK") == 0)
			held = strcmp(dev, want) == 0;
	}
	free(line);
	fclose(f);
	return held;
}

size_t instances_running(char *out, size_t size, const char *except)
{
	DIR *d = opendir("/dev/shm");
	struct dirent *e;
	size_t n = 0, len = 0;

	if (size)
		out[0] = '\0';
	if (!d)
		return 0;
	while ((e = readdir(d))) {
		char name[64], path[PATH_MAX];
		size_t l = strlen(e->d_name);
		if (l <= 5 || l - 5 >= sizeof(name) || strcmp(e->d_name + l - 5, ".lock") != 0)
			continue;
		memcpy(name, e->d_name, l - 5);
		name[l - 5] = '\0';
		snprintf(path, sizeof(path), "/dev/shm/%s", e->d_name);
		if (!instance_name_valid(name) || strcmp(name, except) == 0 || !lock_held(path))
			continue;
		int w = snprintf(out + len, size - len, "%s%s", n ? ", " : "", name);
		if (w > 0 && (size_t) w < size - len)
			len += (size_t) w;
		n++;
	}
	closedir(d);
	return n;
}
