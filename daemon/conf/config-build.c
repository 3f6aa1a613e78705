/* The config builder: the sections the reader collected -> a fresh struct drover_config, every
 * key parsed and stored as its table entry says (config-keys.c), with the defaults, bounds,
 * expansions and the rules between keys and sections applied. Also the entry points. */
#include "conf/config.h"

#include <dirent.h>
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf/cmdline.h"
#include "conf/config-diag.h"
#include "conf/config-keys.h"
#include "conf/config-read.h"
#include "conf/event-types.h"
#include "conf/expand.h"
#include "conf/suggest.h"
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

/* The directory of the file KV is written in (a repeated section has keys from several). */
static const char *kv_here(const struct conf_section *s, const struct conf_kv *kv)
{
	return (kv->file ? kv->file : s->file)->here;
}

static bool expand_kv(struct conf_report *R, const struct conf_section *s, const struct conf_kv *kv,
                      const struct expand_ctx *ctx0, char **ret)
{
	struct expand_ctx ctx = *ctx0;
	char *err;
	ctx.here = kv_here(s, kv);
	if (expand_string(kv->value, &ctx, ret, &err) < 0) {
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
	struct config_value_ctx vctx = { .here = kv_here(s, kv) };
	char *v, *err;
	int64_t n;
	if (!expand_kv(R, s, kv, ctx, &v))
		return false;
	if (k->negative_is_zero && config_value_int(v, INT64_MIN + 1, -1, &n) == 0) {
		conf_kv_report(R, CONF_WARNING, s, kv, "'%s' is negative: taken as 0, as supervisord does", config_quote(v));
		free(v);
		v = xstrdup("0");
	}
	int r = config_key_parse(k, v, &vctx, base, &err);
	free(v);
	if (r < 0) {
		conf_kv_report(R, CONF_ERROR, s, kv, "%s", err);
		free(err);
		return false;
	}
	return true;
}

/* A key drover does not know: supervisord ignores it, so drover runs, and says so. */
static void unknown_key(struct conf_report *R, const struct conf_section *s, const struct conf_kv *kv,
                        enum config_keys_of which)
{
	char buf[64];
	const char *meant = config_key_suggest(which, kv->key, buf, sizeof(buf));
	if (meant)
		conf_kv_report(R, CONF_WARNING, s, kv, "unknown key; ignored (did you mean '%s'?)", meant);
	else
		conf_kv_report(R, CONF_WARNING, s, kv, "unknown key; ignored");
}

/* KEY's value in section S: its own, else [DEFAULT]'s (supervisord's parser gives every
 * section the [DEFAULT] keys it does not set itself). */
static struct conf_kv *section_value(const struct conf_doc *d, const struct conf_section *s, const char *key)
{
	struct conf_kv *kv = conf_section_get(s, key);
	return kv || !d->defaults ? kv : conf_section_get(d->defaults, key);
}

/* KEY=VALUE pairs of an environment= line, each value expanded; %(ENV_X)s sees the variables
 * defined earlier on the same line, then BASE, then droverd's environment (supervisord expands
 * the line as a whole, so a later pair could not refer to an earlier one: drover can). */
static bool build_env(struct conf_report *R, const struct conf_section *s, const struct conf_kv *kv, char **keys,
                      char **values, const struct expand_ctx *ctx0, char *const *base, char ***ret, char ***ret_own)
{
	char **env = strv_copy(base), **local = NULL;
	struct expand_ctx ctx = *ctx0;

	ctx.here = kv_here(s, kv);
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
	if (ret_own)
		*ret_own = local;
	else
		strv_free(local);
	*ret = env;
	return true;
fail:
	strv_free(local);
	strv_free(env);
	return false;
}

/* Where supervisord 4.2.5 would read the environment= line KV differently from drover (it keeps
 * the first word of an unquoted value with blanks, cuts at '#', splits at punctuation), drover
 * keeps the whole value and warns. OWN: drover's pairs of the line, KEY=VALUE. Text supervisord
 * refuses is drover's own syntax: nothing to compare. */
static void compare_env(struct conf_report *R, const struct conf_section *s, const struct conf_kv *kv,
                        const struct expand_ctx *ctx0, char *const *base, char *const *own)
{
	struct expand_ctx ctx = *ctx0;
	char *text, *err, **keys = NULL, **values = NULL;

	ctx.env[0] = base;          /* supervisord expands the line as a whole, then splits it */
	ctx.env[1] = environ;
	ctx.env[2] = NULL;
	ctx.here = kv_here(s, kv);
	if (expand_string(kv->value, &ctx, &text, &err) < 0) {
		free(err);
		return;
	}
	if (cmdline_env_supervisord(text, &keys, &values) >= 0) {
		for (size_t i = 0; keys[i]; i++) {
			const char *mine = strv_env_get(own, keys[i]);
			if (!mine) {
				conf_kv_report(R, CONF_WARNING, s, kv, "supervisord reads a variable '%s' from this line that drover "
				               "does not; quote values that contain blanks or punctuation", config_quote(keys[i]));
				break;
			}
			if (strcmp(mine, values[i]) != 0) {
				conf_kv_report(R, CONF_WARNING, s, kv, "supervisord reads %s as '%s'; drover keeps the whole value "
				               "'%s' (quote it to mean the same to both)", keys[i], config_quote(values[i]),
				               config_quote(mine));
				break;
			}
		}
	}
	strv_free(keys);
	strv_free(values);
	free(text);
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

static void apply_daemon_kv(struct conf_doc *d, struct drover_config *c, const struct conf_section *s,
                            const struct conf_kv *kv, const struct config_key *k, const struct expand_ctx *ctx)
{
	struct conf_report *R = &d->report;
	if (k->type == CV_GLOBS)
		return;                     /* the reader followed the includes */
	if (k->type == CV_ENV) {
		char **keys = NULL, **values = NULL, **env, **own = NULL;
		if (split_env(R, s, kv, &keys, &values) && build_env(R, s, kv, keys, values, ctx, NULL, &env, &own)) {
			compare_env(R, s, kv, ctx, NULL, own);
			char ***dst = config_key_field(k, c);
			strv_free(*dst);
			*dst = env;
		}
		strv_free(own);
		strv_free(keys);
		strv_free(values);
		return;
	}
	(void) apply_key(R, s, kv, k, ctx, c);
}

static void apply_daemon_section(struct conf_doc *d, struct drover_config *c, const struct conf_section *s)
{
	struct conf_report *R = &d->report;
	bool drover = s->kind == SEC_DROVER;
	struct expand_ctx ctx = { .host_node_name = d->host, .process_num = -1, .numprocs = -1, .env = { environ } };

	for (size_t i = 0; i < s->nkv; i++) {
		const struct conf_kv *kv = &s->kv[i];
		if (kv->dup)
			continue;
		int ki = daemon_key_lookup(kv->key, drover);
		if (ki >= 0) {
			apply_daemon_kv(d, c, s, kv, &daemon_keys[ki], &ctx);
		} else if (drover) {
			unknown_key(R, s, kv, CONF_KEYS_DROVER);
		} else if (strcmp(kv->key, "nodaemon") == 0) {
			bool b;
			/* drover always runs in the foreground: nodaemon = true is what it does */
			if (config_value_bool(kv->value, &b) < 0 || !b)
				conf_kv_report(R, CONF_WARNING, s, kv, "ignored: droverd always runs in the foreground");
		} else if (supervisord_key_known(kv->key)) {
			conf_kv_report(R, CONF_WARNING, s, kv, "supervisord setting not used by drover; ignored");
		} else {
			unknown_key(R, s, kv, CONF_KEYS_SUPERVISORD);
		}
	}
	/* [DEFAULT] fills the [supervisord] keys it does not set (not [drover]: supervisord's rule) */
	for (size_t i = 0; !drover && d->defaults && i < d->defaults->nkv; i++) {
		const struct conf_kv *kv = &d->defaults->kv[i];
		int ki = daemon_key_lookup(kv->key, false);
		if (!kv->dup && ki >= 0 && !conf_section_get(s, kv->key))
			apply_daemon_kv(d, c, d->defaults, kv, &daemon_keys[ki], &ctx);
	}
}

/* A user that does not exist now: supervisord refuses the config; drover reports it at start. */
static void check_user(struct conf_report *R, const struct conf_section *s, const struct conf_kv *kv, const char *user)
{
	int64_t uid;
	if (!user || !kv)
		return;
	if (config_value_int(user, 0, INT32_MAX, &uid) == 0 ? !getpwuid((uid_t) uid) : !getpwnam(user))
		conf_kv_report(R, CONF_WARNING, s, kv, "user '%s' does not exist (yet): nothing can run as it until it does",
		               config_quote(user));
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
	struct conf_section *us = d->drover && conf_section_get(d->drover, "user") ? d->drover : d->supervisord;
	if (us)
		check_user(&d->report, us, section_value(d, us, "user"), c->user);
}

/* ---- [group:x] ---- */

struct group_info {
	struct conf_section *s;
	struct conf_kv *programs_kv;
	struct conf_group v;
};

static void parse_group(struct conf_doc *d, struct group_info *g)
{
	struct conf_section *s = g->s;
	struct expand_ctx ctx = { .host_node_name = d->host, .group_name = s->name, .process_num = -1, .numprocs = -1,
	                          .env = { environ } };
	g->v.priority = 999;
	for (size_t i = 0; i < s->nkv; i++)
		if (!s->kv[i].dup && !config_key_known(CONF_KEYS_GROUP, s->kv[i].key))
			unknown_key(&d->report, s, &s->kv[i], CONF_KEYS_GROUP);
	for (size_t i = 0; i < GK_MAX; i++) {
		struct conf_kv *kv = section_value(d, s, group_keys[i].name);
		if (kv && apply_key(&d->report, s, kv, &group_keys[i], &ctx, &g->v) && i == GK_PROGRAMS)
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
	struct conf_kv *k[PK_MAX];      /* as written in the section, or in [DEFAULT] */
	struct conf_kv defaults[PK_MAX];/* stand-ins for unset keys: their messages point at the section line */
	bool failed[PK_MAX];            /* the key's value is in error (reported) */
	bool shared;                    /* the program is in several groups */
	char **env_keys, **env_values;
};

static struct conf_kv *key_or_default(struct program_build *b, enum program_key i)
{
	if (b->k[i])
		return b->k[i];
	if (!program_keys[i].def)
		return NULL;
	struct conf_kv *d = &b->defaults[i];
	d->file = b->s->file;
	d->key = d->written = (char *) program_keys[i].name;
	d->value = (char *) program_keys[i].def;
	d->line = b->s->line;
	return d;
}

static bool apply_program_key(struct program_build *b, enum program_key i, const struct expand_ctx *ctx, void *base)
{
	struct conf_kv *kv = key_or_default(b, i);
	if (kv && !apply_key(b->R, b->s, kv, &program_keys[i], ctx, base))
		b->failed[i] = true;
	return !b->failed[i];
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

/* An absolute command path as users read it back in status and log lines: no "//", "/./" or
 * "dir/.." (%(here)s/../build/worker is written so, to reach a neighbour of the config's
 * directory). A ".." is taken away only where the directory before it is not a symbolic link
 * (there, "link/.." is not the link's parent): the spawn runs the same file. A new string. */
static char *command_path_normalise(const char *path)
{
	size_t len = strlen(path);
	char *out = xmalloc(len + 2), *o = out;
	const char *c = path;
	*o = '\0';
	while (*c) {
		while (*c == '/')
			c++;
		const char *e = strchrnul(c, '/');
		size_t n = (size_t) (e - c);
		if (n == 0 || (n == 1 && c[0] == '.')) {
			/* nothing */
		} else if (n == 2 && c[0] == '.' && c[1] == '.') {
			struct stat st;
			if (o > out && (lstat(out, &st) < 0 || S_ISLNK(st.st_mode))) {
				free(out);   /* cannot tell where "link/.." leads without following it */
				return xstrdup(path);
			}
			while (o > out && *--o != '/')
				;
			*o = '\0';
		} else {
			*o++ = '/';
			memcpy(o, c, n);
			o += n;
			*o = '\0';
		}
		c = e;
	}
	if (o == out)
		strcpy(out, "/");
	return out;
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
	if (pc->argv[0][0] == '/') {
		char *norm = command_path_normalise(pc->argv[0]);
		free(pc->argv[0]);
		pc->argv[0] = norm;
	}
	return true;
}

static bool build_proc_env(struct program_build *b, const struct expand_ctx *ctx, struct proc_config *pc)
{
	char **own = NULL;
	if (!b->k[PK_ENVIRONMENT] || !b->env_keys) {
		pc->env = strv_copy(b->c->environment);
		return true;
	}
	if (!build_env(b->R, b->s, b->k[PK_ENVIRONMENT], b->env_keys, b->env_values, ctx, b->c->environment, &pc->env,
	               &own))
		return false;
	if (pc == b->p->procs)          /* once per program */
		compare_env(b->R, b->s, b->k[PK_ENVIRONMENT], ctx, b->c->environment, own);
	strv_free(own);
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
		char *file = b->shared ? xasprintf("%s_%s-%s.log", b->p->group, pc->name, err_stream ? "stderr" : "stdout")
		                       : xasprintf("%s-%s.log", pc->name, err_stream ? "stderr" : "stdout");
		lc->path = config_path_join(b->c->log_dir, file);
		free(file);
	} else if (!*v || strcasecmp(v, "none") == 0 || strcasecmp(v, "off") == 0) {
		lc->kind = LOGFILE_NONE;
	} else {
		lc->kind = LOGFILE_PATH;
		lc->path = config_path_join(kv_here(b->s, kv), v);
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
	pc->notify_socket = pc->ready.kind == CHECK_NOTIFY || pc->health.kind == CHECK_NOTIFY;
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
		bool bad = b->failed[st ? PK_STDERR_LOGFILE_MAXBYTES : PK_STDOUT_LOGFILE_MAXBYTES];
		if ((!kv || strcasecmp(kv->value, "auto") == 0) && maxbytes == 0 && !bad && !(st && p->redirect_stderr))
			conf_sec_report(R, CONF_WARNING, s, "AUTO %s log without rotation (%s_logfile_maxbytes = 0) may fill the disk",
			                st ? "stderr" : "stdout", st ? "stderr" : "stdout");
	}
	return ok;
}

/* The rules of [eventlistener:x] and [fcgi-program:x] (supervisord refuses what is an error here). */
static bool check_kind(struct program_build *b)
{
	struct conf_report *R = b->R;
	struct conf_section *s = b->s;
	struct program_config *p = b->p;
	bool ok = true;

	if (p->kind == PROGRAM_LISTENER) {
		if (!b->k[PK_EVENTS]) {
			conf_sec_report(R, CONF_ERROR, s, "events: missing (a listener names the events it wants, e.g. PROCESS_STATE)");
			ok = false;
		}
		if (p->redirect_stderr) {
			conf_kv_report(R, CONF_ERROR, s, b->k[PK_REDIRECT_STDERR],
			               "redirect_stderr=true is not allowed: stdout is the event listener protocol's channel");
			ok = false;
		}
		if (p->result_handler && strcmp(p->result_handler, "supervisor.dispatchers:default_handler") != 0)
			conf_kv_report(R, CONF_WARNING, s, b->k[PK_RESULT_HANDLER],
			               "'%s' is a Python function drover cannot call: the default handler is used "
			               "(RESULT OK accepts the event, anything else rejects it)", config_quote(p->result_handler));
		char **items = b->k[PK_EVENTS] && !b->failed[PK_EVENTS] ? config_split_list(b->k[PK_EVENTS]->value, ",") : NULL;
		for (char **i = items; i && *i; i++) {
			event_mask m = event_type_lookup(*i);
			if (m && !(m & event_types_emitted()))
				conf_kv_report(R, CONF_WARNING, s, b->k[PK_EVENTS], "drover never emits %s events", *i);
		}
		strv_free(items);
	}
	if (p->kind == PROGRAM_FCGI) {
		if (!p->socket) {
			if (!b->failed[PK_SOCKET])
				conf_sec_report(R, CONF_ERROR, s, "socket: missing (tcp://HOST:PORT or unix:///PATH)");
			ok = false;
		} else if (strncmp(p->socket, "unix://", 7) != 0 && (p->socket_owner || p->socket_mode >= 0)) {
			conf_kv_report(R, CONF_ERROR, s, b->k[p->socket_owner ? PK_SOCKET_OWNER : PK_SOCKET_MODE],
			               "socket_owner and socket_mode are for a unix:// socket only");
			ok = false;
		}
		if (p->socket_owner) {
			char *user = xstrndup(p->socket_owner, strcspn(p->socket_owner, ":"));
			check_user(R, s, b->k[PK_SOCKET_OWNER], user);
			free(user);
		}
	}
	return ok;
}

/* Offer the names in DIR to SG (for "did you mean" of a command). */
static void suggest_from_dir(struct suggest *sg, const char *dir)
{
	DIR *dp = opendir(dir);
	if (!dp)
		return;
	for (struct dirent *e; (e = readdir(dp)); )
		if (e->d_name[0] != '.')
			suggest_offer(sg, e->d_name);
	(void) closedir(dp);
}

static bool is_executable(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

/* The command as the spawn will look for it: an absolute path, a path relative to the
 * program's directory, or a name on the PATH it runs with. Missing now is a warning (it may be
 * deployed before the program starts), with the nearest name when one looks like a typo. */
static void check_command(struct program_build *b, const struct proc_config *pc)
{
	const char *cmd = pc->argv[0];
	struct conf_kv *kv = b->k[PK_COMMAND];
	struct suggest sg;

	if (strchr(cmd, '/')) {
		if (cmd[0] != '/' && !pc->directory)
			return;                 /* relative to droverd's working directory when it spawns */
		char *full = cmd[0] == '/' ? xstrdup(cmd) : config_path_join(pc->directory, cmd);
		if (!is_executable(full)) {
			const char *slash = strrchr(full, '/');
			char *dir = slash == full ? xstrdup("/") : xstrndup(full, (size_t) (slash - full));
			suggest_init(&sg, slash + 1);
			suggest_from_dir(&sg, dir);
			struct stat st;
			const char *what = stat(full, &st) < 0 ? "does not exist" : "is not an executable file";
			if (suggest_result(&sg) && strcmp(suggest_result(&sg), slash + 1) != 0)
				conf_kv_report(b->R, CONF_WARNING, b->s, kv, "'%s' %s (did you mean '%s/%s'?)", config_quote(full), what,
				               strcmp(dir, "/") == 0 ? "" : dir, suggest_result(&sg));
			else
				conf_kv_report(b->R, CONF_WARNING, b->s, kv, "'%s' %s", config_quote(full), what);
			free(dir);
		}
		free(full);
		return;
	}
	const char *path = strv_env_get(pc->env, "PATH");
	if (!path && b->p->environment_file)
		return;                     /* the file may set PATH */
	if (!path)
		path = getenv("PATH");
	if (!path)
		path = "/usr/local/bin:/usr/bin:/bin";
	char **dirs = config_split_list(path, ":");
	suggest_init(&sg, cmd);
	for (char **dir = dirs; dir && *dir; dir++) {
		char *cand = config_path_join(*dir, cmd);
		bool found = is_executable(cand);
		free(cand);
		if (found) {
			strv_free(dirs);
			return;
		}
	}
	for (char **dir = dirs; dir && *dir; dir++)
		suggest_from_dir(&sg, *dir);
	strv_free(dirs);
	if (suggest_result(&sg) && strcmp(suggest_result(&sg), cmd) != 0)
		conf_kv_report(b->R, CONF_WARNING, b->s, kv, "command '%s' is not on the PATH (did you mean '%s'?)",
		               config_quote(cmd), suggest_result(&sg));
	else
		conf_kv_report(b->R, CONF_WARNING, b->s, kv, "command '%s' is not on the PATH", config_quote(cmd));
}

/* An explicit log file in a directory that does not exist: supervisord refuses the config;
 * drover runs the program and loses its output until the directory is there. */
static void check_log_dirs(struct program_build *b, const struct proc_config *pc)
{
	const struct logfile_config *lc[2] = { &pc->stdout_log, &pc->stderr_log };
	for (int st = 0; st < 2; st++) {
		if (lc[st]->kind != LOGFILE_PATH)
			continue;
		const char *slash = strrchr(lc[st]->path, '/');
		char *dir = slash == lc[st]->path ? xstrdup("/") : xstrndup(lc[st]->path, (size_t) (slash - lc[st]->path));
		struct stat sb;
		if (stat(dir, &sb) < 0 || !S_ISDIR(sb.st_mode))
			conf_kv_report(b->R, CONF_WARNING, b->s, key_or_default(b, st ? PK_STDERR_LOGFILE : PK_STDOUT_LOGFILE),
			               "directory %s does not exist: the output is lost until it does", dir);
		free(dir);
	}
}

/* [program:x] as a member of group G (NULL: its own group). SHARED: it is in several groups,
 * so its AUTO log files are named after group and process. */
static void build_program(struct conf_doc *d, struct drover_config *c, struct conf_section *s, struct group_info *g,
                          bool shared, size_t *total, struct program_config *p)
{
	struct program_build b = { .d = d, .R = &d->report, .c = c, .s = s, .p = p, .shared = shared };
	struct expand_ctx ctx = { .program_name = s->name, .here = s->file->here, .host_node_name = d->host,
	                          .process_num = -1, .numprocs = -1, .env = { environ } };
	bool ok = true;

	p->name = xstrdup(s->name);
	p->group = xstrdup(g ? g->s->name : s->name);
	p->file = xstrdup(s->file->path);
	p->line = s->line;
	p->umask = -1;                  /* unset: [supervisord] umask, else droverd's */
	p->socket_mode = -1;            /* unset: 0700 for a unix socket */
	p->kind = (enum program_kind) s->program_kind;
	ctx.group_name = p->group;

	for (size_t i = 0; i < s->nkv; i++) {
		struct conf_kv *kv = &s->kv[i];
		if (kv->dup)
			continue;
		int k = program_key_lookup(kv->key);
		if (k >= 0 && program_key_applies((enum program_key) k, p->kind))
			b.k[k] = kv;
		else if (program_key_supervisord_only(kv->key))
			conf_kv_report(b.R, CONF_WARNING, s, kv, "supervisord setting not implemented by drover; ignored");
		else
			unknown_key(b.R, s, kv, config_keys_of_program(p->kind));
	}
	for (int i = 0; i < PK_MAX; i++)
		if (!b.k[i] && !program_keys[i].derived && d->defaults && program_key_applies((enum program_key) i, p->kind))
			b.k[i] = conf_section_get(d->defaults, program_keys[i].name);

	/* Keys set once per program: numprocs first, %(numprocs)d may appear in the others. */
	ok &= apply_program_key(&b, PK_NUMPROCS, &ctx, p);
	ok &= apply_program_key(&b, PK_NUMPROCS_START, &ctx, p);
	ctx.numprocs = p->numprocs;
	for (int i = 0; i < PK_MAX; i++) {
		const struct config_key *k = &program_keys[i];
		if (i == PK_NUMPROCS || i == PK_NUMPROCS_START || k->per_process || k->derived ||
		    !program_key_applies((enum program_key) i, p->kind))
			continue;
		ok &= apply_program_key(&b, (enum program_key) i, &ctx, k->target == CT_PROC ? (void *) &b.tmpl : (void *) p);
	}
	/* supervisord gives a listener pool the group priority -1 unless set: started first, stopped last */
	p->group_priority = g ? g->v.priority : p->kind == PROGRAM_LISTENER && !b.k[PK_PRIORITY] ? -1 : p->priority;
	ok &= check_program(&b);
	ok &= check_kind(&b);
	check_user(b.R, s, b.k[PK_USER], p->user);
	/* supervisord runs as [supervisord] user from start-up on: a program without its own user
	 * runs as it (droverd keeps its identity; spawn refuses another user unless this one is root) */
	if (!p->user && c->user)
		p->user = xstrdup(c->user);
	if (ok && p->numprocs == 0)
		conf_kv_report(b.R, CONF_WARNING, s, key_or_default(&b, PK_NUMPROCS), "the program has no process (numprocs = 0)");

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
		if (n == 0 && !b.R->diag->no_lookups) {
			check_command(&b, pc);
			check_log_dirs(&b, pc);
		}
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

/* A log file that is droverd's own output (the container pattern: every program to
 * /dev/stdout): programs share it by design. */
static bool is_own_output(const char *path)
{
	static const char *const prefixes[] = { "/dev/stdout", "/dev/stderr", "/dev/fd/", "/proc/self/fd/" };
	for (size_t i = 0; i < ELEMENTSOF(prefixes); i++) {
		size_t n = strlen(prefixes[i]);
		if (strncmp(path, prefixes[i], n) == 0 && (prefixes[i][n - 1] == '/' || !path[n]))
			return true;
	}
	return false;
}

/* Two sections that name the same program or group in different words ("[program:a]" and
 * "[program: a]"; the same words are one section, merged): the later one is an error. */
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
		again->kind = SEC_INVALID;
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
	if (d->defaults)
		for (size_t i = 0; i < d->defaults->nkv; i++)
			if (!d->defaults->kv[i].dup && !config_key_known(CONF_KEYS_ANY, d->defaults->kv[i].key))
				unknown_key(R, d->defaults, &d->defaults->kv[i], CONF_KEYS_ANY);

	/* groups, in file order */
	size_t ngroups = 0, nmembers = 0;
	free(sections_by_name(d, SEC_GROUP, "group", &ngroups));
	struct group_info *groups = xcalloc(ngroups ? ngroups : 1, sizeof(*groups));
	ngroups = 0;
	for (size_t i = 0; i < d->nsec; i++)
		if (d->sec[i]->kind == SEC_GROUP)
			groups[ngroups++].s = d->sec[i];
	for (size_t i = 0; i < ngroups; i++) {
		parse_group(d, &groups[i]);
		nmembers += strv_length(groups[i].v.programs);
	}
	/* program name -> its groups, in listing order. A program listed by two groups runs once in
	 * each (supervisord does so); listed twice by one group, it is there once. */
	struct named *members = xcalloc(nmembers ? nmembers : 1, sizeof(*members));
	nmembers = 0;
	for (size_t i = 0; i < ngroups; i++)
		for (char **n = groups[i].v.programs; n && *n; n++, nmembers++)
			members[nmembers] = (struct named) { *n, nmembers, &groups[i] };
	qsort(members, nmembers, sizeof(*members), named_cmp);
	for (size_t i = 1, first = 0; i < nmembers; i++) {
		if (strcmp(members[i].name, members[first].name) != 0) {
			first = i;
			continue;
		}
		const struct group_info *g = members[i].ptr, *f = members[first].ptr;
		for (size_t k = first; k < i; k++)
			if (members[k].ptr == g) {
				conf_kv_report(R, CONF_WARNING, g->s, g->programs_kv, "'%s' is listed twice; once is enough",
				               config_quote(members[i].name));
				members[i].ptr = NULL;
				break;
			}
		if (members[i].ptr)
			conf_kv_report(R, CONF_WARNING, g->s, g->programs_kv, "program '%s' is also in [%s] (%s:%u): it runs once "
			               "in each group, as supervisord does", config_quote(members[i].name), f->s->header,
			               f->s->file->path, f->s->line);
	}

	/* programs, in file order; one per group that lists it */
	size_t np = 0;
	free(sections_by_name(d, SEC_PROGRAM, "program", &np));
	c->programs = xcalloc(np + nmembers + 1, sizeof(*c->programs));
	struct conf_section **psec = xcalloc(np + nmembers + 1, sizeof(*psec));
	size_t total = 0;
	for (size_t i = 0; i < d->nsec; i++) {
		struct conf_section *s = d->sec[i];
		if (s->kind != SEC_PROGRAM)
			continue;
		const struct named *m = named_find(members, nmembers, s->name), *end = members + nmembers;
		size_t in = 0;
		for (const struct named *x = m; x && x < end && strcmp(x->name, s->name) == 0; x++)
			in += x->ptr != NULL;
		if (in && s->program_kind == PROGRAM_LISTENER) {
			/* supervisord: a group lists programs and fcgi-programs; a listener is a pool of its own */
			const struct group_info *g = m->ptr;
			conf_kv_report(R, CONF_ERROR, g->s, g->programs_kv, "'%s' is an [eventlistener:%s]: a group can list "
			               "programs and fcgi-programs only", config_quote(s->name), s->name);
			in = 0;
		}
		if (!in) {
			psec[c->nprograms] = s;
			build_program(d, c, s, NULL, false, &total, &c->programs[c->nprograms++]);
			continue;
		}
		for (const struct named *x = m; x < end && strcmp(x->name, s->name) == 0; x++) {
			if (!x->ptr)
				continue;
			psec[c->nprograms] = s;
			c->programs[c->nprograms].group_order = (unsigned) x->idx;   /* listings are numbered in order */
			build_program(d, c, s, (struct group_info *) x->ptr, in > 1, &total, &c->programs[c->nprograms++]);
		}
	}

	/* names listed by groups and depends_on must exist; group names must not shadow programs */
	struct named *byname = xcalloc(c->nprograms ? c->nprograms : 1, sizeof(*byname));
	for (size_t i = 0; i < c->nprograms; i++)
		byname[i] = (struct named) { c->programs[i].name, i, &c->programs[i] };
	qsort(byname, c->nprograms, sizeof(*byname), named_cmp);
	for (size_t i = 0; i < ngroups; i++) {
		struct group_info *g = &groups[i];
		if (g->s->kind != SEC_GROUP)
			continue;
		for (char **n = g->v.programs; n && *n; n++)
			if (!named_find(byname, c->nprograms, *n))
				conf_kv_report(R, CONF_ERROR, g->s, g->programs_kv, "unknown program '%s' (no [program:%s])",
				               config_quote(*n), config_quote(*n));
		/* supervisord would silently drop the program: its own group of one has the same name */
		const struct named *same = named_find(byname, c->nprograms, g->s->name);
		bool member = false;
		for (const struct named *x = named_find(members, nmembers, g->s->name);
		     x && x < members + nmembers && strcmp(x->name, g->s->name) == 0; x++)
			member |= x->ptr == g;
		if (same && !member)
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
			else if (program_depends_completed(p, *dep) &&
			         ((const struct program_config *) named_find(byname, c->nprograms, *dep)->ptr)->autorestart ==
			         AUTORESTART_TRUE)
				conf_kv_report(R, CONF_WARNING, psec[i], kv,
				               "'%s:completed' waits for a program that exits, but [program:%s] has autorestart = true",
				               config_quote(*dep), config_quote(*dep));
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
	bool warned = false;        /* a file shared by several programs: said once */
	for (size_t i = 1; i < nlogs; i++) {
		if (strcmp(logs[i].name, logs[i - 1].name) != 0) {
			warned = false;
			continue;
		}
		const struct logfile_config *a = logs[i - 1].ptr, *b = logs[i].ptr;
		size_t bi = logs[i].idx / 2, ai = logs[i - 1].idx / 2;
		const char *stream = logs[i].idx % 2 ? "stderr_logfile" : "stdout_logfile";
		bool err = a->kind == LOGFILE_AUTO || b->kind == LOGFILE_AUTO;
		if (!err && (ai == bi || warned || is_own_output(logs[i].name)))
			continue;               /* numprocs sharing one file, stdout and stderr together, droverd's stdout */
		conf_sec_report(R, err ? CONF_ERROR : CONF_WARNING, psec[bi], "%s: log file %s is also used by [program:%s]%s",
		                stream, logs[i].name, c->programs[ai].name, err ? "; set the log file explicitly" : "");
		warned = !err;
	}

	free(procs);
	free(logs);
	free(byname);
	free(psec);
	free(members);
	for (size_t i = 0; i < ngroups; i++)
		strv_free(groups[i].v.programs);
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

int config_instance_name(const char *path, char *ret, size_t size, struct config_diag *diag)
{
	const struct config_key *k = &daemon_keys[DK_NAME];
	struct drover_config c = { 0 };
	struct conf_doc d;
	struct conf_file *f;
	const char *name = k->def;

	conf_doc_init(&d, diag);
	int r = conf_read_file(&d, path, &f);
	struct conf_kv *kv = r == 0 && d.drover ? conf_section_get(d.drover, k->name) : NULL;
	if (kv) {
		/* the value exactly as build_daemon() takes it: expanded, then the key's parser */
		struct expand_ctx ctx = { .host_node_name = d.host, .process_num = -1, .numprocs = -1, .env = { environ } };
		if (apply_key(&d.report, d.drover, kv, k, &ctx, &c))
			name = *(char **) config_key_field(k, &c);
		else
			r = -EINVAL;
	}
	if (r == 0 && strcpy_bounded(ret, size, name) < 0)
		r = -ENAMETOOLONG;
	config_key_release(k, &c);
	conf_doc_done(&d);
	return r;
}

int config_load(const char *path, struct drover_config **ret, struct config_diag *diag)
{
	struct conf_doc d;
	struct conf_file *f;
	conf_doc_init(&d, diag);
	int r = conf_read_file(&d, path, &f);
	return finish(&d, f, r, ret);
}
