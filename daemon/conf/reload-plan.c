/* The reload plan: old and new config matched by process full name, every pair compared key by
 * key (config-compare.c); the key tables decide whether a difference restarts the process. */
#include "conf/reload-plan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/config-compare.h"
#include "util.h"

struct by_name {
	const char *fullname;
	const struct program_config *prog;
	const struct proc_config *proc;
	bool matched;
};

static int by_name_cmp(const void *a, const void *b)
{
	return strcmp(((const struct by_name *) a)->fullname, ((const struct by_name *) b)->fullname);
}

static size_t count_procs(const struct drover_config *c)
{
	size_t n = 0;
	for (size_t i = 0; c && i < c->nprograms; i++)
		n += c->programs[i].nprocs;
	return n;
}

void reload_plan_build(const struct drover_config *old, const struct drover_config *new, struct reload_plan *ret)
{
	size_t nold = count_procs(old), nnew = count_procs(new), n = 0;
	struct by_name *olds = xcalloc(nold ? nold : 1, sizeof(*olds));
	struct reload_plan plan = { .entries = xcalloc(nold + nnew ? nold + nnew : 1, sizeof(*plan.entries)) };

	/* Full names are unique in a config (the builder checks it): a sorted index finds the old one. */
	for (size_t i = 0; old && i < old->nprograms; i++)
		for (size_t k = 0; k < old->programs[i].nprocs; k++)
			olds[n++] = (struct by_name) { old->programs[i].procs[k].fullname, &old->programs[i],
			                               &old->programs[i].procs[k], false };
	qsort(olds, nold, sizeof(*olds), by_name_cmp);

	for (size_t i = 0; new && i < new->nprograms; i++) {
		const struct program_config *prog = &new->programs[i];
		for (size_t k = 0; k < prog->nprocs; k++) {
			const struct proc_config *pc = &prog->procs[k];
			struct by_name key = { .fullname = pc->fullname };
			struct by_name *o = nold ? bsearch(&key, olds, nold, sizeof(*olds), by_name_cmp) : NULL;
			struct plan_entry *e = &plan.entries[plan.n++];
			*e = (struct plan_entry) { .fullname = pc->fullname, .new_prog = prog, .new_proc = pc };
			if (!o) {
				e->action = PLAN_ADDED;
			} else {
				o->matched = true;
				e->old_prog = o->prog;
				e->old_proc = o->proc;
				config_proc_diff(o->prog, o->proc, prog, pc, &e->changed);
				e->action = config_keyset_restarts(&e->changed) ? PLAN_CHANGED
				            : config_keyset_empty(&e->changed) ? PLAN_UNCHANGED : PLAN_UPDATED;
			}
			plan.count[e->action]++;
		}
	}
	/* Removed ones in the old config's order (olds is sorted by name: walk the config again). */
	for (size_t i = 0; old && i < old->nprograms; i++) {
		for (size_t k = 0; k < old->programs[i].nprocs; k++) {
			const struct proc_config *pc = &old->programs[i].procs[k];
			struct by_name key = { .fullname = pc->fullname };
			struct by_name *o = bsearch(&key, olds, nold, sizeof(*olds), by_name_cmp);
			if (o->matched)
				continue;
			plan.entries[plan.n++] = (struct plan_entry) { .action = PLAN_REMOVED, .fullname = pc->fullname,
			                                               .old_prog = o->prog, .old_proc = o->proc };
			plan.count[PLAN_REMOVED]++;
		}
	}
	if (old && new)
		config_daemon_diff(old, new, &plan.daemon_changed);
	free(olds);
	*ret = plan;
}

void reload_plan_free(struct reload_plan *plan)
{
	if (!plan)
		return;
	free(plan->entries);
	memset(plan, 0, sizeof(*plan));
}

void reload_plan_keys_to_string(const struct config_keyset *set, bool daemon, char *buf, size_t size)
{
	const struct config_key *keys = daemon ? daemon_keys : program_keys;
	size_t nkeys = daemon ? DK_MAX : PK_MAX, len = 0;

	if (size == 0)
		return;
	buf[0] = '\0';
	for (size_t i = 0; i < nkeys; i++) {
		if (!config_keyset_has(set, (unsigned) i))
			continue;
		int w = snprintf(buf + len, size - len, "%s%s", len ? ", " : "", keys[i].name);
		if (w < 0 || (size_t) w >= size - len) {
			buf[len] = '\0';    /* cut after the last item that fits */
			return;
		}
		len += (size_t) w;
	}
}

const char *plan_action_to_string(enum plan_action a)
{
	static const char *const t[PLAN_ACTION_MAX] = { "unchanged", "updated", "changed", "added", "removed" };
	return a >= 0 && a < PLAN_ACTION_MAX ? t[a] : "?";
}
