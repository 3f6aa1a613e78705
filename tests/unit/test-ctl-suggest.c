/* droverctl's "did you mean" for a mistyped command (ctl/cmd.c with the config's edit distance):
 * a near miss names the command, a word near nothing does not, hidden commands are never offered,
 * `help WORD` does the same; the exit status stays 2 (usage). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/cmd.h"

/* cmd_parse (or, for help, cmd_run) of argv; returns the exit status, *err what went to stderr. */
static int parse(int argc, const char **argv, char **err)
{
	size_t len = 0;
	FILE *e = open_memstream(err, &len), *o = fopen("/dev/null", "w");
	struct ctl_ctx ctx;
	struct cmd_args a;
	assert_non_null(e);
	assert_non_null(o);
	memset(&ctx, 0, sizeof(ctx));
	ctx.err = e;
	ctx.out = o;
	ctx.timeout_s = CTL_TIMEOUT_DEFAULT_S;
	int rc = cmd_parse(&ctx, argc, (char **) argv, &a);
	if (rc == 0)
		rc = cmd_run(&ctx, &a);
	fclose(e);
	fclose(o);
	return rc;
}

static void expect(const char *word, const char *want)
{
	const char *argv[] = { word };
	char *err = NULL;
	assert_int_equal(parse(1, argv, &err), CTL_EXIT_USAGE);
	if (!strstr(err, want))
		fail_msg("droverctl %s: '%s' lacks '%s'", word, err, want);
	free(err);
}

static void test_near_misses(void **state)
{
	(void) state;
	expect("stauts", "unknown command 'stauts': did you mean 'status'?");
	expect("restrat", "did you mean 'restart'?");
	expect("shutdwon", "did you mean 'shutdown'?");
	expect("STATUS", "did you mean 'status'?");
	expect("metrcs", "did you mean 'metrics'?");
	expect("relaod", "did you mean 'reload'?");
}

static void test_nothing_near(void **state)
{
	(void) state;
	const char *argv[] = { "xyzzy" };
	char *err = NULL;
	assert_int_equal(parse(1, argv, &err), CTL_EXIT_USAGE);
	assert_non_null(strstr(err, "unknown command 'xyzzy' (see 'droverctl help')"));
	assert_null(strstr(err, "did you mean"));
	free(err);
	/* the completion helper is hidden: never offered */
	const char *argv2[] = { "names" };
	assert_int_equal(parse(1, argv2, &err), CTL_EXIT_USAGE);
	assert_null(strstr(err, "_names"));
	free(err);
}

static void test_help_word(void **state)
{
	(void) state;
	const char *argv[] = { "help", "stauts" };
	char *err = NULL;
	assert_int_equal(parse(2, argv, &err), CTL_EXIT_USAGE);
	assert_non_null(strstr(err, "unknown command 'stauts': did you mean 'status'?"));
	free(err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_near_misses),
		cmocka_unit_test(test_nothing_near),
		cmocka_unit_test(test_help_word),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
