/* The process table (see table.h). */
#include "core/table.h"

#include <stdlib.h>
#include <string.h>

#include "core/events.h"
#include "os/notify.h"
#include "util.h"

struct table tab;

/* pid -> process, open addressing with linear probing, kept current on every pid change. */
static struct process **pid_index;
static size_t pid_cap;   /* a power of two, at least twice the number of processes */

static struct drover_config **retired;   /* configs replaced by a reload, still pointed into */
static size_t nretired;

static size_t pid_hash(pid_t pid)
{
	return ((size_t) pid * 2654435761u) & (pid_cap - 1);
}

static void index_insert(struct process *p)
{
	size_t h = pid_hash(p->pid);
	while (pid_index[h])
		h = (h + 1) & (pid_cap - 1);
	pid_index[h] = p;
}

/* Remove p, found under its old pid; the entries after it move back so that no probe chain breaks. */
static void index_remove(struct process *p, pid_t pid)
{
	size_t mask = pid_cap - 1, i = pid_hash(pid);
	while (pid_index[i] && pid_index[i] != p)
		i = (i + 1) & mask;
	if (!pid_index[i])
		return;
	pid_index[i] = NULL;
	for (size_t j = (i + 1) & mask; pid_index[j]; j = (j + 1) & mask) {
		size_t k = pid_hash(pid_index[j]->pid);
		bool reachable = i <= j ? (i < k && k <= j) : (i < k || k <= j);   /* k in (i, j] */
		if (!reachable) {
			pid_index[i] = pid_index[j];
			pid_index[j] = NULL;
			i = j;
		}
	}
}

static void index_rebuild(void)
{
	size_t cap = 64;
	while (cap < tab.n * 2 + 2)
		cap *= 2;
	free(pid_index);
	pid_index = xcalloc(cap, sizeof(*pid_index));
	pid_cap = cap;
	for (size_t i = 0; i < tab.n; i++)
		if (tab.procs[i]->pid > 0)
			index_insert(tab.procs[i]);
}

struct process *table_find_pid(pid_t pid)
{
	if (pid <= 0 || !pid_index)
		return NULL;
	for (size_t h = pid_hash(pid); pid_index[h]; h = (h + 1) & (pid_cap - 1))
		if (pid_index[h]->pid == pid)
			return pid_index[h];
	return NULL;
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
		index_remove(p, old);
	if (p->pid > 0)
		index_insert(p);
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
				index_remove(p, p->pid);
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
	free(pid_index);
	pid_index = NULL;
	pid_cap = 0;
	tab.config = config_free(tab.config);
	for (size_t i = 0; i < nretired; i++)
		config_free(retired[i]);
	free(retired);
	retired = NULL;
	nretired = 0;
}

/* supervisord: groups by their priority, then programs by theirs; the table's order within one. */
static int cmp_priority(const void *a, const void *b)
{
	const struct process *pa = *(struct process *const *) a, *pb = *(struct process *const *) b;
	if (pa->prog->group_priority != pb->prog->group_priority)
		return pa->prog->group_priority < pb->prog->group_priority ? -1 : 1;
	if (pa->prog->priority != pb->prog->priority)
		return pa->prog->priority < pb->prog->priority ? -1 : 1;
	return (pa->index > pb->index) - (pa->index < pb->index);
}

void table_start_sorted(struct process **v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_priority);
	for (size_t i = 0; i < n; i++)
		process_start(v[i]);
}

size_t config_nprocs(const struct drover_config *cfg)
{
	size_t n = 0;
	for (size_t i = 0; i < cfg->nprograms; i++)
		n += cfg->programs[i].nprocs;
	return n;
}

char **config_users(const struct drover_config *cfg)
{
	char **v = xcalloc(1, sizeof(*v));
	for (size_t i = 0; i < cfg->nprograms; i++)
		if (cfg->programs[i].user)
			strv_push(&v, xstrdup(cfg->programs[i].user));
	return v;
}
