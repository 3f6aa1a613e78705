/* The config builder: the sections the reader collected -> a fresh struct drover_config, every
 * key parsed and stored as its table entry says (config-keys.c), with the defaults, bounds,
 * expansions and the rules between keys and sections applied. Also the entry points. */
#include "conf/config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf/cmdline.h"
#include "conf/config-diag.h"
#include "conf/config-keys.h"
#include "conf/config-read.h"
#include "conf/expand.h"
#include "util.h"

extern char **environ;

#define CONFIG_PROCS_MAX 10000      /* processes of all programs together */

/* ---- one comparator for every list of names ---- */

struct named {
	const char *name;
	size_t idx;                 /* ties keep this order: the first definition sorts first */
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

/* The first entry named NAME in V (sorted by named_cmp), or NULL. */
static const struct named *named_find(const struct named *v, size_t n, const char *name)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (strcmp(v[mid].name, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && strcmp(v[lo].name, name) == 0 ? &v[lo] : NULL;
}

/* ---- values ---- */

static bool expand_kv(struct conf_report *R, const struct conf_section *s, const struct conf_kv *kv,
                      const struct expand_ctx *ctx, char **ret)
{
	char *err;
	if (expand_string(kv->value, ctx, ret, &err) < 0) {
		conf_kv_report(R, CONF_ERROR, s, kv, "%s", err);
		free(err);
		return false;
	}
	return true;
}

/* Expand KV's value and store it into BASE as key K says. False on error (reported). */
static bool apply_key(struct conf_report *R, const struct conf_section *s, const struct conf_kv *kv,
                      const struct config_key *k, const struct expand_ctx *ctx, void *base)
{
	struct config_value_ctx vctx = { .here = s->file->here };
	char *v, *err;
	if (!expand_kv(R, s, kv, ctx, &v))
		return false;
	int r = config_key_parse(k, v, &vctx, base, &err);
	free(v);
	if (r < 0) {
		conf_kv_report(R, CONF_ERROR, s, kv, "%s", err);
		free(err);
		return false;
	}
	return true;
}

/* KEY=VALUE pairs of an environment= line, each value expanded; %(ENV_X)s sees the variables
 * defined earlier on the same line, then BASE, then droverd's environment (supervisord expands
 * the line as a whole, so a later pair could not refer to an earlier one: drover can). */
static bool build_env(struct conf_report *R, const struct conf_section *s, const struct conf_kv *kv, char **keys,
                      char **values, const struct expand_ctx *ctx0, char *const *base, char ***ret)
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
			conf_kv_report(R, CONF_ERROR, s, kv, "%s", err);
			free(err);
			goto fail;
		}
		if (!*k || strchr(k, '=')) {
			conf_kv_report(R, CONF_ERROR, s, kv, "'%s' is not a valid variable name", config_quote(k));
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

/* environment= split into keys and values (not expanded yet). */
static bool split_env(struct conf_report *R, const struct conf_section *s, const struct conf_kv *kv, char ***ret_keys,
                      char ***ret_values)
{
	char *err;
	if (cmdline_env_parse(kv->value, ret_keys, ret_values, &err) < 0) {
		conf_kv_report(R, CONF_ERROR, s, kv, "%s", err);
		free(err);
		return false;
	}
	return true;
}

/* ---- [drover] and [supervisord] ---- */

static void apply_daemon_section(struct conf_doc *d, struct drover_config *c, const struct conf_section *s)
{
	struct conf_report *R = &d->report;
	bool drover = s->kind == SEC_DROVER;
	struct expand_ctx ctx = { .here = s->file->here, .host_node_name = d->host, .process_num = -1, .numprocs = -1,
	                          .env = { environ } };

	for (size_t i = 0; i < s->nkv; i++) {
		const struct conf_kv *kv = &s->kv[i];
		if (kv->dup)
			continue;
		int ki = daemon_key_lookup(kv->key, drover);
		if (ki < 0) {
			if (drover)
				conf_kv_report(R, CONF_ERROR, s, kv, "unknown key '%s'", config_quote(kv->written));
			else
				conf_kv_report(R, CONF_WARNING, s, kv, supervisord_key_known(kv->key)
				               ? "supervisord setting not used by drover; ignored" : "unknown supervisord setting; ignored");
			continue;
		}
		const struct config_key *k = &daemon_keys[ki];
		if (k->type == CV_GLOBS)
			continue;                   /* the reader followed the includes */
		if (k->type == CV_ENV) {
			char **keys = NULL, **values = NULL, **env;
			if (split_env(R, s, kv, &keys, &values) && build_env(R, s, kv, keys, values, &ctx, NULL, &env)) {
				char ***dst = config_key_field(k, c);
				strv_free(*dst);
				*dst = env;
			}
			strv_free(keys);
			strv_free(values);
			continue;
		}
		(void) apply_key(R, s, kv, k, &ctx, c);
	}
}

static void build_daemon(struct conf_doc *d, struct drover_config *c)
{
	struct conf_section root = { .header = (char *) "drover", .file = d->files[0] };
	struct expand_ctx ctx = { .process_num = -1, .numprocs = -1 };

	for (size_t i = 0; i < DK_MAX; i++) {
		const struct config_key *k = &daemon_keys[i];
		if (k->def && config_key_builtin(k)) {
			struct conf_kv def = { .key = (char *) k->name, .written = (char *) k->name, .value = (char *) k->def };
			(void) apply_key(&d->report, &root, &def, k, &ctx, c);
		}
	}
	c->umask = -1;
	if (d->supervisord)
		apply_daemon_section(d, c, d->supervisord);
	if (d->drover)
		apply_daemon_section(d, c, d->drover);
}

/* ---- [group:x] ---- */

struct group_info {
	struct conf_section *s;
	struct conf_kv *programs_kv;
	char **programs;
	int priority;
};

static const struct config_key group_keys[] = {
	{ "programs", NULL, CV_NAMES, CT_NONE, offsetof(struct group_info, programs), 0, 0, NULL, NULL, false, false,
	  CR_IDENTITY },
	{ "priority", NULL, CV_INT, CT_NONE, offsetof(struct group_info, priority), -1000000, 1000000, NULL, "999", false,
	  false, CR_LIVE },
};

static void parse_group(struct conf_doc *d, struct group_info *g)
{
	struct conf_section *s = g->s;
	struct expand_ctx ctx = { .here = s->file->here, .host_node_name = d->host, .group_name = s->name,
	                          .process_num = -1, .numprocs = -1, .env = { environ } };
	g->priority = 999;
	for (size_t i = 0; i < s->nkv; i++) {
		struct conf_kv *kv = &s->kv[i];
		const struct config_key *k = NULL;
		if (kv->dup)
			continue;
		for (size_t n = 0; n < ELEMENTSOF(group_keys); n++)
			if (strcmp(kv->key, group_keys[n].name) == 0)
				k = &group_keys[n];
		if (!k) {
			conf_kv_report(&d->report, CONF_ERROR, s, kv, "unknown key '%s' (a group has 'programs' and 'priority')",
			               config_quote(kv->written));
			continue;
		}
		if (apply_key(&d->report, s, kv, k, &ctx, g) && k->type == CV_NAMES)
			g->programs_kv = kv;
	}
}

/* ---- [program:x] ---- */

struct program_build {
	struct conf_doc *d;
	struct conf_report *R;
	struct drover_config *c;
	struct conf_section *s;
	struct program_config *p;
	struct proc_config tmpl;        /* per-process fields that are the same for every process */
	struct conf_kv *k[PK_MAX];
	struct conf_kv defaults[PK_MAX];/* stand-ins for unset keys: their messages point at the section line */
	char **env_keys, **env_values;
};

static struct conf_kv *key_or_default(struct program_build *b, enum program_key i)
{
	if (b->k[i])
		return b->k[i];
	if (!program_keys[i].def)
		return NULL;
	struct conf_kv *d = &b->defaults[i];
	d->key = d->written = (char *) program_keys[i].name;
	d->value = (char *) program_keys[i].def;
	d->line = b->s->line;
	return d;
}

static bool apply_program_key(struct program_build *b, enum program_key i, const struct expand_ctx *ctx, void *base)
{
	struct conf_kv *kv = key_or_default(b, i);
	return !kv || apply_key(b->R, b->s, kv, &program_keys[i], ctx, base);
}

static bool build_proc_name(struct program_build *b, const struct expand_ctx *ctx, struct proc_config *pc)
{
	struct conf_kv *kv = key_or_default(b, PK_PROCESS_NAME);
	char *v;
	if (!expand_kv(b->R, b->s, kv, ctx, &v))
		return false;
	const char *why = config_name_invalid(v);
	if (why) {
		conf_kv_report(b->R, CONF_ERROR, b->s, kv, "process name '%s' %s", config_quote(v), why);
		free(v);
		return false;
	}
	pc->name = v;
	pc->fullname = strcmp(b->p->group, v) == 0 ? xstrdup(v) : xasprintf("%s:%s", b->p->group, v);
	return true;
}

static bool build_argv(struct program_build *b, const struct expand_ctx *ctx, struct proc_config *pc)
{
	struct conf_kv *kv = b->k[PK_COMMAND];
	char *v, *err;
	if (!expand_kv(b->R, b->s, kv, ctx, &v))
		return false;
	int n = cmdline_split(v, &pc->argv, &err);
	free(v);
	if (n < 0) {
		conf_kv_report(b->R, CONF_ERROR, b->s, kv, "%s", err);
		free(err);
		return false;
	}
	if (n == 0) {
		conf_kv_report(b->R, CONF_ERROR, b->s, kv, "empty command");
		return false;
	}
	return true;
}

static bool build_proc_env(struct program_build *b, const struct expand_ctx *ctx, struct proc_config *pc)
{
	if (b->k[PK_ENVIRONMENT] && b->env_keys)
		return build_env(b->R, b->s, b->k[PK_ENVIRONMENT], b->env_keys, b->env_values, ctx, b->c->environment,
		                 &pc->env);
	pc->env = strv_copy(b->c->environment);
	return true;
}

/* stdout_logfile / stderr_logfile of one process: AUTO | NONE | path. */
static bool build_log(struct program_build *b, const struct expand_ctx *ctx, enum program_key key,
                      struct proc_config *pc)
{
	bool err_stream = key == PK_STDERR_LOGFILE;
	struct logfile_config *lc = config_key_field(&program_keys[key], pc);
	struct conf_kv *kv = key_or_default(b, key);
	char *v;

	if (!expand_kv(b->R, b->s, kv, ctx, &v))
		return false;
	if (strcasecmp(v, "auto") == 0) {
		lc->kind = LOGFILE_AUTO;
		char *file = xasprintf("%s-%s.log", pc->name, err_stream ? "stderr" : "stdout");
		lc->path = config_path_join(b->c->log_dir, file);
		free(file);
	} else if (!*v || strcasecmp(v, "none") == 0 || strcasecmp(v, "off") == 0) {
		lc->kind = LOGFILE_NONE;
	} else {
		lc->kind = LOGFILE_PATH;
		lc->path = config_path_join(b->s->file->here, v);
	}
	free(v);
	if (err_stream && b->p->redirect_stderr) {
		lc->kind = LOGFILE_NONE;
		free(lc->path);
		lc->path = NULL;
	}
	return true;
}

/* Every per-process key of one process, in table order. */
static bool build_proc(struct program_build *b, const struct expand_ctx *ctx, struct proc_config *pc)
{
	bool ok = true;

	for (int i = 0; i < PK_MAX; i++) {
		const struct config_key *k = &program_keys[i];
		if (k->target != CT_PROC)
			continue;
		if (!k->per_process) {
			config_key_copy_scalar(k, pc, &b->tmpl);
			continue;
		}
		switch (k->type) {
		case CV_ARGV:
			ok &= build_argv(b, ctx, pc);
			break;
		case CV_PROC_NAME:
			ok &= build_proc_name(b, ctx, pc);
			break;
		case CV_ENV:
			ok &= build_proc_env(b, ctx, pc);
			break;
		case CV_LOGFILE:
			if (ok)                 /* AUTO needs the process name */
				ok &= build_log(b, ctx, (enum program_key) i, pc);
			break;
		default:
			ok &= apply_program_key(b, (enum program_key) i, ctx, pc);
			break;
		}
	}
	return ok;
}

/* The rules between keys of one program. */
static bool check_program(struct program_build *b)
{
	struct conf_report *R = b->R;
	struct conf_section *s = b->s;
	struct program_config *p = b->p;
	bool ok = true;

	if (!b->k[PK_KILLASGROUP])
		p->killasgroup = p->stopasgroup;
	else if (p->stopasgroup && !p->killasgroup) {
		conf_kv_report(R, CONF_ERROR, s, b->k[PK_KILLASGROUP], "killasgroup=false contradicts stopasgroup=true");
		ok = false;
	}
	if (p->backoff_max < p->backoff_initial) {
		struct conf_kv *kv = b->k[PK_BACKOFF_MAX] ? b->k[PK_BACKOFF_MAX] : b->k[PK_BACKOFF_INITIAL];
		conf_kv_report(R, CONF_ERROR, s, kv, "backoff_max (%d) is below backoff_initial (%d)", p->backoff_max,
		               p->backoff_initial);
		ok = false;
	}
	if (p->umask < 0)
		p->umask = b->c->umask;
	if (p->redirect_stderr && b->k[PK_STDERR_LOGFILE]) {
		const char *v = b->k[PK_STDERR_LOGFILE]->value;
		if (strcasecmp(v, "auto") != 0 && strcasecmp(v, "none") != 0 && strcasecmp(v, "off") != 0 && *v)
			conf_kv_report(R, CONF_WARNING, s, b->k[PK_STDERR_LOGFILE],
			               "ignored: redirect_stderr=true sends stderr to stdout's log");
	}
	for (int st = 0; st < 2; st++) {
		struct conf_kv *kv = b->k[st ? PK_STDERR_LOGFILE : PK_STDOUT_LOGFILE];
		uint64_t maxbytes = st ? b->tmpl.stderr_log.maxbytes : b->tmpl.stdout_log.maxbytes;
		if ((!kv || strcasecmp(kv->value, "auto") == 0) && maxbytes == 0 && !(st && p->redirect_stderr))
			conf_sec_report(R, CONF_WARNING, s, "AUTO %s log without rotation (%s_logfile_maxbytes = 0) may fill the disk",
			                st ? "stderr" : "stdout", st ? "stderr" : "stdout");
	}
	return ok;
}

static void build_program(struct conf_doc *d, struct drover_config *c, struct conf_section *s, struct group_info *g,
                          size_t *total, struct program_config *p)
{
	struct program_build b = { .d = d, .R = &d->report, .c = c, .s = s, .p = p };
	struct expand_ctx ctx = { .program_name = s->name, .here = s->file->here, .host_node_name = d->host,
	                          .process_num = -1, .numprocs = -1, .env = { environ } };
	bool ok = true;

	p->name = xstrdup(s->name);
	p->group = xstrdup(g ? g->s->name : s->name);
	p->file = xstrdup(s->file->path);
	p->line = s->line;
	p->umask = -1;                  /* unset: [supervisord] umask, else droverd's */
	ctx.group_name = p->group;

	for (size_t i = 0; i < s->nkv; i++) {
		struct conf_kv *kv = &s->kv[i];
		if (kv->dup)
			continue;
		int k = program_key_lookup(kv->key);
		if (k >= 0)
			b.k[k] = kv;
		else if (program_key_supervisord_only(kv->key))
			conf_kv_report(b.R, CONF_WARNING, s, kv, "supervisord setting not implemented by drover; ignored");
		else {
			conf_kv_report(b.R, CONF_ERROR, s, kv, "unknown key '%s'", config_quote(kv->written));
			ok = false;
		}
	}

	/* Keys set once per program: numprocs first, %(numprocs)d may appear in the others. */
	ok &= apply_program_key(&b, PK_NUMPROCS, &ctx, p);
	ok &= apply_program_key(&b, PK_NUMPROCS_START, &ctx, p);
	ctx.numprocs = p->numprocs;
	for (int i = 0; i < PK_MAX; i++) {
		const struct config_key *k = &program_keys[i];
		if (i == PK_NUMPROCS || i == PK_NUMPROCS_START || k->per_process || k->derived)
			continue;
		ok &= apply_program_key(&b, (enum program_key) i, &ctx, k->target == CT_PROC ? (void *) &b.tmpl : (void *) p);
	}
	p->group_priority = g ? g->priority : p->priority;
	ok &= check_program(&b);

	if (!b.k[PK_COMMAND]) {
		conf_sec_report(b.R, CONF_ERROR, s, "command: missing (every program needs a command)");
		return;
	}
	struct conf_kv *pn = key_or_default(&b, PK_PROCESS_NAME);
	if (p->numprocs > 1 && !strstr(pn->value, "%(process_num)")) {
		conf_kv_report(b.R, CONF_ERROR, s, pn, "'%s' must contain %%(process_num) when numprocs = %d (> 1)",
		               config_quote(pn->value), p->numprocs);
		return;
	}
	if (!ok)
		return;
	if (*total + (size_t) p->numprocs > CONFIG_PROCS_MAX) {
		conf_kv_report(b.R, CONF_ERROR, s, key_or_default(&b, PK_NUMPROCS), "more than %d processes in all",
		               CONFIG_PROCS_MAX);
		return;
	}
	*total += (size_t) p->numprocs;

	if (b.k[PK_ENVIRONMENT] && !split_env(b.R, s, b.k[PK_ENVIRONMENT], &b.env_keys, &b.env_values))
		return;
	p->procs = xcalloc((size_t) p->numprocs, sizeof(*p->procs));
	for (int n = 0; n < p->numprocs; n++) {
		struct proc_config *pc = &p->procs[n];
		pc->num = p->numprocs_start + n;
		ctx.process_num = pc->num;
		p->nprocs++;
		if (!build_proc(&b, &ctx, pc))
			break;              /* one process's errors are the others' too: report them once */
	}
	strv_free(b.env_keys);
	strv_free(b.env_values);
}

/* ---- the rules between sections ---- */

enum { WHITE, GREY, BLACK };

static bool dep_cycle(struct conf_doc *d, struct drover_config *c, struct conf_section **psec,
                      const struct named *byname, size_t np, size_t i, char *color)
{
	color[i] = GREY;
	for (char **dep = c->programs[i].depends_on; dep && *dep; dep++) {
		const struct named *t = named_find(byname, np, *dep);
		if (!t)
			continue;
		if (color[t->idx] == GREY) {
			conf_kv_report(&d->report, CONF_ERROR, psec[i], conf_section_get(psec[i], "depends_on"),
			               "dependency cycle through '%s'", config_quote(*dep));
			color[i] = BLACK;
			return true;
		}
		if (color[t->idx] == WHITE && dep_cycle(d, c, psec, byname, np, t->idx, color)) {
			color[i] = BLACK;
			return true;
		}
	}
	color[i] = BLACK;
	return false;
}

/* Sections named twice: every later one is reported (and marked dup) at its own line. */
static struct named *sections_by_name(struct conf_doc *d, enum conf_section_kind kind, const char *what, size_t *ret_n)
{
	size_t n = 0;
	for (size_t i = 0; i < d->nsec; i++)
		n += d->sec[i]->kind == kind;
	struct named *v = xcalloc(n ? n : 1, sizeof(*v));
	n = 0;
	for (size_t i = 0; i < d->nsec; i++)
		if (d->sec[i]->kind == kind)
			v[n++] = (struct named) { d->sec[i]->name, i, d->sec[i] };
	qsort(v, n, sizeof(*v), named_cmp);
	for (size_t i = 1, first = 0; i < n; i++) {
		if (strcmp(v[i].name, v[first].name) != 0) {
			first = i;
			continue;
		}
		struct conf_section *again = (struct conf_section *) v[i].ptr;
		const struct conf_section *f = v[first].ptr;
		again->dup = true;
		conf_sec_report(&d->report, CONF_ERROR, again, "duplicate %s '%s' (first defined at %s:%u)", what, again->name,
		                f->file->path, f->line);
	}
	*ret_n = n;
	return v;
}

static struct drover_config *build_config(struct conf_doc *d, const char *main_abs)
{
	struct conf_report *R = &d->report;
	struct drover_config *c = xcalloc(1, sizeof(*c));

	c->file = xstrdup(main_abs);
	build_daemon(d, c);

	/* groups, in file order */
	size_t ngroups = 0, nmembers = 0;
	struct named *gnames = sections_by_name(d, SEC_GROUP, "group", &ngroups);
	struct group_info *groups = xcalloc(ngroups ? ngroups : 1, sizeof(*groups));
	ngroups = 0;
	for (size_t i = 0; i < d->nsec; i++)
		if (d->sec[i]->kind == SEC_GROUP)
			groups[ngroups++].s = d->sec[i];
	free(gnames);
	for (size_t i = 0; i < ngroups; i++) {
		if (groups[i].s->dup)
			continue;
		parse_group(d, &groups[i]);
		nmembers += strv_length(groups[i].programs);
	}
	/* program name -> its group, by listing order: a program listed twice is reported at the later listing */
	struct named *members = xcalloc(nmembers ? nmembers : 1, sizeof(*members));
	nmembers = 0;
	for (size_t i = 0; i < ngroups; i++)
		for (char **n = groups[i].programs; n && *n; n++, nmembers++)
			members[nmembers] = (struct named) { *n, nmembers, &groups[i] };
	qsort(members, nmembers, sizeof(*members), named_cmp);
	for (size_t i = 1; i < nmembers; i++) {
		if (strcmp(members[i].name, members[i - 1].name) != 0)
			continue;
		const struct group_info *g = members[i].ptr, *first = members[i - 1].ptr;
		if (g == first)
			conf_kv_report(R, CONF_ERROR, g->s, g->programs_kv, "'%s' is listed twice", config_quote(members[i].name));
		else
			conf_kv_report(R, CONF_ERROR, g->s, g->programs_kv, "program '%s' is already in [%s] (%s:%u)",
			               config_quote(members[i].name), first->s->header, first->s->file->path, first->s->line);
	}

	/* programs, in file order */
	size_t np = 0;
	struct named *pnames = sections_by_name(d, SEC_PROGRAM, "program", &np);
	c->programs = xcalloc(np ? np : 1, sizeof(*c->programs));
	struct conf_section **psec = xcalloc(np ? np : 1, sizeof(*psec));
	size_t total = 0;
	for (size_t i = 0; i < d->nsec; i++) {
		struct conf_section *s = d->sec[i];
		if (s->kind != SEC_PROGRAM || s->dup)
			continue;
		const struct named *m = named_find(members, nmembers, s->name);
		psec[c->nprograms] = s;
		build_program(d, c, s, m ? (struct group_info *) m->ptr : NULL, &total, &c->programs[c->nprograms++]);
	}

	/* names listed by groups and depends_on must exist; group names must not shadow programs */
	struct named *byname = xcalloc(c->nprograms ? c->nprograms : 1, sizeof(*byname));
	for (size_t i = 0; i < c->nprograms; i++)
		byname[i] = (struct named) { c->programs[i].name, i, &c->programs[i] };
	qsort(byname, c->nprograms, sizeof(*byname), named_cmp);
	for (size_t i = 0; i < ngroups; i++) {
		struct group_info *g = &groups[i];
		if (g->s->dup)
			continue;
		for (char **n = g->programs; n && *n; n++)
			if (!named_find(byname, c->nprograms, *n))
				conf_kv_report(R, CONF_ERROR, g->s, g->programs_kv, "unknown program '%s' (no [program:%s])",
				               config_quote(*n), config_quote(*n));
		const struct named *same = named_find(byname, c->nprograms, g->s->name);
		const struct named *m = named_find(members, nmembers, g->s->name);
		if (same && (!m || m->ptr != g))
			conf_sec_report(R, CONF_ERROR, g->s,
			                "group name '%s' is also the name of [program:%s] (%s:%u), which is not in this group",
			                g->s->name, g->s->name, c->programs[same->idx].file, c->programs[same->idx].line);
	}
	bool deps = false;
	for (size_t i = 0; i < c->nprograms; i++) {
		struct program_config *p = &c->programs[i];
		for (char **dep = p->depends_on; dep && *dep; dep++) {
			deps = true;
			struct conf_kv *kv = conf_section_get(psec[i], "depends_on");
			if (strcmp(*dep, p->name) == 0)
				conf_kv_report(R, CONF_ERROR, psec[i], kv, "a program cannot depend on itself");
			else if (!named_find(byname, c->nprograms, *dep))
				conf_kv_report(R, CONF_ERROR, psec[i], kv, "unknown program '%s'", config_quote(*dep));
		}
	}
	if (deps && R->nerrors == 0) {
		char *color = xcalloc(c->nprograms ? c->nprograms : 1, 1);
		for (size_t i = 0; i < c->nprograms; i++)
			if (color[i] == WHITE)
				dep_cycle(d, c, psec, byname, c->nprograms, i, color);
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
				if (lc[st]->path)   /* idx: program and stream, for the message */
					logs[nlogs++] = (struct named) { lc[st]->path, i * 2 + (size_t) st, lc[st] };
		}
	}
	qsort(procs, nprocs, sizeof(*procs), named_cmp);
	for (size_t i = 1; i < nprocs; i++) {
		if (strcmp(procs[i].name, procs[i - 1].name) != 0)
			continue;
		const struct program_config *a = procs[i - 1].ptr, *b = procs[i].ptr;
		size_t bi = (size_t) (b - c->programs);
		struct conf_kv *kv = conf_section_get(psec[bi], "process_name");
		if (kv)
			conf_kv_report(R, CONF_ERROR, psec[bi], kv, "process '%s' is already defined by [program:%s] (%s:%u)",
			               procs[i].name, a->name, a->file, a->line);
		else
			conf_sec_report(R, CONF_ERROR, psec[bi], "process '%s' is already defined by [program:%s] (%s:%u)",
			                procs[i].name, a->name, a->file, a->line);
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
		conf_sec_report(R, err ? CONF_ERROR : CONF_WARNING, psec[bi], "%s: log file %s is also used by [program:%s]%s",
		                stream, logs[i].name, c->programs[ai].name, err ? "; set the log file explicitly" : "");
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
	return c;
}

/* ---- entry points ---- */

static int finish(struct conf_doc *d, struct conf_file *main_file, int r, struct drover_config **ret)
{
	struct drover_config *c = r < 0 ? NULL : build_config(d, main_file->abs);
	bool failed = d->report.nerrors > 0;
	conf_doc_done(d);
	if (r < 0)
		return r;
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
	struct conf_doc d;
	struct conf_file *f;
	conf_doc_init(&d, diag);
	conf_read_buffer(&d, buf, len, filename, &f);
	return finish(&d, f, 0, ret);
}

int config_load_string(const char *text, const char *filename, struct drover_config **ret, struct config_diag *diag)
{
	return config_load_buffer(text, strlen(text), filename, ret, diag);
}

int config_load(const char *path, struct drover_config **ret, struct config_diag *diag)
{
	struct conf_doc d;
	struct conf_file *f;
	conf_doc_init(&d, diag);
	int r = conf_read_file(&d, path, &f);
	return finish(&d, f, r, ret);
}
