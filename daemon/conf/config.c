/* The config loader: read each file ourselves, feed inih line by line (so every handler call
 * has a line number), collect raw sections, then build a fresh struct drover_config with every
 * default, bound and expansion applied. Every error is collected as "FILE:LINE: [section] key: what". */
#include "conf/config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <grp.h>
#include <ini.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "conf/cmdline.h"
#include "conf/config-keys.h"
#include "conf/expand.h"
#include "util.h"

extern char **environ;

#define CONFIG_LINE_MAX       (1u << 20)    /* longest line, newline included */
#define CONFIG_FILE_MAX       (16u << 20)   /* largest file */
#define CONFIG_INCLUDE_DEPTH  8             /* main file = depth 0 */
#define CONFIG_FILES_MAX      1024
#define CONFIG_KEYS_MAX       256           /* keys in one section */
#define CONFIG_PROCS_MAX      10000         /* processes of all programs together */
#define CONFIG_NAME_MAX       127           /* program, group and process names */
#define CONFIG_ERRORS_MAX     1000          /* stop collecting (not parsing) after this many */
#define INLINE_COMMENT        ";#"          /* supervisord 4 (Python 3): ';' and '#' after a blank */
#define START_COMMENT         ";#"

/* ---- raw sections, as read ---- */

struct kv {
	char *key;              /* lower case: keys are case-insensitive as in supervisord (configparser) */
	char *written;          /* as the user wrote it */
	char *value;            /* continuation lines joined with '\n' */
	unsigned line;
	bool dup;               /* a repeated key: reported, then ignored */
};

enum section_kind { SEC_DROVER, SEC_SUPERVISORD, SEC_INCLUDE, SEC_PROGRAM, SEC_GROUP, SEC_IGNORED, SEC_INVALID };

struct cfile {
	char *path;             /* as shown in messages */
	char *abs;              /* absolute, for %(here)s and relative includes */
	char *here;
	dev_t dev;
	ino_t ino;
	struct cfile *parent;   /* the file that included this one */
	unsigned depth;
};

struct section {
	enum section_kind kind;
	char *header;           /* between the brackets, trimmed */
	char *name;             /* program:NAME / group:NAME */
	struct cfile *file;
	unsigned line;
	struct kv *kv;
	size_t nkv;
	bool dup;               /* a repeated [program:x] / [group:x]: reported, then ignored */
};

struct pending {                 /* a message waiting to be sorted into file and line order */
	size_t file, line, seq;
	bool error;
	char *msg;
};

struct loader {
	struct config_diag *diag;
	size_t nerrors;
	struct pending *pend;
	size_t npend;
	struct cfile **files;
	size_t nfiles;
	struct section **sec;
	size_t nsec;
	struct section *drover, *supervisord;
	char host[256];
	bool root;
};

/* ---- diagnostics ---- */

static void diag_push(struct loader *L, bool error, const struct cfile *f, unsigned line, char *msg)
{
	size_t fi = 0;
	if (error && ++L->nerrors > CONFIG_ERRORS_MAX) {
		free(msg);
		return;
	}
	for (size_t i = 0; f && i < L->nfiles; i++)
		if (L->files[i] == f)
			fi = i;
	L->pend = xrealloc(L->pend, L->npend + 1, sizeof(*L->pend));
	L->pend[L->npend] = (struct pending) { fi, line, L->npend, error, msg };
	L->npend++;
}

static int pending_cmp(const void *a, const void *b)
{
	const struct pending *x = a, *y = b;
	if (x->file != y->file)
		return x->file < y->file ? -1 : 1;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Hand the messages over in the order of the files as read, then of lines. */
static void diag_flush(struct loader *L)
{
	if (L->npend)
		qsort(L->pend, L->npend, sizeof(*L->pend), pending_cmp);
	for (size_t i = 0; i < L->npend; i++)
		strv_push(L->pend[i].error ? &L->diag->errors : &L->diag->warnings, L->pend[i].msg);
	if (L->nerrors > CONFIG_ERRORS_MAX)
		strv_push(&L->diag->errors, xasprintf("too many errors: only the first %d are listed", CONFIG_ERRORS_MAX));
	free(L->pend);
	L->pend = NULL;
	L->npend = 0;
}

static void vreport(struct loader *L, bool error, const struct cfile *f, unsigned line, const struct section *s,
                    const struct kv *kv, const char *fmt, va_list ap)
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
	diag_push(L, error, f, line, msg);
}

__attribute__((format(printf, 5, 6)))
static void file_error(struct loader *L, bool error, const struct cfile *f, unsigned line, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vreport(L, error, f, line, NULL, NULL, fmt, ap);
	va_end(ap);
}

__attribute__((format(printf, 4, 5)))
static void sec_error(struct loader *L, bool error, const struct section *s, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vreport(L, error, s->file, s->line, s, NULL, fmt, ap);
	va_end(ap);
}

__attribute__((format(printf, 5, 6)))
static void kv_error(struct loader *L, bool error, const struct section *s, const struct kv *kv, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vreport(L, error, s->file, kv->line, s, kv, fmt, ap);
	va_end(ap);
}

/* What the user wrote, for a message: escaped, one line, cut. Four rotating buffers, so up to
 * four quotes can appear in one message (droverd is single-threaded). */
static const char *q(const char *s)
{
	static char bufs[4][100];
	static unsigned i;
	char *b = bufs[i++ % 4];
	escape_line(b, 80, s ? s : "");
	if (strlen(s ? s : "") > 60 || strlen(b) >= 79)
		strcpy(b + (strlen(b) > 60 ? 60 : strlen(b)), "...");
	return b;
}

/* ---- small string helpers ---- */

static char *trim_dup(const char *s, const char *e)
{
	while (s < e && isspace((unsigned char) *s))
		s++;
	while (e > s && isspace((unsigned char) e[-1]))
		e--;
	return xstrndup(s, (size_t) (e - s));
}

static char *lower_dup(const char *s)
{
	char *d = xstrdup(s);
	for (char *p = d; *p; p++)
		*p = (char) tolower((unsigned char) *p);
	return d;
}

static char *dir_of(const char *abs)
{
	const char *slash = strrchr(abs, '/');
	if (!slash || slash == abs)
		return xstrdup("/");
	return xstrndup(abs, (size_t) (slash - abs));
}

static char *path_join(const char *dir, const char *rel)
{
	if (rel[0] == '/')
		return xstrdup(rel);
	if (strcmp(dir, "/") == 0)
		return xasprintf("/%s", rel);
	return xasprintf("%s/%s", dir, rel);
}

static char *absolute(const char *path)
{
	if (path[0] == '/')
		return xstrdup(path);
	char cwd[PATH_MAX];
	if (!getcwd(cwd, sizeof(cwd)))
		return xstrdup(path);
	return path_join(cwd, path);
}

/* supervisord's process_or_group_name(), stricter: printable ASCII without blanks, ':' or '/'. */
static const char *name_invalid(const char *name)
{
	size_t n = strlen(name);
	if (n == 0)
		return "is empty";
	if (n > CONFIG_NAME_MAX)
		return "is longer than 127 bytes";
	if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return "is not a usable name";
	for (const char *p = name; *p; p++) {
		unsigned char c = (unsigned char) *p;
		if (c <= ' ' || c >= 0x7f)
			return "may contain only printable ASCII characters without blanks";
		if (c == ':' || c == '/')
			return "may not contain ':' or '/'";
	}
	return NULL;
}

/* ---- reading files: our reader feeds inih and tracks what inih does with each line ---- */

struct reader {
	struct loader *L;
	struct cfile *f;
	const char *buf;
	size_t len, pos;
	const char *line;       /* the line being served (into buf, or a substitute) */
	size_t line_len, served;
	bool in_line;
	unsigned lineno;
	bool prev_key;          /* mirrors inih's prev_name: a following indented line continues it */
	bool cont, keyline;     /* what the current line is */
	bool syntax_error;      /* we reported this line already */
	bool before_first_section;
	struct section *cur;    /* keys go here; NULL = skip them */
	struct section *include;/* this file's [include] */
};

static const char *find_chars_or_comment(const char *s, const char *e, const char *chars)
{
	bool was_space = false;
	while (s < e && (!chars || !strchr(chars, *s)) && !(was_space && strchr(INLINE_COMMENT, *s))) {
		was_space = isspace((unsigned char) *s);
		s++;
	}
	return s;
}

static bool header_is(const char *header, const char *prefix, const char **ret_name)
{
	size_t n = strlen(prefix);
	if (strncmp(header, prefix, n) != 0)
		return false;
	if (header[n] == '\0') {
		*ret_name = NULL;
		return true;
	}
	if (header[n] == ':') {
		*ret_name = header + n + 1;
		return true;
	}
	return false;
}

