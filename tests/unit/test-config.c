/* The config parser (daemon/conf/config.c): defaults, value syntax, expansions, includes, supervisord
 * compatibility, and bad inputs, each checked for FILE:LINE, the key and what went wrong. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon/conf/config-compare.h"
#include "daemon/conf/config.h"
#include "util.h"

static char tmpdir[PATH_MAX];

static char *tpath(const char *rel)
{
	return xasprintf("%s/%s", tmpdir, rel);
}

static void write_bytes(const char *rel, const char *buf, size_t len, mode_t mode)
{
	char *p = tpath(rel);
	char *slash = strrchr(p, '/');
	*slash = '\0';
	char *cmd = xasprintf("mkdir -p '%s'", p);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	*slash = '/';
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, buf, len), (ssize_t) len);
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
	free(p);
}

static void write_file(const char *rel, const char *text)
{
	write_bytes(rel, text, strlen(text), 0644);
}

static void dump_diag(const struct config_diag *d)
{
	for (char **e = d->errors; e && *e; e++)
		print_message("  error: %s\n", *e);
	for (char **w = d->warnings; w && *w; w++)
		print_message("  warning: %s\n", *w);
}

/* Parse TEXT as "t.ini" (relative: messages read "t.ini:LINE: ..."). */
static struct drover_config *load_ok_diag(const char *text, struct config_diag *d)
{
	struct drover_config *c = NULL;
	int r = config_load_string(text, "t.ini", &c, d);
	if (r != 0) {
		dump_diag(d);
		fail_msg("config unexpectedly rejected (%d)", r);
	}
	assert_non_null(c);
	assert_null(d->errors);
	return c;
}

static struct drover_config *load_ok(const char *text)
{
	struct config_diag d = { 0 };
	struct drover_config *c = load_ok_diag(text, &d);
	config_diag_clear(&d);
	return c;
}

static size_t count(char **v)
{
	return strv_length(v);
}

/* One error message contains all of the given pieces. */
static bool diag_has(char **msgs, const char *a, const char *b, const char *c)
{
	for (char **e = msgs; e && *e; e++)
		if (strstr(*e, a) && (!b || strstr(*e, b)) && (!c || strstr(*e, c)))
			return true;
	return false;
}

static void check_bad(const struct config_diag *d, int r, const char *where, const char *key, const char *what)
{
	if (r != -EINVAL || !diag_has(d->errors, where, key, what)) {
		dump_diag(d);
		fail_msg("want an error with '%s' '%s' '%s' (r=%d)", where, key ? key : "", what ? what : "", r);
	}
}

static void bad(const char *text, const char *where, const char *key, const char *what)
{
	struct config_diag d = { 0 };
	struct drover_config *c = NULL;
	int r = config_load_string(text, "t.ini", &c, &d);
	if (c)
		fail_msg("accepted: %s", text);
	check_bad(&d, r, where, key, what);
	config_diag_clear(&d);
}

/* TEXT loads, with a warning that contains all of the given pieces. Returns the config. */
static struct drover_config *warns(const char *text, const char *where, const char *key, const char *what)
{
	struct config_diag d = { 0 };
	struct drover_config *c = load_ok_diag(text, &d);
	if (!diag_has(d.warnings, where, key, what)) {
		dump_diag(&d);
		fail_msg("want a warning with '%s' '%s' '%s'", where, key ? key : "", what ? what : "");
	}
	config_diag_clear(&d);
	return c;
}

static void warns_only(const char *text, const char *where, const char *key, const char *what)
{
	config_free(warns(text, where, key, what));
}

/* TEXT loads without any warning. */
static struct drover_config *quiet(const char *text)
{
	struct config_diag d = { 0 };
	struct drover_config *c = load_ok_diag(text, &d);
	if (d.warnings) {
		dump_diag(&d);
		fail_msg("unexpected warnings for: %s", text);
	}
	return c;
}

static void bad_file(const char *rel, const char *where, const char *key, const char *what)
{
	struct config_diag d = { 0 };
	struct drover_config *c = NULL;
	char *p = tpath(rel);
	int r = config_load(p, &c, &d);
	assert_null(c);
	check_bad(&d, r, where, key, what);
	config_diag_clear(&d);
	free(p);
}

static const struct program_config *prog(const struct drover_config *c, const char *name)
{
	for (size_t i = 0; i < c->nprograms; i++)
		if (strcmp(c->programs[i].name, name) == 0)
			return &c->programs[i];
	fail_msg("no program %s", name);
	return NULL;
}

/* ---- defaults and value syntax ---- */

static void test_defaults(void **state)
{
	(void) state;
	struct drover_config *c = load_ok("[program:web]\ncommand = /bin/web --port 80\n");
	assert_string_equal(c->name, "drover");
	assert_string_equal(c->log_dir, "/var/log/drover");
	assert_string_equal(c->run_dir, "/run/drover");
	assert_int_equal(c->control_mode, 0600);
	assert_null(c->control_group);
	assert_true(c->subreaper);
	assert_int_equal(c->umask, -1);
	assert_null(c->environment);
	assert_int_equal(c->nprograms, 1);
	const struct program_config *p = &c->programs[0];
	assert_string_equal(p->name, "web");
	assert_string_equal(p->group, "web");
	assert_string_equal(p->file, "t.ini");
	assert_int_equal(p->line, 1);
	assert_int_equal(p->numprocs, 1);
	assert_int_equal(p->numprocs_start, 0);
	assert_null(p->user);
	assert_int_equal(p->umask, -1);
	assert_int_equal(p->priority, 999);
	assert_int_equal(p->group_priority, 999);
	assert_true(p->autostart);
	assert_int_equal(p->autorestart, AUTORESTART_UNEXPECTED);
	assert_true(program_exitcode_expected(p, 0));
	for (int i = 1; i < 256; i++)
		assert_false(program_exitcode_expected(p, i));
	assert_false(program_exitcode_expected(p, -1));
	assert_false(program_exitcode_expected(p, 256));
	assert_int_equal(p->startsecs, 1);
	assert_int_equal(p->startretries, 3);
	assert_int_equal(p->stopsignal, SIGTERM);
	assert_int_equal(p->stopwaitsecs, 10);
	assert_false(p->stopasgroup);
	assert_false(p->killasgroup);
	assert_false(p->redirect_stderr);
	assert_int_equal(p->procs[0].ready.kind, CHECK_NONE);
	assert_int_equal(p->procs[0].health.kind, CHECK_NONE);
	assert_false(p->procs[0].notify_socket);
	assert_int_equal(p->ready_interval_ms, 500);
	assert_int_equal(p->ready_timeout_ms, 1000);
	assert_int_equal(p->health_interval_ms, 10000);
	assert_int_equal(p->health_timeout_ms, 3000);
	assert_int_equal(p->health_failures, 3);
	assert_int_equal(p->health_action, HEALTH_RESTART);
	assert_int_equal(p->heartbeat_timeout, 0);
	assert_int_equal(p->backoff, BACKOFF_LINEAR);
	assert_int_equal(p->backoff_initial, 1);
	assert_int_equal(p->backoff_max, 60);
	assert_int_equal(p->backoff_reset, 0);
	assert_int_equal(p->fatal_retry, 0);
	assert_true(p->killtree);
	assert_null(p->depends_on);
	assert_false(p->restart_with_dependency);
	assert_null(p->environment_file);
	assert_int_equal(p->nprocs, 1);
	const struct proc_config *pc = &p->procs[0];
	assert_string_equal(pc->name, "web");
	assert_string_equal(pc->fullname, "web");
	assert_int_equal(pc->num, 0);
	assert_int_equal(count(pc->argv), 3);
	assert_string_equal(pc->argv[0], "/bin/web");
	assert_string_equal(pc->argv[2], "80");
	assert_int_equal(count(pc->env), 0);
	assert_null(pc->directory);
	assert_int_equal(pc->stdout_log.kind, LOGFILE_AUTO);
	assert_string_equal(pc->stdout_log.path, "/var/log/drover/web-stdout.log");
	assert_int_equal(pc->stdout_log.maxbytes, 50 * 1024 * 1024);
	assert_int_equal(pc->stdout_log.backups, 10);
	assert_int_equal(pc->stderr_log.kind, LOGFILE_AUTO);
	assert_string_equal(pc->stderr_log.path, "/var/log/drover/web-stderr.log");
	assert_int_equal(pc->stderr_log.maxbytes, 50 * 1024 * 1024);
	assert_int_equal(pc->stderr_log.backups, 10);
	config_free(c);
}

static void test_empty_file(void **state)
{
	(void) state;
	struct config_diag d = { 0 };
	struct drover_config *c = load_ok_diag("", &d);
	assert_int_equal(c->nprograms, 0);
	assert_null(d.warnings);
	config_free(c);
	c = load_ok_diag("; only comments\n# and blank lines\n\n   \n", &d);
	assert_int_equal(c->nprograms, 0);
	config_free(c);
	config_diag_clear(&d);
}

static void test_drover_section(void **state)
{
	(void) state;
	struct drover_config *c = load_ok("[drover]\nname = my-inst_1\nlog_dir = /tmp/l\nrun_dir = /tmp/r\n"
	                                  "control_mode = 0660\ncontrol_group = root\nsubreaper = off\n");
	assert_string_equal(c->name, "my-inst_1");
	assert_string_equal(c->log_dir, "/tmp/l");
	assert_string_equal(c->run_dir, "/tmp/r");
	assert_int_equal(c->control_mode, 0660);
	assert_string_equal(c->control_group, "root");
	assert_int_equal(c->control_gid, 0);
	assert_false(c->subreaper);
	config_free(c);
	c = load_ok("[drover]\ncontrol_group = 0\n");
	assert_string_equal(c->control_group, "root");
	config_free(c);
	/* an empty control_group is none; relative directories are relative to the file */
	char *cwd = getcwd(NULL, 0);
	c = load_ok("[drover]\ncontrol_group =\nlog_dir = logs\n");
	assert_null(c->control_group);
	char *want = xasprintf("%s/logs", cwd);
	assert_string_equal(c->log_dir, want);
	free(want);
	free(cwd);
	config_free(c);
}

