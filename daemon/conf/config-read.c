/* The config reader: our own line reader feeds inih line by line (so every handler call has a
 * line number and we know what inih made of the line), collects sections and keys as written,
 * follows includes, and reports FILE:LINE for whatever it cannot read. */
#include "conf/config-read.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <ini.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "conf/config-diag.h"
#include "conf/config-keys.h"
#include "conf/config.h"
#include "conf/expand.h"
#include "conf/suggest.h"
#include "util.h"

extern char **environ;

#define INLINE_COMMENT        ";#"          /* supervisord 4 (Python 3): ';' and '#' after a blank */
#define START_COMMENT         ";#"

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

static char *absolute(const char *path)
{
	if (path[0] == '/')
		return xstrdup(path);
	char cwd[PATH_MAX];
	if (!getcwd(cwd, sizeof(cwd)))
		return xstrdup(path);
	return config_path_join(cwd, path);
}

/* ---- reading files: our reader feeds inih and tracks what inih does with each line ---- */

struct reader {
	struct conf_doc *L;
	struct conf_file *f;
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
	unsigned key_indent;    /* indentation of the line that started the current key */
	struct conf_section *cur;    /* keys go here; NULL = skip them */
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

/* Section types supervisord knows besides its own [supervisord], [include], [program:x],
 * [group:x], [eventlistener:x] and [fcgi-program:x]: drover ignores them with a warning. */
static const char *const ignored_plain[] = { "supervisorctl", "unix_http_server", "inet_http_server" };
static const char *const ignored_prefix[] = { "rpcinterface", "ctlplugin" };

/* What a misspelt section header was probably meant to be ("[programs:web]" -> "[program:web]"). */
static char *section_suggestion(const char *header)
{
	static const char *const types[] = { "program", "group", "include", "supervisord", "drover", "DEFAULT",
	                                     "supervisorctl", "unix_http_server", "inet_http_server", "rpcinterface",
	                                     "eventlistener", "fcgi-program", "ctlplugin" };
	const char *colon = strchr(header, ':');
	char *type = xstrndup(header, colon ? (size_t) (colon - header) : strlen(header));
	struct suggest sg;
	suggest_init(&sg, type);
	for (size_t i = 0; i < ELEMENTSOF(types); i++)
		suggest_offer(&sg, types[i]);
	free(type);
	const char *best = suggest_result(&sg);
	return best ? xasprintf("[%s%s]", best, colon ? colon : "") : NULL;
}

static void begin_section(struct reader *r, const char *start, const char *end)
{
	struct conf_doc *L = r->L;
	struct conf_section *s = xcalloc(1, sizeof(*s));
	const char *name = NULL;

	s->header = trim_dup(start, end);
	s->file = r->f;
	s->line = r->lineno;
	s->kind = SEC_INVALID;
	L->sec = xrealloc(L->sec, L->nsec + 1, sizeof(*L->sec));
	L->sec[L->nsec++] = s;
	r->cur = NULL;
	r->before_first_section = false;

	if (strcmp(s->header, "drover") == 0)
		s->kind = SEC_DROVER;
	else if (strcmp(s->header, "supervisord") == 0)
		s->kind = SEC_SUPERVISORD;
	else if (strcmp(s->header, "include") == 0)
		s->kind = SEC_INCLUDE;
	else if (strcmp(s->header, "DEFAULT") == 0)
		s->kind = SEC_DEFAULT;
	else if (header_is(s->header, "program", &name) || header_is(s->header, "group", &name) ||
	         header_is(s->header, "eventlistener", &name) || header_is(s->header, "fcgi-program", &name)) {
		const char *what = s->header[0] == 'p' ? "program" : s->header[0] == 'g' ? "group"
		                 : s->header[0] == 'e' ? "eventlistener" : "fcgi-program";
		if (!name) {
			/* supervisord reads only [program:NAME]: a bare [program] is a section of no meaning */
			s->kind = SEC_IGNORED;
			conf_sec_report(&L->report, CONF_WARNING, s, "section has no name; ignored (write [%s:NAME])", what);
			return;
		}
		char *n = trim_dup(name, name + strlen(name));
		const char *why = config_name_invalid(n);
		if (why) {
			if (!*n)
				conf_sec_report(&L->report, CONF_ERROR, s, "section has no name: write [%s:NAME]", what);
			else
				conf_sec_report(&L->report, CONF_ERROR, s, "%s name '%s' %s", what, config_quote(n), why);
			free(n);
			return;
		}
		s->name = n;
		s->kind = s->header[0] == 'g' ? SEC_GROUP : SEC_PROGRAM;
		s->program_kind = s->header[0] == 'e' ? PROGRAM_LISTENER : s->header[0] == 'f' ? PROGRAM_FCGI : PROGRAM_PLAIN;
	} else {
		for (size_t i = 0; i < ELEMENTSOF(ignored_plain); i++)
			if (strcmp(s->header, ignored_plain[i]) == 0)
				s->kind = SEC_IGNORED;
		for (size_t i = 0; i < ELEMENTSOF(ignored_prefix); i++)
			if (header_is(s->header, ignored_prefix[i], &name))
				s->kind = SEC_IGNORED;
		if (s->kind == SEC_IGNORED) {
			conf_sec_report(&L->report, CONF_WARNING, s, "supervisord section not used by drover; ignored");
		} else if (!*s->header) {
			conf_sec_report(&L->report, CONF_ERROR, s, "empty section name");
		} else {
			/* supervisord ignores sections it does not know */
			char *meant = section_suggestion(s->header);
			s->kind = SEC_IGNORED;
			if (meant)
				conf_sec_report(&L->report, CONF_WARNING, s, "unknown section; ignored (did you mean %s?)", meant);
			else
				conf_sec_report(&L->report, CONF_WARNING, s, "unknown section; ignored");
			free(meant);
		}
		return;
	}
	r->cur = s;
}

/* A continuation line that reads as a key of the section it is in ("  autostart = false"):
 * supervisord joins it into the value above, and so does drover, but it is likely a mistake. */
static void check_continuation(struct reader *r, const char *s, const char *e)
{
	struct conf_section *sec = r->cur;
	if (!sec || sec->nkv == 0 || strcmp(sec->kv[sec->nkv - 1].key, "environment") == 0)
		return;                             /* environment= continues with KEY=VALUE lines by design */
	const char *w = s;
	while (w < e && (isalnum((unsigned char) *w) || *w == '_'))
		w++;
	const char *after = w;
	while (after < e && (*after == ' ' || *after == '\t'))
		after++;
	if (w == s || after == e || (*after != '=' && *after != ':'))
		return;
	char *word = xstrndup(s, (size_t) (w - s));
	for (char *c = word; *c; c++)
		*c = (char) tolower((unsigned char) *c);
	if (config_key_known(sec->kind == SEC_PROGRAM ? config_keys_of_program(sec->program_kind)
	                     : sec->kind == SEC_GROUP ? CONF_KEYS_GROUP
	                     : sec->kind == SEC_DROVER ? CONF_KEYS_DROVER : sec->kind == SEC_SUPERVISORD ? CONF_KEYS_SUPERVISORD
	                     : sec->kind == SEC_INCLUDE ? CONF_KEYS_INCLUDE : CONF_KEYS_ANY, word)) {
		char *t = xstrndup(s, (size_t) (e - s));
		conf_file_report(&r->L->report, CONF_WARNING, r->f, r->lineno,
		                 "[%s] indented line '%s' continues the value of '%s' (line %u), as supervisord reads it; "
		                 "remove the indentation if '%s' is a key of its own", sec->header, config_quote(t),
		                 sec->kv[sec->nkv - 1].written, sec->kv[sec->nkv - 1].line, word);
		free(t);
	}
	free(word);
}

/* Classify the line as supervisord's parser does (comment, continuation, section, key = value),
 * before inih sees it: the handler then knows the line number and what the line was. A line is
 * a continuation only when it is indented deeper than the key it continues; an indented line
 * that is not (keys indented alike under their header) is served to inih without its
 * indentation, so inih reads it as a key of its own, as supervisord does. */
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
	unsigned indent = (unsigned) (s - p);
	if (r->prev_key && indent > r->key_indent) {
		r->cont = true;
		check_continuation(r, s, e);
		return;
	}
	if (indent > 0) {
		r->line_len -= (size_t) (s - r->line);
		r->line = s;
	}
	if (*s == '[') {
		const char *end = find_chars_or_comment(s + 1, e, "]");
		if (end < e && *end == ']') {
			begin_section(r, s + 1, end);
			r->prev_key = false;
		} else {
			char *t = xstrndup(s, (size_t) (e - s));
			conf_file_report(&r->L->report, CONF_ERROR, r->f, r->lineno, "section header '%s' lacks its ']'", config_quote(t));
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
		r->key_indent = indent;
		return;
	}
	char *t = xstrndup(s, (size_t) (e - s));
	conf_file_report(&r->L->report, CONF_ERROR, r->f, r->lineno, "expected 'key = value' or '[section]', got '%s'", config_quote(t));
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
			conf_file_report(&r->L->report, CONF_ERROR, r->f, r->lineno, "NUL byte in line (binary file?)");
			r->line = ";\n";
			r->line_len = 2;
		} else if (n > CONFIG_LINE_MAX) {
			conf_file_report(&r->L->report, CONF_ERROR, r->f, r->lineno, "line is longer than %u bytes", CONFIG_LINE_MAX);
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
	struct conf_doc *L = r->L;
	struct conf_section *s = r->cur;

	(void) section;                     /* inih cuts section names at 49 bytes: we track our own */
	if (r->cont) {
		if (!s || s->nkv == 0)
			return 1;
		struct conf_kv *kv = &s->kv[s->nkv - 1];
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
			conf_file_report(&L->report, CONF_ERROR, r->f, r->lineno, "'%s' is outside of any section", config_quote(name));
		return 1;
	}
	if (s->kind == SEC_IGNORED || s->kind == SEC_INVALID)
		return 1;
	if (!*name) {
		conf_file_report(&L->report, CONF_ERROR, r->f, r->lineno, "[%s] a key name is missing before '='", s->header);
		return 1;
	}
	if (s->nkv >= CONFIG_KEYS_MAX) {
		conf_file_report(&L->report, CONF_ERROR, r->f, r->lineno, "[%s] more than %d keys in one section", s->header, CONFIG_KEYS_MAX);
		r->cur = NULL;                  /* ignore the rest of the section */
		return 1;
	}
	struct conf_kv kv = { .file = r->f, .key = lower_dup(name), .written = xstrdup(name), .value = xstrdup(value),
	                      .line = r->lineno };
	s->kv = xrealloc(s->kv, s->nkv + 1, sizeof(*s->kv));
	s->kv[s->nkv++] = kv;
	return 1;
}

static void parse_buffer(struct conf_doc *L, struct conf_file *f, const char *buf, size_t len);

/* Read FILE whole: O_CLOEXEC, EINTR-safe, bounded; refuse what a root daemon must not trust. */
static int read_whole(struct conf_doc *L, struct conf_file *f, char **ret_buf, size_t *ret_len, const char **ret_why)
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

static struct conf_file *cfile_new(struct conf_doc *L, const char *path, const char *abs, struct conf_file *parent)
{
	struct conf_file *f = xcalloc(1, sizeof(*f));
	f->path = xstrdup(path);
	f->abs = xstrdup(abs);
	f->here = dir_of(f->abs);
	f->parent = parent;
	f->depth = parent ? parent->depth + 1 : 0;
	f->index = L->nfiles;
	L->files = xrealloc(L->files, L->nfiles + 1, sizeof(*L->files));
	L->files[L->nfiles++] = f;
	return f;
}

/* Where a missing include pattern was looked for, for the warning: the first directory of the
 * pattern that does not exist, or the directory searched. */
static char *include_miss(const char *full)
{
	char *dir = dir_of(full);
	if (strpbrk(dir, "*?[")) {
		free(dir);
		return xstrdup("matches no file");
	}
	struct stat st;
	if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode)) {
		char *r = xasprintf("matches no file in %s", dir);
		free(dir);
		return r;
	}
	/* the deepest missing ancestor is the one to create */
	char *missing = xstrdup(dir);
	for (;;) {
		char *up = dir_of(missing);
		if (strcmp(up, missing) == 0 || (stat(up, &st) == 0 && S_ISDIR(st.st_mode))) {
			free(up);
			break;
		}
		free(missing);
		missing = up;
	}
	char *r = xasprintf("matches no file: directory %s does not exist", missing);
	free(missing);
	free(dir);
	return r;
}

