/* config_merge_groups (daemon/conf/config-merge.c): the running config with the named process
 * groups taken from the file; what a reload then sees; deep copies; dependency rules across the
 * groups taken and the ones kept. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/conf/config-compare.h"
#include "daemon/conf/config-merge.h"
#include "daemon/conf/config.h"
#include "daemon/conf/reload-plan.h"
#include "util.h"

static struct drover_config *load(const char *text)
{
	struct config_diag d = { 0 };
	struct drover_config *c = NULL;
	int r = config_load_string(text, "t.ini", &c, &d);
	for (char **e = d.errors; e && *e; e++)
		print_message("  error: %s\n", *e);
	assert_int_equal(r, 0);
	assert_non_null(c);
	config_diag_clear(&d);
	return c;
}

/* What a reload from OLD to NEW does, as "name:action" for each process that is not
 * unchanged, in the plan's order, space-separated ("" when nothing). */
static char *plan_text(const struct drover_config *old, const struct drover_config *new)
{
	struct reload_plan plan;
	char *s = xstrdup("");
	reload_plan_build(old, new, &plan);
	for (size_t i = 0; i < plan.n; i++) {
		if (plan.entries[i].action == PLAN_UNCHANGED)
			continue;
		char *t = xasprintf("%s%s%s:%s", s, *s ? " " : "", plan.entries[i].fullname,
		                    plan_action_to_string(plan.entries[i].action));
		free(s);
		s = t;
	}
	reload_plan_free(&plan);
	return s;
}

static void assert_plan(const struct drover_config *old, const struct drover_config *new, const char *want)
{
	char *got = plan_text(old, new);
	if (strcmp(got, want) != 0)
		fail_msg("plan: got '%s', want '%s'", got, want);
	free(got);
}

/* The programs of C as "group:name" in order. */
static void assert_programs(const struct drover_config *c, const char *want)
{
	char *s = xstrdup("");
	for (size_t i = 0; i < c->nprograms; i++) {
		char *t = xasprintf("%s%s%s:%s", s, *s ? " " : "", c->programs[i].group, c->programs[i].name);
		free(s);
		s = t;
	}
	if (strcmp(s, want) != 0)
		fail_msg("programs: got '%s', want '%s'", s, want);
	free(s);
}

static struct drover_config *merge_ok(const struct drover_config *running, const struct drover_config *file,
                                      const char *const *groups, size_t n)
{
	struct config_diag d = { 0 };
	struct drover_config *m = config_merge_groups(running, file, groups, n, &d);
	for (char **e = d.errors; e && *e; e++)
		print_message("  error: %s\n", *e);
	assert_non_null(m);
	assert_null(d.errors);
	return m;
}

/* The merge fails with one error holding A and B. */
static void merge_refused(const struct drover_config *running, const struct drover_config *file,
                          const char *const *groups, size_t n, const char *a, const char *b)
{
	struct config_diag d = { 0 };
	struct drover_config *m = config_merge_groups(running, file, groups, n, &d);
	assert_null(m);
	assert_int_equal(strv_length(d.errors), 1);
	if (!strstr(d.errors[0], a) || !strstr(d.errors[0], b))
		fail_msg("error '%s' lacks '%s' or '%s'", d.errors[0], a, b);
	config_diag_clear(&d);
}

#define RUNNING \
	"[supervisord]\nidentifier = one\n" \
	"[program:a]\ncommand = /bin/sleep 1\n" \
	"[group:g]\nprograms = c,d,r\npriority = 5\n" \
	"[program:c]\ncommand = /bin/sleep 1\n" \
	"[program:d]\ncommand = /bin/sleep 1\n" \
	"[program:r]\ncommand = /bin/sleep 1\n" \
	"[group:h]\nprograms = y\n" \
	"[program:y]\ncommand = /bin/sleep 1\n" \
	"[program:gone]\ncommand = /bin/sleep 1\n"

/* a changed; g: c changed, d's startsecs updated in place, r removed, n added (listed before
 * c); h: y changed, z added; gone removed; x added. */
#define FILE_ \
	"[supervisord]\nidentifier = two\n" \
	"[program:x]\ncommand = /bin/sleep 2\n" \
	"[program:a]\ncommand = /bin/sleep 2\n" \
	"[group:g]\nprograms = n,c,d\npriority = 5\n" \
	"[program:n]\ncommand = /bin/sleep 2\n" \
	"[program:c]\ncommand = /bin/sleep 2\n" \
	"[program:d]\ncommand = /bin/sleep 1\nstartsecs = 3\n" \
	"[group:h]\nprograms = y,z\n" \
	"[program:y]\ncommand = /bin/sleep 2\n" \
	"[program:z]\ncommand = /bin/sleep 2\n"