static void test_booleans(void **state)
{
	(void) state;
	static const char *const yes[] = { "true", "TRUE", "yes", "Yes", "on", "ON", "1" };
	static const char *const no[] = { "false", "False", "no", "NO", "off", "Off", "0" };
	for (size_t i = 0; i < ELEMENTSOF(yes); i++) {
		char *t = xasprintf("[program:a]\ncommand=x\nautostart=%s\nredirect_stderr=%s\n", no[i], yes[i]);
		struct drover_config *c = load_ok(t);
		assert_false(c->programs[0].autostart);
		assert_true(c->programs[0].redirect_stderr);
		assert_int_equal(c->programs[0].procs[0].stderr_log.kind, LOGFILE_NONE);
		assert_null(c->programs[0].procs[0].stderr_log.path);
		config_free(c);
		free(t);
	}
}

static void test_numbers_and_sizes(void **state)
{
	(void) state;
	struct drover_config *c = load_ok(
	        "[program:a]\ncommand=x\npriority=-5\nstartsecs=0\nstartretries=0\nstopwaitsecs=31536000\n"
	        "stdout_logfile_maxbytes=1KB\nstdout_logfile_backups=0\nstderr_logfile_maxbytes=2gb\nstderr_logfile_backups=1000\n"
	        "numprocs_start=7\nheartbeat_timeout=30\n"
	        "[program:b]\ncommand=x\nstartretries=INFINITE\nstdout_logfile_maxbytes=123\nstderr_logfile_maxbytes=3 MB\n"
	        "[program:c]\ncommand=x\nstdout_logfile_maxbytes=0\nstdout_logfile=NONE\nstderr_logfile=none\n");
	const struct program_config *a = prog(c, "a"), *b = prog(c, "b");
	assert_int_equal(a->priority, -5);
	assert_int_equal(a->startsecs, 0);
	assert_int_equal(a->startretries, 0);
	assert_int_equal(a->stopwaitsecs, 31536000);
	assert_int_equal(a->heartbeat_timeout, 30);
	assert_int_equal(a->procs[0].num, 7);
	assert_int_equal(a->procs[0].stdout_log.maxbytes, 1024);
	assert_int_equal(a->procs[0].stdout_log.backups, 0);
	assert_int_equal(a->procs[0].stderr_log.maxbytes, 2ULL << 30);
	assert_int_equal(a->procs[0].stderr_log.backups, 1000);
	assert_int_equal(b->startretries, STARTRETRIES_INFINITE);
	assert_int_equal(b->procs[0].stdout_log.maxbytes, 123);
	assert_int_equal(b->procs[0].stderr_log.maxbytes, 3 << 20);
	assert_int_equal(prog(c, "c")->procs[0].stdout_log.kind, LOGFILE_NONE);
	assert_int_equal(prog(c, "c")->procs[0].stderr_log.kind, LOGFILE_NONE);
	config_free(c);
}

static void test_signals_exitcodes_autorestart(void **state)
{
	(void) state;
	struct drover_config *c = load_ok(
	        "[program:a]\ncommand=x\nstopsignal=HUP\nexitcodes=0, 3 ,255\nautorestart=true\n"
	        "[program:b]\ncommand=x\nstopsignal=SIGint\nautorestart=false\nexitcodes=\n"
	        "[program:c]\ncommand=x\nstopsignal=9\nautorestart=UNEXPECTED\n"
	        "[program:d]\ncommand=x\nstopsignal=kill\nautorestart=yes\n");
	const struct program_config *a = prog(c, "a"), *b = prog(c, "b");
	assert_int_equal(a->stopsignal, SIGHUP);
	assert_true(program_exitcode_expected(a, 0));
	assert_true(program_exitcode_expected(a, 3));
	assert_true(program_exitcode_expected(a, 255));
	assert_false(program_exitcode_expected(a, 2));
	assert_int_equal(a->autorestart, AUTORESTART_TRUE);
	assert_int_equal(b->stopsignal, SIGINT);
	assert_int_equal(b->autorestart, AUTORESTART_FALSE);
	assert_false(program_exitcode_expected(b, 0));
	assert_int_equal(prog(c, "c")->stopsignal, SIGKILL);
	assert_int_equal(prog(c, "c")->autorestart, AUTORESTART_UNEXPECTED);
	assert_int_equal(prog(c, "d")->stopsignal, SIGKILL);
	assert_int_equal(prog(c, "d")->autorestart, AUTORESTART_TRUE);
	assert_string_equal(autorestart_to_string(AUTORESTART_TRUE), "true");
	assert_string_equal(autorestart_to_string(AUTORESTART_FALSE), "false");
	assert_string_equal(autorestart_to_string(AUTORESTART_UNEXPECTED), "unexpected");
	assert_string_equal(autorestart_to_string(AUTORESTART_MAX), "?");
	assert_string_equal(check_kind_to_string(CHECK_SCOREBOARD, true), "scoreboard");
	assert_string_equal(check_kind_to_string(CHECK_NONE, true), "startsecs");
	assert_string_equal(check_kind_to_string(CHECK_NONE, false), "none");
	assert_string_equal(backoff_mode_to_string(BACKOFF_EXPONENTIAL), "exponential");
	assert_string_equal(logfile_kind_to_string(LOGFILE_AUTO), "AUTO");
	config_free(c);
}

static void test_group_kill_umask_user_dir(void **state)
{
	(void) state;
	struct drover_config *c = load_ok(
	        "[program:a]\ncommand=x\nstopasgroup=true\numask=027\nuser=nobody\ndirectory=/srv/%(program_name)s\n"
	        "[program:b]\ncommand=x\nkillasgroup=true\numask=\nuser=\ndirectory=\n"
	        "[program:c]\ncommand=x\nstopasgroup=true\nkillasgroup=true\ndirectory=rel/dir\n");
	const struct program_config *a = prog(c, "a"), *b = prog(c, "b");
	assert_true(a->stopasgroup);
	assert_true(a->killasgroup);      /* supervisord: stopasgroup implies killasgroup */
	assert_int_equal(a->umask, 027);
	assert_string_equal(a->user, "nobody");
	assert_string_equal(a->procs[0].directory, "/srv/a");
	assert_false(b->stopasgroup);
	assert_true(b->killasgroup);
	assert_int_equal(b->umask, -1);
	assert_null(b->user);
	assert_null(b->procs[0].directory);
	char *cwd = getcwd(NULL, 0), *want = xasprintf("%s/rel/dir", cwd);
	assert_string_equal(prog(c, "c")->procs[0].directory, want);
	free(want);
	free(cwd);
	config_free(c);
}

/* ready = / health = forms, their settings, and what is refused. */
static void test_checks(void **state)
{
	(void) state;
	struct drover_config *c = load_ok(
	        "[program:n]\ncommand=x\nready=notify\n"
	        "[program:t]\ncommand=x\nnumprocs=2\nprocess_name=t%(process_num)d\nready=tcp:127.0.0.1:80%(process_num)02d\n"
	        "health=http://[::1]:8080/health?x=1\nhealth_interval=0.25\nhealth_timeout=2.5\nhealth_failures=5\n"
	        "health_action=log\nready_interval=0.1\nready_timeout=0.2\n"
	        "[program:h]\ncommand=x\nready=http://localhost\nhealth=notify\n"
	        "[program:e]\ncommand=x\nready=exec:redis-cli ping | grep -q PONG\nhealth=exec:true\n"
	        "[program:l]\ncommand=x\nready=log:^Ready( to|!)\nhealth=scoreboard\n"
	        "[program:w]\ncommand=x\ndepends_on=n:completed, t\n");
	const struct program_config *n = prog(c, "n"), *t = prog(c, "t"), *h = prog(c, "h"), *e = prog(c, "e"),
	                            *l = prog(c, "l"), *w = prog(c, "w");
	assert_int_equal(n->procs[0].ready.kind, CHECK_NOTIFY);
	assert_true(n->procs[0].notify_socket);
	assert_int_equal(t->procs[0].ready.kind, CHECK_TCP);
	assert_string_equal(t->procs[0].ready.host, "127.0.0.1");
	assert_int_equal(t->procs[0].ready.port, 8000);
	assert_int_equal(t->procs[1].ready.port, 8001);
	assert_string_equal(t->procs[1].ready.spec, "tcp:127.0.0.1:8001");
	assert_int_equal(t->procs[0].health.kind, CHECK_HTTP);
	assert_string_equal(t->procs[0].health.host, "::1");
	assert_int_equal(t->procs[0].health.port, 8080);
	assert_string_equal(t->procs[0].health.path, "/health?x=1");
	assert_int_equal(t->health_interval_ms, 250);
	assert_int_equal(t->health_timeout_ms, 2500);
	assert_int_equal(t->health_failures, 5);
	assert_int_equal(t->health_action, HEALTH_LOG);
	assert_int_equal(t->ready_interval_ms, 100);
	assert_int_equal(t->ready_timeout_ms, 200);
	assert_false(t->procs[0].notify_socket);
	assert_int_equal(h->procs[0].ready.kind, CHECK_HTTP);
	assert_string_equal(h->procs[0].ready.host, "127.0.0.1");
	assert_int_equal(h->procs[0].ready.port, 80);
	assert_string_equal(h->procs[0].ready.path, "/");
	assert_true(h->procs[0].notify_socket);
	assert_int_equal(e->procs[0].ready.kind, CHECK_EXEC);
	assert_string_equal(e->procs[0].ready.command, "redis-cli ping | grep -q PONG");
	assert_int_equal(l->procs[0].ready.kind, CHECK_LOG);
	assert_string_equal(l->procs[0].ready.regex, "^Ready( to|!)");
	assert_int_equal(l->procs[0].health.kind, CHECK_SCOREBOARD);
	assert_int_equal(strv_length(w->depends_on), 2);
	assert_string_equal(w->depends_on[0], "n");
	assert_string_equal(w->depends_on[1], "t");
	assert_true(program_depends_completed(w, "n"));
	assert_false(program_depends_completed(w, "t"));
	config_free(c);

	static const char *const bad[] = {
		"ready=tcp:127.0.0.1", "ready=tcp:db.example:5432", "ready=tcp:127.0.0.1:0", "ready=tcp:127.0.0.1:70000",
		"ready=http://127.0.0.1:80health", "ready=https://127.0.0.1/", "ready=exec:", "ready=log:(",
		"ready=log:", "ready=bogus", "health=log:x", "health=startsecs", "ready=http://127.0.0.1/a b",
		"ready_interval=0", "ready_timeout=1.2345", "health_interval=x", "health_failures=0",
		"health_action=kill", "depends_on=b:done", "ready=tcp:[::1:80",
	};
	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		char *text = xasprintf("[program:a]\ncommand=x\n%s\n[program:b]\ncommand=y\n", bad[i]);
		struct config_diag d = { 0 };
		struct drover_config *x = NULL;
		if (config_load_string(text, "/etc/drover/t.ini", &x, &d) != -EINVAL)
			fail_msg("accepted: %s", bad[i]);
		config_diag_clear(&d);
		free(text);
	}
}