static void begin_section(struct reader *r, const char *start, const char *end)
{
	struct loader *L = r->L;
	struct section *s = xcalloc(1, sizeof(*s));
	const char *name = NULL;

	s->header = trim_dup(start, end);
	s->file = r->f;
	s->line = r->lineno;
	s->kind = SEC_INVALID;
	L->sec = xrealloc(L->sec, L->nsec + 1, sizeof(*L->sec));
	L->sec[L->nsec++] = s;
	r->cur = NULL;
	r->before_first_section = false;

	static const char *const ignored_plain[] = { "supervisorctl", "unix_http_server", "inet_http_server" };
	static const char *const ignored_prefix[] = { "rpcinterface", "eventlistener", "fcgi-program", "ctlplugin" };

	if (strcmp(s->header, "drover") == 0 || strcmp(s->header, "supervisord") == 0) {
		bool drover = s->header[0] == 'd';
		struct section **first = drover ? &L->drover : &L->supervisord;
		if (*first) {
			sec_error(L, true, s, "section is repeated (first at %s:%u)", (*first)->file->path, (*first)->line);
			return;
		}
		*first = s;
		s->kind = drover ? SEC_DROVER : SEC_SUPERVISORD;
	} else if (strcmp(s->header, "include") == 0) {
		if (r->include) {
			sec_error(L, true, s, "section is repeated in this file (first at line %u)", r->include->line);
			return;
		}
		r->include = s;
		s->kind = SEC_INCLUDE;
	} else if (header_is(s->header, "program", &name) || header_is(s->header, "group", &name)) {
		const char *what = s->header[0] == 'p' ? "program" : "group";
		if (!name) {
			sec_error(L, true, s, "section has no name: write [%s:NAME]", what);
			return;
		}
		char *n = trim_dup(name, name + strlen(name));
		const char *why = name_invalid(n);
		if (why) {
			if (!*n)
				sec_error(L, true, s, "section has no name: write [%s:NAME]", what);
			else
				sec_error(L, true, s, "%s name '%s' %s", what, q(n), why);
			free(n);
			return;
		}
		s->name = n;
		s->kind = s->header[0] == 'p' ? SEC_PROGRAM : SEC_GROUP;
	} else {
		for (size_t i = 0; i < ELEMENTSOF(ignored_plain); i++)
			if (strcmp(s->header, ignored_plain[i]) == 0)
				s->kind = SEC_IGNORED;
		for (size_t i = 0; i < ELEMENTSOF(ignored_prefix); i++)
			if (header_is(s->header, ignored_prefix[i], &name))
				s->kind = SEC_IGNORED;
		if (s->kind == SEC_IGNORED)
			sec_error(L, false, s, "supervisord section not used by drover; ignored");
		else if (!*s->header)
			sec_error(L, true, s, "empty section name");
		else
			sec_error(L, true, s, "unknown section");
		return;
	}
	r->cur = s;
}

/* Classify the line exactly as inih 55 will (comment, continuation, section, key = value),
 * before inih sees it: the handler then knows the line number and what the line was. */
static void classify_line(struct reader *r)
{
	const char *line = r->line, *p = line, *e = line + r->line_len;

	r->cont = r->keyline = r->syntax_error = false;
	if (r->lineno == 1 && r->line_len >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
		p += 3;                                 /* inih: INI_ALLOW_BOM */
	while (e > p && isspace((unsigned char) e[-1]))
		e--;
	const char *s = p;
	while (s < e && isspace((unsigned char) *s))
		s++;
	if (s == e || strchr(START_COMMENT, *s))
		return;
	if (r->prev_key && s > line) {
		r->cont = true;
		return;
	}
	if (*s == '[') {
		const char *end = find_chars_or_comment(s + 1, e, "]");
		if (end < e && *end == ']') {
			begin_section(r, s + 1, end);
			r->prev_key = false;
		} else {
			char *t = xstrndup(s, (size_t) (e - s));
			file_error(r->L, true, r->f, r->lineno, "section header '%s' lacks its ']'", q(t));
			free(t);
			r->syntax_error = true;
			r->cur = NULL;
		}
		return;
	}
	const char *end = find_chars_or_comment(s, e, "=:");
	if (end < e && (*end == '=' || *end == ':')) {
		r->keyline = true;
		r->prev_key = end > s;
		return;
	}
	char *t = xstrndup(s, (size_t) (e - s));
	file_error(r->L, true, r->f, r->lineno, "expected 'key = value' or '[section]', got '%s'", q(t));
	free(t);
	r->syntax_error = true;
}

/* inih's reader: behaves as fgets(). At the start of each line, check and classify it; a line
 * inih must not see (NUL byte, too long) is reported and replaced by a comment. */
static char *reader_read(char *str, int num, void *stream)
{
	struct reader *r = stream;

	if (num <= 1)
		return NULL;
	if (!r->in_line) {
		if (r->pos >= r->len)
			return NULL;
		const char *start = r->buf + r->pos;
		const char *nl = memchr(start, '\n', r->len - r->pos);
		size_t n = nl ? (size_t) (nl - start) + 1 : r->len - r->pos;
		r->pos += n;
		r->lineno++;
		r->line = start;
		r->line_len = n;
		r->served = 0;
		r->in_line = true;
		if (memchr(start, '\0', n)) {
			file_error(r->L, true, r->f, r->lineno, "NUL byte in line (binary file?)");
			r->line = ";\n";
			r->line_len = 2;
		} else if (n > CONFIG_LINE_MAX) {
			file_error(r->L, true, r->f, r->lineno, "line is longer than %u bytes", CONFIG_LINE_MAX);
			r->line = ";\n";
			r->line_len = 2;
		}
		classify_line(r);
	}
	size_t k = r->line_len - r->served;
	if (k > (size_t) num - 1)
		k = (size_t) num - 1;
	memcpy(str, r->line + r->served, k);
	str[k] = '\0';
	r->served += k;
	if (r->served == r->line_len)
		r->in_line = false;
	return str;
}

static int reader_handler(void *user, const char *section, const char *name, const char *value)
{
	struct reader *r = user;
	struct loader *L = r->L;
	struct section *s = r->cur;

	(void) section;                     /* inih cuts section names at 49 bytes: we track our own */
	if (r->cont) {
		if (!s || s->nkv == 0)
			return 1;
		struct kv *kv = &s->kv[s->nkv - 1];
		if (!*kv->value) {
			free(kv->value);
			kv->value = xstrdup(value);
		} else {
			char *j = xasprintf("%s\n%s", kv->value, value);
			free(kv->value);
			kv->value = j;
		}
		return 1;
	}
	if (!r->keyline)
		return 1;
	if (!s) {
		if (r->before_first_section)
			file_error(L, true, r->f, r->lineno, "'%s' is outside of any section", q(name));
		return 1;
	}
	if (s->kind == SEC_IGNORED || s->kind == SEC_INVALID)
		return 1;
	if (!*name) {
		file_error(L, true, r->f, r->lineno, "[%s] a key name is missing before '='", s->header);
		return 1;
	}
	if (s->nkv >= CONFIG_KEYS_MAX) {
		file_error(L, true, r->f, r->lineno, "[%s] more than %d keys in one section", s->header, CONFIG_KEYS_MAX);
		r->cur = NULL;                  /* ignore the rest of the section */
		return 1;
	}
	struct kv kv = { .key = lower_dup(name), .written = xstrdup(name), .value = xstrdup(value), .line = r->lineno };
	for (size_t i = 0; i < s->nkv; i++) {
		if (!s->kv[i].dup && strcmp(s->kv[i].key, kv.key) == 0) {
			kv_error(L, true, s, &kv, "key is repeated (first set at line %u); indent a line to continue a value",
			         s->kv[i].line);
			kv.dup = true;
			break;
		}
	}
	s->kv = xrealloc(s->kv, s->nkv + 1, sizeof(*s->kv));
	s->kv[s->nkv++] = kv;
	return 1;
}

static void parse_buffer(struct loader *L, struct cfile *f, const char *buf, size_t len);

/* Read FILE whole: O_CLOEXEC, EINTR-safe, bounded; refuse what a root daemon must not trust. */
static int read_whole(struct loader *L, struct cfile *f, char **ret_buf, size_t *ret_len, const char **ret_why)
{
	struct stat st;
	char *buf = NULL;
	size_t len = 0, cap = 0;
	int fd, r;

	/* Never open what is not a regular file: opening a FIFO blocks, opening a device may act. */
	if (stat(f->abs, &st) < 0)
		return -errno;
	if (S_ISDIR(st.st_mode))
		return -EISDIR;
	if (!S_ISREG(st.st_mode)) {
		*ret_why = "not a regular file";
		return -EINVAL;
	}
	fd = open(f->abs, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		r = -errno;
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		r = -EISDIR;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		*ret_why = "not a regular file";
		r = -EINVAL;
		goto out;
	}
	if (L->root && (st.st_mode & (S_IWGRP | S_IWOTH))) {
		*ret_why = st.st_mode & S_IWOTH ? "world-writable: refusing it while running as root"
		                                : "group-writable: refusing it while running as root";
		r = -EPERM;
		goto out;
	}
	f->dev = st.st_dev;
	f->ino = st.st_ino;
	for (;;) {
		if (cap - len < 65536) {
			cap = cap ? cap * 2 : 65536;
			buf = xrealloc(buf, cap, 1);
		}
		ssize_t n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t) n;
		if (len > CONFIG_FILE_MAX) {
			*ret_why = "file is larger than 16 MiB";
			r = -EFBIG;
			goto out;
		}
	}
	*ret_buf = buf;
	*ret_len = len;
	buf = NULL;
	r = 0;
out:
	free(buf);
	(void) close(fd);
	return r;
}

