/* The reload plan (daemon/conf/reload-plan.c): old and new config -> per process added, changed
 * (restart), updated in place, removed or unchanged, in a stable order, and the daemon settings
 * that differ. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
		fail_msg("config rejected: %s", text);
	}
	config_diag_clear(&d);
	return c;
}

/* The plan as one line: "name:action name:action ...", in plan order. */
static char *plan_line(const struct reload_plan *p)
{
	char *s = xstrdup("");
	for (size_t i = 0; i < p->n; i++) {
		char *n = xasprintf("%s%s%s:%s", s, i ? " " : "", p->entries[i].fullname,
		                    plan_action_to_string(p->entries[i].action));
		free(s);
		s = n;
	}
	return s;
}

static void check_plan(const char *old_text, const char *new_text, const char *want)
{
	struct drover_config *a = old_text ? load(old_text) : NULL, *b = load(new_text);
	struct reload_plan p;
	reload_plan_build(a, b, &p);
	char *got = plan_line(&p);
	if (strcmp(got, want) != 0)
		fail_msg("plan\n  got:  %s\n  want: %s", got, want);
	size_t total = 0;
	for (int i = 0; i < PLAN_ACTION_MAX; i++)
		total += p.count[i];
	assert_int_equal(total, p.n);
	free(got);
	reload_plan_free(&p);
	config_free(a);
	config_free(b);
}

#define A "[program:a]\ncommand=/bin/a\n"
#define B "[program:b]\ncommand=/bin/b\n"
#define C "[program:c]\ncommand=/bin/c\n"

static void test_actions(void **state)
{
	(void) state;
	check_plan(A B, A B, "a:unchanged b:unchanged");
	check_plan(NULL, A B, "a:added b:added");
	check_plan(A, A B, "a:unchanged b:added");
	check_plan(A B, B, "b:unchanged a:removed");
	check_plan(A B, "[program:a]\ncommand=/bin/a x\n" B, "a:changed b:unchanged");
	check_plan(A B, A "[program:b]\ncommand=/bin/b\nstartsecs=5\n", "a:unchanged b:updated");
	/* a live key and a restarting key together: the restart wins */
	check_plan(A, "[program:a]\ncommand=/bin/a\nstartsecs=5\nuser=nobody\n", "a:changed");
	/* everything new in the new config's order, then the removed ones in the old config's order */
	check_plan(A B C, C "[program:d]\ncommand=/bin/d\n" A, "c:unchanged d:added a:unchanged b:removed");
}

static void test_numprocs_and_groups(void **state)
{
	(void) state;
	static const char two[] = "[program:w]\ncommand=/bin/w %(process_num)d\nnumprocs=2\n"
	                          "process_name=%(program_name)s_%(process_num)d\n";
	static const char three[] = "[program:w]\ncommand=/bin/w %(process_num)d\nnumprocs=3\n"
	                            "process_name=%(program_name)s_%(process_num)d\n";
	/* numprocs names the processes: growing adds one, the others are untouched */
	check_plan(two, three, "w:w_0:unchanged w:w_1:unchanged w:w_2:added");
	check_plan(three, two, "w:w_0:unchanged w:w_1:unchanged w:w_2:removed");
	/* %(numprocs)d in the command: every process changes */
	static const char n2[] = "[program:w]\ncommand=/bin/w %(numprocs)d\nnumprocs=2\n"
	                         "process_name=%(program_name)s_%(process_num)d\n";
	static const char n3[] = "[program:w]\ncommand=/bin/w %(numprocs)d\nnumprocs=3\n"
	                         "process_name=%(program_name)s_%(process_num)d\n";
	check_plan(n2, n3, "w:w_0:changed w:w_1:changed w:w_2:added");
	/* joining a group renames the process (g:a): the old one goes, the new one comes */
	check_plan(A B, A B "[group:g]\nprograms=a\n", "g:a:added b:unchanged a:removed");
	/* group priority is applied in place */
	check_plan(A "[group:g]\nprograms=a\n", A "[group:g]\nprograms=a\npriority=5\n", "g:a:updated");
}

static void test_changed_keys(void **state)
{
	(void) state;
	struct drover_config *a = load(A), *b = load("[program:a]\ncommand=/bin/a 2\nstartsecs=3\nenvironment=X=1\n");
	struct reload_plan p;
	char buf[128];
	reload_plan_build(a, b, &p);
	assert_int_equal(p.n, 1);
	assert_int_equal(p.entries[0].action, PLAN_CHANGED);
	assert_ptr_equal(p.entries[0].old_prog, &a->programs[0]);
	assert_ptr_equal(p.entries[0].new_proc, &b->programs[0].procs[0]);
	reload_plan_keys_to_string(&p.entries[0].changed, false, buf, sizeof(buf));
	assert_string_equal(buf, "command, environment, startsecs");
	reload_plan_keys_to_string(&p.entries[0].changed, false, buf, 12);   /* cut at an item */
	assert_string_equal(buf, "command");
	assert_true(config_keyset_empty(&p.daemon_changed));
	assert_int_equal(p.count[PLAN_CHANGED], 1);
	reload_plan_free(&p);
	assert_null(p.entries);
	reload_plan_free(NULL);
	config_free(a);
	config_free(b);
}

static void test_daemon_changes(void **state)
{
	(void) state;
	struct drover_config *a = load("[drover]\nname=x\n[supervisord]\npidfile=/run/a.pid\n" A);
	struct drover_config *b = load("[drover]\nname=y\nsubreaper=false\ncontrol_mode=0660\npidfile=/run/b.pid\n"
	                               "[supervisord]\numask=022\n" A);
	struct reload_plan p;
	char buf[128];
	reload_plan_build(a, b, &p);
	reload_plan_keys_to_string(&p.daemon_changed, true, buf, sizeof(buf));
	/* pidfile once (under [drover]); umask is compared in the programs it is merged into */
	assert_string_equal(buf, "name, control_mode, subreaper, pidfile");
	assert_int_equal(p.entries[0].action, PLAN_CHANGED);
	reload_plan_keys_to_string(&p.entries[0].changed, false, buf, sizeof(buf));
	assert_string_equal(buf, "umask");
	reload_plan_free(&p);
	config_free(a);
	config_free(b);
}

static void test_empty(void **state)
{
	(void) state;
	struct drover_config *a = load("");
	struct reload_plan p;
	reload_plan_build(a, a, &p);
	assert_int_equal(p.n, 0);
	reload_plan_free(&p);
	reload_plan_build(NULL, a, &p);
	assert_int_equal(p.n, 0);
	reload_plan_free(&p);
	config_free(a);
	assert_string_equal(plan_action_to_string(PLAN_REMOVED), "removed");
	assert_string_equal(plan_action_to_string(PLAN_ACTION_MAX), "?");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_actions),
		cmocka_unit_test(test_numprocs_and_groups),
		cmocka_unit_test(test_changed_keys),
		cmocka_unit_test(test_daemon_changes),
		cmocka_unit_test(test_empty),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