static void test_drover_extensions(void **state)
{
	(void) state;
	struct drover_config *c = load_ok(
	        "[program:db]\ncommand=x\n"
	        "[program:a]\ncommand=x\nready=scoreboard\nheartbeat_timeout=5\nbackoff=exponential\nbackoff_initial=2\n"
	        "backoff_max=120\nbackoff_reset=30\nfatal_retry=600\nkilltree=false\ndepends_on=db\n"
	        "restart_with_dependency=true\nenvironment_file=/etc/a.env\n");
	const struct program_config *a = prog(c, "a");
	assert_int_equal(a->procs[0].ready.kind, CHECK_SCOREBOARD);
	assert_int_equal(a->heartbeat_timeout, 5);
	assert_int_equal(a->backoff, BACKOFF_EXPONENTIAL);
	assert_int_equal(a->backoff_initial, 2);
	assert_int_equal(a->backoff_max, 120);
	assert_int_equal(a->backoff_reset, 30);
	assert_int_equal(a->fatal_retry, 600);
	assert_false(a->killtree);
	assert_int_equal(count(a->depends_on), 1);
	assert_string_equal(a->depends_on[0], "db");
	assert_true(a->restart_with_dependency);
	assert_string_equal(a->environment_file, "/etc/a.env");
	config_free(c);
}

static void test_case_comments_bom(void **state)
{
	(void) state;
	struct drover_config *c = load_ok("\xEF\xBB\xBF; comment\n# comment\n[program:a]\nCommand = /bin/a x ; comment\n"
	                                  "Priority: 5 # comment too\n  ; indented comment line\n");
	const struct program_config *a = prog(c, "a");
	assert_int_equal(count(a->procs[0].argv), 2);
	assert_string_equal(a->procs[0].argv[1], "x");
	assert_int_equal(a->priority, 5);
	config_free(c);
	/* "false;not a comment" is a value: ';' starts a comment only after a blank */
	bad("[program:a]\ncommand=x\nautostart=false;x\n", "t.ini:3:", "autostart", "'false;x' is not a boolean");
}

/* ---- command and environment ---- */

static void test_command_split(void **state)
{
	(void) state;
	struct drover_config *c = load_ok(
	        "[program:a]\ncommand = sh -c 'echo \"hi  there\"; exit 3' a\\ b \"x\\\"y\\\\z\" '' \\$HOME\n"
	        "[program:b]\ncommand = /bin/b\n  --flag one\n\t--other\n");
	char **v = prog(c, "a")->procs[0].argv;
	assert_int_equal(count(v), 7);
	assert_string_equal(v[0], "sh");
	assert_string_equal(v[2], "echo \"hi  there\"; exit 3");
	assert_string_equal(v[3], "a b");
	assert_string_equal(v[4], "x\"y\\z");
	assert_string_equal(v[5], "");
	assert_string_equal(v[6], "$HOME");
	v = prog(c, "b")->procs[0].argv;
	assert_int_equal(count(v), 4);
	assert_string_equal(v[1], "--flag");
	assert_string_equal(v[3], "--other");
	config_free(c);
}

static void test_environment(void **state)
{
	(void) state;
	setenv("DROVER_TEST_HOME", "/home/t", 1);
	struct drover_config *c = load_ok(
	        "[program:a]\ncommand=x\n"
	        "environment = KEY=\"value with, comma\",OTHER=x, SINGLE='it''s',ESC=\"a\\\"b\",EMPTY=,\n"
	        "  NEXT=line2\n"
	        "  H=%(ENV_DROVER_TEST_HOME)s,REF=%(ENV_KEY)s!,OTHER=over\n");
	char **env = prog(c, "a")->procs[0].env;
	assert_string_equal(strv_env_get(env, "KEY"), "value with, comma");
	assert_string_equal(strv_env_get(env, "OTHER"), "over");
	assert_string_equal(strv_env_get(env, "SINGLE"), "its");
	assert_string_equal(strv_env_get(env, "ESC"), "a\"b");
	assert_string_equal(strv_env_get(env, "EMPTY"), "");
	assert_string_equal(strv_env_get(env, "NEXT"), "line2");
	assert_string_equal(strv_env_get(env, "H"), "/home/t");
	assert_string_equal(strv_env_get(env, "REF"), "value with, comma!");
	assert_int_equal(count(env), 8);
	config_free(c);
}

static void test_long_lines(void **state)
{
	(void) state;
	for (size_t size = 10 * 1024; size <= 100 * 1024; size += 90 * 1024) {
		size_t words = size / 8;
		char *cmd = xmalloc(words * 8 + 1), *p = cmd;
		for (size_t i = 0; i < words; i++)
			p += sprintf(p, "a%06zu ", i % 1000000);
		char *t = xasprintf("[program:long]\ncommand = /bin/echo %s\nautostart = false\n", cmd);
		struct drover_config *c = load_ok(t);
		const struct program_config *l = &c->programs[0];
		assert_int_equal(count(l->procs[0].argv), words + 1);
		char last[16];
		snprintf(last, sizeof(last), "a%06zu", (words - 1) % 1000000);
		assert_string_equal(l->procs[0].argv[words], last);
		assert_false(l->autostart);   /* the line after the long one is parsed normally */
		config_free(c);
		free(t);
		free(cmd);
	}
}

/* ---- expansions ---- */

static void test_expansions(void **state)
{
	(void) state;
	setenv("DROVER_TEST_PORT", "8000", 1);
	struct drover_config *c = load_ok(
	        "[program:web]\nnumprocs = 3\nnumprocs_start = 1\n"
	        "process_name = %(program_name)s_%(process_num)02d\n"
	        "command = /bin/w --n %(process_num)d/%(numprocs)d --g %(group_name)s --p %(ENV_DROVER_TEST_PORT)s "
	        "--here %(here)s --host %(host_node_name)s --pct 100%% --w [%(process_num)-3d] [%(program_name)5s] "
	        "[%(program_name).2s] [%(process_num)+d] [%(ENV_DROVER_TEST_PORT)06d]\n"
	        "stdout_logfile = /l/%(program_name)s-%(process_num)d.log\n"
	        "stderr_logfile = /l/err-%(process_num)d.log\n"
	        "directory = /d/%(process_num)d\n"
	        "environment = N=%(process_num)d,P=%(program_name)s\n");
	const struct program_config *w = &c->programs[0];
	assert_int_equal(w->nprocs, 3);
	const struct proc_config *pc = &w->procs[1];
	assert_string_equal(pc->name, "web_02");
	assert_string_equal(pc->fullname, "web:web_02");
	assert_int_equal(pc->num, 2);
	char **v = pc->argv;
	char *cwd = getcwd(NULL, 0);
	char host[256];
	gethostname(host, sizeof(host));
	assert_string_equal(v[2], "2/3");
	assert_string_equal(v[4], "web");
	assert_string_equal(v[6], "8000");
	assert_string_equal(v[8], cwd);
	assert_string_equal(v[10], host);
	assert_string_equal(v[12], "100%");
	assert_string_equal(v[14], "[2");          /* "[2  ]" splits on the blanks */
	assert_string_equal(v[15], "]");
	assert_string_equal(v[16], "[");
	assert_string_equal(v[17], "web]");
	assert_string_equal(v[18], "[we]");
	assert_string_equal(v[19], "[+2]");
	assert_string_equal(v[20], "[008000]");
	assert_string_equal(pc->stdout_log.path, "/l/web-2.log");
	assert_int_equal(pc->stdout_log.kind, LOGFILE_PATH);
	assert_string_equal(pc->stderr_log.path, "/l/err-2.log");
	assert_string_equal(pc->directory, "/d/2");
	assert_string_equal(strv_env_get(pc->env, "N"), "2");
	assert_string_equal(strv_env_get(pc->env, "P"), "web");
	assert_string_equal(w->procs[0].name, "web_01");
	assert_string_equal(w->procs[2].name, "web_03");
	free(cwd);
	config_free(c);
}

/* ---- includes ---- */