static struct cfile *cfile_new(struct loader *L, const char *path, const char *abs, struct cfile *parent)
{
	struct cfile *f = xcalloc(1, sizeof(*f));
	f->path = xstrdup(path);
	f->abs = xstrdup(abs);
	f->here = dir_of(f->abs);
	f->parent = parent;
	f->depth = parent ? parent->depth + 1 : 0;
	L->files = xrealloc(L->files, L->nfiles + 1, sizeof(*L->files));
	L->files[L->nfiles++] = f;
	return f;
}

/* Include one file named by an [include] or [drover] include line. */
static void include_file(struct loader *L, struct section *s, struct kv *kv, const char *path, bool explicit)
{
	struct cfile *parent = s->file;
	char *buf = NULL;
	size_t len = 0;
	const char *why = NULL;

	if (parent->depth + 1 > CONFIG_INCLUDE_DEPTH) {
		kv_error(L, true, s, kv, "'%s': includes nested deeper than %d levels", q(path), CONFIG_INCLUDE_DEPTH);
		return;
	}
	if (L->nfiles >= CONFIG_FILES_MAX) {
		kv_error(L, true, s, kv, "'%s': more than %d config files", q(path), CONFIG_FILES_MAX);
		return;
	}
	char *abs = absolute(path);
	struct cfile *f = cfile_new(L, path, abs, parent);
	free(abs);
	int r = read_whole(L, f, &buf, &len, &why);
	if (r < 0) {
		if ((r == -EISDIR || (r == -EINVAL && why)) && !explicit) {
			kv_error(L, false, s, kv, "'%s' is %s; skipped", q(path), r == -EISDIR ? "a directory" : "not a regular file");
			return;
		}
		kv_error(L, true, s, kv, "cannot read '%s': %s", q(path), why ? why : strerror(-r));
		return;
	}
	for (struct cfile *a = parent; a; a = a->parent) {
		if (a->dev == f->dev && a->ino == f->ino) {
			kv_error(L, true, s, kv, "include loop: '%s' is already being read (%s)", q(path), a->path);
			free(buf);
			return;
		}
	}
	for (size_t i = 0; i + 1 < L->nfiles; i++) {
		struct cfile *o = L->files[i];
		if (o != f && o->dev == f->dev && o->ino == f->ino && o->ino != 0) {
			kv_error(L, false, s, kv, "'%s' was already included (as %s); skipped", q(path), o->path);
			free(buf);
			return;
		}
	}
	parse_buffer(L, f, buf, len);
	free(buf);
}

/* Escape glob metacharacters of a directory so that only the user's pattern is a pattern. */
static char *glob_escape(const char *s)
{
	char *d = xmalloc(strlen(s) * 2 + 1), *o = d;
	for (; *s; s++) {
		if (strchr("*?[]\\", *s))
			*o++ = '\\';
		*o++ = *s;
	}
	*o = '\0';
	return d;
}

static void process_includes(struct loader *L, struct section *s, struct kv *kv)
{
	struct expand_ctx ctx = { .here = s->file->here, .host_node_name = L->host, .process_num = -1, .numprocs = -1,
	                          .env = { environ } };
	char *value, *err, **words = NULL;

	if (expand_string(kv->value, &ctx, &value, &err) < 0) {
		kv_error(L, true, s, kv, "%s", err);
		free(err);
		return;
	}
	/* space-separated globs, as supervisord's files.split(): no quoting */
	for (char *tok = strtok(value, " \t\n"); tok; tok = strtok(NULL, " \t\n"))
		strv_push(&words, xstrdup(tok));
	free(value);
	for (char **w = words; w && *w; w++) {
		bool pattern = strpbrk(*w, "*?[") != NULL;
		/* messages show paths relative to how the including file was named */
		char *shown_dir = strrchr(s->file->path, '/') ? dir_of(s->file->path) : xstrdup(".");
		char *shown = (*w)[0] == '/' ? xstrdup(*w)
		              : strcmp(shown_dir, ".") == 0 ? xstrdup(*w) : path_join(shown_dir, *w);
		free(shown_dir);
		if (!pattern) {
			include_file(L, s, kv, shown, true);
			free(shown);
			continue;
		}
		char *edir = glob_escape(s->file->here);
		char *full = (*w)[0] == '/' ? xstrdup(*w) : path_join(edir, *w);
		free(edir);
		glob_t g;
		int r = glob(full, 0, NULL, &g);
		if (r == 0) {
			for (size_t i = 0; i < g.gl_pathc; i++)
				include_file(L, s, kv, g.gl_pathv[i], false);
		} else if (r != GLOB_NOMATCH) {
			kv_error(L, true, s, kv, "cannot expand '%s': %s", q(*w), r == GLOB_NOSPACE ? "out of memory" : "read error");
		}
		if (r == 0 || r == GLOB_NOMATCH)
			globfree(&g);
		free(full);
		free(shown);
	}
	strv_free(words);
}

static void parse_buffer(struct loader *L, struct cfile *f, const char *buf, size_t len)
{
	struct reader r = { .L = L, .f = f, .buf = buf, .len = len, .before_first_section = true };
	size_t first = L->nsec;

	/* Debian's inih 55 exposes its build options as globals (DESIGN.md, platform facts). */
	ini_use_stack = false;
	ini_allow_realloc = true;
	ini_max_line = CONFIG_LINE_MAX + 16;
	ini_allow_multiline = true;
	ini_allow_bom = true;
	ini_allow_inline_comments = true;
	ini_inline_comment_prefixes = (char *) INLINE_COMMENT;
	ini_start_comment_prefixes = (char *) START_COMMENT;
	ini_stop_on_first_error = false;
	ini_allow_no_value = false;

	int rr = ini_parse_stream(reader_read, &r, reader_handler, &r);
	if (rr == -2) {
		fputs("drover: out of memory\n", stderr);
		abort();
	}
	if (rr > 0 && L->nerrors == 0)          /* we classify every line as inih does; belt and braces */
		file_error(L, true, f, (unsigned) rr, "syntax error");

	/* Includes are read once this file is done, in order: their sections follow this file's. */
	size_t last = L->nsec;
	for (size_t i = first; i < last; i++) {
		struct section *s = L->sec[i];
		if (s->file != f || (s->kind != SEC_INCLUDE && s->kind != SEC_DROVER))
			continue;
		bool found = false;
		for (size_t k = 0; k < s->nkv; k++) {
			struct kv *kv = &s->kv[k];
			if (kv->dup)
				continue;
			if (s->kind == SEC_INCLUDE && strcmp(kv->key, "files") != 0) {
				kv_error(L, true, s, kv, "unknown key (the only key of [include] is 'files')");
				continue;
			}
			if (strcmp(kv->key, s->kind == SEC_INCLUDE ? "files" : "include") != 0)
				continue;
			found = true;
			process_includes(L, s, kv);
		}
		if (s->kind == SEC_INCLUDE && !found)
			sec_error(L, true, s, "section has no 'files' key");
	}
}

/* ---- building the config ---- */

static struct kv *sec_get(struct section *s, const char *key)
{
	for (size_t i = 0; i < s->nkv; i++)
		if (!s->kv[i].dup && strcmp(s->kv[i].key, key) == 0)
			return &s->kv[i];
	return NULL;
}

static bool expand_kv(struct loader *L, struct section *s, struct kv *kv, const struct expand_ctx *ctx, char **ret)
{
	char *err;
	if (expand_string(kv->value, ctx, ret, &err) < 0) {
		kv_error(L, true, s, kv, "%s", err);
		free(err);
		return false;
	}
	return true;
}

static void range_error(struct loader *L, struct section *s, struct kv *kv, const char *v, int r, int64_t min, int64_t max)
{
	if (r == -ERANGE)
		kv_error(L, true, s, kv, "'%s' is out of range (%lld..%lld)", q(v), (long long) min, (long long) max);
	else
		kv_error(L, true, s, kv, "'%s' is not an integer", q(v));
}

static bool get_int(struct loader *L, struct section *s, struct kv *kv, const char *v, int64_t min, int64_t max, int *ret)
{
	int64_t x;
	int r = config_value_int(v, min, max, &x);
	if (r < 0) {
		range_error(L, s, kv, v, r, min, max);
		return false;
	}
	*ret = (int) x;
	return true;
}

static bool get_bool(struct loader *L, struct section *s, struct kv *kv, const char *v, bool *ret)
{
	if (config_value_bool(v, ret) < 0) {
		kv_error(L, true, s, kv, "'%s' is not a boolean (true/false, yes/no, on/off, 1/0)", q(v));
		return false;
	}
	return true;
}

