/* Shell-like word splitting (command=) and supervisord's KEY=VALUE list syntax (environment=). */
#include "conf/cmdline.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

struct buf {
	char *s;
	size_t n, cap;
};

static void buf_addc(struct buf *b, char c)
{
	if (b->n + 2 > b->cap) {
		b->cap = b->cap ? b->cap * 2 : 32;
		b->s = xrealloc(b->s, b->cap, 1);
	}
	b->s[b->n++] = c;
	b->s[b->n] = '\0';
}

static char *buf_take(struct buf *b)
{
	char *s = b->s ? b->s : xstrdup("");
	*b = (struct buf) { 0 };
	return s;
}

static bool is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* One quoted or escaped piece starting at *pp (which points at ', " or \); appends to b. */
static int word_piece(const char **pp, struct buf *b, char **ret_error)
{
	const char *p = *pp, *start = p;
	if (*p == '\'') {
		const char *end = strchr(p + 1, '\'');
		if (!end) {
			*ret_error = xasprintf("unterminated single quote at '%.30s'", start);
			return -EINVAL;
		}
		for (p++; p < end; p++)
			buf_addc(b, *p);
		*pp = end + 1;
		return 0;
	}
	if (*p == '"') {
		for (p++; *p && *p != '"'; p++) {
			if (*p == '\\' && (p[1] == '"' || p[1] == '\\'))
				p++;
			buf_addc(b, *p);
		}
		if (!*p) {
			*ret_error = xasprintf("unterminated double quote at '%.30s'", start);
			return -EINVAL;
		}
		*pp = p + 1;
		return 0;
	}
	/* backslash outside quotes */
	if (!p[1]) {
		*ret_error = xstrdup("trailing backslash escapes nothing");
		return -EINVAL;
	}
	if (p[1] != '\n')                  /* backslash-newline continues the line */
		buf_addc(b, p[1]);
	*pp = p + 2;
	return 0;
}

int cmdline_split(const char *s, char ***ret, char **ret_error)
{
	char **v = xcalloc(1, sizeof(char *));
	struct buf b = { 0 };
	bool in_word = false;
	int n = 0;

	for (const char *p = s; *p;) {
		if (is_ws(*p)) {
			if (in_word) {
				strv_push(&v, buf_take(&b));
				n++;
				in_word = false;
			}
			p++;
		} else if (*p == '\'' || *p == '"' || *p == '\\') {
			if (!(*p == '\\' && p[1] == '\n'))
				in_word = true;
			if (word_piece(&p, &b, ret_error) < 0)
				goto fail;
		} else {
			buf_addc(&b, *p++);
			in_word = true;
		}
	}
	if (in_word) {
		strv_push(&v, buf_take(&b));
		n++;
	}
	free(b.s);
	*ret = v;
	return n;
fail:
	free(b.s);
	strv_free(v);
	return -EINVAL;
}

static const char *skip_blank(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\r')
		p++;
	return p;
}

int cmdline_env_parse(const char *s, char ***ret_keys, char ***ret_values, char **ret_error)
{
	char **keys = xcalloc(1, sizeof(char *)), **values = xcalloc(1, sizeof(char *));
	struct buf b = { 0 };
	int n = 0;
	const char *p = s;

	for (;;) {
		while (is_ws(*p))
			p++;
		if (!*p)
			break;
		const char *k = p;
		while (*p && !is_ws(*p) && !strchr("=,'\"\\", *p))
			p++;
		if (p == k) {
			*ret_error = *p == ','
			        ? xasprintf("empty entry before ',' at '%.30s'", p)
			        : xasprintf("expected KEY=VALUE at '%.30s'", p);
			goto fail;
		}
		char *key = xstrndup(k, (size_t) (p - k));
		p = skip_blank(p);
		if (*p != '=') {
			*ret_error = xasprintf("expected '=' after '%s'", key);
			free(key);
			goto fail;
		}
		p = skip_blank(p + 1);
		while (*p && !is_ws(*p) && *p != ',') {
			if (*p == '\'' || *p == '"' || *p == '\\') {
				if (word_piece(&p, &b, ret_error) < 0) {
					char *e = *ret_error;
					*ret_error = xasprintf("value of %s: %s", key, e);
					free(e);
					free(key);
					goto fail;
				}
			} else
				buf_addc(&b, *p++);
		}
		strv_push(&keys, key);
		strv_push(&values, buf_take(&b));
		n++;
		p = skip_blank(p);
		if (*p == ',')
			p++;
		else if (*p == '\n' || !*p)
			continue;
		else {
			*ret_error = xasprintf("expected ',' after the value of %s, at '%.30s'", key, p);
			goto fail;
		}
	}
	*ret_keys = keys;
	*ret_values = values;
	return n;
fail:
	free(b.s);
	strv_free(keys);
	strv_free(values);
	return -EINVAL;
}
