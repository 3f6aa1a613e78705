/* The order of a stop (see stopwave.h): Kahn's topological order over "is a dependant of", a
 * max-heap on group priority picking each wave. */
#include "core/stopwave.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

struct name_ref {
	const char *name;
	size_t item;
};

static int name_ref_cmp(const void *a, const void *b)
{
	const struct name_ref *x = a, *y = b;
	int c = strcmp(x->name, y->name);
	return c ? c : (x->item > y->item) - (x->item < y->item);
}

/* > 0 when a comes before b in a stop (stops first). */
static int prio_cmp(const struct stopwave_item *a, const struct stopwave_item *b)
{
	if (a->group_priority != b->group_priority)
		return a->group_priority > b->group_priority ? 1 : -1;
	return 0;
}

struct heap {
	size_t *v;
	size_t n;
	const struct stopwave_item *items;
};

static void heap_push(struct heap *h, size_t x)
{
	size_t i = h->n++;
	while (i > 0) {
		size_t parent = (i - 1) / 2;
		if (prio_cmp(&h->items[h->v[parent]], &h->items[x]) >= 0)
			break;
		h->v[i] = h->v[parent];
		i = parent;
	}
	h->v[i] = x;
}

static size_t heap_pop(struct heap *h)
{
	size_t top = h->v[0], last = h->v[--h->n], i = 0;
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= h->n)
			break;
		if (c + 1 < h->n && prio_cmp(&h->items[h->v[c + 1]], &h->items[h->v[c]]) > 0)
			c++;
		if (prio_cmp(&h->items[h->v[c]], &h->items[last]) <= 0)
			break;
		h->v[i] = h->v[c];
		i = c;
	}
	if (h->n)
		h->v[i] = last;
	return top;
}

unsigned stopwave_plan(const struct stopwave_item *v, size_t n, unsigned *wave)
{
	if (n == 0)
		return 0;

	/* Every item under its program name and its group name, sorted: a depends_on name finds
	 * its items by binary search. */
	struct name_ref *refs = xcalloc(2 * n, sizeof(*refs));
	for (size_t i = 0; i < n; i++) {
		refs[2 * i] = (struct name_ref) { v[i].program, i };
		refs[2 * i + 1] = (struct name_ref) { v[i].group, i };
	}
	qsort(refs, 2 * n, sizeof(*refs), name_ref_cmp);

	/* deps[dep_start[q] .. dep_start[q + 1]): the items q depends on, each once;
	 * dependants[p]: how many items of the set depend on p and are not planned yet. */
	size_t *dep_start = xcalloc(n + 1, sizeof(*dep_start));
	size_t *deps = NULL, ndeps = 0, cap = 0;
	size_t *dependants = xcalloc(n, sizeof(*dependants));
	size_t *seen = xcalloc(n, sizeof(*seen));   /* seen[p] == q + 1: pair (q, p) already counted */
	for (size_t q = 0; q < n; q++) {
		dep_start[q] = ndeps;
		for (char *const *d = v[q].depends_on; d && *d; d++) {
			size_t lo = 0, hi = 2 * n;
			while (lo < hi) {   /* first ref whose name is >= *d */
				size_t mid = lo + (hi - lo) / 2;
				if (strcmp(refs[mid].name, *d) < 0)
					lo = mid + 1;
				else
					hi = mid;
			}
			for (size_t k = lo; k < 2 * n && strcmp(refs[k].name, *d) == 0; k++) {
				size_t p = refs[k].item;
				if (p == q || seen[p] == q + 1)
					continue;
				seen[p] = q + 1;
				if (ndeps == cap) {
					cap = cap ? 2 * cap : 64;
					deps = xrealloc(deps, cap, sizeof(*deps));
				}
				deps[ndeps++] = p;
				dependants[p]++;
			}
		}
	}
	dep_start[n] = ndeps;

	struct heap h = { xcalloc(n, sizeof(size_t)), 0, v };
	size_t *batch = xcalloc(n, sizeof(*batch));
	size_t planned = 0;
	unsigned w = 0;
	for (size_t i = 0; i < n; i++)
		if (dependants[i] == 0)
			heap_push(&h, i);
	while (planned < n) {
		size_t nb = 0;
		if (h.n == 0) {
			/* Only a dependency cycle is left (the config refuses them): all of it at once. */
			for (size_t i = 0; i < n; i++)
				if (dependants[i] != (size_t) -1)
					wave[i] = w;
			w++;
			break;
		}
		/* The wave: every ready item of the highest priority. */
		size_t top = heap_pop(&h);
		batch[nb++] = top;
		while (h.n && prio_cmp(&v[h.v[0]], &v[top]) == 0)
			batch[nb++] = heap_pop(&h);
		for (size_t b = 0; b < nb; b++) {
			wave[batch[b]] = w;
			dependants[batch[b]] = (size_t) -1;   /* planned */
		}
		planned += nb;
		/* Its members' dependencies may be ready now: for the next wave, not this one. */
		for (size_t b = 0; b < nb; b++) {
			size_t q = batch[b];
			for (size_t e = dep_start[q]; e < dep_start[q + 1]; e++) {
				size_t p = deps[e];
				if (dependants[p] != (size_t) -1 && --dependants[p] == 0)
					heap_push(&h, p);
			}
		}
		w++;
	}
	free(batch);
	free(h.v);
	free(seen);
	free(dependants);
	free(deps);
	free(dep_start);
	free(refs);
	return w;
}