static void test_includes(void **state)
{
	(void) state;
	write_file("inc/main.ini", "[drover]\ninclude = conf.d/*.ini nomatch/*.ini\n[program:main]\ncommand=m\n"
	                           "[include]\nfiles = extra.conf\n");
	write_file("inc/conf.d/b.ini", "[program:b]\ncommand=%(here)s/b\n");
	write_file("inc/conf.d/a.ini", "[program:a]\ncommand=a\n[include]\nfiles = ../nested/*.ini\n");
	write_file("inc/conf.d/ignored.txt", "garbage without equals\n");
	write_file("inc/nested/n.ini", "[program:n]\ncommand=n\n");
	write_file("inc/extra.conf", "[program:extra]\ncommand=e\n");
	char *p = tpath("inc/main.ini");
	struct drover_config *c = NULL;
	struct config_diag d = { 0 };
	int r = config_load(p, &c, &d);
	if (r)
		dump_diag(&d);
	assert_int_equal(r, 0);
	assert_int_equal(c->nprograms, 5);
	/* file order: the main file, then its includes in order ([drover] first), depth first */
	assert_string_equal(c->programs[0].name, "main");
	assert_string_equal(c->programs[1].name, "a");
	assert_string_equal(c->programs[2].name, "n");
	assert_string_equal(c->programs[3].name, "b");
	assert_string_equal(c->programs[4].name, "extra");
	char *want = tpath("inc/conf.d/b");
	assert_string_equal(c->programs[3].procs[0].argv[0], want);
	free(want);
	want = tpath("inc/conf.d/a.ini");
	assert_string_equal(c->programs[1].file, want);
	free(want);
	assert_string_equal(c->file, p);
	config_free(c);
	config_diag_clear(&d);
	free(p);
}

static void test_include_errors(void **state)
{
	(void) state;
	write_file("loop1/main.ini", "[include]\nfiles = main.ini\n");
	bad_file("loop1/main.ini", "main.ini:2:", "[include] files", "include loop");
	write_file("loop2/main.ini", "[program:x]\ncommand=x\n[drover]\ninclude = a.ini\n");
	write_file("loop2/a.ini", "[include]\nfiles = b.ini\n");
	write_file("loop2/b.ini", "\n\n[include]\nfiles = ../loop2/a.ini\n");
	bad_file("loop2/main.ini", "b.ini:4:", "files", "include loop");
	write_file("unreadable/main.ini", "[include]\nfiles = sub/x.ini\n");
	write_file("unreadable/sub/x.ini", "");
	char *sub = tpath("unreadable/sub");
	assert_int_equal(chmod(sub, 0), 0);
	if (geteuid() != 0)         /* root reads it anyway */
		bad_file("unreadable/main.ini", "main.ini:2:", "files", "Permission denied");
	assert_int_equal(chmod(sub, 0755), 0);
	free(sub);
	write_file("isdir/main.ini", "[drover]\ninclude = sub\n");
	write_file("isdir/sub/x.ini", "");
	bad_file("isdir/main.ini", "main.ini:2:", "include", "Is a directory");
	write_file("fifo/main.ini", "[include]\nfiles = pipe.ini\n");
	char *fifo = tpath("fifo/pipe.ini");
	assert_int_equal(mkfifo(fifo, 0644), 0);
	free(fifo);
	bad_file("fifo/main.ini", "main.ini:2:", "files", "not a regular file");   /* and does not block */
	/* a missing main file */
	struct config_diag d = { 0 };
	struct drover_config *c = NULL;
	char *p = tpath("nonexistent.ini");
	assert_int_equal(config_load(p, &c, &d), -ENOENT);
	assert_true(diag_has(d.errors, "nonexistent.ini", "No such file", NULL));
	free(p);
	config_diag_clear(&d);
}

static void test_nul_and_long_line_files(void **state)
{
	(void) state;
	static const char nul[] = "[program:a]\ncommand=x\nuser=a\0b\n";
	write_bytes("nul.ini", nul, sizeof(nul) - 1, 0644);
	bad_file("nul.ini", "nul.ini:3:", "NUL byte", NULL);
	struct config_diag d = { 0 };
	struct drover_config *c = NULL;
	assert_int_equal(config_load_buffer(nul, sizeof(nul) - 1, "buf.ini", &c, &d), -EINVAL);
	assert_true(diag_has(d.errors, "buf.ini:3:", "NUL", NULL));
	config_diag_clear(&d);

	size_t n = (1u << 20) + 100;
	char *big = xmalloc(n + 64);
	strcpy(big, "[program:a]\ncommand=x\nuser=");
	size_t off = strlen(big);
	memset(big + off, 'u', n);
	strcpy(big + off + n, "\nstartsecs=soon\n");
	bad(big, "t.ini:3:", "longer than", NULL);
	bad(big, "t.ini:4:", "startsecs", "'soon'");   /* parsing goes on after the long line */
	free(big);
}

static void test_root_refuses_writable(void **state)
{
	(void) state;
	if (geteuid() != 0)
		skip();
	write_file("ww/ok.ini", "[include]\nfiles = w.ini\n");
	write_bytes("ww/w.ini", "[program:a]\ncommand=x\n", 22, 0666);
	bad_file("ww/ok.ini", "ok.ini:2:", "files", "world-writable");
	write_bytes("ww/g.ini", "[program:a]\ncommand=x\n", 22, 0664);
	struct config_diag d = { 0 };
	struct drover_config *c = NULL;
	char *p = tpath("ww/g.ini");
	assert_int_equal(config_load(p, &c, &d), -EPERM);
	assert_true(diag_has(d.errors, "g.ini", "group-writable", NULL));
	config_diag_clear(&d);
	free(p);
}

/* ---- groups and supervisord compatibility ---- */

static void test_groups(void **state)
{
	(void) state;
	struct drover_config *c = load_ok("[group:svc]\nprograms = api, worker\npriority = 10\n"
	                                  "[program:api]\ncommand=x\npriority=5\n"
	                                  "[program:worker]\ncommand=x\nnumprocs=2\nprocess_name=w%(process_num)d\n"
	                                  "environment=G=%(group_name)s\n"
	                                  "[program:solo]\ncommand=x\n");
	const struct program_config *api = prog(c, "api"), *worker = prog(c, "worker");
	assert_string_equal(api->group, "svc");
	assert_int_equal(api->priority, 5);
	assert_int_equal(api->group_priority, 10);
	assert_string_equal(api->procs[0].fullname, "svc:api");
	assert_string_equal(api->procs[0].stdout_log.path, "/var/log/drover/api-stdout.log");
	assert_string_equal(worker->procs[1].fullname, "svc:w1");
	assert_string_equal(strv_env_get(worker->procs[0].env, "G"), "svc");
	assert_string_equal(prog(c, "solo")->procs[0].fullname, "solo");
	assert_string_equal(prog(c, "solo")->group, "solo");
	config_free(c);
}

static void test_supervisord_compat(void **state)
{
	(void) state;
	struct config_diag d = { 0 };
	struct drover_config *c = load_ok_diag(
	        "[unix_http_server]\nfile=/tmp/s.sock\nchmod=0700\n"
	        "[supervisord]\nlogfile=/tmp/s.log\npidfile=/tmp/s.pid\nnodaemon=true\nchildlogdir=/tmp/children\n"
	        "environment=GLOBAL=\"g\",SHARED=from-supervisord\numask=022\nminfds=4096\nminprocs=300\n"
	        "[rpcinterface:supervisor]\nsupervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n"
	        "[supervisorctl]\nserverurl=unix:///tmp/s.sock\n"
	        "[inet_http_server]\nport=9001\n"
	        "[eventlistener:x]\ncommand=y\nevents=PROCESS_STATE\n"
	        "[fcgi-program:f]\ncommand=z\nsocket=unix:///tmp/f.sock\n"
	        "[program:a]\ncommand=x\nserverurl=AUTO\nstdout_capture_maxbytes=1MB\nstdout_events_enabled=false\n"
	        "stderr_syslog=true\nenvironment=SHARED=mine,REF=%(ENV_GLOBAL)s\n", &d);
	assert_string_equal(c->log_dir, "/tmp/children");
	assert_int_equal(c->umask, 022);
	assert_int_equal(c->minfds, 4096);
	assert_int_equal(c->minprocs, 300);
	assert_string_equal(strv_env_get(c->environment, "GLOBAL"), "g");
	const struct program_config *a = prog(c, "a");
	assert_int_equal(a->umask, 022);
	assert_string_equal(a->procs[0].stdout_log.path, "/tmp/children/a-stdout.log");
	assert_string_equal(strv_env_get(a->procs[0].env, "GLOBAL"), "g");
	assert_string_equal(strv_env_get(a->procs[0].env, "SHARED"), "mine");
	assert_string_equal(strv_env_get(a->procs[0].env, "REF"), "g");
	/* one warning per ignored section and per ignored key, never an error */
	/* 4 sections, [supervisord] logfile, 3 [program:a] keys; nodaemon=true is what droverd does */
	assert_int_equal(count(d.warnings), 4 + 1 + 3);
	assert_string_equal(c->pidfile, "/tmp/s.pid");
	assert_null(c->user);
	assert_true(diag_has(d.warnings, "t.ini:1:", "[unix_http_server]", "ignored"));
	assert_true(diag_has(d.warnings, "t.ini:5:", "[supervisord] logfile", "ignored"));
	assert_true(diag_has(d.warnings, "[rpcinterface:supervisor]", "ignored", NULL));
	/* the sections drover implements (and their keys) are no warning */
	assert_false(diag_has(d.warnings, "[eventlistener:x]", "ignored", NULL));
	assert_false(diag_has(d.warnings, "[fcgi-program:f]", "ignored", NULL));
	assert_false(diag_has(d.warnings, "stdout_events_enabled", NULL, NULL));
	assert_int_equal(prog(c, "x")->kind, PROGRAM_LISTENER);
	assert_int_equal(prog(c, "f")->kind, PROGRAM_FCGI);
	assert_true(diag_has(d.warnings, "[program:a] serverurl", "not implemented", NULL));
	assert_true(diag_has(d.warnings, "[program:a] stderr_syslog", NULL, NULL));
	config_free(c);
	config_diag_clear(&d);
	/* [drover] log_dir wins over childlogdir */
	c = load_ok("[supervisord]\nchildlogdir=/tmp/c\n[drover]\nlog_dir=/tmp/d\n[program:a]\ncommand=x\n");
	assert_string_equal(c->log_dir, "/tmp/d");
	assert_string_equal(c->programs[0].procs[0].stdout_log.path, "/tmp/d/a-stdout.log");
	config_free(c);
}

