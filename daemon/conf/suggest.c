/* "Did you mean": optimal string alignment distance (a swap of two neighbours counts as one
 * edit: "stopsingal"), with a bound that grows with the word, so that "cmd" suggests nothing
 * while "autorestat" suggests "autorestart". */
#include "conf/suggest.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#define WORD_MAX 127

unsigned suggest_distance(const char *a, const char *b, unsigned limit)
{
	size_t n = strlen(a), m = strlen(b);
	unsigned d[3][WORD_MAX + 2];     /* rows i-2, i-1, i */

	if (n > WORD_MAX || m > WORD_MAX)
		return limit + 1;
	if ((n > m ? n - m : m - n) > limit)
		return limit + 1;
	for (size_t j = 0; j <= m; j++)
		d[0][j] = (unsigned) j;     /* row 0 */
	for (size_t i = 1; i <= n; i++) {
		/* three rows in rotation: row i, row i-1, row i-2 */
		unsigned *cur = d[i % 3], *prev = d[(i + 2) % 3], *prev2 = d[(i + 1) % 3];
		cur[0] = (unsigned) i;
		unsigned row_min = cur[0];
		for (size_t j = 1; j <= m; j++) {
			char x = (char) tolower((unsigned char) a[i - 1]), y = (char) tolower((unsigned char) b[j - 1]);
			unsigned cost = x != y;
			unsigned v = prev[j] + 1;
			if (cur[j - 1] + 1 < v)
				v = cur[j - 1] + 1;
			if (prev[j - 1] + cost < v)
				v = prev[j - 1] + cost;
			if (i > 1 && j > 1 && x == tolower((unsigned char) b[j - 2]) && tolower((unsigned char) a[i - 2]) == y &&
			    prev2[j - 2] + 1 < v)
				v = prev2[j - 2] + 1;
			cur[j] = v;
			if (v < row_min)
				row_min = v;
		}
		if (row_min > limit)
			return limit + 1;
	}
	unsigned r = d[n % 3][m];
	return r > limit ? limit + 1 : r;
}

void suggest_init(struct suggest *s, const char *word)
{
	s->word = word;
	s->best[0] = '\0';
	/* a likely typo: only case in a word of 1-2 letters, one edit up to 5, two up to 9, then three */
	size_t n = strlen(word);
	s->best_distance = n < 3 ? 1 : n < 6 ? 2 : n < 10 ? 3 : 4;    /* accepted: below this */
}

void suggest_offer(struct suggest *s, const char *candidate)
{
	if (s->best_distance == 0 || strlen(candidate) >= sizeof(s->best))
		return;
	unsigned d = suggest_distance(s->word, candidate, s->best_distance - 1);
	if (d < s->best_distance) {
		s->best_distance = d;
		snprintf(s->best, sizeof(s->best), "%s", candidate);
	}
}

const char *suggest_result(const struct suggest *s)
{
	return s->best[0] ? s->best : NULL;
}
