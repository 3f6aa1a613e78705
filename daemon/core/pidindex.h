/* pid -> pointer, for the reaper's lookups: open addressing with linear probing, deletion by
 * moving the entries after it back (no tombstones, so lookups stay short however many spawns and
 * exits went by). Pure: unit-tested. */
#ifndef DROVER_PIDINDEX_H
#define DROVER_PIDINDEX_H

#include <stddef.h>
#include <sys/types.h>

struct pidindex {
	struct pidindex_entry { pid_t pid; void *value; } *v;   /* pid 0: empty */
	size_t cap;      /* a power of two */
	size_t n;
};

/* Make room for at least max entries (at most half full); the entries are kept. */
void pidindex_reserve(struct pidindex *x, size_t max);
/* pid > 0, not in the index yet. Grows when more than half full. */
void pidindex_insert(struct pidindex *x, pid_t pid, void *value);
/* Remove pid (nothing when absent). */
void pidindex_remove(struct pidindex *x, pid_t pid);
void *pidindex_find(const struct pidindex *x, pid_t pid);
void pidindex_free(struct pidindex *x);

#endif
