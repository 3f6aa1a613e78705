/* Config diagnostics: collected while reading and building, sorted once at the end so that a
 * message about an included file comes after those about the lines before the include. */
#include "conf/config-diag.h"

#include <stdlib.h>

#include "conf/config.h"
#include "util.h"

struct conf_pending {
	size_t file, line, seq;
	enum conf_level level;
	char *msg;
};

static void push(struct conf_report *R, enum conf_level level, const struct conf_file *f, unsigned line, char *msg)
{
	if (level == CONF_ERROR && ++R->nerrors > CONFIG_ERRORS_MAX) {
		free(msg);
		return;
	}
	R->pend = xrealloc(R->pend, R->npend + 1, sizeof(*R->pend));
	R->pend[R->npend] = (struct conf_pending) { f ? f->index : 0, line, R->npend, level, msg };
	R->npend++;
}

static int pending_cmp(const void *a, const void *b)
{
	const struct conf_pending *x = a, *y = b;
	if (x->file != y->file)
		return x->file < y->file ? -1 : 1;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

void conf_report_flush(struct conf_report *R)
{
	if (R->npend)
		qsort(R->pend, R->npend, sizeof(*R->pend), pending_cmp);
	for (size_t i = 0; i < R->npend; i++)
		strv_push(R->pend[i].level == CONF_ERROR ? &R->diag->errors : &R->diag->warnings, R->pend[i].msg);
	if (R->nerrors > CONFIG_ERRORS_MAX)
		strv_push(&R->diag->errors, xasprintf("too many errors: only the first %d are listed", CONFIG_ERRORS_MAX));
	free(R->pend);
	R->pend = NULL;
	R->npend = 0;
}

void conf_vreport(struct conf_report *R, enum conf_level level, const struct conf_file *f, unsigned line,
                  const struct conf_section *s, const struct conf_kv *kv, const char *fmt, va_list ap)
{
	char *what = xvasprintf(fmt, ap), *where, *msg;
	if (f && line)
		where = xasprintf("%s:%u: ", f->path, line);
	else if (f)
		where = xasprintf("%s: ", f->path);
	else
		where = xstrdup("");
	if (s && kv)
		msg = xasprintf("%s[%s] %s: %s", where, s->header, kv->written, what);
	else if (s)
		msg = xasprintf("%s[%s] %s", where, s->header, what);
	else
		msg = xasprintf("%s%s", where, what);
	free(where);
	free(what);
	push(R, level, f, line, msg);
}

void conf_file_report(struct conf_report *R, enum conf_level level, const struct conf_file *f, unsigned line,
                      const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	conf_vreport(R, level, f, line, NULL, NULL, fmt, ap);
	va_end(ap);
}

void conf_sec_report(struct conf_report *R, enum conf_level level, const struct conf_section *s, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	conf_vreport(R, level, s->file, s->line, s, NULL, fmt, ap);
	va_end(ap);
}

void conf_kv_report(struct conf_report *R, enum conf_level level, const struct conf_section *s,
                    const struct conf_kv *kv, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	conf_vreport(R, level, kv->file ? kv->file : s->file, kv->line, s, kv, fmt, ap);
	va_end(ap);
}