static void test_one_group(void **state)
{
	struct drover_config *running = load(RUNNING), *file = load(FILE_);
	const char *g[] = { "g" };
	struct drover_config *m = merge_ok(running, file, g, 1);

	/* running's order, the group's new program after everything */
	assert_programs(m, "a:a g:c g:d h:y gone:gone g:n");
	/* applying it changes g as the file says, nothing else */
	assert_plan(running, m, "g:c:changed g:d:updated g:n:added g:r:removed");
	/* what is still pending is all the rest: a later reread/reload plans against it */
	assert_plan(m, file, "x:added a:changed h:y:changed h:z:added gone:removed");
	/* daemon settings are the running ones */
	assert_string_equal(m->identifier, "one");
	struct config_keyset ks = { { 0 } };
	config_daemon_diff(running, m, &ks);
	assert_true(config_keyset_empty(&ks));
	config_free(m);
	config_free(running);
	config_free(file);
}

/* A program's own group (a program no [group:x] lists), a group the file removes entirely
 * (running only), one it adds (file only), and several at once, given in any order. */
static void test_own_added_removed_groups(void **state)
{
	struct drover_config *running = load(RUNNING), *file = load(FILE_);
	const char *g1[] = { "a" }, *g2[] = { "gone" }, *g3[] = { "x" }, *g4[] = { "x", "gone", "h", "a" };
	struct drover_config *m;

	m = merge_ok(running, file, g1, 1);
	assert_plan(running, m, "a:changed");
	config_free(m);
	m = merge_ok(running, file, g2, 1);
	assert_plan(running, m, "gone:removed");
	assert_programs(m, "a:a g:c g:d g:r h:y");
	config_free(m);
	m = merge_ok(running, file, g3, 1);
	assert_plan(running, m, "x:added");
	assert_programs(m, "a:a g:c g:d g:r h:y gone:gone x:x");
	config_free(m);
	m = merge_ok(running, file, g4, 4);
	assert_programs(m, "a:a g:c g:d g:r h:y x:x h:z");
	assert_plan(m, file, "g:n:added g:c:changed g:d:updated g:r:removed");
	config_free(m);
	/* every group named: the file's programs (in running's order, added ones after) */
	const char *all[] = { "a", "g", "h", "gone", "x" };
	m = merge_ok(running, file, all, 5);
	assert_plan(m, file, "");
	config_free(m);
	config_free(running);
	config_free(file);
}

/* No group, or names of no group: running unchanged (a copy); config_has_group tells the caller
 * which names to report. A program's name inside a group is not a group. */
static void test_unknown_names(void **state)
{
	struct drover_config *running = load(RUNNING), *file = load(FILE_);
	const char *g[] = { "nosuch", "c", "g:c" };
	struct drover_config *m = merge_ok(running, file, g, 3);
	assert_plan(running, m, "");
	assert_programs(m, "a:a g:c g:d g:r h:y gone:gone");
	config_free(m);
	m = merge_ok(running, file, NULL, 0);
	assert_plan(running, m, "");
	config_free(m);

	assert_true(config_has_group(running, "g"));
	assert_true(config_has_group(running, "gone"));
	assert_false(config_has_group(file, "gone"));
	assert_true(config_has_group(file, "x"));
	assert_false(config_has_group(running, "x"));
	for (size_t i = 0; i < 3; i++)
		assert_false(config_has_group(running, g[i]) || config_has_group(file, g[i]));
	config_free(running);
	config_free(file);
}

/* The copy owns everything: the two configs it came from are freed first (ASan sees any
 * shared pointer), and every key of every process still equals the source's. */
static void test_deep_copy(void **state)
{
	static const char text[] =
		"[program:a]\ncommand = /bin/sh -c 'echo %(process_num)d'\nnumprocs = 2\nprocess_name = a%(process_num)d\n"
		"environment = K=\"v w\",L=2\ndirectory = /tmp\nuser = nobody\nexitcodes = 0,3\n"
		"ready = tcp:127.0.0.1:80\nhealth = http://127.0.0.1:81/h\nstdout_logfile = /tmp/a-%(process_num)d.log\n"
		"depends_on = b\n"
		"[program:b]\ncommand = /bin/true\nstdout_logfile = NONE\nready = log:^ok\n"
		"[group:q]\nprograms = b\n";
	struct drover_config *running = load(text), *file = load(text), *ref = load(text);
	const char *g[] = { "a" };
	struct drover_config *m = merge_ok(running, file, g, 1);
	config_free(running);
	config_free(file);
	assert_plan(ref, m, "");
	for (size_t i = 0; i < ref->nprograms; i++)
		for (size_t k = 0; k < ref->programs[i].nprocs; k++) {
			struct config_keyset ks = { { 0 } };
			config_proc_diff(&ref->programs[i], &ref->programs[i].procs[k], &m->programs[i], &m->programs[i].procs[k],
			                 &ks);
			assert_true(config_keyset_empty(&ks));
			assert_string_equal(ref->programs[i].procs[k].fullname, m->programs[i].procs[k].fullname);
		}
	assert_string_equal(m->programs[0].procs[1].health.path, "/h");
	assert_string_equal(m->programs[0].depends_on[0], "b");
	assert_string_equal(m->file, ref->file);
	assert_string_equal(m->name, ref->name);
	config_free(m);
	config_free(ref);
}

