/* A config's memory: freed and copied as the key tables say what each key owns. Kept apart from
 * config.c, which the key tables' own code needs: the tables need the config's types, the config's
 * memory needs the tables. */
#include "conf/config.h"

#include <stdlib.h>

#include "conf/config-keys.h"
#include "util.h"

/* Key I of KEYS stores memory into a field of TARGET, and is the first key to store into that
 * field (two keys may share one: [drover] and [supervisord] pidfile). */
static bool owns_field(const struct config_key *keys, size_t i, enum config_target target)
{
	if (keys[i].target != target || !config_key_owns_memory(&keys[i]))
		return false;
	for (size_t j = 0; j < i; j++)
		if (keys[j].target == target && keys[j].offset == keys[i].offset)
			return false;
	return true;
}

static void free_keys(const struct config_key *keys, size_t n, enum config_target target, void *base)
{
	for (size_t i = 0; i < n; i++)
		if (owns_field(keys, i, target))
			config_key_release(&keys[i], base);
}

/* BASE is a bitwise copy: every field a key owns gets memory of its own. */
static void unshare_keys(const struct config_key *keys, size_t n, enum config_target target, void *base)
{
	for (size_t i = 0; i < n; i++)
		if (owns_field(keys, i, target))
			config_key_unshare(&keys[i], base);
}

struct drover_config *config_free(struct drover_config *c)
{
	if (!c)
		return NULL;
	for (size_t i = 0; i < c->nprograms; i++) {
		struct program_config *p = &c->programs[i];
		for (size_t k = 0; k < p->nprocs; k++) {
			free_keys(program_keys, PK_MAX, CT_PROC, &p->procs[k]);
			free(p->procs[k].fullname);
		}
		free_keys(program_keys, PK_MAX, CT_PROGRAM, p);
		free(p->procs);
		free(p->name);
		free(p->file);
	}
	free_keys(daemon_keys, DK_MAX, CT_DAEMON, c);
	free(c->programs);
	free(c->file);
	free(c);
	return NULL;
}

/* Copies own everything config_free frees: what the key tables own, plus the names, the file and
 * the process vector, which no key stores. */
void program_config_copy(struct program_config *dst, const struct program_config *src)
{
	*dst = *src;
	unshare_keys(program_keys, PK_MAX, CT_PROGRAM, dst);
	dst->name = xstrdup(src->name);
	dst->file = src->file ? xstrdup(src->file) : NULL;
	dst->procs = xcalloc(src->nprocs ? src->nprocs : 1, sizeof(*dst->procs));
	for (size_t k = 0; k < src->nprocs; k++) {
		dst->procs[k] = src->procs[k];
		unshare_keys(program_keys, PK_MAX, CT_PROC, &dst->procs[k]);
		dst->procs[k].fullname = src->procs[k].fullname ? xstrdup(src->procs[k].fullname) : NULL;
	}
}

struct drover_config *config_copy_daemon(const struct drover_config *c)
{
	struct drover_config *d = xmalloc(sizeof(*d));
	*d = *c;
	unshare_keys(daemon_keys, DK_MAX, CT_DAEMON, d);
	d->file = c->file ? xstrdup(c->file) : NULL;
	d->nprograms = 0;
	d->programs = NULL;
	return d;
}
