/* Which processes a droverctl name means (daemon/core/match.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "daemon/core/match.h"

/* [group:web] programs = nginx, php; php has numprocs = 2; [program:solo] alone. */
static const struct match_names nginx = { "web", "nginx", "nginx", "web:nginx" };
static const struct match_names php0 = { "web", "php", "php_00", "web:php_00" };
static const struct match_names solo = { "solo", "solo", "solo", "solo" };
/* numprocs without a group: the group is the program */
static const struct match_names w1 = { "worker", "worker", "worker_1", "worker:worker_1" };

static void test_all(void **state)
{
	assert_true(match_pattern("all", &nginx));
	assert_true(match_pattern("all", &solo));
}

static void test_group(void **state)
{
	assert_true(match_pattern("web", &nginx));
	assert_true(match_pattern("web", &php0));
	assert_false(match_pattern("web", &solo));
	assert_true(match_pattern("web:*", &php0));
	assert_false(match_pattern("we:*", &php0));      /* a prefix of the group is not the group */
	assert_false(match_pattern("webx:*", &php0));
	assert_false(match_pattern("solo:*", &nginx));
	assert_true(match_pattern("solo:*", &solo));
}

static void test_group_and_name(void **state)
{
	assert_true(match_pattern("web:php_00", &php0));
	assert_false(match_pattern("web:php", &php0));    /* the process name, not the program's */
	assert_false(match_pattern("web:php_00", &nginx));
	assert_true(match_pattern("worker:worker_1", &w1));
	assert_false(match_pattern(":worker_1", &w1));
	assert_false(match_pattern("worker:", &w1));
}

static void test_plain_names(void **state)
{
	assert_true(match_pattern("php", &php0));         /* the program */
	assert_true(match_pattern("php_00", &php0));      /* the process */
	assert_true(match_pattern("web:php_00", &php0));  /* the full name */
	assert_true(match_pattern("worker", &w1));
	assert_true(match_pattern("worker_1", &w1));
	assert_false(match_pattern("php_0", &php0));
	assert_false(match_pattern("", &php0));
	assert_false(match_pattern("ALL", &php0));        /* names are case-sensitive */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_all),
		cmocka_unit_test(test_group),
		cmocka_unit_test(test_group_and_name),
		cmocka_unit_test(test_plain_names),
	};
	return cmocka_run_group_tests_name("match", tests, NULL, NULL);
}
