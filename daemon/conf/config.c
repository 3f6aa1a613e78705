/* The config object: the small questions other modules ask of it, and -t's report. Reading is
 * config-read.c, building config-build.c, comparing config-compare.c, freeing and copying
 * config-memory.c. */
#include "conf/config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "util.h"

int config_check_print(const char *path, const struct drover_config *c, const struct config_diag *d, bool strict)
{
	size_t nw = strv_length(d->warnings), ne = strv_length(d->errors);
	for (char **w = d->warnings; w && *w; w++)
		fprintf(stderr, "warning: %s\n", *w);
	for (char **e = d->errors; e && *e; e++)
		fprintf(stderr, "error: %s\n", *e);
	if (!c) {
		printf("%s: %zu error%s, %zu warning%s\n", path, ne, ne == 1 ? "" : "s", nw, nw == 1 ? "" : "s");
		return 1;
	}
	if (strict && nw) {
		printf("%s: %zu warning%s (--strict: warnings fail)\n", path, nw, nw == 1 ? "" : "s");
		return 1;
	}
	printf("%s: ok (%zu program%s%s", path, c->nprograms, c->nprograms == 1 ? "" : "s", nw ? ", " : ")\n");
	if (nw)
		printf("%zu warning%s)\n", nw, nw == 1 ? "" : "s");
	return 0;
}

void config_diag_clear(struct config_diag *d)
{
	if (!d)
		return;
	d->errors = strv_free(d->errors);
	d->warnings = strv_free(d->warnings);
}

bool program_exitcode_expected(const struct program_config *p, int code)
{
	if (code < 0 || code > 255)
		return false;
	return p->exitcodes[code / 8] & (1u << (code % 8));
}

bool program_exit_shuts_down(const struct program_config *p, int wstatus)
{
	switch (p->shutdown_on) {
	case SHUTDOWN_ON_EXIT:
		return true;
	case SHUTDOWN_ON_UNEXPECTED:
		return !WIFEXITED(wstatus) || !program_exitcode_expected(p, WEXITSTATUS(wstatus));
	default:
		return false;
	}
}

int wstatus_exit_code(int wstatus)
{
	if (WIFEXITED(wstatus))
		return WEXITSTATUS(wstatus);
	if (WIFSIGNALED(wstatus))
		return 128 + WTERMSIG(wstatus);   /* what a shell reports for a signal's death */
	return 1;
}

const char *program_kind_to_string(enum program_kind k)
{
	static const char *const t[PROGRAM_KIND_MAX] = { "program", "eventlistener", "fcgi-program" };
	return k >= 0 && k < PROGRAM_KIND_MAX ? t[k] : "?";
}

const char *autorestart_to_string(enum autorestart a)
{
	static const char *const t[AUTORESTART_MAX] = { "false", "unexpected", "true" };
	return a >= 0 && a < AUTORESTART_MAX ? t[a] : "?";
}

const char *check_kind_to_string(enum check_kind k, bool ready)
{
	static const char *const t[CHECK_MAX] = { "none", "scoreboard", "notify", "tcp", "http", "exec", "log" };
	if (k == CHECK_NONE && ready)
		return "startsecs";
	return k >= 0 && k < CHECK_MAX ? t[k] : "?";
}

const char *health_action_to_string(enum health_action a)
{
	static const char *const t[HEALTH_ACTION_MAX] = { "restart", "log" };
	return a >= 0 && a < HEALTH_ACTION_MAX ? t[a] : "?";
}

bool program_depends_completed(const struct program_config *p, const char *name)
{
	for (char **d = p->depends_completed; d && *d; d++)
		if (strcmp(*d, name) == 0)
			return true;
	return false;
}

const char *backoff_mode_to_string(enum backoff_mode m)
{
	static const char *const t[BACKOFF_MAX] = { "linear", "exponential" };
	return m >= 0 && m < BACKOFF_MAX ? t[m] : "?";
}

const char *logfile_kind_to_string(enum logfile_kind k)
{
	static const char *const t[LOGFILE_MAX] = { "AUTO", "NONE", "path" };
	return k >= 0 && k < LOGFILE_MAX ? t[k] : "?";
}