/* A program listed by two groups is two programs: updating one group leaves the other's. */
static void test_program_in_two_groups(void **state)
{
	struct drover_config *running = load("[group:g]\nprograms = p\n[group:h]\nprograms = p\n"
	                                     "[program:p]\ncommand = /bin/sleep 1\n");
	struct drover_config *file = load("[group:g]\nprograms = p\n[group:h]\nprograms = p\n"
	                                  "[program:p]\ncommand = /bin/sleep 2\n");
	const char *g[] = { "h" };
	struct drover_config *m = merge_ok(running, file, g, 1);
	assert_plan(running, m, "h:p:changed");
	assert_plan(m, file, "g:p:changed");
	config_free(m);
	config_free(running);
	config_free(file);
}

/* depends_on across the line between groups taken and kept: a dependency the result lacks, or a
 * cycle made of old and new settings, is refused, naming the group to add. */
static void test_depends_across_groups(void **state)
{
	struct drover_config *running = load("[program:a]\ncommand = /bin/sleep 1\n"
	                                     "[program:b]\ncommand = /bin/sleep 1\n"
	                                     "[program:k]\ncommand = /bin/sleep 1\ndepends_on = b\n"
	                                     "[program:y]\ncommand = /bin/sleep 1\ndepends_on = a\n");
	struct drover_config *file = load("[program:a]\ncommand = /bin/sleep 1\ndepends_on = y\n"
	                                  "[group:h]\nprograms = new\n"
	                                  "[program:new]\ncommand = /bin/sleep 1\n"
	                                  "[program:k]\ncommand = /bin/sleep 1\n"
	                                  "[program:p]\ncommand = /bin/sleep 1\ndepends_on = new\n"
	                                  "[program:y]\ncommand = /bin/sleep 1\n");
	/* p (added) needs new, of group h */
	const char *g1[] = { "p" };
	merge_refused(running, file, g1, 1, "[program:p] depends_on: 'new'", "name group 'h' too");
	const char *g2[] = { "p", "h" };
	struct drover_config *m = merge_ok(running, file, g2, 2);
	assert_plan(running, m, "h:new:added p:added");
	config_free(m);
	/* b removed, k (kept) still depends on it: k's group must come along */
	const char *g3[] = { "b" };
	merge_refused(running, file, g3, 1, "[program:k] depends_on: 'b'", "name group 'k' too");
	const char *g4[] = { "b", "k" };
	m = merge_ok(running, file, g4, 2);
	config_free(m);
	/* a (new) depends on y, y (kept) on a: a cycle neither config has */
	const char *g5[] = { "a" };
	merge_refused(running, file, g5, 1, "dependency cycle", "name group 'y' too");
	const char *g6[] = { "a", "y" };
	m = merge_ok(running, file, g6, 2);
	config_free(m);
	config_free(running);
	config_free(file);
}

/* Thousands of programs: sorted lookups (a quadratic merge would take seconds here). */
static void test_many_programs(void **state)
{
	size_t n = 5000, len = 0;
	char *a = NULL, *b = NULL;
	for (int pass = 0; pass < 2; pass++) {
		char *t = NULL;
		len = 0;
		for (size_t i = 0; i < n; i++) {
			char *s = xasprintf("[program:p%zu]\ncommand = /bin/sleep %d\n", i, i % 2 ? pass + 1 : 1);
			size_t l = strlen(s);
			t = xrealloc(t, len + l + 1, 1);
			memcpy(t + len, s, l + 1);
			len += l;
			free(s);
		}
		*(pass ? &b : &a) = t;
	}
	struct drover_config *running = load(a), *file = load(b);
	const char **g = xcalloc(n, sizeof(*g));
	char **names = xcalloc(n, sizeof(*names));
	for (size_t i = 0; i < n; i++)
		g[i] = names[i] = xasprintf("p%zu", n - 1 - i);
	struct drover_config *m = merge_ok(running, file, g, n / 2);   /* the upper half: p2500..p4999 */
	struct reload_plan plan;
	reload_plan_build(running, m, &plan);
	assert_int_equal(plan.count[PLAN_CHANGED], n / 4);
	reload_plan_free(&plan);
	config_free(m);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	free(g);
	free(a);
	free(b);
	config_free(running);
	config_free(file);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_group),
		cmocka_unit_test(test_own_added_removed_groups),
		cmocka_unit_test(test_unknown_names),
		cmocka_unit_test(test_deep_copy),
		cmocka_unit_test(test_program_in_two_groups),
		cmocka_unit_test(test_depends_across_groups),
		cmocka_unit_test(test_many_programs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
