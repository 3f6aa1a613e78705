/* The stop-wave planner (daemon/core/stopwave.c): explicit orders, the same waves as the plain
 * O(waves x n^2) definition on random sets (dependencies, groups, ties, cycles), and a large set. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/core/stopwave.h"

/* The definition, as droverd applied it before the planner existed: repeatedly, among the
 * untaken items none of whose dependants (in the set) is untaken, those of the highest group priority. */
static bool depends(const struct stopwave_item *q, const struct stopwave_item *p)
{
	if (q == p)
		return false;
	for (char *const *d = q->depends_on; d && *d; d++)
		if (strcmp(*d, p->program) == 0 || strcmp(*d, p->group) == 0)
			return true;
	return false;
}

static int order_cmp(const struct stopwave_item *a, const struct stopwave_item *b)
{
	if (a->group_priority != b->group_priority)
		return a->group_priority < b->group_priority ? -1 : 1;
	return 0;
}

static unsigned reference(const struct stopwave_item *v, size_t n, unsigned *wave)
{
	bool *taken = calloc(n + 1, 1), *ready = calloc(n + 1, 1);
	size_t done = 0;
	unsigned w = 0;
	for (; done < n; w++) {
		const struct stopwave_item *top = NULL;
		for (size_t i = 0; i < n; i++) {
			ready[i] = !taken[i];
			for (size_t k = 0; k < n && ready[i]; k++)
				if (!taken[k] && k != i && depends(&v[k], &v[i]))
					ready[i] = false;
			if (ready[i] && (!top || order_cmp(&v[i], top) > 0))
				top = &v[i];
		}
		if (!top)
			for (size_t i = 0; i < n; i++)
				ready[i] = !taken[i];
		for (size_t i = 0; i < n; i++) {
			if (!ready[i] || (top && order_cmp(&v[i], top) != 0))
				continue;
			taken[i] = true;
			wave[i] = w;
			done++;
		}
	}
	free(taken);
	free(ready);
	return w;
}

#define S(x) ((char *) (x))   /* config strings are not const */
static char *const none[] = { NULL };

static void test_dependants_first(void **state)
{
	char *const on_db[] = { S("db"), NULL };
	char *const on_web[] = { S("web"), NULL };
	/* web depends on db, proxy on web; db has the highest priority: still stopped last */
	struct stopwave_item v[] = {
		{ "db", "db", none, 999 },
		{ "web", "web", on_db, 1 },
		{ "proxy", "proxy", on_web, 5 },
		{ "cron", "cron", none, 3 },
	};
	unsigned wave[4];
	assert_int_equal(stopwave_plan(v, 4, wave), 4);
	assert_int_equal(wave[2], 0);   /* proxy (5); cron (3) is ready too, but lower */
	assert_int_equal(wave[3], 1);   /* cron (3) before web (1), ready now */
	assert_int_equal(wave[1], 2);
	assert_int_equal(wave[0], 3);   /* db last */
}

static void test_groups_and_ties(void **state)
{
	char *const on_g[] = { S("g"), NULL };
	/* a dependency named by group; two of the same priority share a wave */
	struct stopwave_item v[] = {
		{ "a", "g", none, 10 },
		{ "b", "g", none, 10 },
		{ "c", "c", on_g, 5 },
		{ "d", "d", none, 5 },
	};
	unsigned wave[4];
	assert_int_equal(stopwave_plan(v, 4, wave), 2);
	assert_int_equal(wave[2], 0);
	assert_int_equal(wave[3], 0);   /* same priority as c, and ready */
	assert_int_equal(wave[0], 1);
	assert_int_equal(wave[1], 1);
}

static void test_cycle(void **state)
{
	char *const on_a[] = { S("a"), NULL }, *const on_b[] = { S("b"), NULL };
	struct stopwave_item v[] = {
		{ "a", "a", on_b, 1 },
		{ "b", "b", on_a, 2 },
		{ "free", "free", none, 0 },
	};
	unsigned wave[3], ref[3];
	assert_int_equal(stopwave_plan(v, 3, wave), reference(v, 3, ref));
	assert_memory_equal(wave, ref, sizeof(wave));
	assert_int_equal(wave[2], 0);
	assert_int_equal(wave[0], 1);
	assert_int_equal(wave[1], 1);
	assert_int_equal(stopwave_plan(v, 0, wave), 0);
}

static const char *const names[] = { "a", "b", "c", "d", "e", "f", "g", "h" };

static void test_random_against_definition(void **state)
{
	srand(12345);
	for (int round = 0; round < 3000; round++) {
		size_t n = (size_t) (rand() % 40);
		struct stopwave_item *v = calloc(n + 1, sizeof(*v));
		char ***deps = calloc(n + 1, sizeof(*deps));
		for (size_t i = 0; i < n; i++) {
			v[i].program = names[rand() % 8];
			v[i].group = rand() % 3 ? v[i].program : names[rand() % 4];
			v[i].group_priority = rand() % 6;
			int nd = rand() % 4 == 0 ? 1 + rand() % 2 : 0;
			deps[i] = calloc((size_t) nd + 1, sizeof(char *));
			for (int k = 0; k < nd; k++)
				deps[i][k] = (char *) names[rand() % 8];
			v[i].depends_on = deps[i];
		}
		unsigned *a = calloc(n + 1, sizeof(*a)), *b = calloc(n + 1, sizeof(*b));
		unsigned wa = stopwave_plan(v, n, a), wb = reference(v, n, b);
		if (wa != wb || memcmp(a, b, n * sizeof(*a)) != 0)
			fail_msg("round %d: %u waves, want %u", round, wa, wb);
		for (size_t i = 0; i < n; i++)
			free(deps[i]);
		free(deps);
		free(v);
		free(a);
		free(b);
	}
}

/* Large: 20000 processes of distinct priorities (20000 waves), half of them depending on the
 * first program; the plain definition would take hours. */
static void test_large(void **state)
{
	size_t n = 20000;
	struct stopwave_item *v = calloc(n, sizeof(*v));
	unsigned *wave = calloc(n, sizeof(*wave));
	char *const on_p0[] = { S("p0"), NULL };
	char (*prog)[16] = calloc(n, 16);
	for (size_t i = 0; i < n; i++) {
		snprintf(prog[i], 16, "p%zu", i);
		v[i] = (struct stopwave_item) { prog[i], prog[i], i % 2 ? on_p0 : none, (int) i };
	}
	assert_int_equal(stopwave_plan(v, n, wave), n);
	/* descending priority, but p0 (priority 0) after all its dependants, which it is anyway */
	for (size_t i = 0; i < n; i++)
		assert_int_equal(wave[i], n - 1 - i);
	free(prog);
	free(wave);
	free(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dependants_first),
		cmocka_unit_test(test_groups_and_ties),
		cmocka_unit_test(test_cycle),
		cmocka_unit_test(test_random_against_definition),
		cmocka_unit_test(test_large),
	};
	return cmocka_run_group_tests_name("stopwave", tests, NULL, NULL);
}