static bool get_octal(struct loader *L, struct section *s, struct kv *kv, const char *v, unsigned max, unsigned *ret)
{
	int r = config_value_octal(v, max, ret);
	if (r < 0) {
		if (r == -ERANGE)
			kv_error(L, true, s, kv, "'%s' is out of range (0..0%o)", q(v), max);
		else
			kv_error(L, true, s, kv, "'%s' is not an octal number", q(v));
		return false;
	}
	return true;
}

static char *resolve_path(const char *here, const char *v)
{
	return path_join(here, v);
}

/* environment_file: a comma-separated list; "-" before a path makes a missing file fine. Each
 * path is resolved here; the list keeps its "-" marks for envfile_load_list() at spawn time. */
static char *resolve_path_list(const char *here, const char *v)
{
	char *copy = xstrdup(v), *save = NULL, *out = xstrdup("");
	for (char *item = strtok_r(copy, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
		while (*item == ' ' || *item == '\t')
			item++;
		size_t l = strlen(item);
		while (l > 0 && (item[l - 1] == ' ' || item[l - 1] == '\t'))
			item[--l] = '\0';
		bool optional = item[0] == '-';
		if (!item[optional])
			continue;
		char *abs = resolve_path(here, item + optional);
		char *next = xasprintf("%s%s%s%s", out, *out ? "," : "", optional ? "-" : "", abs);
		free(abs);
		free(out);
		out = next;
	}
	free(copy);
	if (!*out) {
		free(out);
		return NULL;
	}
	return out;
}

/* KEY=VALUE pairs of an environment= line, each value expanded; %(ENV_X)s sees the variables
 * defined earlier on the same line, then BASE, then droverd's environment (supervisord #1714). */
static bool build_env(struct loader *L, struct section *s, struct kv *kv, char **keys, char **values,
                      const struct expand_ctx *ctx0, char *const *base, char ***ret)
{
	char **env = strv_copy(base), **local = NULL;
	struct expand_ctx ctx = *ctx0;

	for (size_t i = 0; keys && keys[i]; i++) {
		char *k = NULL, *v = NULL, *err = NULL;
		ctx.env[0] = local;
		ctx.env[1] = base;
		ctx.env[2] = environ;
		if (expand_string(keys[i], &ctx, &k, &err) < 0 || expand_string(values[i], &ctx, &v, &err) < 0) {
			free(k);
			kv_error(L, true, s, kv, "%s", err);
			free(err);
			goto fail;
		}
		if (!*k || strchr(k, '=')) {
			kv_error(L, true, s, kv, "'%s' is not a valid variable name", q(k));
			free(k);
			free(v);
			goto fail;
		}
		char *pair = xasprintf("%s=%s", k, v);
		strv_env_set(&local, xstrdup(pair));
		strv_env_set(&env, pair);
		free(k);
		free(v);
	}
	strv_free(local);
	*ret = env;
	return true;
fail:
	strv_free(local);
	strv_free(env);
	return false;
}

static void apply_drover(struct loader *L, struct drover_config *c, bool *log_dir_set)
{
	struct section *s = L->drover;
	struct expand_ctx ctx = { .host_node_name = L->host, .process_num = -1, .numprocs = -1, .env = { environ } };

	if (!s)
		return;
	ctx.here = s->file->here;
	for (size_t i = 0; i < s->nkv; i++) {
		struct kv *kv = &s->kv[i];
		char *v;
		if (kv->dup || strcmp(kv->key, "include") == 0)
			continue;
		if (!expand_kv(L, s, kv, &ctx, &v))
			continue;
		if (strcmp(kv->key, "name") == 0) {
			if (!instance_name_valid(v))
				kv_error(L, true, s, kv, "'%s' is not a valid instance name ([A-Za-z0-9_-], 1 to 32 characters)", q(v));
			else {
				free(c->name);
				c->name = xstrdup(v);
			}
		} else if (strcmp(kv->key, "log_dir") == 0 || strcmp(kv->key, "run_dir") == 0) {
			char **dst = kv->key[0] == 'l' ? &c->log_dir : &c->run_dir;
			if (!*v)
				kv_error(L, true, s, kv, "must not be empty");
			else {
				free(*dst);
				*dst = resolve_path(s->file->here, v);
				if (kv->key[0] == 'l')
					*log_dir_set = true;
			}
		} else if (strcmp(kv->key, "control_mode") == 0) {
			unsigned m;
			if (get_octal(L, s, kv, v, 0777, &m)) {
				if ((m & 0600) != 0600)
					kv_error(L, true, s, kv, "'%s' must give the owner read and write (0600)", q(v));
				else
					c->control_mode = (mode_t) m;
			}
		} else if (strcmp(kv->key, "control_group") == 0) {
			if (*v) {
				int64_t gid;
				struct group *gr = config_value_int(v, 0, INT32_MAX, &gid) == 0 ? getgrgid((gid_t) gid) : getgrnam(v);
				if (!gr)
					kv_error(L, true, s, kv, "unknown group '%s'", q(v));
				else {
					free(c->control_group);
					c->control_group = xstrdup(gr->gr_name);
					c->control_gid = gr->gr_gid;
				}
			}
		} else if (strcmp(kv->key, "subreaper") == 0) {
			get_bool(L, s, kv, v, &c->subreaper);
		} else if (strcmp(kv->key, "pidfile") == 0) {
			free(c->pidfile);
			c->pidfile = *v ? resolve_path(s->file->here, v) : NULL;
		} else if (strcmp(kv->key, "user") == 0) {
			free(c->user);
			c->user = *v ? xstrdup(v) : NULL;
		} else
			kv_error(L, true, s, kv, "unknown key '%s'", q(kv->written));
		free(v);
	}
}

/* [supervisord] pidfile and user fill what [drover] left unset: [drover] is read first. */
static void apply_supervisord(struct loader *L, struct drover_config *c, char **childlogdir)
{
	struct section *s = L->supervisord;
	struct expand_ctx ctx = { .host_node_name = L->host, .process_num = -1, .numprocs = -1, .env = { environ } };

	if (!s)
		return;
	bool drover_pidfile = L->drover && sec_get(L->drover, "pidfile");
	bool drover_user = L->drover && sec_get(L->drover, "user");
	ctx.here = s->file->here;
	for (size_t i = 0; i < s->nkv; i++) {
		struct kv *kv = &s->kv[i];
		char *v = NULL;
		bool used = strcmp(kv->key, "childlogdir") == 0 || strcmp(kv->key, "environment") == 0 ||
		            strcmp(kv->key, "umask") == 0 || strcmp(kv->key, "minfds") == 0 || strcmp(kv->key, "minprocs") == 0 ||
		            strcmp(kv->key, "pidfile") == 0 || strcmp(kv->key, "user") == 0;
		if (kv->dup)
			continue;
		if (!used) {
			kv_error(L, false, s, kv, supervisord_key_known(kv->key) ? "supervisord setting not used by drover; ignored"
			                                                         : "unknown supervisord setting; ignored");
			continue;
		}
		if (strcmp(kv->key, "environment") == 0) {
			char **keys = NULL, **values = NULL, *err;
			if (cmdline_env_parse(kv->value, &keys, &values, &err) < 0) {
				kv_error(L, true, s, kv, "%s", err);
				free(err);
				continue;
			}
			char **env;
			if (build_env(L, s, kv, keys, values, &ctx, NULL, &env)) {
				strv_free(c->environment);
				c->environment = env;
			}
			strv_free(keys);
			strv_free(values);
			continue;
		}
		if (!expand_kv(L, s, kv, &ctx, &v))
			continue;
		if (strcmp(kv->key, "childlogdir") == 0) {
			if (!*v)
				kv_error(L, true, s, kv, "must not be empty");
			else {
				free(*childlogdir);
				*childlogdir = resolve_path(s->file->here, v);
			}
		} else if (strcmp(kv->key, "umask") == 0) {
			unsigned m;
			if (get_octal(L, s, kv, v, 0777, &m))
				c->umask = (int) m;
		} else if (strcmp(kv->key, "pidfile") == 0) {
			if (!drover_pidfile) {
				free(c->pidfile);
				c->pidfile = *v ? resolve_path(s->file->here, v) : NULL;
			}
		} else if (strcmp(kv->key, "user") == 0) {
			if (!drover_user) {
				free(c->user);
				c->user = *v ? xstrdup(v) : NULL;
			}
		} else {
			int64_t n;
			int64_t max = kv->key[3] == 'f' ? 1 << 20 : 1 << 22;
			int r = config_value_int(v, 0, max, &n);
			if (r < 0)
				range_error(L, s, kv, v, r, 0, max);
			else if (kv->key[3] == 'f')
				c->minfds = (long) n;
			else
				c->minprocs = (long) n;
		}
		free(v);
	}
}

struct group_info {
	struct section *s;
	struct kv *programs_kv;
	char **programs;
	int priority;
};

struct member {                 /* program name -> its [group:x] */
	const char *program;
	struct group_info *g;
	size_t order;               /* listing order: a program listed twice is reported at the later listing */
};

static int member_cmp(const void *a, const void *b)
{
	return strcmp(((const struct member *) a)->program, ((const struct member *) b)->program);
}

static int member_order_cmp(const void *a, const void *b)
{
	const struct member *x = a, *y = b;
	int r = strcmp(x->program, y->program);
	return r ? r : x->order < y->order ? -1 : x->order > y->order;
}

/* Split a list of names on commas and blanks. */
static char **split_names(const char *v)
{
	char **out = NULL, *copy = xstrdup(v);
	for (char *tok = strtok(copy, ", \t\n"); tok; tok = strtok(NULL, ", \t\n"))
		strv_push(&out, xstrdup(tok));
	free(copy);
	return out;
}

static void parse_group(struct loader *L, struct group_info *g)
{
	struct section *s = g->s;
	struct expand_ctx ctx = { .here = s->file->here, .host_node_name = L->host, .group_name = s->name,
	                          .process_num = -1, .numprocs = -1, .env = { environ } };
	g->priority = 999;
	for (size_t i = 0; i < s->nkv; i++) {
		struct kv *kv = &s->kv[i];
		char *v;
		if (kv->dup)
			continue;
		if (strcmp(kv->key, "programs") != 0 && strcmp(kv->key, "priority") != 0) {
			kv_error(L, true, s, kv, "unknown key '%s' (a group has 'programs' and 'priority')", q(kv->written));
			continue;
		}
		if (!expand_kv(L, s, kv, &ctx, &v))
			continue;
		if (kv->key[1] == 'r' && kv->key[2] == 'i')
			get_int(L, s, kv, v, -1000000, 1000000, &g->priority);
		else {
			g->programs_kv = kv;
			g->programs = split_names(v);
			for (char **n = g->programs; n && *n; n++) {
				const char *why = name_invalid(*n);
				if (why)
					kv_error(L, true, s, kv, "program name '%s' %s", q(*n), why);
			}
		}
		free(v);
	}
}

struct ctx_program {
	struct loader *L;
	struct drover_config *c;
	struct section *s;
	struct program_config *p;
	struct kv *k[PK_MAX];
	struct kv defaults[PK_MAX];     /* stand-ins for unset keys: their messages point at the section line */
	uint64_t maxbytes[2];           /* stdout, stderr */
	int backups[2];
};

static struct kv *key_or_default(struct ctx_program *cp, enum program_key i)
{
	if (cp->k[i])
		return cp->k[i];
	if (!program_keys[i].def)
		return NULL;
	struct kv *d = &cp->defaults[i];
	d->key = d->written = (char *) program_keys[i].name;
	d->value = (char *) program_keys[i].def;
	d->line = cp->s->line;
	return d;
}

/* Parse one program-level (not per-process) key into p. False on error (reported). */
static bool program_scalar(struct ctx_program *cp, enum program_key i, const struct expand_ctx *ctx)
{
	struct loader *L = cp->L;
	struct section *s = cp->s;
	struct program_config *p = cp->p;
	const struct config_key *key = &program_keys[i];
	struct kv *kv = key_or_default(cp, i);
	char *v;
	bool ok = true;

	if (!kv)
		return true;
	if (!expand_kv(L, s, kv, ctx, &v))
		return false;
	switch (key->type) {
	case CV_INT: {
		int x;
		ok = get_int(L, s, kv, v, key->min, key->max, &x);
		if (!ok)
			break;
		switch (i) {
		case PK_NUMPROCS: p->numprocs = x; break;
		case PK_NUMPROCS_START: p->numprocs_start = x; break;
		case PK_PRIORITY: p->priority = x; break;
		case PK_STARTSECS: p->startsecs = x; break;
		case PK_STOPWAITSECS: p->stopwaitsecs = x; break;
		case PK_HEARTBEAT_TIMEOUT: p->heartbeat_timeout = x; break;
		case PK_BACKOFF_INITIAL: p->backoff_initial = x; break;
		case PK_BACKOFF_MAX: p->backoff_max = x; break;
		case PK_BACKOFF_RESET: p->backoff_reset = x; break;
		case PK_FATAL_RETRY: p->fatal_retry = x; break;
		case PK_STDOUT_LOGFILE_BACKUPS: cp->backups[0] = x; break;
		case PK_STDERR_LOGFILE_BACKUPS: cp->backups[1] = x; break;
		default: abort();
		}
		break;
	}
	case CV_BOOL: {
		bool b;
		ok = get_bool(L, s, kv, v, &b);
		if (!ok)
			break;
		switch (i) {
		case PK_AUTOSTART: p->autostart = b; break;
		case PK_STOPASGROUP: p->stopasgroup = b; break;
		case PK_KILLASGROUP: p->killasgroup = b; break;
		case PK_REDIRECT_STDERR: p->redirect_stderr = b; break;
		case PK_KILLTREE: p->killtree = b; break;
		case PK_RESTART_WITH_DEPENDENCY: p->restart_with_dependency = b; break;
		default: abort();
		}
		break;
	}
	case CV_SIZE: {
		uint64_t n;
		int r = config_value_size(v, (uint64_t) key->max, &n);
		if (r < 0) {
			kv_error(L, true, s, kv, r == -ERANGE ? "'%s' is out of range (0..1048576GB)"
			                                      : "'%s' is not a size (a number with an optional KB, MB or GB)", q(v));
			ok = false;
		} else
			cp->maxbytes[i == PK_STDERR_LOGFILE_MAXBYTES] = n;
		break;
	}
	case CV_OCTAL: {
		unsigned m;
		if (!*v)
			p->umask = -1;
		else if ((ok = get_octal(L, s, kv, v, (unsigned) key->max, &m)))
			p->umask = (int) m;
		break;
	}
	case CV_SIGNAL: {
		int sig = signal_from_string(v);
		if (sig < 0) {
			kv_error(L, true, s, kv, "unknown signal '%s' (a name such as TERM or SIGTERM, or a number)", q(v));
			ok = false;
		} else
			p->stopsignal = sig;
		break;
	}
	case CV_AUTORESTART: {
		bool b;
		if (config_value_bool(v, &b) == 0)
			p->autorestart = b ? AUTORESTART_TRUE : AUTORESTART_FALSE;
		else if (strcasecmp(v, "unexpected") == 0)
			p->autorestart = AUTORESTART_UNEXPECTED;
		else {
			kv_error(L, true, s, kv, "'%s' is not one of true, false, unexpected", q(v));
			ok = false;
		}
		break;
	}
	case CV_EXITCODES: {
		int r = config_value_exitcodes(v, p->exitcodes);
		if (r < 0) {
			kv_error(L, true, s, kv, "'%s' is not a list of exit codes (comma-separated, 0..255)", q(v));
			ok = false;
		}
		break;
	}
	case CV_ENUM: {
		int e = config_value_enum(v, key->names);
		if (e < 0) {
			char list[128] = "";
			for (size_t n = 0; key->names[n]; n++)
				snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s", n ? ", " : "", key->names[n]);
			kv_error(L, true, s, kv, "'%s' is not one of %s", q(v), list);
			ok = false;
		} else if (i == PK_READY)
			p->ready = (enum ready_mode) e;
		else
			p->backoff = (enum backoff_mode) e;
		break;
	}
	case CV_RETRIES:
		if (strcasecmp(v, "infinite") == 0)
			p->startretries = STARTRETRIES_INFINITE;
		else {
			int64_t x;
			int r = config_value_int(v, key->min, key->max, &x);
			if (r < 0) {
				if (r == -ERANGE)
					kv_error(L, true, s, kv, "'%s' is out of range (%lld..%lld, or infinite)", q(v),
					         (long long) key->min, (long long) key->max);
				else
					kv_error(L, true, s, kv, "'%s' is not an integer (or infinite)", q(v));
				ok = false;
			} else
				p->startretries = (int) x;
		}
		break;
	case CV_NAMES: {
		char **names = split_names(v);
		for (char **n = names; n && *n; n++) {
			const char *why = name_invalid(*n);
			if (why) {
				kv_error(L, true, s, kv, "program name '%s' %s", q(*n), why);
				ok = false;
			}
		}
		if (ok) {
			strv_free(p->depends_on);
			p->depends_on = names;
		} else
			strv_free(names);
		break;
	}
	case CV_STRING:
		switch (i) {
		case PK_USER:
			free(p->user);
			p->user = *v ? xstrdup(v) : NULL;
			break;
		case PK_ENVIRONMENT_FILE:
			free(p->environment_file);
			p->environment_file = *v ? resolve_path_list(s->file->here, v) : NULL;
			break;
		default:
			abort();
		}
		break;
	}
	free(v);
	return ok;
}

/* stdout_logfile / stderr_logfile of one process: AUTO | NONE | path. */
static bool build_log(struct ctx_program *cp, const struct expand_ctx *ctx, int stream, const char *log_dir,
                      const char *proc_name, struct logfile_config *lc)
{
	enum program_key key = stream ? PK_STDERR_LOGFILE : PK_STDOUT_LOGFILE;
	struct kv *kv = key_or_default(cp, key);
	char *v;

	if (!expand_kv(cp->L, cp->s, kv, ctx, &v))
		return false;
	lc->maxbytes = cp->maxbytes[stream];
	lc->backups = cp->backups[stream];
	if (strcasecmp(v, "auto") == 0) {
		lc->kind = LOGFILE_AUTO;
		char *file = xasprintf("%s-%s.log", proc_name, stream ? "stderr" : "stdout");
		lc->path = path_join(log_dir, file);
		free(file);
	} else if (!*v || strcasecmp(v, "none") == 0 || strcasecmp(v, "off") == 0) {
		lc->kind = LOGFILE_NONE;
	} else {
		lc->kind = LOGFILE_PATH;
		lc->path = resolve_path(cp->s->file->here, v);
	}
	free(v);
	if (stream && cp->p->redirect_stderr) {
		lc->kind = LOGFILE_NONE;
		free(lc->path);
		lc->path = NULL;
	}
	return true;
}

static bool build_proc(struct ctx_program *cp, struct expand_ctx *ctx, const char *log_dir, char **env_keys,
                       char **env_values, struct proc_config *pc)
{
	struct loader *L = cp->L;
	struct section *s = cp->s;
	struct program_config *p = cp->p;
	char *v, *err;
	bool ok = true;

	/* process_name */
	struct kv *kv = key_or_default(cp, PK_PROCESS_NAME);
	if (expand_kv(L, s, kv, ctx, &v)) {
		const char *why = name_invalid(v);
		if (why) {
			kv_error(L, true, s, kv, "process name '%s' %s", q(v), why);
			ok = false;
			free(v);
		} else {
			pc->name = v;
			pc->fullname = strcmp(p->group, v) == 0 ? xstrdup(v) : xasprintf("%s:%s", p->group, v);
		}
	} else
		ok = false;

	/* command */
	kv = cp->k[PK_COMMAND];
	if (expand_kv(L, s, kv, ctx, &v)) {
		int n = cmdline_split(v, &pc->argv, &err);
		if (n < 0) {
			kv_error(L, true, s, kv, "%s", err);
			free(err);
			ok = false;
		} else if (n == 0) {
			kv_error(L, true, s, kv, "empty command");
			ok = false;
		}
		free(v);
	} else
		ok = false;

	/* environment */
	if (cp->k[PK_ENVIRONMENT] && env_keys) {
		if (!build_env(L, s, cp->k[PK_ENVIRONMENT], env_keys, env_values, ctx, cp->c->environment, &pc->env))
			ok = false;
	} else
		pc->env = strv_copy(cp->c->environment);

	/* directory */
	if ((kv = cp->k[PK_DIRECTORY])) {
		if (expand_kv(L, s, kv, ctx, &v)) {
			pc->directory = *v ? resolve_path(s->file->here, v) : NULL;
			free(v);
		} else
			ok = false;
	}

	if (ok) {
		ok &= build_log(cp, ctx, 0, log_dir, pc->name, &pc->stdout_log);
		ok &= build_log(cp, ctx, 1, log_dir, pc->name, &pc->stderr_log);
	}
	return ok;
}

static void build_program(struct loader *L, struct drover_config *c, struct section *s, struct group_info *g,
                          size_t *total, struct program_config *p)
{
	struct ctx_program cp = { .L = L, .c = c, .s = s, .p = p };
	struct expand_ctx ctx = { .program_name = s->name, .here = s->file->here, .host_node_name = L->host,
	                          .process_num = -1, .numprocs = -1, .env = { environ } };
	bool ok = true;

	p->name = xstrdup(s->name);
	p->group = xstrdup(g ? g->s->name : s->name);
	p->file = xstrdup(s->file->path);
	p->line = s->line;
	p->umask = -1;
	p->numprocs = 1;
	ctx.group_name = p->group;

	for (size_t i = 0; i < s->nkv; i++) {
		struct kv *kv = &s->kv[i];
		if (kv->dup)
			continue;
		int k = program_key_lookup(kv->key);
		if (k >= 0)
			cp.k[k] = kv;
		else if (program_key_supervisord_only(kv->key))
			kv_error(L, false, s, kv, "supervisord setting not implemented by drover; ignored");
		else {
			kv_error(L, true, s, kv, "unknown key '%s'", q(kv->written));
			ok = false;
		}
	}

	ok &= program_scalar(&cp, PK_NUMPROCS, &ctx);
	ok &= program_scalar(&cp, PK_NUMPROCS_START, &ctx);
	ctx.numprocs = p->numprocs;
	for (int i = 0; i < PK_MAX; i++) {
		if (i == PK_NUMPROCS || i == PK_NUMPROCS_START || program_keys[i].per_process)
			continue;
		ok &= program_scalar(&cp, (enum program_key) i, &ctx);
	}

	if (!cp.k[PK_KILLASGROUP])
		p->killasgroup = p->stopasgroup;
	else if (p->stopasgroup && !p->killasgroup) {
		kv_error(L, true, s, cp.k[PK_KILLASGROUP], "killasgroup=false contradicts stopasgroup=true");
		ok = false;
	}
	if (p->backoff_max < p->backoff_initial) {
		struct kv *kv = cp.k[PK_BACKOFF_MAX] ? cp.k[PK_BACKOFF_MAX] : cp.k[PK_BACKOFF_INITIAL];
		kv_error(L, true, s, kv, "backoff_max (%d) is below backoff_initial (%d)", p->backoff_max, p->backoff_initial);
		ok = false;
	}
	if (p->umask < 0)
		p->umask = c->umask;
	p->group_priority = g ? g->priority : p->priority;
	if (p->redirect_stderr && cp.k[PK_STDERR_LOGFILE]) {
		const char *v = cp.k[PK_STDERR_LOGFILE]->value;
		if (strcasecmp(v, "auto") != 0 && strcasecmp(v, "none") != 0 && strcasecmp(v, "off") != 0 && *v)
			kv_error(L, false, s, cp.k[PK_STDERR_LOGFILE], "ignored: redirect_stderr=true sends stderr to stdout's log");
	}
	for (int st = 0; st < 2; st++) {
		struct kv *kv = cp.k[st ? PK_STDERR_LOGFILE : PK_STDOUT_LOGFILE];
		if ((!kv || strcasecmp(kv->value, "auto") == 0) && cp.maxbytes[st] == 0 && !(st && p->redirect_stderr))
			sec_error(L, false, s, "AUTO %s log without rotation (%s_logfile_maxbytes = 0) may fill the disk",
			          st ? "stderr" : "stdout", st ? "stderr" : "stdout");
	}

	if (!cp.k[PK_COMMAND]) {
		sec_error(L, true, s, "command: missing (every program needs a command)");
		return;
	}
	struct kv *pn = key_or_default(&cp, PK_PROCESS_NAME);
	if (p->numprocs > 1 && !strstr(pn->value, "%(process_num)")) {
		kv_error(L, true, s, pn, "'%s' must contain %%(process_num) when numprocs = %d (> 1)", q(pn->value),
		         p->numprocs);
		return;
	}
	if (!ok)
		return;
	if (*total + (size_t) p->numprocs > CONFIG_PROCS_MAX) {
		struct kv *kv = key_or_default(&cp, PK_NUMPROCS);
		kv_error(L, true, s, kv, "more than %d processes in all", CONFIG_PROCS_MAX);
		return;
	}
	*total += (size_t) p->numprocs;

	char **env_keys = NULL, **env_values = NULL, *err;
	if (cp.k[PK_ENVIRONMENT] && cmdline_env_parse(cp.k[PK_ENVIRONMENT]->value, &env_keys, &env_values, &err) < 0) {
		kv_error(L, true, s, cp.k[PK_ENVIRONMENT], "%s", err);
		free(err);
		return;
	}
	p->procs = xcalloc((size_t) p->numprocs, sizeof(*p->procs));
	for (int n = 0; n < p->numprocs; n++) {
		struct proc_config *pc = &p->procs[n];
		pc->num = p->numprocs_start + n;
		ctx.process_num = pc->num;
		p->nprocs++;
		if (!build_proc(&cp, &ctx, c->log_dir, env_keys, env_values, pc))
			break;              /* one process's errors are the others' too: report them once */
	}
	strv_free(env_keys);
	strv_free(env_values);
}

/* ---- cross-program checks ---- */

struct named {
	const char *name;
	size_t idx;
	const void *ptr;
};

static int named_cmp(const void *a, const void *b)
{
	const struct named *x = a, *y = b;
	int r = strcmp(x->name, y->name);
	if (r)
		return r;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static const struct named *named_find(const struct named *v, size_t n, const char *name)
{
	struct named key = { .name = name, .idx = 0 };
	size_t lo = 0, hi = n;
	while (lo < hi) {                  /* first entry with this name */
		size_t mid = (lo + hi) / 2;
		if (strcmp(v[mid].name, key.name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && strcmp(v[lo].name, name) == 0 ? &v[lo] : NULL;
}

enum { WHITE, GREY, BLACK };

static bool dep_cycle(struct loader *L, struct drover_config *c, struct section **psec, const struct named *byname,
                      size_t np, size_t i, char *color)
{
	color[i] = GREY;
	for (char **d = c->programs[i].depends_on; d && *d; d++) {
		const struct named *t = named_find(byname, np, *d);
		if (!t)
			continue;
		if (color[t->idx] == GREY) {
			struct kv *kv = sec_get(psec[i], "depends_on");
			kv_error(L, true, psec[i], kv, "dependency cycle through '%s'", q(*d));
			color[i] = BLACK;
			return true;
		}
		if (color[t->idx] == WHITE && dep_cycle(L, c, psec, byname, np, t->idx, color)) {
			color[i] = BLACK;
			return true;
		}
	}
	color[i] = BLACK;
	return false;
}

static struct drover_config *build_config(struct loader *L, const char *main_abs)
{
	struct drover_config *c = xcalloc(1, sizeof(*c));
	bool log_dir_set = false;
	char *childlogdir = NULL;

	c->file = xstrdup(main_abs);
	c->name = xstrdup("drover");
	c->log_dir = xstrdup("/var/log/drover");
	c->run_dir = xstrdup("/run/drover");
	c->control_mode = 0600;
	c->subreaper = true;
	c->umask = -1;
	apply_drover(L, c, &log_dir_set);
	apply_supervisord(L, c, &childlogdir);
	if (!log_dir_set && childlogdir) {
		free(c->log_dir);
		c->log_dir = childlogdir;
		childlogdir = NULL;
	}
	free(childlogdir);

	/* groups */
	size_t ngroups = 0, nmembers = 0;
	for (size_t i = 0; i < L->nsec; i++)
		ngroups += L->sec[i]->kind == SEC_GROUP;
	struct group_info *groups = xcalloc(ngroups, sizeof(*groups));
	struct named *gnames = xcalloc(ngroups, sizeof(*gnames));
	ngroups = 0;
	for (size_t i = 0; i < L->nsec; i++) {
		if (L->sec[i]->kind != SEC_GROUP)
			continue;
		gnames[ngroups] = (struct named) { L->sec[i]->name, ngroups, &groups[ngroups] };
		groups[ngroups++].s = L->sec[i];
	}
	qsort(gnames, ngroups, sizeof(*gnames), named_cmp);
	for (size_t i = 1, first = 0; i < ngroups; i++) {
		if (strcmp(gnames[i].name, gnames[first].name) != 0) {
			first = i;
			continue;
		}
		struct section *f = groups[gnames[first].idx].s, *again = groups[gnames[i].idx].s;
		again->dup = true;
		sec_error(L, true, again, "duplicate group '%s' (first defined at %s:%u)", again->name, f->file->path, f->line);
	}
	for (size_t i = 0; i < ngroups; i++) {
		if (groups[i].s->dup)
			continue;
		parse_group(L, &groups[i]);
		nmembers += strv_length(groups[i].programs);
	}
	struct member *members = xcalloc(nmembers, sizeof(*members));
	nmembers = 0;
	for (size_t i = 0; i < ngroups; i++)
		for (char **n = groups[i].programs; n && *n; n++, nmembers++)
			members[nmembers] = (struct member) { *n, &groups[i], nmembers };
	qsort(members, nmembers, sizeof(*members), member_order_cmp);
	for (size_t i = 1; i < nmembers; i++) {
		if (strcmp(members[i].program, members[i - 1].program) == 0) {
			struct group_info *g = members[i].g;
			if (g == members[i - 1].g)
				kv_error(L, true, g->s, g->programs_kv, "'%s' is listed twice", q(members[i].program));
			else
				kv_error(L, true, g->s, g->programs_kv, "program '%s' is already in [%s] (%s:%u)", q(members[i].program),
				         members[i - 1].g->s->header, members[i - 1].g->s->file->path, members[i - 1].g->s->line);
		}
	}

	/* programs: file order; duplicates reported at the later definition */
	size_t np = 0;
	for (size_t i = 0; i < L->nsec; i++)
		np += L->sec[i]->kind == SEC_PROGRAM;
	struct named *pnames = xcalloc(np, sizeof(*pnames));
	np = 0;
	for (size_t i = 0; i < L->nsec; i++)
		if (L->sec[i]->kind == SEC_PROGRAM) {
			pnames[np] = (struct named) { L->sec[i]->name, i, L->sec[i] };
			np++;
		}
	qsort(pnames, np, sizeof(*pnames), named_cmp);
	for (size_t i = 1, first = 0; i < np; i++) {
		if (strcmp(pnames[i].name, pnames[first].name) != 0) {
			first = i;
			continue;
		}
		struct section *again = (struct section *) pnames[i].ptr;
		const struct section *f = pnames[first].ptr;
		again->dup = true;
		sec_error(L, true, again, "duplicate program '%s' (first defined at %s:%u)", again->name, f->file->path, f->line);
	}
	c->programs = xcalloc(np, sizeof(*c->programs));
	struct section **psec = xcalloc(np, sizeof(*psec));
	size_t total = 0;
	for (size_t i = 0; i < L->nsec; i++) {
		struct section *s = L->sec[i];
		if (s->kind != SEC_PROGRAM || s->dup)
			continue;
		struct member key = { .program = s->name }, *m = nmembers ? bsearch(&key, members, nmembers, sizeof(*members), member_cmp) : NULL;
		psec[c->nprograms] = s;
		build_program(L, c, s, m ? m->g : NULL, &total, &c->programs[c->nprograms++]);
	}

	/* names listed by groups and depends_on must exist; group names must not shadow programs */
	struct named *byname = xcalloc(c->nprograms, sizeof(*byname));
	for (size_t i = 0; i < c->nprograms; i++)
		byname[i] = (struct named) { c->programs[i].name, i, &c->programs[i] };
	qsort(byname, c->nprograms, sizeof(*byname), named_cmp);
	for (size_t i = 0; i < ngroups; i++) {
		struct group_info *g = &groups[i];
		if (g->s->dup)
			continue;
		for (char **n = g->programs; n && *n; n++)
			if (!named_find(byname, c->nprograms, *n))
				kv_error(L, true, g->s, g->programs_kv, "unknown program '%s' (no [program:%s])", q(*n), q(*n));
		const struct named *same = named_find(byname, c->nprograms, g->s->name);
		struct member key = { .program = g->s->name }, *m = nmembers ? bsearch(&key, members, nmembers, sizeof(*members), member_cmp) : NULL;
		if (same && (!m || m->g != g))
			sec_error(L, true, g->s, "group name '%s' is also the name of [program:%s] (%s:%u), which is not in this group",
			          g->s->name, g->s->name, c->programs[same->idx].file, c->programs[same->idx].line);
	}
	bool deps = false;
	for (size_t i = 0; i < c->nprograms; i++) {
		struct program_config *p = &c->programs[i];
		for (char **d = p->depends_on; d && *d; d++) {
			deps = true;
			struct kv *kv = sec_get(psec[i], "depends_on");
			if (strcmp(*d, p->name) == 0)
				kv_error(L, true, psec[i], kv, "a program cannot depend on itself");
			else if (!named_find(byname, c->nprograms, *d))
				kv_error(L, true, psec[i], kv, "unknown program '%s'", q(*d));
		}
	}
	if (deps && L->nerrors == 0) {
		char *color = xcalloc(c->nprograms ? c->nprograms : 1, 1);
		for (size_t i = 0; i < c->nprograms; i++)
			if (color[i] == WHITE)
				dep_cycle(L, c, psec, byname, c->nprograms, i, color);
		free(color);
	}

	/* process names (as supervisorctl shows them) and AUTO log files must be unique */
	struct named *procs = xcalloc(total ? total : 1, sizeof(*procs)), *logs = xcalloc(total ? total * 2 : 1, sizeof(*logs));
	size_t nprocs = 0, nlogs = 0;
	for (size_t i = 0; i < c->nprograms; i++) {
		for (size_t k = 0; k < c->programs[i].nprocs; k++) {
			struct proc_config *pc = &c->programs[i].procs[k];
			if (!pc->fullname)
				continue;
			procs[nprocs] = (struct named) { pc->fullname, nprocs, &c->programs[i] };
			nprocs++;
			const struct logfile_config *lc[2] = { &pc->stdout_log, &pc->stderr_log };
			for (int st = 0; st < 2; st++)
				if (lc[st]->path) {
					logs[nlogs] = (struct named) { lc[st]->path, nlogs, lc[st] };
					logs[nlogs].idx = i * 2 + (size_t) st;     /* program and stream, for the message */
					nlogs++;
				}
		}
	}
	qsort(procs, nprocs, sizeof(*procs), named_cmp);
	for (size_t i = 1; i < nprocs; i++) {
		if (strcmp(procs[i].name, procs[i - 1].name) != 0)
			continue;
		const struct program_config *a = procs[i - 1].ptr, *b = procs[i].ptr;
		size_t bi = (size_t) (b - c->programs);
		struct kv *kv = sec_get(psec[bi], "process_name");
		if (kv)
			kv_error(L, true, psec[bi], kv, "process '%s' is already defined by [program:%s] (%s:%u)", procs[i].name,
			         a->name, a->file, a->line);
		else
			sec_error(L, true, psec[bi], "process '%s' is already defined by [program:%s] (%s:%u)", procs[i].name,
			          a->name, a->file, a->line);
	}
	qsort(logs, nlogs, sizeof(*logs), named_cmp);
	for (size_t i = 1; i < nlogs; i++) {
		if (strcmp(logs[i].name, logs[i - 1].name) != 0)
			continue;
		const struct logfile_config *a = logs[i - 1].ptr, *b = logs[i].ptr;
		size_t bi = logs[i].idx / 2, ai = logs[i - 1].idx / 2;
		const char *stream = logs[i].idx % 2 ? "stderr_logfile" : "stdout_logfile";
		bool err = a->kind == LOGFILE_AUTO || b->kind == LOGFILE_AUTO;
		if (ai == bi && !err)
			continue;               /* numprocs sharing one explicit file, or stdout and stderr together */
		sec_error(L, err, psec[bi], "%s: log file %s is also used by [program:%s]%s", stream, logs[i].name,
		          c->programs[ai].name, err ? "; set the log file explicitly" : "");
	}

	free(procs);
	free(logs);
	free(byname);
	free(psec);
	free(pnames);
	free(members);
	for (size_t i = 0; i < ngroups; i++)
		strv_free(groups[i].programs);
	free(groups);
	free(gnames);
	return c;
}

/* ---- entry points ---- */

static void loader_init(struct loader *L, struct config_diag *diag)
{
	struct utsname u;
	*L = (struct loader) { .diag = diag, .root = geteuid() == 0 };
	if (uname(&u) == 0)
		snprintf(L->host, sizeof(L->host), "%s", u.nodename);
}

static void loader_done(struct loader *L)
{
	diag_flush(L);
	for (size_t i = 0; i < L->nsec; i++) {
		struct section *s = L->sec[i];
		for (size_t k = 0; k < s->nkv; k++) {
			free(s->kv[k].key);
			free(s->kv[k].written);
			free(s->kv[k].value);
		}
		free(s->kv);
		free(s->header);
		free(s->name);
		free(s);
	}
	free(L->sec);
	for (size_t i = 0; i < L->nfiles; i++) {
		free(L->files[i]->path);
		free(L->files[i]->abs);
		free(L->files[i]->here);
		free(L->files[i]);
	}
	free(L->files);
}

static int finish(struct loader *L, struct cfile *main_file, struct drover_config **ret)
{
	struct drover_config *c = build_config(L, main_file->abs);
	bool failed = L->nerrors > 0;
	loader_done(L);
	if (failed) {
		config_free(c);
		return -EINVAL;
	}
	*ret = c;
	return 0;
}

int config_load_buffer(const char *buf, size_t len, const char *filename, struct drover_config **ret,
                       struct config_diag *diag)
{
	struct loader L;
	loader_init(&L, diag);
	char *abs = absolute(filename);
	struct cfile *f = cfile_new(&L, filename, abs, NULL);
	free(abs);
	parse_buffer(&L, f, buf, len);
	return finish(&L, f, ret);
}

int config_load_string(const char *text, const char *filename, struct drover_config **ret, struct config_diag *diag)
{
	return config_load_buffer(text, strlen(text), filename, ret, diag);
}

int config_load(const char *path, struct drover_config **ret, struct config_diag *diag)
{
	struct loader L;
	char *buf = NULL;
	size_t len = 0;
	const char *why = NULL;

	loader_init(&L, diag);
	char *abs = absolute(path);
	struct cfile *f = cfile_new(&L, path, abs, NULL);
	free(abs);
	int r = read_whole(&L, f, &buf, &len, &why);
	if (r < 0) {
		file_error(&L, true, f, 0, "cannot read config file: %s", why ? why : strerror(-r));
		loader_done(&L);
		return r;
	}
	parse_buffer(&L, f, buf, len);
	free(buf);
	return finish(&L, f, ret);
}

/* ---- freeing, comparing, naming ---- */

static void proc_free(struct proc_config *pc)
{
	free(pc->name);
	free(pc->fullname);
	strv_free(pc->argv);
	strv_free(pc->env);
	free(pc->directory);
	free(pc->stdout_log.path);
	free(pc->stderr_log.path);
}

struct drover_config *config_free(struct drover_config *c)
{
	if (!c)
		return NULL;
	for (size_t i = 0; i < c->nprograms; i++) {
		struct program_config *p = &c->programs[i];
		for (size_t k = 0; k < p->nprocs; k++)
			proc_free(&p->procs[k]);
		free(p->procs);
		free(p->name);
		free(p->group);
		free(p->file);
		free(p->user);
		strv_free(p->depends_on);
		free(p->environment_file);
	}
	free(c->programs);
	free(c->file);
	free(c->name);
	free(c->log_dir);
	free(c->run_dir);
	free(c->control_group);
	strv_free(c->environment);
	free(c->pidfile);
	free(c->user);
	free(c);
	return NULL;
}

void config_diag_clear(struct config_diag *d)
{
	if (!d)
		return;
	d->errors = strv_free(d->errors);
	d->warnings = strv_free(d->warnings);
}

bool program_exitcode_expected(const struct program_config *p, int code)
{
	if (code < 0 || code > 255)
		return false;
	return p->exitcodes[code / 8] & (1u << (code % 8));
}

static bool log_restart_equal(const struct logfile_config *a, const struct logfile_config *b)
{
	return a->kind == b->kind && streq_ptr(a->path, b->path);
}

bool proc_config_restart_equal(const struct program_config *pa, const struct proc_config *a,
                               const struct program_config *pb, const struct proc_config *b)
{
	return streq_ptr(a->name, b->name) && streq_ptr(a->fullname, b->fullname) && streq_ptr(pa->group, pb->group) &&
	       strv_equal(a->argv, b->argv) && strv_equal(a->env, b->env) && streq_ptr(a->directory, b->directory) &&
	       streq_ptr(pa->user, pb->user) && pa->umask == pb->umask && pa->redirect_stderr == pb->redirect_stderr &&
	       log_restart_equal(&a->stdout_log, &b->stdout_log) && log_restart_equal(&a->stderr_log, &b->stderr_log) &&
	       pa->stopasgroup == pb->stopasgroup && pa->killasgroup == pb->killasgroup && pa->ready == pb->ready &&
	       pa->killtree == pb->killtree && streq_ptr(pa->environment_file, pb->environment_file);
}

bool config_program_live_equal(const struct program_config *a, const struct program_config *b)
{
	if (a->priority != b->priority || a->group_priority != b->group_priority || a->autostart != b->autostart ||
	    a->autorestart != b->autorestart || memcmp(a->exitcodes, b->exitcodes, sizeof(a->exitcodes)) != 0 ||
	    a->startsecs != b->startsecs || a->startretries != b->startretries || a->stopsignal != b->stopsignal ||
	    a->stopwaitsecs != b->stopwaitsecs || a->heartbeat_timeout != b->heartbeat_timeout ||
	    a->backoff != b->backoff || a->backoff_initial != b->backoff_initial || a->backoff_max != b->backoff_max ||
	    a->backoff_reset != b->backoff_reset || a->fatal_retry != b->fatal_retry ||
	    a->restart_with_dependency != b->restart_with_dependency || !strv_equal(a->depends_on, b->depends_on))
		return false;
	for (size_t i = 0; i < a->nprocs && i < b->nprocs; i++) {
		const struct proc_config *x = &a->procs[i], *y = &b->procs[i];
		if (x->stdout_log.maxbytes != y->stdout_log.maxbytes || x->stdout_log.backups != y->stdout_log.backups ||
		    x->stderr_log.maxbytes != y->stderr_log.maxbytes || x->stderr_log.backups != y->stderr_log.backups)
			return false;
	}
	return true;
}

const char *autorestart_to_string(enum autorestart a)
{
	static const char *const t[AUTORESTART_MAX] = { "false", "unexpected", "true" };
	return a >= 0 && a < AUTORESTART_MAX ? t[a] : "?";
}

const char *ready_mode_to_string(enum ready_mode m)
{
	static const char *const t[READY_MAX] = { "startsecs", "scoreboard" };
	return m >= 0 && m < READY_MAX ? t[m] : "?";
}

const char *backoff_mode_to_string(enum backoff_mode m)
{
	static const char *const t[BACKOFF_MAX] = { "linear", "exponential" };
	return m >= 0 && m < BACKOFF_MAX ? t[m] : "?";
}

const char *logfile_kind_to_string(enum logfile_kind k)
{
	static const char *const t[LOGFILE_MAX] = { "AUTO", "NONE", "path" };
	return k >= 0 && k < LOGFILE_MAX ? t[k] : "?";
}
