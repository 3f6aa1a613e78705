/* The in-memory tail of one output stream (see ring.h). */
#include "os/ring.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

void ring_append(struct ring *r, const char *data, size_t n)
{
	if (n >= RING_MAX) {
		data += n - RING_MAX;
		if (r->len > 0 || n > RING_MAX)
			r->wrapped = true;
		n = RING_MAX;
		r->len = 0;
		r->head = 0;
	}
	if (r->len + n > r->cap && r->cap < RING_MAX) {
		/* Still linear (head == 0): grow by doubling. */
		size_t cap = r->cap ? r->cap : RING_MIN;
		while (cap < r->len + n && cap < RING_MAX)
			cap *= 2;
		if (cap > RING_MAX)
			cap = RING_MAX;
		r->buf = xrealloc(r->buf, cap, 1);
		r->cap = cap;
	}
	if (r->len + n > r->cap) {
		size_t discard = r->len + n - r->cap;
		r->head = (r->head + discard) % r->cap;
		r->len -= discard;
		r->wrapped = true;
	}
	if (n == 0)
		return;
	size_t tail = (r->head + r->len) % r->cap;
	size_t first = r->cap - tail < n ? r->cap - tail : n;
	memcpy(r->buf + tail, data, first);
	memcpy(r->buf, data + first, n - first);
	r->len += n;
}

char *ring_lines(const struct ring *r, unsigned lines, size_t *ret_len)
{
	size_t len = r ? r->len : 0, start = 0;
	char *buf = xmalloc(len + 1);

	if (len) {
		size_t first = r->cap - r->head < len ? r->cap - r->head : len;
		memcpy(buf, r->buf + r->head, first);
		memcpy(buf + first, r->buf, len - first);
	}
	if (r && r->wrapped) {
		/* the oldest line lost its beginning: start at the next one (if there is one) */
		const char *nl = memchr(buf, '\n', len);
		if (nl && (size_t) (nl + 1 - buf) < len)
			start = (size_t) (nl + 1 - buf);
	}
	if (lines > 0) {
		size_t i = len;
		unsigned seen = 0;
		if (i > start && buf[i - 1] == '\n')
			i--;   /* the newline that ends the last line */
		while (i > start) {
			if (buf[i - 1] == '\n' && ++seen == lines)
				break;
			i--;
		}
		start = i;
	}
	memmove(buf, buf + start, len - start);
	buf[len - start] = '\0';
	*ret_len = len - start;
	return buf;
}

void ring_free(struct ring *r)
{
	free(r->buf);
	*r = (struct ring) { 0 };
}
