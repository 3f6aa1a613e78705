/* supervisord's %(name)s expansions (Python %-formatting with a mapping), without Python:
 * %(name)[flags][width][.precision]conversion, conversion one of s d i u; %% is a literal %. */
#include "conf/expand.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define EXPAND_WIDTH_MAX 1024           /* bound what a user can make us allocate per reference */
#define EXPAND_OUTPUT_MAX (4u << 20)    /* a whole expanded value */

struct buf {
	char *s;
	size_t n, cap;
};

static void buf_add(struct buf *b, const char *s, size_t n)
{
	if (b->n + n + 1 > b->cap) {
		b->cap = (b->n + n + 1) * 2;
		b->s = xrealloc(b->s, b->cap, 1);
	}
	memcpy(b->s + b->n, s, n);
	b->n += n;
	b->s[b->n] = '\0';
}

static void buf_pad(struct buf *b, char c, size_t n)
{
	while (n--)
		buf_add(b, &c, 1);
}

static const char *env_lookup(const struct expand_ctx *c, const char *key)
{
	for (size_t i = 0; i < ELEMENTSOF(c->env); i++) {
		const char *v = c->env[i] ? strv_env_get(c->env[i], key) : NULL;
		if (v)
			return v;
	}
	return NULL;
}

struct spec {
	bool left, zero, plus, space;
	int width, precision;           /* -1 = none */
	char conv;
};

static void put_string(struct buf *b, const struct spec *sp, const char *s)
{
	size_t n = strlen(s);
	if (sp->precision >= 0 && (size_t) sp->precision < n)
		n = (size_t) sp->precision;
	size_t pad = sp->width > 0 && (size_t) sp->width > n ? (size_t) sp->width - n : 0;
	if (!sp->left)
		buf_pad(b, ' ', pad);
	buf_add(b, s, n);
	if (sp->left)
		buf_pad(b, ' ', pad);
}

static void put_int(struct buf *b, const struct spec *sp, long long v)
{
	char digits[32], sign[2] = "";
	unsigned long long u = v < 0 ? 0ULL - (unsigned long long) v : (unsigned long long) v;
	int nd = snprintf(digits, sizeof(digits), "%llu", u);
	if (v < 0)
		sign[0] = '-';
	else if (sp->plus)
		sign[0] = '+';
	else if (sp->space)
		sign[0] = ' ';
	size_t ns = strlen(sign);
	size_t prec_zeros = sp->precision > nd ? (size_t) (sp->precision - nd) : 0;
	size_t body = ns + prec_zeros + (size_t) nd;
	size_t pad = sp->width > 0 && (size_t) sp->width > body ? (size_t) sp->width - body : 0;
	if (sp->left) {
		buf_add(b, sign, ns);
		buf_pad(b, '0', prec_zeros);
		buf_add(b, digits, (size_t) nd);
		buf_pad(b, ' ', pad);
	} else if (sp->zero && sp->precision < 0) {
		buf_add(b, sign, ns);
		buf_pad(b, '0', pad + prec_zeros);
		buf_add(b, digits, (size_t) nd);
	} else {
		buf_pad(b, ' ', pad);
		buf_add(b, sign, ns);
		buf_pad(b, '0', prec_zeros);
		buf_add(b, digits, (size_t) nd);
	}
}

/* Parse [flags][width][.precision]conv at *pp; 0 or -EINVAL. */
static int parse_spec(const char **pp, struct spec *sp)
{
	const char *p = *pp;
	*sp = (struct spec) { .width = -1, .precision = -1 };
	for (;; p++) {
		if (*p == '-') sp->left = true;
		else if (*p == '0') sp->zero = true;
		else if (*p == '+') sp->plus = true;
		else if (*p == ' ') sp->space = true;
		else if (*p == '#') continue;
		else break;
	}
	if (*p >= '0' && *p <= '9') {
		sp->width = 0;
		for (; *p >= '0' && *p <= '9'; p++) {
			sp->width = sp->width * 10 + (*p - '0');
			if (sp->width > EXPAND_WIDTH_MAX)
				return -ERANGE;
		}
	}
	if (*p == '.') {
		p++;
		sp->precision = 0;
		for (; *p >= '0' && *p <= '9'; p++) {
			sp->precision = sp->precision * 10 + (*p - '0');
			if (sp->precision > EXPAND_WIDTH_MAX)
				return -ERANGE;
		}
	}
	if (*p == 'l' || *p == 'h' || *p == 'L')   /* Python accepts and ignores length modifiers */
		p++;
	if (!*p || !strchr("sdiu", *p))
		return -EINVAL;
	sp->conv = *p++;
	*pp = p;
	return 0;
}