/* pidfile and user of the daemon: [drover] wins over [supervisord]; relative paths are
 * relative to the file that sets them; empty means none. */
static void test_pidfile_user(void **state)
{
	(void) state;
	struct drover_config *c = load_ok("[program:a]\ncommand=x\n");
	assert_null(c->pidfile);
	assert_null(c->user);
	config_free(c);
	c = load_ok("[supervisord]\npidfile=/run/s.pid\nuser=nobody\n[program:a]\ncommand=x\n");
	assert_string_equal(c->pidfile, "/run/s.pid");
	assert_string_equal(c->user, "nobody");
	config_free(c);
	c = load_ok("[supervisord]\npidfile=/run/s.pid\nuser=nobody\n[drover]\npidfile=/run/d.pid\nuser=daemon\n");
	assert_string_equal(c->pidfile, "/run/d.pid");
	assert_string_equal(c->user, "daemon");
	config_free(c);
	char *cwd = getcwd(NULL, 0), *want = xasprintf("%s/run/x.pid", cwd);
	c = load_ok("[drover]\npidfile = run/x.pid\nuser =\n[supervisord]\nuser = nobody\n");
	assert_string_equal(c->pidfile, want);
	assert_null(c->user);       /* [drover] user = (empty) is set: none, [supervisord] does not fill it */
	config_free(c);
	free(want);
	free(cwd);
	c = load_ok("[supervisord]\npidfile = %(here)s/s.pid\n");
	assert_non_null(strstr(c->pidfile, "/s.pid"));
	assert_true(c->pidfile[0] == '/');
	config_free(c);
}

/* ---- reload comparisons ---- */

/* The keys a change of which restarts a process and those applied in place, written out here
 * (not taken from the key table) so that a changed classification shows as a failing test. */
static struct config_keyset diff_of(const struct drover_config *x, const struct drover_config *y)
{
	struct config_keyset set;
	config_proc_diff(&x->programs[0], &x->programs[0].procs[0], &y->programs[0], &y->programs[0].procs[0], &set);
	return set;
}

static void test_restart_or_live(void **state)
{
	(void) state;
	static const char base[] = "[program:a]\ncommand=/bin/a 1\nstartsecs=1\n";
	struct drover_config *x = load_ok(base), *y = load_ok(base);
	struct config_keyset set = diff_of(x, y);
	assert_true(config_keyset_empty(&set));
	config_free(y);

	static const char *const live[] = { "startsecs=5", "priority=1", "autorestart=true", "exitcodes=0,1",
	                                    "startretries=9", "stopsignal=INT", "stopwaitsecs=3", "heartbeat_timeout=2",
	                                    "backoff=exponential", "fatal_retry=5", "autostart=false",
	                                    "stdout_logfile_maxbytes=1KB", "stderr_logfile_backups=3", "depends_on=b",
	                                    "restart_with_dependency=true", "backoff_reset=9", "ready=scoreboard",
	                                    "ready=http://127.0.0.1:80/", "health=exec:true", "health_interval=1",
	                                    "ready_timeout=0.5", "health_action=log", "depends_on=b:completed" };
	for (size_t i = 0; i < ELEMENTSOF(live); i++) {
		char *t = xasprintf("[program:a]\ncommand=/bin/a 1\n%s\n[program:b]\ncommand=/bin/b\n", live[i]);
		y = load_ok(t);
		set = diff_of(x, y);
		if (config_keyset_empty(&set) || config_keyset_restarts(&set))
			fail_msg("%s should apply in place", live[i]);
		config_free(y);
		free(t);
	}
	static const char *const restart[] = { "environment=A=1", "directory=/tmp", "user=nobody", "umask=022",
	                                       "stdout_logfile=/tmp/o.log", "stderr_logfile=NONE", "redirect_stderr=true",
	                                       "stopasgroup=true", "killasgroup=true", "ready=notify", "health=notify",
	                                       "killtree=false",
	                                       "process_name=other", "command=/bin/a 2", "environment_file=/etc/x" };
	for (size_t i = 0; i < ELEMENTSOF(restart); i++) {
		char *t = xasprintf("[program:a]\ncommand=/bin/a 1\n%s\n", restart[i]);
		y = load_ok(t);
		set = diff_of(x, y);
		if (!config_keyset_restarts(&set))
			fail_msg("%s should need a restart", restart[i]);
		config_free(y);
		free(t);
	}
	config_free(x);
	assert_null(config_free(NULL));
	config_diag_clear(NULL);
}

/* ---- bad inputs: each names FILE:LINE, section and key, and quotes the value ---- */

#define P "[program:a]\ncommand=x\n"

static void test_bad_program_values(void **state)
{
	(void) state;
	bad("[program:a]\nnumprocs=1\n", "t.ini:1:", "[program:a] command", "missing");
	bad(P "numprocs=2\n", "t.ini:1:", "process_name", "%(process_num)");
	bad(P "numprocs=2\nprocess_name=%(program_name)s\n", "t.ini:4:", "process_name", "must contain %(process_num)");
	bad(P "numprocs=abc\n", "t.ini:3:", "numprocs", "'abc' is not an integer");
	bad(P "numprocs=10001\n", "t.ini:3:", "numprocs", "out of range");
	bad(P "startsecs=31536001\n", "t.ini:3:", "startsecs", "'31536001' is out of range (0..31536000)");
	bad(P "startsecs=99999999999999999999\n", "t.ini:3:", "startsecs", "out of range");
	bad(P "stopwaitsecs=1e3\n", "t.ini:3:", "stopwaitsecs", "'1e3' is not an integer");
	bad(P "priority=1.5\n", "t.ini:3:", "priority", "not an integer");
	bad(P "priority=\n", "t.ini:3:", "priority", "'' is not an integer");
	bad(P "startretries=1000001\n", "t.ini:3:", "startretries", "out of range (0..1000000, or infinite)");
	bad(P "startretries=forever\n", "t.ini:3:", "startretries", "'forever' is not an integer (or infinite)");
	bad(P "heartbeat_timeout=31536001\n", "t.ini:3:", "heartbeat_timeout", "out of range");
	bad(P "exitcodes=256\n", "t.ini:3:", "exitcodes", "'256' is not a list of exit codes");
	bad(P "exitcodes=0,,1\n", "t.ini:3:", "exitcodes", "not a list");
	bad(P "exitcodes=zero\n", "t.ini:3:", "exitcodes", "'zero'");
	bad(P "stopsignal=FOO\n", "t.ini:3:", "stopsignal", "unknown signal 'FOO'");
	bad(P "stopsignal=SIGFOO\n", "t.ini:3:", "stopsignal", "unknown signal 'SIGFOO'");
	bad(P "stopsignal=99\n", "t.ini:3:", "stopsignal", "unknown signal '99'");
	bad(P "autostart=maybe\n", "t.ini:3:", "autostart", "'maybe' is not a boolean");
	bad(P "redirect_stderr=2\n", "t.ini:3:", "redirect_stderr", "not a boolean");
	bad(P "autorestart=sometimes\n", "t.ini:3:", "autorestart", "'sometimes' is not one of true, false, unexpected");
	bad(P "stdout_logfile_maxbytes=10XB\n", "t.ini:3:", "stdout_logfile_maxbytes", "'10XB' is not a size");
	bad(P "stderr_logfile_maxbytes=-1MB\n", "t.ini:3:", "stderr_logfile_maxbytes", "out of range");
	bad(P "stdout_logfile_maxbytes=99999999999GB\n", "t.ini:3:", "stdout_logfile_maxbytes", "out of range");
	bad(P "stdout_logfile_backups=abc\n", "t.ini:3:", "stdout_logfile_backups", "not an integer");
	bad(P "umask=999\n", "t.ini:3:", "umask", "'999' is not an octal number");
	bad(P "umask=01777\n", "t.ini:3:", "umask", "out of range");
	bad(P "ready=whenever\n", "t.ini:3:", "ready", "'whenever' is not one of startsecs, scoreboard");
	bad(P "backoff=quadratic\n", "t.ini:3:", "backoff", "not one of linear, exponential");
	bad(P "backoff_initial=10\nbackoff_max=5\n", "t.ini:4:", "backoff_max", "below backoff_initial");
	bad(P "backoff_initial=0\n", "t.ini:3:", "backoff_initial", "out of range");
	bad(P "stopasgroup=true\nkillasgroup=false\n", "t.ini:4:", "killasgroup", "contradicts");
	bad(P "process_name=a/b\n", "t.ini:3:", "process_name", "'a/b' may not contain");
	bad(P "depends_on=ghost\n", "t.ini:3:", "depends_on", "unknown program 'ghost'");
	bad(P "depends_on=a\n", "t.ini:3:", "depends_on", "itself");
	bad(P "depends_on=b\n[program:b]\ncommand=y\ndepends_on=a\n", "depends_on", "dependency cycle", NULL);
}

