/* The in-memory tail of one output stream: the last RING_MAX bytes, for `droverctl tail`.
 * Pure (memory only): unit-tested. */
#ifndef DROVER_RING_H
#define DROVER_RING_H

#include <stdbool.h>
#include <stddef.h>

#define RING_MAX (64u * 1024)   /* bytes kept */
#define RING_MIN 4096u          /* first allocation; doubles up to RING_MAX */

struct ring {
	char *buf;              /* linear until cap reaches RING_MAX, a ring after that */
	size_t cap, len, head;  /* head: index of the oldest byte */
	bool wrapped;           /* older bytes were discarded */
};

void ring_append(struct ring *r, const char *data, size_t n);
/* The last LINES lines (0 = all) kept, raw, in a new NUL-terminated buffer; r may be NULL (empty).
 * Once bytes were discarded, the oldest line (which lost its beginning) is left out. */
char *ring_lines(const struct ring *r, unsigned lines, size_t *ret_len);
void ring_free(struct ring *r);

#endif
