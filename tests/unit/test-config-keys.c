/* The key tables round trip (daemon/conf/config-keys.c): every key of [program:x], [drover] and
 * [supervisord] is parsed from a non-default value, stored where its table entry says, and a
 * change of it is found by the comparator and classified restart or live as the table says.
 * A key added to a table without a sample here fails this test. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/conf/config-compare.h"
#include "daemon/conf/config-keys.h"
#include "daemon/conf/config.h"
#include "daemon/conf/reload-plan.h"
#include "util.h"

static struct drover_config *load(const char *text)
{
	struct config_diag d = { 0 };
	struct drover_config *c = NULL;
	if (config_load_string(text, "/etc/drover/t.ini", &c, &d) != 0) {
		for (char **e = d.errors; e && *e; e++)
			print_message("  error: %s\n", *e);
		fail_msg("config rejected:\n%s", text);
	}
	config_diag_clear(&d);
	return c;
}

/* "a, b" -> a set of program keys (or daemon keys). */
static struct config_keyset keyset(const char *names, bool daemon)
{
	struct config_keyset s = { { 0 } };
	char **v = config_split_list(names ? names : "", ",");
	for (char **n = v; n && *n; n++) {
		int k = -1;
		for (int i = 0; i < (daemon ? DK_MAX : PK_MAX) && k < 0; i++)
			if (strcmp((daemon ? daemon_keys : program_keys)[i].name, *n) == 0)
				k = i;
		if (k < 0)
			fail_msg("no key '%s'", *n);
		config_keyset_add(&s, (unsigned) k);
	}
	strv_free(v);
	return s;
}

static void assert_keyset(const struct config_keyset *got, const struct config_keyset *want, bool daemon,
                          const char *what)
{
	if (memcmp(got, want, sizeof(*got)) != 0) {
		char g[512], w[512];
		reload_plan_keys_to_string(got, daemon, g, sizeof(g));
		reload_plan_keys_to_string(want, daemon, w, sizeof(w));
		fail_msg("%s: differing keys '%s', want '%s'", what, g, w);
	}
}

#define BASE_PROGRAM "[program:a]\ncommand=/bin/a 1\n"
/* Headers of the other section types, with the key each needs (added to the base as well). */
#define LISTENER "eventlistener:a]\nevents=PROCESS_STATE"
#define FCGI     "fcgi-program:a]\nsocket=unix:///run/a.sock"
#define OTHERS       "[program:b]\ncommand=/bin/b\n"

/* A [program:a] key: LINE goes into [program:a]; SECTIONS follow it in the changed config
 * (BASE_SECTIONS in both). ALSO: other keys the change moves with it (their rules say so). */
