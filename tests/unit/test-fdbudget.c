/* Unit tests for the load-time descriptor budget: what one running process costs droverd by its
 * logging, and how many of a config's processes fit a given number of descriptors. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "conf/config.h"
#include "core/fdbudget.h"

static struct drover_config *load(const char *text)
{
	struct drover_config *c = NULL;
	struct config_diag d = { 0 };
	int r = config_load_string(text, "t.ini", &c, &d);
	config_diag_clear(&d);
	assert_int_equal(r, 0);
	assert_non_null(c);
	return c;
}

static size_t cost_of(const char *program_text)
{
	struct drover_config *c = load(program_text);
	assert_true(c->nprograms >= 1);
	size_t n = fdbudget_process(&c->programs[0], &c->programs[0].procs[0]);
	config_free(c);
	return n;
}

static void test_process_cost(void **state)
{
	/* both streams to files (the default): the pidfd, and a pipe and a file for each */
	assert_int_equal(cost_of("[program:a]\ncommand = /bin/true\n"), 5);
	/* nothing captured: the pidfd alone */
	assert_int_equal(cost_of("[program:a]\ncommand = /bin/true\nstdout_logfile = NONE\nstderr_logfile = NONE\n"), 1);
	/* stderr into stdout: one stream */
	assert_int_equal(cost_of("[program:a]\ncommand = /bin/true\nredirect_stderr = true\n"), 3);
	/* only stdout to a file */
	assert_int_equal(cost_of("[program:a]\ncommand = /bin/true\nstderr_logfile = NONE\n"), 3);
	/* not logged, but readiness read from the output: a pipe for each stream, no file */
	assert_int_equal(cost_of("[program:a]\ncommand = /bin/true\nstdout_logfile = NONE\nstderr_logfile = NONE\n"
	                         "ready = log:listening\n"), 3);
	/* a notify socket (ready = notify) is one more */
	assert_int_equal(cost_of("[program:a]\ncommand = /bin/true\nstdout_logfile = NONE\nstderr_logfile = NONE\n"
	                         "ready = notify\n"), 2);
}

static void test_check_fit(void **state)
{
	struct drover_config *c = load("[program:logged]\ncommand = /bin/true\nnumprocs = 3\n"
	                               "process_name = %(program_name)s_%(process_num)d\n\n"
	                               "[program:quiet]\ncommand = /bin/true\nnumprocs = 4\n"
	                               "process_name = %(program_name)s_%(process_num)d\n"
	                               "stdout_logfile = NONE\nstderr_logfile = NONE\n");
	struct fdbudget b;
	/* 3 x 5 + 4 x 1 = 19 */
	assert_true(fdbudget_check(c, 19, &b));
	assert_int_equal(b.nprocs, 7);
	assert_int_equal(b.need, 19);
	assert_int_equal(b.fit, 7);
	assert_int_equal(b.biggest_need, 5);
	assert_string_equal(b.biggest->name, "logged");

	/* 12 descriptors: two logged processes fit (10); the third does not, nor anything after it
	 * (processes fit in file order, the way they start) */
	assert_false(fdbudget_check(c, 12, &b));
	assert_int_equal(b.need, 19);
	assert_int_equal(b.fit, 2);
	assert_false(fdbudget_check(c, 0, &b));
	assert_int_equal(b.fit, 0);

	char msg[512];
	fdbudget_describe(&b, 128, msg, sizeof(msg));
	assert_non_null(strstr(msg, "7 processes need 19 descriptors"));
	assert_non_null(strstr(msg, "limit is 128"));
	assert_non_null(strstr(msg, "0 of them fit"));
	assert_non_null(strstr(msg, "[program:logged]"));
	config_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_process_cost),
		cmocka_unit_test(test_check_fit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