static void test_bad_commands(void **state)
{
	(void) state;
	bad("[program:a]\ncommand=\n", "t.ini:2:", "[program:a] command", "empty command");
	setenv("DROVER_TEST_EMPTY", "", 1);
	bad("[program:a]\nautostart=true\ncommand=%(ENV_DROVER_TEST_EMPTY)s\n", "t.ini:3:", "command", "empty command");
	bad("[program:a]\ncommand=x\n[program:b]\ncommand=\n", "t.ini:4:", "[program:b] command", "empty command");
}

static void test_bad_quotes_env_expansions(void **state)
{
	(void) state;
	bad("[program:a]\ncommand=sh -c 'echo\n", "t.ini:2:", "command", "unterminated single quote");
	bad("[program:a]\ncommand=sh -c \"echo\n", "t.ini:2:", "command", "unterminated double quote");
	bad("[program:a]\ncommand=sh x\\\n", "t.ini:2:", "command", "trailing backslash");
	bad(P "environment=A=\"unterminated\n", "t.ini:3:", "environment", "unterminated double quote");
	bad(P "environment=A='x\n", "t.ini:3:", "environment", "unterminated single quote");
	bad(P "environment=FOO\n", "t.ini:3:", "environment", "expected '=' after 'FOO'");
	bad(P "environment=A=1 B=2\n", "t.ini:3:", "environment", "expected ','");
	bad(P "environment=A=1,,B=2\n", "t.ini:3:", "environment", "empty entry");
	bad("[program:a]\ncommand=/bin/%(foo)s\n", "t.ini:2:", "command", "unknown name '%(foo)'");
	bad("[program:a]\ncommand=/bin/%(program_name\n", "t.ini:2:", "command", "unterminated '%('");
	bad("[program:a]\ncommand=date +%s\n", "t.ini:2:", "command", "write '%%'");
	bad("[program:a]\ncommand=x %(program_name)\n", "t.ini:2:", "command", "needs a conversion");
	bad("[program:a]\ncommand=x %(program_name)d\n", "t.ini:2:", "command", "needs a number");
	bad("[program:a]\ncommand=x %(process_num)9999d\n", "t.ini:2:", "command", "too large");
	bad("[program:a]\ncommand=x %(ENV_DROVER_SURELY_UNSET_X)s\n", "t.ini:2:", "command", "is not set");
	bad(P "priority=%(process_num)d\n", "t.ini:3:", "priority", "unknown name '%(process_num)'");
	bad("[drover]\nlog_dir=/l/%(program_name)s\n", "t.ini:2:", "[drover] log_dir", "unknown name");
	bad(P "environment=A=%(ENV_B)s,B=1\n", "t.ini:3:", "environment", "ENV_B");
}

static void test_bad_sections(void **state)
{
	(void) state;
	bad("[program:]\ncommand=x\n", "t.ini:1:", "[program:]", "no name");
	bad("[group:]\nprograms=a\n", "t.ini:1:", "[group:]", "no name");
	bad("[]\n", "t.ini:1:", "empty section name", NULL);
	bad("[program:a b]\ncommand=x\n", "t.ini:1:", "'a b'", "no blanks");
	bad("[program:a\ncommand=x\n", "t.ini:1:", "lacks its ']'", NULL);
	bad("command=x\n[program:a]\ncommand=x\n", "t.ini:1:", "'command' is outside of any section", NULL);
	bad(P "just some words\n", "t.ini:3:", "expected 'key = value'", "just some words");
	bad(P "= value\n", "t.ini:3:", "[program:a]", "key name is missing");
	bad(P "[program: a]\ncommand=y\n", "t.ini:3:", "[program: a]", "duplicate program 'a' (first defined at t.ini:1)");
	bad("[include]\n", "t.ini:1:", "[include]", "no 'files' key");
	bad("[include]\nfile=x.ini\n", "t.ini:1:", "[include]", "no 'files' key");
	bad("[group:g]\nprograms=a,ghost\n[program:a]\ncommand=x\n", "t.ini:2:", "[group:g] programs", "unknown program 'ghost'");
	bad("[group:g]\nprograms=a\npriority=high\n[program:a]\ncommand=x\n", "t.ini:3:", "priority", "not an integer");
	bad("[group:web]\nprograms=a\n[program:a]\ncommand=x\n[program:web]\ncommand=y\n", "t.ini:1:", "[group:web]",
	    "also the name of [program:web]");
	bad("[group:g]\nprograms=a,b\n[program:a]\ncommand=x\nprocess_name=p\n[program:b]\ncommand=y\nprocess_name=p\n",
	    "t.ini:8:", "process_name", "process 'g:p' is already defined by [program:a]");
	bad("[group:g]\nprograms=a\n[group:h]\nprograms=b\n[program:a]\ncommand=x\nprocess_name=p\n"
	    "[program:b]\ncommand=y\nprocess_name=p\n", "[program:b]", "stdout_logfile", "also used by [program:a]");
	bad("[program:a]\ncommand=x\nnumprocs=6000\nprocess_name=a%(process_num)d\n"
	    "[program:b]\ncommand=x\nnumprocs=6000\nprocess_name=b%(process_num)d\n",
	    "t.ini:7:", "[program:b] numprocs", "more than 10000 processes");
}

static void test_bad_drover_supervisord(void **state)
{
	(void) state;
	bad("[drover]\nname=bad name!\n", "t.ini:2:", "[drover] name", "'bad name!' is not a valid instance name");
	bad("[drover]\nname=0123456789012345678901234567890123\n", "t.ini:2:", "name", "not a valid instance name");
	bad("[drover]\ncontrol_mode=0999\n", "t.ini:2:", "[drover] control_mode", "'0999' is not an octal number");
	bad("[drover]\ncontrol_mode=0400\n", "t.ini:2:", "control_mode", "owner read and write");
	bad("[drover]\ncontrol_mode=01777\n", "t.ini:2:", "control_mode", "out of range");
	bad("[drover]\ncontrol_group=drover-no-such-group\n", "t.ini:2:", "control_group", "unknown group 'drover-no-such-group'");
	bad("[drover]\nsubreaper=perhaps\n", "t.ini:2:", "subreaper", "not a boolean");
	bad("[drover]\nlog_dir=\n", "t.ini:2:", "log_dir", "must not be empty");
	bad("[supervisord]\nminfds=-1\n", "t.ini:2:", "[supervisord] minfds", "out of range");
	bad("[supervisord]\numask=8\n", "t.ini:2:", "[supervisord] umask", "not an octal number");
	bad("[supervisord]\nenvironment=A=\"x\n", "t.ini:2:", "[supervisord] environment", "unterminated");
}

static void test_all_errors_reported(void **state)
{
	(void) state;
	struct config_diag d = { 0 };
	struct drover_config *c = NULL;
	int r = config_load_string("[program:a]\ncommand=x\nnumprocs=none\nstartsecs=soon\n\n[program:b]\nautostart=y\n"
	                           "command=z\n", "t.ini", &c, &d);
	assert_int_equal(r, -EINVAL);
	assert_null(c);
	assert_int_equal(count(d.errors), 3);
	assert_true(diag_has(d.errors, "t.ini:3:", "numprocs", NULL));
	assert_true(diag_has(d.errors, "t.ini:4:", "startsecs", NULL));
	assert_true(diag_has(d.errors, "t.ini:7:", "autostart", NULL));
	config_diag_clear(&d);
	assert_null(d.errors);
	assert_null(d.warnings);
}

static void test_more_includes_and_limits(void **state)
{
	(void) state;
	/* nesting is bounded */
	for (int i = 0; i < 10; i++) {
		char name[32], text[64];
		snprintf(name, sizeof(name), "deep/d%d.ini", i);
		snprintf(text, sizeof(text), "[include]\nfiles = d%d.ini\n", i + 1);
		write_file(name, text);
	}
	write_file("deep/d10.ini", "");
	bad_file("deep/d0.ini", "d8.ini:2:", "files", "nested deeper than 8");
	/* a file included twice (not a loop) is read once, with a warning */
	write_file("diamond/main.ini", "[include]\nfiles = a.ini b.ini\n");
	write_file("diamond/a.ini", "[include]\nfiles = common.ini\n");
	write_file("diamond/b.ini", "[include]\nfiles = common.ini\n");
	write_file("diamond/common.ini", "[program:c]\ncommand=c\n");
	struct config_diag d = { 0 };
	struct drover_config *c = NULL;
	char *p = tpath("diamond/main.ini");
	assert_int_equal(config_load(p, &c, &d), 0);
	assert_int_equal(c->nprograms, 1);
	assert_true(diag_has(d.warnings, "b.ini:2:", "already included", NULL));
	config_free(c);
	config_diag_clear(&d);
	free(p);
	/* %(here)s and ENV in include patterns; [drover] include is relative to its own file */
	setenv("DROVER_TEST_INCDIR", "envdir", 1);
	write_file("herei/main.ini", "[drover]\ninclude = %(here)s/%(ENV_DROVER_TEST_INCDIR)s/*.ini\n");
	write_file("herei/envdir/x.ini", "[program:x]\ncommand=x\n");
	p = tpath("herei/main.ini");
	assert_int_equal(config_load(p, &c, &d), 0);
	assert_int_equal(c->nprograms, 1);
	config_free(c);
	config_diag_clear(&d);
	free(p);
	/* a section may hold at most 256 keys */
	size_t n = 300 * 16 + 64;
	char *t = xmalloc(n), *o = t;
	o += sprintf(o, "[program:a]\ncommand=x\n");
	for (int i = 0; i < 300; i++)
		o += sprintf(o, "k%d=1\n", i);
	bad(t, "t.ini:258:", "more than 256 keys", NULL);
	free(t);
	bad(P "numprocs=1\n  2\n", "t.ini:3:", "numprocs", "is not an integer");      /* "1\n2" */
	bad(P "numprocs=1\nnumprocs=2\n  3\nstartsecs=x\n", "t.ini:6:", "startsecs", "'x'");
}

