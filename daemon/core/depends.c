/* depends_on: a process spawns only once every process of its dependencies is RUNNING (with
 * ready = scoreboard: reported ready); it waits in STARTING with no pid, saying what for.
 * Stops run in waves: dependants before dependencies, higher priority first. */
#include "core/depends.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/supervisor.h"
#include "util.h"

bool depends_on_process(const struct process *q, const struct process *p)
{
	if (q == p)
		return false;
	for (char **d = q->prog->depends_on; d && *d; d++)
		if (strcmp(*d, p->prog->name) == 0 || strcmp(*d, p->prog->group) == 0)
			return true;
	return false;
}

bool depends_satisfied(const struct process *p, char *why, size_t size)
{
	size_t len = 0;
	bool ok = true;

	if (size)
		why[0] = '\0';
	for (char **d = p->prog->depends_on; d && *d; d++) {
		bool running = true;
		for (size_t i = 0; i < sup.nprocs && running; i++) {
			const struct process *q = sup.procs[i];
			if (!q->removed && depends_on_process(p, q) &&
			    (strcmp(*d, q->prog->name) == 0 || strcmp(*d, q->prog->group) == 0))
				running = q->state == PROC_RUNNING;
		}
		if (running)
			continue;
		ok = false;
		if (size && len < size) {
			int n = snprintf(why + len, size - len, "%s%s", len ? ", " : "waiting for ", *d);
			if (n > 0)
				len += (size_t) n;
		}
	}
	return ok;
}

void depends_start_for(struct process *p)
{
	if (!p->prog->depends_on)
		return;
	struct process **v = xcalloc(sup.nprocs + 1, sizeof(*v));
	size_t n = 0;
	for (size_t i = 0; i < sup.nprocs; i++) {
		struct process *q = sup.procs[i];
		if (!q->removed && depends_on_process(p, q) &&
		    (q->state == PROC_STOPPED || q->state == PROC_EXITED))
			v[n++] = q;
	}
	supervisor_start_sorted(v, n);   /* process_start() recurses into their own dependencies */
	free(v);
}

void depends_state_changed(struct process *p, enum proc_state old)
{
	if (p->state == PROC_RUNNING) {
		/* Dependants waiting for p may be able to spawn now. */
		for (size_t i = 0; i < sup.nprocs; i++) {
			struct process *q = sup.procs[i];
			if (q->waiting_deps && depends_on_process(q, p))
				process_deps_changed(q);
		}
	} else if (old == PROC_RUNNING && !sup.shutting_down) {
		for (size_t i = 0; i < sup.nprocs; i++) {
			struct process *q = sup.procs[i];
			if (q->prog->restart_with_dependency && depends_on_process(q, p) &&
			    (q->state == PROC_RUNNING || (q->state == PROC_STARTING && !q->waiting_deps)))
				process_restart(q);
		}
	}
}

/* Stop batches. */
struct stop_batch {
	struct process **procs;
	unsigned *wave;
	size_t n;
	unsigned current;
	struct stop_batch *next;
};

static struct stop_batch *batches;

static int order_cmp(const struct process *a, const struct process *b)
{
	if (a->prog->group_priority != b->prog->group_priority)
		return a->prog->group_priority < b->prog->group_priority ? -1 : 1;
	if (a->prog->priority != b->prog->priority)
		return a->prog->priority < b->prog->priority ? -1 : 1;
	return 0;
}

/* Order the batch: repeatedly take, among processes none of whose dependants (in the batch)
 * is still untaken, those of the highest priority: they form the next wave. */
void stop_batch_start(struct process **v, size_t n)
{
	struct stop_batch *b = xcalloc(1, sizeof(*b));
	bool *taken = xcalloc(n + 1, sizeof(*taken));
	b->procs = xcalloc(n + 1, sizeof(*b->procs));
	b->wave = xcalloc(n + 1, sizeof(*b->wave));

	for (unsigned wave = 0; b->n < n; wave++) {
		struct process *top = NULL;
		bool *ready = xcalloc(n + 1, sizeof(*ready));
		for (size_t i = 0; i < n; i++) {
			if (taken[i])
				continue;
			ready[i] = true;
			for (size_t k = 0; k < n && ready[i]; k++)
				if (!taken[k] && k != i && depends_on_process(v[k], v[i]))
					ready[i] = false;
			if (ready[i] && (!top || order_cmp(v[i], top) > 0))
				top = v[i];
		}
		if (!top) {   /* a dependency cycle (config forbids it): take the rest at once */
			for (size_t i = 0; i < n; i++)
				ready[i] = !taken[i];
		}
		for (size_t i = 0; i < n; i++) {
			if (!ready[i] || (top && order_cmp(v[i], top) != 0))
				continue;
			taken[i] = true;
			b->procs[b->n] = v[i];
			b->wave[b->n] = wave;
			b->n++;
		}
		free(ready);
	}
	free(taken);
	b->next = batches;
	batches = b;
	stop_batch_advance();
}

bool stop_batch_pending(const struct process *p)
{
	for (struct stop_batch *b = batches; b; b = b->next)
		for (size_t i = 0; i < b->n; i++)
			if (b->procs[i] == p && b->wave[i] >= b->current)
				return true;
	return false;
}

void stop_batch_advance(void)
{
	static bool running;
	if (running)   /* process_stop() below changes states, which calls us again */
		return;
	running = true;
	for (struct stop_batch **bp = &batches; *bp; ) {
		struct stop_batch *b = *bp;
		unsigned last = b->n ? b->wave[b->n - 1] : 0;
		/* Stop the current wave; once all of it is down, go on with the next. */
		while (b->n && b->current <= last) {
			bool all_down = true;
			for (size_t i = 0; i < b->n; i++) {
				struct process *p = b->procs[i];
				if (!p || b->wave[i] != b->current)
					continue;
				if (!process_is_down(p) && p->state != PROC_STOPPING)
					process_stop(p);
				if (!process_is_down(p))
					all_down = false;
			}
			if (!all_down)
				break;
			b->current++;
		}
		if (!b->n || b->current > last) {
			*bp = b->next;
			free(b->procs);
			free(b->wave);
			free(b);
			continue;
		}
		bp = &b->next;
	}
	running = false;
}

void stop_batch_forget(struct process *p)
{
	for (struct stop_batch *b = batches; b; b = b->next)
		for (size_t i = 0; i < b->n; i++)
			if (b->procs[i] == p)
				b->procs[i] = NULL;
}