int expand_string(const char *in, const struct expand_ctx *c, char **ret, char **ret_error)
{
	struct buf b = { 0 };
	const char *p = in;

	buf_add(&b, "", 0);
	while (*p) {
		const char *pct = strchr(p, '%');
		if (!pct) {
			buf_add(&b, p, strlen(p));
			break;
		}
		buf_add(&b, p, (size_t) (pct - p));
		p = pct + 1;
		if (*p == '%') {
			buf_add(&b, "%", 1);
			p++;
			continue;
		}
		if (*p != '(') {
			*ret_error = xasprintf("'%%' must start a %%(name)s reference; write '%%%%' for a literal '%%' (at '%.20s')", pct);
			goto fail;
		}
		const char *name = p + 1, *close = strchr(name, ')');
		if (!close) {
			*ret_error = xasprintf("unterminated '%%(' reference at '%.40s'", pct);
			goto fail;
		}
		size_t nlen = (size_t) (close - name);
		char *key = xstrndup(name, nlen);
		const char *after = close + 1;
		struct spec sp;
		int r = parse_spec(&after, &sp);
		if (r < 0) {
			*ret_error = r == -ERANGE
			        ? xasprintf("width or precision too large in '%%(%s)' (at most %d)", key, EXPAND_WIDTH_MAX)
			        : xasprintf("'%%(%s)' needs a conversion such as 's' or 'd', e.g. '%%(%s)s'", key, key);
			free(key);
			goto fail;
		}

		const char *sval = NULL;
		long long ival = 0;
		bool is_int = false;
		if (strcmp(key, "program_name") == 0)
			sval = c->program_name;
		else if (strcmp(key, "group_name") == 0)
			sval = c->group_name;
		else if (strcmp(key, "here") == 0)
			sval = c->here;
		else if (strcmp(key, "host_node_name") == 0)
			sval = c->host_node_name;
		else if (strcmp(key, "process_num") == 0 && c->process_num >= 0)
			is_int = true, ival = c->process_num;
		else if (strcmp(key, "numprocs") == 0 && c->numprocs >= 0)
			is_int = true, ival = c->numprocs;
		else if (strncmp(key, "ENV_", 4) == 0 && key[4]) {
			sval = env_lookup(c, key + 4);
			if (!sval) {
				*ret_error = xasprintf("'%%(%s)' names environment variable '%s', which is not set", key, key + 4);
				free(key);
				goto fail;
			}
		}
		if (!sval && !is_int) {
			*ret_error = xasprintf("unknown name '%%(%s)' (known here: %s%s%s%shere, host_node_name, ENV_X)", key,
			                       c->program_name ? "program_name, " : "", c->group_name ? "group_name, " : "",
			                       c->process_num >= 0 ? "process_num, " : "", c->numprocs >= 0 ? "numprocs, " : "");
			free(key);
			goto fail;
		}
		if (sp.conv != 's' && !is_int) {
			/* lenient where Python is not: a numeric string formats as a number */
			int64_t v;
			if (parse_int64(sval, INT64_MIN + 1, INT64_MAX, &v) < 0) {
				*ret_error = xasprintf("'%%(%s)%c' needs a number but the value '%.40s' is not one; use '%%(%s)s'",
				                       key, sp.conv, sval, key);
				free(key);
				goto fail;
			}
			is_int = true;
			ival = v;
		}
		free(key);
		if (is_int && sp.conv != 's')
			put_int(&b, &sp, ival);
		else if (is_int) {
			char tmp[32];
			snprintf(tmp, sizeof(tmp), "%lld", ival);
			put_string(&b, &sp, tmp);
		} else
			put_string(&b, &sp, sval);
		if (b.n > EXPAND_OUTPUT_MAX) {
			*ret_error = xasprintf("expanded value is longer than %u bytes", EXPAND_OUTPUT_MAX);
			goto fail;
		}
		p = after;
	}
	*ret = b.s;
	return 0;
fail:
	free(b.s);
	return -EINVAL;
}