static void test_warnings(void **state)
{
	(void) state;
	struct config_diag d = { 0 };
	struct drover_config *c = load_ok_diag("[program:a]\ncommand=x\nredirect_stderr=true\nstderr_logfile=/tmp/e.log\n"
	                                       "stdout_logfile_maxbytes=0\n", &d);
	assert_int_equal(c->programs[0].procs[0].stderr_log.kind, LOGFILE_NONE);
	assert_true(diag_has(d.warnings, "t.ini:4:", "stderr_logfile", "redirect_stderr"));
	assert_true(diag_has(d.warnings, "t.ini:1:", "without rotation", NULL));
	assert_int_equal(count(d.warnings), 2);
	config_free(c);
	config_diag_clear(&d);
	/* numprocs sharing one explicit log file is allowed with a warning-free config (supervisord does it) */
	c = load_ok_diag("[program:a]\ncommand=x\nnumprocs=2\nprocess_name=a%(process_num)d\nstdout_logfile=/tmp/a.log\n", &d);
	assert_null(d.warnings);
	config_free(c);
	/* two programs sharing an explicit file: a warning */
	c = load_ok_diag("[program:a]\ncommand=x\nstdout_logfile=/tmp/s.log\n[program:b]\ncommand=x\nstdout_logfile=/tmp/s.log\n"
	                 "[program:c]\ncommand=x\nstdout_logfile=/tmp/s.log\n", &d);
	assert_true(diag_has(d.warnings, "[program:b]", "also used by [program:a]", NULL));
	assert_int_equal(count(d.warnings), 1);        /* once per shared file */
	config_free(c);
	config_diag_clear(&d);
	/* droverd's own output is shared by design (the container pattern) */
	config_free(quiet("[program:a]\ncommand=x\nstdout_logfile=/dev/stdout\nstdout_logfile_maxbytes=0\n"
	                  "[program:b]\ncommand=y\nstdout_logfile=/dev/stdout\nstdout_logfile_maxbytes=0\n"
	                  "stderr_logfile=/proc/self/fd/2\nstderr_logfile_maxbytes=0\n"
	                  "[program:c]\ncommand=z\nstderr_logfile=/proc/self/fd/2\nstderr_logfile_maxbytes=0\n"));
}

/* ---- what supervisord 4.2.5 accepts, drover runs (with a warning where it differs or ignores) ---- */

static void test_repeated_keys_and_sections(void **state)
{
	(void) state;
	/* a repeated key: the last value, as supervisord */
	struct drover_config *c = warns(P "command=y 2\n", "t.ini:3:", "[program:a] command", "replaces the one at line 2");
	assert_string_equal(c->programs[0].procs[0].argv[0], "y");
	config_free(c);
	/* a repeated section: merged into the first, which keeps its place; later values win */
	c = warns("[program:a]\ncommand=x\nstartsecs=3\n[program:b]\ncommand=y\n[program:a]\nstartsecs=7\npriority=5\n",
	          "t.ini:6:", "[program:a]", "repeated (first at line 1)");
	assert_int_equal(c->nprograms, 2);
	assert_string_equal(c->programs[0].name, "a");
	assert_int_equal(c->programs[0].startsecs, 7);
	assert_int_equal(c->programs[0].priority, 5);
	config_free(c);
	warns_only(P "[program:a]\n", "t.ini:3:", "[program:a]", "repeated");     /* an empty repeat (found by fuzzing) */
	c = warns("[drover]\nname=x\n[drover]\nname=y\n", "t.ini:3:", "[drover]", "repeated");
	assert_string_equal(c->name, "y");
	config_free(c);
	c = warns("[group:g]\nprograms=a\n[group:g]\npriority=3\n[program:a]\ncommand=x\n", "t.ini:3:", "[group:g]",
	          "merged");
	assert_int_equal(c->programs[0].group_priority, 3);
	assert_string_equal(c->programs[0].procs[0].fullname, "g:a");
	config_free(c);
	/* the common container layout: every conf.d fragment has its own [supervisord] */
	write_file("frag/supervisord.conf", "[supervisord]\nnodaemon=true\nchildlogdir=/tmp/frag\n"
	                                    "[include]\nfiles = conf.d/*.conf\n");
	write_file("frag/conf.d/a.conf", "[supervisord]\nnodaemon=true\n[program:a]\ncommand=x\n");
	write_file("frag/conf.d/b.conf", "[supervisord]\nnodaemon=true\nuser=root\n[program:b]\ncommand=y\n"
	                                 "[program:a]\nstartsecs=4\n");
	struct config_diag d = { 0 };
	char *p = tpath("frag/supervisord.conf");
	assert_int_equal(config_load(p, &c, &d), 0);
	assert_int_equal(c->nprograms, 2);
	assert_int_equal(prog(c, "a")->startsecs, 4);
	assert_string_equal(c->user, "root");
	assert_string_equal(c->log_dir, "/tmp/frag");
	assert_true(diag_has(d.warnings, "a.conf:1:", "[supervisord] section is repeated", "supervisord.conf:1"));
	assert_true(diag_has(d.warnings, "b.conf:6:", "[program:a] section is repeated", "a.conf:3"));
	assert_false(diag_has(d.warnings, "nodaemon", NULL, NULL));     /* the same value again: nothing to say */
	config_free(c);
	config_diag_clear(&d);
	free(p);
	/* [include] repeated in a file: the last files= is read */
	write_file("inc2/main.ini", "[include]\nfiles=a.ini\n[include]\nfiles=b.ini\n");
	write_file("inc2/a.ini", "[program:a]\ncommand=x\n");
	write_file("inc2/b.ini", "[program:b]\ncommand=x\n");
	p = tpath("inc2/main.ini");
	assert_int_equal(config_load(p, &c, &d), 0);
	assert_int_equal(c->nprograms, 1);
	assert_string_equal(c->programs[0].name, "b");
	config_free(c);
	config_diag_clear(&d);
	free(p);
}

static void test_unknown_keys_and_sections(void **state)
{
	(void) state;
	warns_only(P "autorestat=true\n", "t.ini:3:", "[program:a] autorestat", "did you mean 'autorestart'?");
	warns_only(P "stopsingal=INT\n", "t.ini:3:", "stopsingal", "did you mean 'stopsignal'?");
	warns_only(P "comand=/bin/x\n", "t.ini:3:", "comand", "did you mean 'command'?");
	warns_only(P "numprocesses=3\n", "t.ini:3:", "numprocesses", "unknown key; ignored");
	warns_only(P "pidfile=/run/a.pid\n", "t.ini:3:", "[program:a] pidfile", "unknown key; ignored");
	warns_only(P "loglevel=debug\n", "t.ini:3:", "loglevel", "unknown key");
	warns_only("[drover]\nnmae=x\n", "t.ini:2:", "[drover] nmae", "did you mean 'name'?");
	warns_only("[supervisord]\nchildlogdri=/tmp\n", "t.ini:2:", "childlogdri", "did you mean 'childlogdir'?");
	warns_only("[supervisord]\nlogfile=/tmp/x\n", "t.ini:2:", "logfile", "not used by drover");
	warns_only("[group:g]\nprogams=a\n", "t.ini:2:", "[group:g] progams", "did you mean 'programs'?");
	warns_only("[include]\nfile=x.ini\nfiles=\n", "t.ini:2:", "[include] file", "the only key of [include] is 'files'");
	warns_only("[porgram:a]\ncommand=x\n", "t.ini:1:", "[porgram:a]", "did you mean [program:a]?");
	warns_only("[Program:a]\ncommand=x\n", "t.ini:1:", "[Program:a]", "did you mean [program:a]?");
	warns_only("[supervisor]\nx=1\n", "t.ini:1:", "[supervisor]", "did you mean [supervisord]?");
	warns_only("[foo]\nbar=1\n", "t.ini:1:", "[foo]", "unknown section; ignored");
	warns_only("[program]\ncommand=x\n", "t.ini:1:", "[program]", "no name; ignored");
	struct drover_config *c = load_ok("[program:caf\xc3\xa9]\ncommand=x\n");    /* supervisord takes UTF-8 names */
	assert_string_equal(c->programs[0].name, "caf\xc3\xa9");
	config_free(c);
	/* nodaemon = true is what droverd does anyway: not worth a warning */
	config_free(quiet("[supervisord]\nnodaemon=true\n"));
	warns_only("[supervisord]\nnodaemon=false\n", "t.ini:2:", "nodaemon", "always runs in the foreground");
}

static void test_default_section(void **state)
{
	(void) state;
	struct drover_config *c = load_ok("[DEFAULT]\nautostart=false\nstartsecs=5\n"
	                                  "[program:a]\ncommand=x\n[program:b]\ncommand=y\nautostart=true\n");
	assert_false(prog(c, "a")->autostart);
	assert_true(prog(c, "b")->autostart);
	assert_int_equal(prog(c, "b")->startsecs, 5);
	config_free(c);
	/* [DEFAULT] reaches [supervisord] and [group:x] too, as in supervisord's parser */
	c = load_ok("[DEFAULT]\numask=027\npriority=7\n[supervisord]\n[group:g]\nprograms=a\n[program:a]\ncommand=x\n");
	assert_int_equal(c->umask, 027);
	assert_int_equal(c->programs[0].group_priority, 7);
	config_free(c);
	warns_only("[DEFAULT]\nautostrat=false\n", "t.ini:2:", "[DEFAULT] autostrat", "did you mean 'autostart'?");
}

