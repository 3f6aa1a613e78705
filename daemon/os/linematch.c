/* Output lines against a regular expression (see linematch.h). */
#include "os/linematch.h"

#include <errno.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

struct linematch {
	regex_t re;
	bool matched;
	struct {
		char buf[LINEMATCH_LINE_MAX + 1];
		size_t len;
		bool overlong;      /* the current line passed the bound: the rest of it is skipped */
	} line[2];
};

int linematch_new(const char *regex, struct linematch **ret)
{
	struct linematch *m = xcalloc(1, sizeof(*m));
	if (regcomp(&m->re, regex, REG_EXTENDED | REG_NOSUB) != 0) {
		free(m);
		return -EINVAL;
	}
	*ret = m;
	return 0;
}

struct linematch *linematch_free(struct linematch *m)
{
	if (m) {
		regfree(&m->re);
		free(m);
	}
	return NULL;
}

static bool line_done(struct linematch *m, int s)
{
	m->line[s].buf[m->line[s].len] = '\0';
	/* a NUL byte in the output ends what regexec sees of the line: nothing is made up */
	bool hit = regexec(&m->re, m->line[s].buf, 0, NULL, 0) == 0;
	m->line[s].len = 0;
	m->line[s].overlong = false;
	return hit;
}

bool linematch_feed(struct linematch *m, int stream, const char *data, size_t n)
{
	if (m->matched || stream < 0 || stream > 1)
		return m->matched;
	while (n > 0) {
		const char *nl = memchr(data, '\n', n);
		size_t take = nl ? (size_t) (nl - data) : n;
		size_t room = LINEMATCH_LINE_MAX - m->line[stream].len;
		if (!m->line[stream].overlong) {
			size_t c = take < room ? take : room;
			memcpy(m->line[stream].buf + m->line[stream].len, data, c);
			m->line[stream].len += c;
			if (take > room)
				m->line[stream].overlong = true;
		}
		if (!nl)
			break;
		size_t len = m->line[stream].len;
		if (len && m->line[stream].buf[len - 1] == '\r')
			m->line[stream].len--;
		if (line_done(m, stream)) {
			m->matched = true;
			return true;
		}
		data = nl + 1;
		n -= take + 1;
	}
	return false;
}
