/* Shell-like word splitting (command=), drover's KEY=VALUE list syntax (environment=), and what
 * supervisord 4.2.5 reads from the same KEY=VALUE text (to warn where the two differ). */
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

/* After blanks inside an unquoted value: the start of another pair ("A=1 B=2"), a name as
 * variables have them followed by '='? Then a comma is missing ("-Dx=1" is a value). */
static bool pair_follows(const char *p)
{
	if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || *p == '_'))
		return false;
	while ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_' || *p == '.')
		p++;
	return *skip_blank(p) == '=';
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
		/* The value runs to the next ',' or line end; blanks inside it are part of it (the
		 * whole value, where supervisord would keep its first word), blanks around it are not. */
		size_t keep = 0;
		while (*p && *p != ',' && *p != '\n') {
			if (*p == '\'' || *p == '"' || *p == '\\') {
				if (word_piece(&p, &b, ret_error) < 0) {
					char *e = *ret_error;
					*ret_error = xasprintf("value of %s: %s", key, e);
					free(e);
					free(key);
					goto fail;
				}
				keep = b.n;
			} else if (*p == ' ' || *p == '\t' || *p == '\r') {
				const char *q = skip_blank(p);
				if (pair_follows(q)) {
					*ret_error = xasprintf("expected ',' after the value of %s, at '%.30s'", key, q);
					free(key);
					goto fail;
				}
				buf_addc(&b, *p++);
			} else {
				buf_addc(&b, *p++);
				keep = b.n;
			}
		}
		if (b.s)
			b.s[b.n = keep] = '\0';
		strv_push(&keys, key);
		strv_push(&values, buf_take(&b));
		n++;
		if (*p == ',')
			p++;
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

/* ---- what supervisord 4.2.5 makes of the same text ---- */

/* Python's shlex in its default (non-POSIX) mode, with the word characters supervisord adds. */
static bool sv_wordchar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
	       strchr("/.+-():", c);
}

static bool sv_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* One character as Python sees it: a whole UTF-8 sequence. */
static size_t sv_char_len(const char *p)
{
	size_t n = 1;
	if ((unsigned char) *p >= 0xc0)
		while (((unsigned char) p[n] & 0xc0) == 0x80)
			n++;
	return n;
}

static const char *sv_skip_comment(const char *p)
{
	const char *nl = strchr(p, '\n');
	return nl ? nl + 1 : p + strlen(p);
}

/* The tokens of S as shlex.shlex(S) yields them; -EINVAL on an unclosed quote. */
static int sv_tokens(const char *s, char ***ret)
{
	char **v = NULL;
	const char *p = s;

	for (;;) {
		while (sv_space(*p) || *p == '#')
			p = *p == '#' ? sv_skip_comment(p) : p + 1;
		if (!*p)
			break;
		struct buf b = { 0 };
		if (*p == '\'' || *p == '"') {
			char q = *p;
			buf_addc(&b, *p++);
			while (*p && *p != q)
				buf_addc(&b, *p++);
			if (!*p) {
				free(b.s);
				strv_free(v);
				return -EINVAL;
			}
			buf_addc(&b, *p++);
		} else if (sv_wordchar((unsigned char) *p)) {
			/* a word takes word characters and quotes; '#' skips to the next line inside it */
			while (*p && !sv_space(*p)) {
				if (*p == '#')
					p = sv_skip_comment(p);
				else if (sv_wordchar((unsigned char) *p) || *p == '\'' || *p == '"')
					buf_addc(&b, *p++);
				else
					break;
			}
		} else {
			for (size_t n = sv_char_len(p); n > 0 && *p; n--)
				buf_addc(&b, *p++);
		}
		strv_push(&v, buf_take(&b));
	}
	*ret = v;
	return 0;
}

int cmdline_env_supervisord(const char *s, char ***ret_keys, char ***ret_values)
{
	char **t = NULL, **keys = xcalloc(1, sizeof(char *)), **values = xcalloc(1, sizeof(char *));
	int n = 0;

	if (sv_tokens(s, &t) < 0)
		goto fail;
	/* KEY = VALUE, then one token taken as the separator, whatever it is */
	for (size_t i = 0, len = strv_length(t); i < len; i += 4) {
		if (len - i < 3 || strcmp(t[i + 1], "=") != 0)
			goto fail;
		const char *v = t[i + 2], *e = v + strlen(v);
		while (*v == '\'' || *v == '"')
			v++;
		while (e > v && (e[-1] == '\'' || e[-1] == '"'))
			e--;
		size_t k;
		for (k = 0; keys[k] && strcmp(keys[k], t[i]) != 0; k++)
			;
		if (keys[k]) {              /* a dict: a later value replaces an earlier one */
			free(values[k]);
			values[k] = xstrndup(v, (size_t) (e - v));
		} else {
			strv_push(&keys, xstrdup(t[i]));
			strv_push(&values, xstrndup(v, (size_t) (e - v)));
			n++;
		}
	}
	strv_free(t);
	*ret_keys = keys;
	*ret_values = values;
	return n;
fail:
	strv_free(t);
	strv_free(keys);
	strv_free(values);
	return -EINVAL;
}