static const struct program_sample {
	enum program_key key;
	const char *line, *sections, *base_sections, *also;
	const char *header;     /* the section type with what it needs (NULL: "program") */
} program_samples[] = {
	{ PK_COMMAND, "command=/bin/a 2", NULL, NULL, NULL, NULL },
	/* AUTO log files are named after the process */
	{ PK_PROCESS_NAME, "process_name=other", NULL, NULL, "stdout_logfile, stderr_logfile", NULL },
	{ PK_NUMPROCS, "numprocs=2\nprocess_name=a_%(process_num)d", NULL, NULL,
	  "process_name, stdout_logfile, stderr_logfile", NULL },
	{ PK_NUMPROCS_START, "numprocs_start=5", NULL, NULL, NULL, NULL },
	{ PK_DIRECTORY, "directory=/tmp", NULL, NULL, NULL, NULL },
	{ PK_USER, "user=nobody", NULL, NULL, NULL, NULL },
	{ PK_ENVIRONMENT, "environment=A=1", NULL, NULL, NULL, NULL },
	{ PK_UMASK, "umask=027", NULL, NULL, NULL, NULL },
	{ PK_PRIORITY, "priority=5", NULL, NULL, "group_priority", NULL },   /* a program outside a group is its own group */
	{ PK_AUTOSTART, "autostart=false", NULL, NULL, NULL, NULL },
	{ PK_AUTORESTART, "autorestart=true", NULL, NULL, NULL, NULL },
	{ PK_EXITCODES, "exitcodes=0,1", NULL, NULL, NULL, NULL },
	{ PK_STARTSECS, "startsecs=5", NULL, NULL, NULL, NULL },
	{ PK_STARTRETRIES, "startretries=infinite", NULL, NULL, NULL, NULL },
	{ PK_STOPSIGNAL, "stopsignal=INT", NULL, NULL, NULL, NULL },
	{ PK_STOPWAITSECS, "stopwaitsecs=3", NULL, NULL, NULL, NULL },
	{ PK_STOPASGROUP, "stopasgroup=true", NULL, NULL, "killasgroup", NULL },      /* killasgroup follows it */
	{ PK_KILLASGROUP, "killasgroup=true", NULL, NULL, NULL, NULL },
	{ PK_REDIRECT_STDERR, "redirect_stderr=true", NULL, NULL, "stderr_logfile", NULL },  /* no stderr log then */
	{ PK_STDOUT_LOGFILE, "stdout_logfile=/tmp/o.log", NULL, NULL, NULL, NULL },
	{ PK_STDOUT_LOGFILE_MAXBYTES, "stdout_logfile_maxbytes=1KB", NULL, NULL, NULL, NULL },
	{ PK_STDOUT_LOGFILE_BACKUPS, "stdout_logfile_backups=2", NULL, NULL, NULL, NULL },
	{ PK_STDERR_LOGFILE, "stderr_logfile=NONE", NULL, NULL, NULL, NULL },
	{ PK_STDERR_LOGFILE_MAXBYTES, "stderr_logfile_maxbytes=1KB", NULL, NULL, NULL, NULL },
	{ PK_STDERR_LOGFILE_BACKUPS, "stderr_logfile_backups=2", NULL, NULL, NULL, NULL },
	{ PK_READY, "ready=scoreboard", NULL, NULL, NULL, NULL },
	{ PK_READY_INTERVAL, "ready_interval=0.2", NULL, NULL, NULL, NULL },
	{ PK_READY_TIMEOUT, "ready_timeout=3", NULL, NULL, NULL, NULL },
	{ PK_HEALTH, "health=tcp:127.0.0.1:80", NULL, NULL, NULL, NULL },
	{ PK_HEALTH_INTERVAL, "health_interval=1.5", NULL, NULL, NULL, NULL },
	{ PK_HEALTH_TIMEOUT, "health_timeout=1", NULL, NULL, NULL, NULL },
	{ PK_HEALTH_FAILURES, "health_failures=1", NULL, NULL, NULL, NULL },
	{ PK_HEALTH_ACTION, "health_action=log", NULL, NULL, NULL, NULL },
	/* the NOTIFY_SOCKET is in the worker's environment: giving it restarts */
	{ PK_NOTIFY_SOCKET, "ready=notify", NULL, NULL, "ready", NULL },
	{ PK_DEPENDS_COMPLETED, "depends_on=b:completed", NULL, NULL, "depends_on", NULL },
	{ PK_HEARTBEAT_TIMEOUT, "heartbeat_timeout=2", NULL, NULL, NULL, NULL },
	{ PK_BACKOFF, "backoff=exponential", NULL, NULL, NULL, NULL },
	{ PK_BACKOFF_INITIAL, "backoff_initial=2", NULL, NULL, NULL, NULL },
	{ PK_BACKOFF_MAX, "backoff_max=90", NULL, NULL, NULL, NULL },
	{ PK_BACKOFF_RESET, "backoff_reset=4", NULL, NULL, NULL, NULL },
	{ PK_FATAL_RETRY, "fatal_retry=5", NULL, NULL, NULL, NULL },
	{ PK_RESPAWN_INTERVAL, "respawn_interval=0", NULL, NULL, NULL, NULL },
	{ PK_KILLTREE, "killtree=false", NULL, NULL, NULL, NULL },
	{ PK_DEPENDS_ON, "depends_on=b", NULL, NULL, NULL, NULL },
	{ PK_RESTART_WITH_DEPENDENCY, "restart_with_dependency=true", NULL, NULL, NULL, NULL },
	{ PK_ENVIRONMENT_FILE, "environment_file=-/etc/x.env", NULL, NULL, NULL, NULL },
	{ PK_STDOUT_EVENTS_ENABLED, "stdout_events_enabled=true", NULL, NULL, NULL, NULL },
	{ PK_STDERR_EVENTS_ENABLED, "stderr_events_enabled=true", NULL, NULL, NULL, NULL },
	{ PK_SHUTDOWN_ON, "shutdown_on=unexpected", NULL, NULL, NULL, NULL },
	{ PK_LOG_TIMESTAMPS, "log_timestamps=utc", NULL, NULL, NULL, NULL },
	{ PK_EVENTS, "events=TICK_5", NULL, NULL, NULL, LISTENER },
	{ PK_BUFFER_SIZE, "buffer_size=50", NULL, NULL, NULL, LISTENER },
	{ PK_RESULT_HANDLER, "result_handler=supervisor.dispatchers:default_handler", NULL, NULL, NULL, LISTENER },
	{ PK_SOCKET, "socket=tcp://127.0.0.1:9001", NULL, NULL, NULL, FCGI },
	{ PK_SOCKET_OWNER, "socket_owner=nobody", NULL, NULL, NULL, FCGI },
	{ PK_SOCKET_MODE, "socket_mode=0770", NULL, NULL, NULL, FCGI },
	{ PK_SOCKET_BACKLOG, "socket_backlog=5", NULL, NULL, NULL, FCGI },
	/* a listener: its events and buffer, and the priority -1 of its pool */
	{ PK_KIND, "", NULL, NULL, "events, buffer_size, group_priority", LISTENER },
	{ PK_GROUP, "", "[group:g]\nprograms=a\n", NULL, NULL, NULL },
	{ PK_GROUP_PRIORITY, "", "[group:g]\nprograms=a\npriority=5\n", "[group:g]\nprograms=a\n", NULL, NULL },
};