static void test_include_warnings(void **state)
{
	(void) state;
	write_file("incw/main.ini", "[include]\nfiles = nothere.ini conf.d/*.conf missing/dir/*.ini\n"
	                            "[program:a]\ncommand=x\n");
	write_file("incw/conf.d/README", "");
	struct config_diag d = { 0 };
	struct drover_config *c = NULL;
	char *p = tpath("incw/main.ini");
	assert_int_equal(config_load(p, &c, &d), 0);
	assert_int_equal(c->nprograms, 1);
	assert_true(diag_has(d.warnings, "main.ini:2:", "nothere.ini'", "matches no file in"));
	assert_true(diag_has(d.warnings, "main.ini:2:", "conf.d/*.conf'", "matches no file in"));
	assert_true(diag_has(d.warnings, "main.ini:2:", "missing/dir/*.ini'", "incw/missing does not exist"));
	config_free(c);
	config_diag_clear(&d);
	free(p);
	warns_only("[drover]\ninclude =\n", "t.ini:2:", "include", "names no file");
}

static void test_continuation_lines(void **state)
{
	(void) state;
	/* keys indented alike under their header are keys, as supervisord reads them */
	struct drover_config *c = quiet("[program:a]\n  command=/bin/sleep 5\n  startsecs=0\n");
	assert_int_equal(strv_length(c->programs[0].procs[0].argv), 2);
	assert_int_equal(c->programs[0].startsecs, 0);
	config_free(c);
	/* deeper: a continuation, joined as supervisord joins it, with a warning when it reads as a key */
	c = warns("[program:a]\ncommand=/bin/sleep\n  5\n  autostart = false\n", "t.ini:4:", "autostart = false",
	          "continues the value of 'command' (line 2)");
	assert_int_equal(strv_length(c->programs[0].procs[0].argv), 5);     /* sleep 5 autostart = false */
	assert_true(c->programs[0].autostart);
	config_free(c);
	/* environment= goes on with KEY=VALUE lines by design */
	c = quiet(P "environment=A=1,\n  B=2\n");
	assert_string_equal(strv_env_get(c->programs[0].procs[0].env, "B"), "2");
	config_free(c);
}

static void test_environment_like_supervisord(void **state)
{
	(void) state;
	/* supervisord keeps "hello": drover the whole value, with a warning */
	struct drover_config *c = warns(P "environment=A=hello world\n", "t.ini:3:", "environment",
	                                "supervisord reads A as 'hello'; drover keeps the whole value 'hello world'");
	assert_string_equal(strv_env_get(c->programs[0].procs[0].env, "A"), "hello world");
	config_free(c);
	warns_only(P "environment=URL=http://h/x?y=1\n", "t.ini:3:", "environment", "supervisord reads URL as 'http://h/x'");
	warns_only("[supervisord]\nenvironment=A=x#y\n", "t.ini:2:", "environment", "supervisord reads A as 'x'");
	/* the same meaning to both: no warning */
	c = quiet(P "environment=A=\"hello world\",B='p,q',DIRS=/usr/bin:/bin,C=%(program_name)s\n");
	assert_string_equal(strv_env_get(c->programs[0].procs[0].env, "A"), "hello world");
	config_free(c);
	/* what supervisord refuses is drover's own syntax: no comparison */
	config_free(quiet(P "environment=A=1\n  B=2\n"));
	config_free(quiet(P "environment=A=hello world,B=x\n"));
}

static void test_numbers_as_supervisord(void **state)
{
	(void) state;
	struct drover_config *c = warns(P "startsecs=-1\n", "t.ini:3:", "startsecs", "negative: taken as 0");
	assert_int_equal(c->programs[0].startsecs, 0);
	config_free(c);
	c = warns(P "startretries=-2\nstopwaitsecs=-5\n", "t.ini:4:", "stopwaitsecs", "negative");
	assert_int_equal(c->programs[0].startretries, 0);
	assert_int_equal(c->programs[0].stopwaitsecs, 0);
	config_free(c);
	c = warns(P "numprocs=0\n", "t.ini:3:", "numprocs", "no process");
	assert_int_equal(c->programs[0].nprocs, 0);
	config_free(c);
	warns_only(P "numprocs=-3\n", "t.ini:3:", "numprocs", "negative");
}

static void test_program_in_two_groups(void **state)
{
	(void) state;
	struct drover_config *c = warns("[group:g1]\nprograms=a\n[group:g2]\nprograms=a\n[program:a]\ncommand=x\n",
	                                "t.ini:4:", "[group:g2] programs", "runs once in each group");
	assert_int_equal(c->nprograms, 2);
	assert_string_equal(c->programs[0].procs[0].fullname, "g1:a");
	assert_string_equal(c->programs[1].procs[0].fullname, "g2:a");
	assert_string_equal(c->programs[1].procs[0].stdout_log.path, "/var/log/drover/g2_a-stdout.log");
	config_free(c);
	c = warns("[group:g]\nprograms=a,a\n[program:a]\ncommand=x\n", "t.ini:2:", "programs", "listed twice");
	assert_int_equal(c->nprograms, 1);
	config_free(c);
}

static void test_guardrails(void **state)
{
	(void) state;
	bad(P "stopsignal=TEMR\n", "t.ini:3:", "stopsignal", "unknown signal 'TEMR' (did you mean TERM?)");
	bad(P "stopsignal=SIGUSR3\n", "t.ini:3:", "stopsignal", "did you mean USR1?");
	warns_only("[program:a]\ncommand=wroker --x\n", "t.ini:2:", "command", "'wroker' is not on the PATH (did you mean 'worker'?)");
	warns_only("[program:a]\ncommand=/bin/slep 1\n", "t.ini:2:", "command", "'/bin/slep' does not exist (did you mean '/bin/sleep'?)");
	warns_only("[program:a]\ncommand=/etc/passwd\n", "t.ini:2:", "command", "is not an executable file");
	warns_only(P "user=drover-no-such-user\n", "t.ini:3:", "user", "does not exist");
	warns_only(P "stdout_logfile=/nonexistent-dir/a.log\n", "t.ini:3:", "stdout_logfile",
	           "directory /nonexistent-dir does not exist");
	warns_only("[supervisord]\nuser=drover-no-such-user\n", "t.ini:2:", "[supervisord] user", "does not exist");
	/* the PATH the program runs with is the one searched */
	config_free(quiet("[program:a]\ncommand=sleep 1\nenvironment=PATH=/bin\n"));
	warns_only("[program:a]\ncommand=worker\nenvironment=PATH=/nonexistent\n", "t.ini:2:", "command", "not on the PATH");
	/* a bad maxbytes is an error, and only that */
	struct config_diag d = { 0 };
	struct drover_config *c = NULL;
	assert_int_equal(config_load_string(P "stdout_logfile_maxbytes=lots\n", "t.ini", &c, &d), -EINVAL);
	assert_int_equal(count(d.errors), 1);
	assert_null(d.warnings);
	config_diag_clear(&d);
}

static int group_setup(void **state)
{
	(void) state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/drover-test-config.XXXXXX");
	if (!mkdtemp(tmpdir))
		return -1;
	/* the one-letter commands of these tests exist on the PATH: no "not on the PATH" warnings */
	static const char *const cmds[] = { "x", "y", "z", "a", "b", "c", "worker" };
	for (size_t i = 0; i < ELEMENTSOF(cmds); i++) {
		char *rel = xasprintf("bin/%s", cmds[i]);
		write_bytes(rel, "#!/bin/sh\n", 10, 0755);
		free(rel);
	}
	char *path = xasprintf("%s/bin:/usr/bin:/bin", tmpdir);
	setenv("PATH", path, 1);
	free(path);
	return 0;
}

static int group_teardown(void **state)
{
	(void) state;
	char *cmd = xasprintf("rm -rf '%s'", tmpdir);
	int r = system(cmd);
	free(cmd);
	return r == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_empty_file),
		cmocka_unit_test(test_drover_section),
		cmocka_unit_test(test_booleans),
		cmocka_unit_test(test_numbers_and_sizes),
		cmocka_unit_test(test_signals_exitcodes_autorestart),
		cmocka_unit_test(test_group_kill_umask_user_dir),
		cmocka_unit_test(test_drover_extensions),
		cmocka_unit_test(test_checks),
		cmocka_unit_test(test_case_comments_bom),
		cmocka_unit_test(test_command_split),
		cmocka_unit_test(test_environment),
		cmocka_unit_test(test_long_lines),
		cmocka_unit_test(test_expansions),
		cmocka_unit_test(test_includes),
		cmocka_unit_test(test_include_errors),
		cmocka_unit_test(test_nul_and_long_line_files),
		cmocka_unit_test(test_root_refuses_writable),
		cmocka_unit_test(test_groups),
		cmocka_unit_test(test_supervisord_compat),
		cmocka_unit_test(test_pidfile_user),
		cmocka_unit_test(test_restart_or_live),
		cmocka_unit_test(test_bad_program_values),
		cmocka_unit_test(test_bad_commands),
		cmocka_unit_test(test_bad_quotes_env_expansions),
		cmocka_unit_test(test_bad_sections),
		cmocka_unit_test(test_bad_drover_supervisord),
		cmocka_unit_test(test_all_errors_reported),
		cmocka_unit_test(test_more_includes_and_limits),
		cmocka_unit_test(test_warnings),
		cmocka_unit_test(test_repeated_keys_and_sections),
		cmocka_unit_test(test_unknown_keys_and_sections),
		cmocka_unit_test(test_default_section),
		cmocka_unit_test(test_include_warnings),
		cmocka_unit_test(test_continuation_lines),
		cmocka_unit_test(test_environment_like_supervisord),
		cmocka_unit_test(test_numbers_as_supervisord),
		cmocka_unit_test(test_program_in_two_groups),
		cmocka_unit_test(test_guardrails),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
