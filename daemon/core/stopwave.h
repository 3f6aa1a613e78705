/* The order of a stop: dependants before their dependencies, then by descending group priority,
 * in waves (each wave is stopped at once, the next once all of it is down). A [group:x] stops as
 * one wave whatever its programs' own priorities, as supervisord stops a group; a program outside
 * a group is a group of its own. Pure: unit-tested. */
#ifndef DROVER_STOPWAVE_H
#define DROVER_STOPWAVE_H

#include <stddef.h>

struct stopwave_item {
	const char *program;        /* the program's name */
	const char *group;          /* its group's name */
	char *const *depends_on;    /* program or group names, NULL-terminated; NULL: none */
	int group_priority;         /* a [group:x]'s priority, or the program's own outside a group */
};

/* Plan the stop of v[0..n-1]: wave[i] for each item, 0 first. An item depends on another when
 * one of its depends_on names is the other's program or group (never on itself). Repeatedly,
 * among the items whose dependants in the set are all planned, those with the highest
 * group_priority form the next wave. Items left in a dependency cycle form one last
 * wave. Returns the number of waves. O((n + d) log n) for d dependency pairs. */
unsigned stopwave_plan(const struct stopwave_item *v, size_t n, unsigned *wave);

#endif