/* Include one file named by an [include] or [drover] include line (KV, in section S); WRITTEN
 * is the name as the line has it, for messages about a name that matches nothing. */
static void include_file(struct conf_doc *L, struct conf_section *s, struct conf_kv *kv, const char *path,
                         const char *written, bool explicit)
{
	struct conf_file *parent = kv->file;
	char *buf = NULL;
	size_t len = 0;
	const char *why = NULL;

	if (parent->depth + 1 > CONFIG_INCLUDE_DEPTH) {
		conf_kv_report(&L->report, CONF_ERROR, s, kv, "'%s': includes nested deeper than %d levels", config_quote(path),
		               CONFIG_INCLUDE_DEPTH);
		return;
	}
	if (L->nfiles >= CONFIG_FILES_MAX) {
		conf_kv_report(&L->report, CONF_ERROR, s, kv, "'%s': more than %d config files", config_quote(path), CONFIG_FILES_MAX);
		return;
	}
	char *abs = absolute(path);
	struct conf_file *f = cfile_new(L, path, abs, parent);
	int r = read_whole(L, f, &buf, &len, &why);
	if (r == -ENOENT && explicit) {
		/* supervisord: "No file matches via include"; it runs on */
		char *miss = include_miss(abs);
		conf_kv_report(&L->report, CONF_WARNING, s, kv, "'%s' %s; skipped", config_quote_path(written), miss);
		free(miss);
		free(abs);
		return;
	}
	free(abs);
	if (r < 0) {
		if ((r == -EISDIR || (r == -EINVAL && why)) && !explicit) {
			conf_kv_report(&L->report, CONF_WARNING, s, kv, "'%s' is %s; skipped", config_quote(path),
			               r == -EISDIR ? "a directory" : "not a regular file");
			return;
		}
		conf_kv_report(&L->report, CONF_ERROR, s, kv, "cannot read '%s': %s", config_quote(path), why ? why : strerror(-r));
		return;
	}
	for (struct conf_file *a = parent; a; a = a->parent) {
		if (a->dev == f->dev && a->ino == f->ino) {
			conf_kv_report(&L->report, CONF_ERROR, s, kv, "include loop: '%s' is already being read (%s)", config_quote(path),
			               a->path);
			free(buf);
			return;
		}
	}
	for (size_t i = 0; i + 1 < L->nfiles; i++) {
		struct conf_file *o = L->files[i];
		if (o != f && o->dev == f->dev && o->ino == f->ino && o->ino != 0) {
			conf_kv_report(&L->report, CONF_WARNING, s, kv, "'%s' was already included (as %s); skipped", config_quote(path),
			               o->path);
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

/* The space-separated paths and globs of one include line, relative to the file that has it;
 * each glob's matches in sorted order, as supervisord reads them. */
static void process_includes(struct conf_doc *L, struct conf_section *s, struct conf_kv *kv)
{
	struct conf_file *file = kv->file;
	struct expand_ctx ctx = { .here = file->here, .host_node_name = L->host, .process_num = -1, .numprocs = -1,
	                          .env = { environ } };
	char *value, *err, **words;

	if (expand_string(kv->value, &ctx, &value, &err) < 0) {
		conf_kv_report(&L->report, CONF_ERROR, s, kv, "%s", err);
		free(err);
		return;
	}
	/* space-separated globs, as supervisord's files.split(): no quoting */
	words = config_split_list(value, " \t\n");
	free(value);
	if (!words)
		conf_kv_report(&L->report, CONF_WARNING, s, kv, "names no file");
	for (char **w = words; w && *w; w++) {
		bool pattern = strpbrk(*w, "*?[") != NULL;
		/* messages show paths relative to how the including file was named */
		char *shown_dir = strrchr(file->path, '/') ? dir_of(file->path) : xstrdup(".");
		char *shown = (*w)[0] == '/' ? xstrdup(*w)
		              : strcmp(shown_dir, ".") == 0 ? xstrdup(*w) : config_path_join(shown_dir, *w);
		free(shown_dir);
		if (!pattern) {
			include_file(L, s, kv, shown, *w, true);
			free(shown);
			continue;
		}
		char *edir = glob_escape(file->here);
		char *full = (*w)[0] == '/' ? xstrdup(*w) : config_path_join(edir, *w);
		free(edir);
		glob_t g;
		int r = glob(full, 0, NULL, &g);
		if (r == 0) {
			for (size_t i = 0; i < g.gl_pathc; i++)
				include_file(L, s, kv, g.gl_pathv[i], g.gl_pathv[i], false);
		} else if (r == GLOB_NOMATCH) {
			char *abs = (*w)[0] == '/' ? xstrdup(*w) : config_path_join(file->here, *w);
			char *miss = include_miss(abs);
			conf_kv_report(&L->report, CONF_WARNING, s, kv, "'%s' %s", config_quote_path(*w), miss);
			free(miss);
			free(abs);
		} else {
			conf_kv_report(&L->report, CONF_ERROR, s, kv, "cannot expand '%s': %s", config_quote(*w),
			               r == GLOB_NOSPACE ? "out of memory" : "read error");
		}
		if (r == 0 || r == GLOB_NOMATCH)
			globfree(&g);
		free(full);
		free(shown);
	}
	strv_free(words);
}

/* The include line of file F in sections of KIND: the last KEY written in F (a key written
 * twice takes the last value, as supervisord does), or NULL. */
static struct conf_kv *last_include_line(struct conf_doc *L, struct conf_file *f, size_t first,
                                         enum conf_section_kind kind, const char *key, struct conf_section **ret_sec)
{
	struct conf_kv *found = NULL;
	for (size_t i = first; i < L->nsec; i++) {
		struct conf_section *s = L->sec[i];
		if (s->kind != kind || s->file != f)
			continue;
		for (size_t k = 0; k < s->nkv; k++)
			if (strcmp(s->kv[k].key, key) == 0) {
				found = &s->kv[k];
				*ret_sec = s;
			}
	}
	return found;
}

static void parse_buffer(struct conf_doc *L, struct conf_file *f, const char *buf, size_t len)
{
	struct reader r = { .L = L, .f = f, .buf = buf, .len = len, .before_first_section = true };
	size_t first = L->nsec;

	/* Debian's inih 55 exposes its build options as globals (ini_allow_multiline, ...): set them for every parse. */
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
	if (rr > 0 && L->report.nerrors == 0)          /* we classify every line as inih does; belt and braces */
		conf_file_report(&L->report, CONF_ERROR, f, (unsigned) rr, "syntax error");

	/* Includes are read once this file is done, in the order of their lines: their sections
	 * follow this file's. */
	struct conf_section *si = NULL, *sd = NULL;
	struct conf_kv *inc = last_include_line(L, f, first, SEC_INCLUDE, "files", &si);
	struct conf_kv *drv = last_include_line(L, f, first, SEC_DROVER, "include", &sd);
	if (inc && drv && drv->line < inc->line) {
		process_includes(L, sd, drv);
		drv = NULL;
	}
	if (inc)
		process_includes(L, si, inc);
	if (drv)
		process_includes(L, sd, drv);
}

/* ---- repeated sections and keys, as supervisord's parser (strict=False) treats them ---- */

struct sec_ref {
	struct conf_section *s;
	size_t order;
};

static int sec_ref_cmp(const void *a, const void *b)
{
	const struct sec_ref *x = a, *y = b;
	int r = strcmp(x->s->header, y->s->header);
	if (r)
		return r;
	/* each file's [include] stands for itself: an included file's [include] is its own */
	if (x->s->kind == SEC_INCLUDE && x->s->file->index != y->s->file->index)
		return x->s->file->index < y->s->file->index ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

struct kv_ref {
	const char *key;
	size_t order;
};

static int kv_ref_cmp(const void *a, const void *b)
{
	const struct kv_ref *x = a, *y = b;
	int r = strcmp(x->key, y->key);
	return r ? r : x->order < y->order ? -1 : x->order > y->order;
}

static const char *where(const struct conf_file *here, const struct conf_file *f, unsigned line, char *buf, size_t size)
{
	if (here == f)
		snprintf(buf, size, "line %u", line);
	else
		snprintf(buf, size, "%s:%u", f->path, line);
	return buf;
}

/* A section repeated (in one file or across files) is one section: later keys join the first
 * occurrence, which keeps its place. A key repeated in a section takes its last value. */
static void merge(struct conf_doc *L)
{
	struct sec_ref *v = xcalloc(L->nsec ? L->nsec : 1, sizeof(*v));
	size_t n = 0;
	char at[PATH_MAX + 32];

	for (size_t i = 0; i < L->nsec; i++) {
		enum conf_section_kind k = L->sec[i]->kind;
		if (k != SEC_IGNORED && k != SEC_INVALID)
			v[n++] = (struct sec_ref) { L->sec[i], i };
	}
	qsort(v, n, sizeof(*v), sec_ref_cmp);
	for (size_t i = 1, first = 0; i < n; i++) {
		struct conf_section *a = v[first].s, *b = v[i].s;
		if (strcmp(a->header, b->header) != 0 || (a->kind == SEC_INCLUDE && a->file != b->file)) {
			first = i;
			continue;
		}
		conf_sec_report(&L->report, CONF_WARNING, b, "section is repeated (first at %s): its keys are merged into it, "
		                "later values win", where(b->file, a->file, a->line, at, sizeof(at)));
		if (b->nkv) {
			a->kv = xrealloc(a->kv, a->nkv + b->nkv, sizeof(*a->kv));
			memcpy(a->kv + a->nkv, b->kv, b->nkv * sizeof(*b->kv));
			a->nkv += b->nkv;
		}
		free(b->kv);
		b->kv = NULL;
		b->nkv = 0;
		b->kind = SEC_MERGED;
	}
	free(v);

	for (size_t i = 0; i < L->nsec; i++) {
		struct conf_section *s = L->sec[i];
		if (s->kind == SEC_MERGED || s->nkv < 2)
			continue;
		struct kv_ref *k = xcalloc(s->nkv, sizeof(*k));
		for (size_t j = 0; j < s->nkv; j++)
			k[j] = (struct kv_ref) { s->kv[j].key, j };
		qsort(k, s->nkv, sizeof(*k), kv_ref_cmp);
		for (size_t j = 1; j < s->nkv; j++) {
			if (strcmp(k[j].key, k[j - 1].key) != 0)
				continue;
			struct conf_kv *old = &s->kv[k[j - 1].order], *now = &s->kv[k[j].order];
			old->dup = true;
			if (strcmp(old->value, now->value) != 0)
					conf_kv_report(&L->report, CONF_WARNING, s, now, "key is repeated: this value replaces the one at %s, "
				               "as supervisord does", where(now->file, old->file, old->line, at, sizeof(at)));
		}
		free(k);
	}

	for (size_t i = 0; i < L->nsec; i++) {
		struct conf_section *s = L->sec[i];
		if (s->kind == SEC_DROVER && !L->drover)
			L->drover = s;
		else if (s->kind == SEC_SUPERVISORD && !L->supervisord)
			L->supervisord = s;
		else if (s->kind == SEC_DEFAULT && !L->defaults)
			L->defaults = s;
		else if (s->kind == SEC_INCLUDE) {
			if (!conf_section_get(s, "files"))
				conf_sec_report(&L->report, CONF_ERROR, s, "section has no 'files' key");
			for (size_t k = 0; k < s->nkv; k++)
				if (strcmp(s->kv[k].key, "files") != 0)
					conf_kv_report(&L->report, CONF_WARNING, s, &s->kv[k],
					               "unknown key; ignored (the only key of [include] is 'files')");
		}
	}
}

struct conf_kv *conf_section_get(const struct conf_section *s, const char *key)
{
	for (size_t i = s->nkv; i-- > 0; )
		if (strcmp(s->kv[i].key, key) == 0)
			return &s->kv[i];
	return NULL;
}

void conf_doc_init(struct conf_doc *d, struct config_diag *diag)
{
	struct utsname u;
	*d = (struct conf_doc) { .report = { .diag = diag }, .root = geteuid() == 0 };
	if (uname(&u) == 0)
		snprintf(d->host, sizeof(d->host), "%s", u.nodename);
}

void conf_doc_done(struct conf_doc *d)
{
	conf_report_flush(&d->report);
	for (size_t i = 0; i < d->nsec; i++) {
		struct conf_section *s = d->sec[i];
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
	free(d->sec);
	for (size_t i = 0; i < d->nfiles; i++) {
		free(d->files[i]->path);
		free(d->files[i]->abs);
		free(d->files[i]->here);
		free(d->files[i]);
	}
	free(d->files);
	d->sec = NULL;
	d->files = NULL;
	d->nsec = d->nfiles = 0;
}

void conf_read_buffer(struct conf_doc *d, const char *buf, size_t len, const char *filename,
                      struct conf_file **ret_main)
{
	char *abs = absolute(filename);
	struct conf_file *f = cfile_new(d, filename, abs, NULL);
	free(abs);
	parse_buffer(d, f, buf, len);
	merge(d);
	*ret_main = f;
}

int conf_read_file(struct conf_doc *d, const char *path, struct conf_file **ret_main)
{
	char *buf = NULL;
	size_t len = 0;
	const char *why = NULL;

	char *abs = absolute(path);
	struct conf_file *f = cfile_new(d, path, abs, NULL);
	free(abs);
	*ret_main = f;
	int r = read_whole(d, f, &buf, &len, &why);
	if (r < 0) {
		conf_file_report(&d->report, CONF_ERROR, f, 0, "cannot read config file: %s", why ? why : strerror(-r));
		return r;
	}
	parse_buffer(d, f, buf, len);
	free(buf);
	merge(d);
	return 0;
}