static void test_program_keys(void **state)
{
	(void) state;
	bool seen[PK_MAX] = { false };

	for (size_t i = 0; i < ELEMENTSOF(program_samples); i++) {
		const struct program_sample *t = &program_samples[i];
		const struct config_key *k = &program_keys[t->key];
		/* the same type of section on both sides, but for the section type itself (kind) */
		const char *base_header = t->header && t->key != PK_KIND ? t->header : "program:a]\n";
		char *base_text = xasprintf("[%s\ncommand=/bin/a 1\n" OTHERS "%s", base_header,
		                            t->base_sections ? t->base_sections : "");
		char *text = xasprintf("[%s\n%s\n%s" OTHERS "%s", t->header ? t->header : "program:a]\n", t->line,
		                       t->key == PK_COMMAND ? "" : "command=/bin/a 1\n", t->sections ? t->sections : "");
		struct drover_config *x = load(base_text), *y = load(text);
		const struct program_config *pa = &x->programs[0], *pb = &y->programs[0];
		const struct proc_config *a = &pa->procs[0], *b = &pb->procs[0];

		assert_false(seen[t->key]);
		seen[t->key] = true;
		/* parsed and stored where the table says */
		if (k->target == CT_PROC ? config_key_equal(k, a, b) : config_key_equal(k, pa, pb))
			fail_msg("%s: '%s' stored nothing new", k->name, t->line);
		/* compared: exactly this key (and what moves with it) differs */
		struct config_keyset got, want = keyset(t->also, false);
		if (k->reload != CR_IDENTITY)
			config_keyset_add(&want, t->key);
		config_proc_diff(pa, a, pb, b, &got);
		assert_keyset(&got, &want, false, k->name);
		/* classified as the table says */
		bool restarts = false;
		for (unsigned n = 0; n < PK_MAX; n++)
			if (config_keyset_has(&want, n))
				restarts |= program_keys[n].reload == CR_RESTART;
		assert_int_equal(config_keyset_restarts(&got), restarts);
		if (k->reload == CR_RESTART)
			assert_true(restarts);
		/* and planned so, when the process keeps its name */
		if (strcmp(a->fullname, b->fullname) == 0) {
			struct reload_plan plan;
			reload_plan_build(x, y, &plan);
			assert_int_equal(plan.entries[0].action,
			                 restarts ? PLAN_CHANGED : config_keyset_empty(&want) ? PLAN_UNCHANGED : PLAN_UPDATED);
			reload_plan_free(&plan);
		}
		config_free(x);
		config_free(y);
		free(base_text);
		free(text);
	}
	for (int n = 0; n < PK_MAX; n++)
		if (!seen[n])
			fail_msg("[program:x] key '%s' has no sample in this test", program_keys[n].name);
}

