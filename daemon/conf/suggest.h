/* "Did you mean": the candidate nearest to a word by edit distance, when near enough to be a
 * likely typo (suggest.c). Pure. */
#ifndef DROVER_SUGGEST_H
#define DROVER_SUGGEST_H

#include <stdbool.h>

struct suggest {
	const char *word;
	unsigned best_distance;
	char best[128];             /* "" = none near enough */
};

void suggest_init(struct suggest *s, const char *word);
/* Consider CANDIDATE (compared without regard to case). */
void suggest_offer(struct suggest *s, const char *candidate);
/* The nearest candidate offered, or NULL. */
const char *suggest_result(const struct suggest *s);
/* Edit distance (insert, delete, substitute, swap two neighbours), ignoring case; stops
 * counting above LIMIT (returns LIMIT + 1). */
unsigned suggest_distance(const char *a, const char *b, unsigned limit);

#endif
