/* The process table: build it from a config, find processes by pattern or pid, start all in
 * priority order, shut down in reverse priority order. */
#include "core/supervisor.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/depends.h"
#include "core/events.h"
#include "os/killtree.h"
#include "os/log.h"
#include "os/notify.h"
#include "core/reload.h"
#include "os/scoreboard.h"
#include "util.h"

struct supervisor sup;

/* pid -> process, open addressing; rebuilt lazily. Lookups happen once per reaped child. */
static struct process **pid_index;
static size_t pid_index_cap;

static size_t pid_hash(pid_t pid, size_t cap)
{
	return ((size_t) pid * 2654435761u) & (cap - 1);
}

static void pid_index_rebuild(void)
{
	size_t cap = 64;
	while (cap < sup.nprocs * 2 + 1)
		cap *= 2;
	free(pid_index);
	pid_index = xcalloc(cap, sizeof(*pid_index));
	pid_index_cap = cap;
	for (size_t i = 0; i < sup.nprocs; i++) {
		struct process *p = sup.procs[i];
		if (p->pid <= 0)
			continue;
		size_t h = pid_hash(p->pid, cap);
		while (pid_index[h])
			h = (h + 1) & (cap - 1);
		pid_index[h] = p;
	}
}

static bool pid_index_dirty = true;

struct process *supervisor_find_pid(pid_t pid)
{
	if (pid <= 0)
		return NULL;
	if (pid_index_dirty) {
		pid_index_rebuild();
		pid_index_dirty = false;
	}
	for (size_t h = pid_hash(pid, pid_index_cap); pid_index[h]; h = (h + 1) & (pid_index_cap - 1))
		if (pid_index[h]->pid == pid)
			return pid_index[h];
	return NULL;
}

void supervisor_table_changed(void)
{
	pid_index_dirty = true;
}

static void match_add(struct process *p, struct process ***procs, size_t *n)
{
	for (size_t i = 0; i < *n; i++)
		if ((*procs)[i] == p)
			return;
	*procs = xrealloc(*procs, *n + 1, sizeof(**procs));
	(*procs)[(*n)++] = p;
}

size_t supervisor_match(const char *pattern, struct process ***procs, size_t *n)
{
	size_t matched = 0;
	const char *colon = strchr(pattern, ':');
	size_t glen = colon ? (size_t) (colon - pattern) : 0;

	for (size_t i = 0; i < sup.nprocs; i++) {
		struct process *p = sup.procs[i];
		bool hit;
		if (strcmp(pattern, "all") == 0)
			hit = true;
		else if (colon)   /* group:* or group:process */
			hit = strlen(p->prog->group) == glen && strncmp(p->prog->group, pattern, glen) == 0 &&
			      (strcmp(colon + 1, "*") == 0 || strcmp(colon + 1, p->cfg->name) == 0);
		else              /* a group, a program, or a process name */
			hit = strcmp(pattern, p->prog->group) == 0 || strcmp(pattern, p->prog->name) == 0 ||
			      strcmp(pattern, p->cfg->name) == 0 || strcmp(pattern, p->cfg->fullname) == 0;
		if (hit) {
			match_add(p, procs, n);
			matched++;
		}
	}
	return matched;
}

static int cmp_priority(const void *a, const void *b)
{
	const struct process *pa = *(struct process *const *) a, *pb = *(struct process *const *) b;
	/* supervisord: groups by their priority, then programs by theirs */
	if (pa->prog->group_priority != pb->prog->group_priority)
		return pa->prog->group_priority < pb->prog->group_priority ? -1 : 1;
	if (pa->prog->priority != pb->prog->priority)
		return pa->prog->priority < pb->prog->priority ? -1 : 1;
	return 0;
}

static void sort_by_priority(struct process **v, size_t n)
{
	/* insertion sort: stable, so config order is kept within one priority */
	for (size_t i = 1; i < n; i++) {
		struct process *x = v[i];
		size_t j = i;
		while (j > 0 && cmp_priority(&v[j - 1], &x) > 0) {
			v[j] = v[j - 1];
			j--;
		}
		v[j] = x;
	}
}

void supervisor_start_sorted(struct process **v, size_t n)
{
	sort_by_priority(v, n);
	for (size_t i = 0; i < n; i++)
		process_start(v[i]);
}

void supervisor_autostart(void)
{
	struct process **v = xcalloc(sup.nprocs + 1, sizeof(*v));
	size_t n = 0;
	for (size_t i = 0; i < sup.nprocs; i++)
		if (sup.procs[i]->prog->autostart)
			v[n++] = sup.procs[i];
	supervisor_start_sorted(v, n);
	free(v);
}

static bool all_down(void)
{
	for (size_t i = 0; i < sup.nprocs; i++)
		if (!process_is_down(sup.procs[i]))
			return false;
	return true;
}

/* During shutdown: end the loop once every worker and every escaped descendant is gone. */
void supervisor_check_done(void)
{
	if (sup.shutting_down && all_down() && !killtree_pending())
		ev_break(sup.loop, EVBREAK_ALL);
}

/* Graceful shutdown: one stop batch of everything (dependants first, then by descending
 * priority, each wave at once); the loop ends when nothing is left running. */
void supervisor_shutdown(void)
{
	if (sup.shutting_down)
		return;
	sup.shutting_down = true;
	log_info("shutting down: stopping %zu processes", sup.nprocs);
	notify_stopping();
	struct process **v = xcalloc(sup.nprocs + 1, sizeof(*v));
	size_t n = 0;
	for (size_t i = 0; i < sup.nprocs; i++) {
		struct process *p = sup.procs[i];
		if (p->state == PROC_BACKOFF || p->state == PROC_FATAL)
			process_stop(p);   /* pending retries will never run */
		if (!process_is_down(p))
			v[n++] = p;
	}
	stop_batch_start(v, n);
	free(v);
	supervisor_check_done();
}

void supervisor_state_changed(struct process *p, enum proc_state old)
{
	if (p->state == PROC_STARTING || p->pid <= 0)
		pid_index_dirty = true;
	depends_state_changed(p, old);
	stop_batch_advance();
	scoreboard_on_state(p);
	events_state_changed(p, old);
	notify_state_changed();
	if (p->removed && process_is_down(p))
		reload_schedule_gc();
	if (p->state != PROC_STOPPING)
		supervisor_check_done();
}

void supervisor_build(struct drover_config *cfg)
{
	size_t n = 0;
	for (size_t i = 0; i < cfg->nprograms; i++)
		n += cfg->programs[i].nprocs;
	sup.procs = xcalloc(n + 1, sizeof(*sup.procs));
	sup.nprocs = 0;
	for (size_t i = 0; i < cfg->nprograms; i++) {
		struct program_config *prog = &cfg->programs[i];
		for (size_t k = 0; k < prog->nprocs; k++) {
			struct process *p = process_new(prog, &prog->procs[k]);
			p->slot = (int) sup.nprocs;
			sup.procs[sup.nprocs++] = p;
		}
	}
	sup.config = cfg;
	pid_index_dirty = true;
}

void supervisor_free(void)
{
	for (size_t i = 0; i < sup.nprocs; i++)
		sup.procs[i] = process_free(sup.procs[i]);
	free(sup.procs);
	sup.procs = NULL;
	sup.nprocs = 0;
	free(pid_index);
	pid_index = NULL;
	sup.config = config_free(sup.config);
}