/* A [drover] or [supervisord] key: its section's text, the daemon fields that differ then, and
 * the program keys that differ (for keys merged into every program). */
static const struct daemon_sample {
	enum daemon_key key;
	const char *text, *daemon, *program;
} daemon_samples[] = {
	{ DK_NAME, "[drover]\nname=other\n", "name", NULL },
	{ DK_LOG_DIR, "[drover]\nlog_dir=/tmp/l\n", NULL, "stdout_logfile, stderr_logfile" },
	{ DK_RUN_DIR, "[drover]\nrun_dir=/tmp/r\n", "run_dir", NULL },
	{ DK_CONTROL_MODE, "[drover]\ncontrol_mode=0660\n", "control_mode", NULL },
	{ DK_CONTROL_GROUP, "[drover]\ncontrol_group=0\n", "control_group", NULL },
	{ DK_INCLUDE, "[drover]\ninclude=/nonexistent-dir/*.ini\n", NULL, NULL },
	{ DK_SUBREAPER, "[drover]\nsubreaper=false\n", "subreaper", NULL },
	{ DK_PIDFILE, "[drover]\npidfile=/run/x.pid\n", "pidfile", NULL },
	{ DK_USER, "[drover]\nuser=nobody\n", "user", "user" },   /* the programs run as it */
	{ DK_SHUTDOWN_WHEN_ALL_EXITED, "[drover]\nshutdown_when_all_exited=true\n", "shutdown_when_all_exited", NULL },
	{ DK_METRICS_FILE, "[drover]\nmetrics_file=/var/lib/prometheus/node-exporter/drover.prom\n", "metrics_file", NULL },
	{ DK_METRICS_INTERVAL, "[drover]\nmetrics_interval=60\n", "metrics_interval", NULL },
	{ DK_LOG_TIMESTAMPS, "[drover]\nlog_timestamps=utc\n", "log_timestamps", NULL },
	{ DK_SV_CHILDLOGDIR, "[supervisord]\nchildlogdir=/tmp/c\n", NULL, "stdout_logfile, stderr_logfile" },
	{ DK_SV_ENVIRONMENT, "[supervisord]\nenvironment=A=1\n", NULL, "environment" },
	{ DK_SV_UMASK, "[supervisord]\numask=027\n", NULL, "umask" },
	{ DK_SV_MINFDS, "[supervisord]\nminfds=4096\n", "minfds", NULL },
	{ DK_SV_MINPROCS, "[supervisord]\nminprocs=300\n", "minprocs", NULL },
	{ DK_SV_PIDFILE, "[supervisord]\npidfile=/run/x.pid\n", "pidfile", NULL },    /* the field [drover] shares */
	{ DK_SV_USER, "[supervisord]\nuser=nobody\n", "user", "user" },
	{ DK_SV_IDENTIFIER, "[supervisord]\nidentifier=box\n", "identifier", NULL },
};

