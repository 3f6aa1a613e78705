/* The process table (see table.h). */
#include "core/table.h"

#include <stdlib.h>
#include <string.h>

#include "core/events.h"
#include "core/pidindex.h"
#include "os/notify.h"
#include "util.h"

struct table tab;

static struct pidindex by_pid;           /* live workers by pid, kept current on every pid change */

static struct drover_config **retired;   /* configs replaced by a reload, still pointed into */
static size_t nretired;

static void index_rebuild(void)
{
	pidindex_free(&by_pid);
	pidindex_reserve(&by_pid, tab.n);
	for (size_t i = 0; i < tab.n; i++)
		if (tab.procs[i]->pid > 0)
			pidindex_insert(&by_pid, tab.procs[i]->pid, tab.procs[i]);
}

struct process *table_find_pid(pid_t pid)
{
	return pidindex_find(&by_pid, pid);
}

static void counts_rebuild(void)
{
	memset(tab.count, 0, sizeof(tab.count));
	for (size_t i = 0; i < tab.n; i++)
		tab.count[tab.procs[i]->state]++;
	notify_set_counts(tab.count);
}

static void on_state_changed(void *ctx, struct process *p, enum proc_state old)
{
	tab.count[old]--;
	tab.count[p->state]++;
	notify_set_counts(tab.count);
}

static void on_pid_changed(void *ctx, struct process *p, pid_t old)
{
	if (old > 0)
		pidindex_remove(&by_pid, old);
	if (p->pid > 0)
		pidindex_insert(&by_pid, p->pid, p);
}

static struct events_subscriber subscriber = {
	.state_changed = on_state_changed, .pid_changed = on_pid_changed,
};

void table_init(struct drover_config *cfg)
{
	size_t n = config_nprocs(cfg);
	tab.procs = xcalloc(n + 1, sizeof(*tab.procs));
	tab.n = 0;
	for (size_t i = 0; i < cfg->nprograms; i++) {
		struct program_config *prog = &cfg->programs[i];
		for (size_t k = 0; k < prog->nprocs; k++) {
			struct process *p = process_new(prog, &prog->procs[k]);
			p->slot = (int) tab.n;
			p->index = tab.n;
			tab.procs[tab.n++] = p;
		}
	}
	tab.config = cfg;
	tab.generation = 1;
	index_rebuild();
	counts_rebuild();
	events_subscribe(&subscriber);
}

static bool config_owns(const struct drover_config *c, const struct program_config *prog)
{
	return c->nprograms && prog >= c->programs && prog < c->programs + c->nprograms;
}

/* Free the retired configs no process points into any more. */
static void retired_gc(void)
{
	size_t w = 0;
	for (size_t i = 0; i < nretired; i++) {
		bool used = false;
		for (size_t k = 0; k < tab.n && !used; k++)
			used = config_owns(retired[i], tab.procs[k]->prog);
		if (used)
			retired[w++] = retired[i];
		else
			config_free(retired[i]);
	}
	nretired = w;
}

void table_replace(struct drover_config *cfg, struct process **procs, size_t n)
{
	retired = xrealloc(retired, nretired + 1, sizeof(*retired));
	retired[nretired++] = tab.config;
	free(tab.procs);
	tab.procs = procs;
	tab.n = n;
	tab.config = cfg;
	tab.generation++;
	for (size_t i = 0; i < n; i++)
		procs[i]->index = i;
	index_rebuild();
	counts_rebuild();
}

void table_drop(bool (*drop)(const struct process *p))
{
	size_t w = 0, dropped = 0;
	for (size_t i = 0; i < tab.n; i++) {
		struct process *p = tab.procs[i];
		if (drop(p)) {
			events_gone(p);
			if (p->pid > 0)
				pidindex_remove(&by_pid, p->pid);
			process_free(p);
			dropped++;
			continue;
		}
		p->index = w;
		tab.procs[w++] = p;
	}
	tab.n = w;
	if (dropped) {
		counts_rebuild();
		retired_gc();
	}
}

void table_free(void)
{
	events_unsubscribe(&subscriber);
	for (size_t i = 0; i < tab.n; i++)
		tab.procs[i] = process_free(tab.procs[i]);
	free(tab.procs);
	tab.procs = NULL;
	tab.n = 0;
	pidindex_free(&by_pid);
	tab.config = config_free(tab.config);
	for (size_t i = 0; i < nretired; i++)
		config_free(retired[i]);
	free(retired);
	retired = NULL;
	nretired = 0;
}

int table_start_cmp(const struct process *a, const struct process *b, enum start_origin by)
{
	const struct program_config *pa = a->prog, *pb = b->prog;
	if (pa->group_priority != pb->group_priority)
		return pa->group_priority < pb->group_priority ? -1 : 1;
	int c = strcmp(pa->group, pb->group);
	if (c)
		return c;
	if (by == START_USER) {
		if (pa->priority != pb->priority)
			return pa->priority < pb->priority ? -1 : 1;
	} else if (pa->group_order != pb->group_order) {
		return pa->group_order < pb->group_order ? -1 : 1;
	}
	c = strcmp(a->cfg->name, b->cfg->name);
	return c ? c : (a->index > b->index) - (a->index < b->index);
}

static int cmp_start(const void *a, const void *b, void *by)
{
	return table_start_cmp(*(struct process *const *) a, *(struct process *const *) b, *(enum start_origin *) by);
}

void table_start_sorted(struct process **v, size_t n, enum start_origin by)
{
	qsort_r(v, n, sizeof(*v), cmp_start, &by);
	for (size_t i = 0; i < n; i++)
		process_start(v[i], by);
}

size_t config_nprocs(const struct drover_config *cfg)
{
	size_t n = 0;
	for (size_t i = 0; i < cfg->nprograms; i++)
		n += cfg->programs[i].nprocs;
	return n;
}

