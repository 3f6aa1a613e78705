/* The pid index (daemon/core/pidindex.c): random inserts and removals against a plain array,
 * with pids that crowd a few slots, so that probe chains wrap around and deletions move entries. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/core/pidindex.h"

#define RANGE 4096

static void check_all(const struct pidindex *x, void *const *ref)
{
	size_t n = 0;
	for (pid_t pid = 1; pid < RANGE; pid++) {
		void *got = pidindex_find(x, pid);
		if (got != ref[pid])
			fail_msg("pid %d: found %p, want %p", (int) pid, got, ref[pid]);
		n += ref[pid] != NULL;
	}
	assert_int_equal(x->n, n);
}

static void run(unsigned seed, pid_t (*pick)(void))
{
	struct pidindex x = { 0 };
	void **ref = calloc(RANGE, sizeof(*ref));
	char tokens[RANGE];
	srand(seed);
	for (int step = 0; step < 20000; step++) {
		pid_t pid = pick();
		if (ref[pid] && rand() % 3) {
			pidindex_remove(&x, pid);
			ref[pid] = NULL;
		} else if (!ref[pid]) {
			pidindex_insert(&x, pid, &tokens[pid]);
			ref[pid] = &tokens[pid];
		}
		if (step % 997 == 0)
			check_all(&x, ref);
	}
	check_all(&x, ref);
	for (pid_t pid = 1; pid < RANGE; pid++)
		if (ref[pid])
			pidindex_remove(&x, pid);
	assert_int_equal(x.n, 0);
	for (size_t i = 0; i < x.cap; i++)
		assert_int_equal(x.v[i].pid, 0);
	pidindex_free(&x);
	free(ref);
}

static pid_t any_pid(void)
{
	return (pid_t) (1 + rand() % (RANGE - 1));
}

/* Few distinct pids, densely packed: long runs of occupied slots. */
static pid_t dense_pid(void)
{
	return (pid_t) (1 + rand() % 200);
}

static void test_random(void **state)
{
	run(1, any_pid);
	run(2, dense_pid);
}

/* Pids whose slots collide (same home in a 64-slot table) and wrap past the end. */
static void test_collisions_and_wrap(void **state)
{
	struct pidindex x = { 0 };
	char t[8];
	pidindex_reserve(&x, 4);
	assert_int_equal(x.cap, 64);
	/* find pids whose home is the last slot */
	pid_t same[6];
	size_t n = 0;
	for (pid_t pid = 1; n < 6; pid++)
		if ((((size_t) pid * 2654435761u) & 63) == 63)
			same[n++] = pid;
	for (size_t i = 0; i < 6; i++)
		pidindex_insert(&x, same[i], &t[i]);
	/* remove from the middle of the chain, which wraps to slots 0..4 */
	pidindex_remove(&x, same[1]);
	pidindex_remove(&x, same[3]);
	for (size_t i = 0; i < 6; i++)
		assert_ptr_equal(pidindex_find(&x, same[i]), i == 1 || i == 3 ? NULL : &t[i]);
	pidindex_free(&x);

	/* A hole before the end, an entry at the end that probed there, one whose home is slot 0:
	 * the first moves back into the hole, the one at home stays reachable. */
	pid_t h62 = 0, h62b = 0, h0 = 0;
	for (pid_t pid = 1; !h62 || !h62b || !h0; pid++) {
		size_t home = ((size_t) pid * 2654435761u) & 63;
		if (home == 62 && !h62)
			h62 = pid;
		else if (home == 62 && !h62b)
			h62b = pid;
		else if (home == 0 && !h0)
			h0 = pid;
	}
	pidindex_reserve(&x, 4);
	pidindex_insert(&x, h62, &t[0]);    /* slot 62 */
	pidindex_insert(&x, h62b, &t[1]);   /* slot 63 */
	pidindex_insert(&x, h0, &t[2]);     /* slot 0 */
	pidindex_remove(&x, h62);
	assert_ptr_equal(pidindex_find(&x, h62b), &t[1]);
	assert_ptr_equal(pidindex_find(&x, h0), &t[2]);
	pidindex_remove(&x, 99999);   /* absent: nothing */
	assert_int_equal(x.n, 2);
	assert_null(pidindex_find(&x, 0));
	assert_null(pidindex_find(&x, -1));
	pidindex_free(&x);
	assert_null(pidindex_find(&x, h0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random),
		cmocka_unit_test(test_collisions_and_wrap),
	};
	return cmocka_run_group_tests_name("pidindex", tests, NULL, NULL);
}