static void test_daemon_keys(void **state)
{
	(void) state;
	bool seen[DK_MAX] = { false };
	struct drover_config *x = load(BASE_PROGRAM);

	for (size_t i = 0; i < ELEMENTSOF(daemon_samples); i++) {
		const struct daemon_sample *t = &daemon_samples[i];
		const struct config_key *k = &daemon_keys[t->key];
		char *text = xasprintf("%s" BASE_PROGRAM, t->text);
		struct drover_config *y = load(text);

		assert_false(seen[t->key]);
		seen[t->key] = true;
		assert_int_equal(daemon_key_lookup(k->name, daemon_key_is_drover(t->key)), t->key);
		if (k->target == CT_DAEMON && config_key_equal(k, x, y))
			fail_msg("%s: '%s' stored nothing new", k->name, t->text);
		if (k->target != CT_DAEMON)
			assert_int_equal(k->type, CV_GLOBS);       /* the reader's: never stored */
		struct config_keyset got, want = keyset(t->daemon, true);
		config_daemon_diff(x, y, &got);
		assert_keyset(&got, &want, true, k->name);
		want = keyset(t->program, false);
		config_proc_diff(&x->programs[0], &x->programs[0].procs[0], &y->programs[0], &y->programs[0].procs[0], &got);
		assert_keyset(&got, &want, false, k->name);
		config_free(y);
		free(text);
	}
	config_free(x);
	for (int n = 0; n < DK_MAX; n++)
		if (!seen[n])
			fail_msg("daemon key '%s' has no sample in this test", daemon_keys[n].name);
}

/* The defaults in the table are values of their keys: a config that writes every default out
 * equals one that writes none. */
static void test_defaults_round_trip(void **state)
{
	(void) state;
	char *text = xstrdup(BASE_PROGRAM);
	for (int i = 0; i < PK_MAX; i++) {
		if (!program_keys[i].def || program_keys[i].derived || i == PK_COMMAND)
			continue;
		char *t = xasprintf("%s%s=%s\n", text, program_keys[i].name, program_keys[i].def);
		free(text);
		text = t;
	}
	struct drover_config *x = load(BASE_PROGRAM), *y = load(text);
	struct config_keyset got, none = { { 0 } };
	config_proc_diff(&x->programs[0], &x->programs[0].procs[0], &y->programs[0], &y->programs[0].procs[0], &got);
	assert_keyset(&got, &none, false, "defaults written out");
	config_free(x);
	config_free(y);
	free(text);
}

static void test_table_shape(void **state)
{
	(void) state;
	for (int i = 0; i < PK_MAX; i++) {
		const struct config_key *k = &program_keys[i];
		assert_non_null(k->name);
		assert_true(k->target == CT_PROGRAM || k->target == CT_PROC);
		/* a per-process field that is not expanded per process is copied: it must be a scalar */
		if (k->target == CT_PROC && !k->per_process)
			assert_false(config_key_owns_memory(k));
		/* only derived keys are hidden from users */
		assert_int_equal(program_key_lookup(k->name), k->derived ? -1 : i);
		assert_true(k->reload == CR_RESTART || k->reload == CR_LIVE || k->reload == CR_IDENTITY);
	}
	assert_int_equal(program_key_lookup("group"), -1);    /* supervisord has no such key: unknown */
	assert_string_equal(config_reload_to_string(CR_LIVE), "live");
	assert_string_equal(config_reload_to_string(CR_MAX), "?");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_program_keys),
		cmocka_unit_test(test_daemon_keys),
		cmocka_unit_test(test_defaults_round_trip),
		cmocka_unit_test(test_table_shape),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
