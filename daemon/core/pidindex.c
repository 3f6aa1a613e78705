/* pid -> pointer (see pidindex.h). */
#include "core/pidindex.h"

#include <stdbool.h>
#include <stdlib.h>

#include "util.h"

static size_t slot_of(const struct pidindex *x, pid_t pid)
{
	return ((size_t) pid * 2654435761u) & (x->cap - 1);
}

static void place(struct pidindex *x, pid_t pid, void *value)
{
	size_t h = slot_of(x, pid);
	while (x->v[h].pid)
		h = (h + 1) & (x->cap - 1);
	x->v[h] = (struct pidindex_entry) { pid, value };
}

void pidindex_reserve(struct pidindex *x, size_t max)
{
	size_t cap = 64;
	while (cap < 2 * max + 2)
		cap *= 2;
	if (cap <= x->cap)
		return;
	struct pidindex old = *x;
	x->v = xcalloc(cap, sizeof(*x->v));
	x->cap = cap;
	for (size_t i = 0; i < old.cap; i++)
		if (old.v[i].pid)
			place(x, old.v[i].pid, old.v[i].value);
	free(old.v);
}

void pidindex_insert(struct pidindex *x, pid_t pid, void *value)
{
	pidindex_reserve(x, x->n + 1);
	place(x, pid, value);
	x->n++;
}

void pidindex_remove(struct pidindex *x, pid_t pid)
{
	if (!x->cap || pid <= 0)
		return;
	size_t mask = x->cap - 1, i = slot_of(x, pid);
	while (x->v[i].pid && x->v[i].pid != pid)
		i = (i + 1) & mask;
	if (!x->v[i].pid)
		return;
	x->v[i].pid = 0;
	x->n--;
	/* Every entry after the hole up to the next empty slot was placed by probing from its home;
	 * one whose home is not in (i, j] probed across the hole and must move into it. */
	for (size_t j = (i + 1) & mask; x->v[j].pid; j = (j + 1) & mask) {
		size_t k = slot_of(x, x->v[j].pid);
		bool home_after_hole = i <= j ? (i < k && k <= j) : (i < k || k <= j);
		if (!home_after_hole) {
			x->v[i] = x->v[j];
			x->v[j].pid = 0;
			i = j;
		}
	}
}

void *pidindex_find(const struct pidindex *x, pid_t pid)
{
	if (!x->cap || pid <= 0)
		return NULL;
	for (size_t h = slot_of(x, pid); x->v[h].pid; h = (h + 1) & (x->cap - 1))
		if (x->v[h].pid == pid)
			return x->v[h].value;
	return NULL;
}

void pidindex_free(struct pidindex *x)
{
	free(x->v);
	*x = (struct pidindex) { 0 };
}
