/* depends_on: a process spawns only once every process of its dependencies is RUNNING (with
 * ready = anything but startsecs: ready), or, for NAME:completed, has EXITED with an expected exit
 * code (a one-shot job: migrations before the server); it waits in STARTING with no pid, saying
 * what for ("waiting for migrate: exited 1" while the job's last run failed).
 * Stops run in waves: dependants before dependencies, higher (group) priority first.
 *
 * State changes are only recorded here (which dependency came up, which went down, a wave may
 * be done); the settle step acts on them once per loop iteration: it spawns the dependants that
 * waited, restarts those with restart_with_dependency, and stops the next waves. */
#include "core/depends.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "core/events.h"
#include "core/stopwave.h"
#include "core/table.h"
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

/* q, a one-shot dependency, has completed: its last run exited with an expected code. */
static bool completed(const struct process *q)
{
	return q->state == PROC_EXITED && q->have_exit && WIFEXITED(q->exit_wstatus) &&
	       program_exitcode_expected(q->prog, WEXITSTATUS(q->exit_wstatus));
}

/* Why a one-shot dependency q is not completed, when it failed: "exited 1", "FATAL". */
static void failure_of(const struct process *q, char *buf, size_t size)
{
	buf[0] = '\0';
	if (q->state == PROC_FATAL)
		snprintf(buf, size, "FATAL");
	else if (q->state == PROC_EXITED && q->have_exit && WIFEXITED(q->exit_wstatus))
		snprintf(buf, size, "exited %d", WEXITSTATUS(q->exit_wstatus));
	else if (q->state == PROC_EXITED && q->have_exit && WIFSIGNALED(q->exit_wstatus))
		snprintf(buf, size, "killed by SIG%s", signal_to_string(WTERMSIG(q->exit_wstatus)));
}

bool depends_satisfied(const struct process *p, char *why, size_t size)
{
	size_t len = 0;
	bool ok = true;

	if (size)
		why[0] = '\0';
	for (char **d = p->prog->depends_on; d && *d; d++) {
		bool once = program_depends_completed(p->prog, *d), met = true;
		char failed[64] = "";
		for (size_t i = 0; i < tab.n && met; i++) {
			const struct process *q = tab.procs[i];
			if (!q->removed && depends_on_process(p, q) &&
			    (strcmp(*d, q->prog->name) == 0 || strcmp(*d, q->prog->group) == 0)) {
				met = once ? completed(q) : q->state == PROC_RUNNING;
				if (!met && once)
					failure_of(q, failed, sizeof(failed));
			}
		}
		if (met)
			continue;
		ok = false;
		if (size && len < size) {
			int n = snprintf(why + len, size - len, "%s%s%s%s", len ? ", " : "waiting for ", *d, failed[0] ? ": " : "",
			                 failed);
			if (n > 0)
				len += (size_t) n;
		}
	}
	return ok;
}

void depends_start_for(struct process *p, enum start_origin by)
{
	if (!p->prog->depends_on)
		return;
	struct process **v = xcalloc(tab.n + 1, sizeof(*v));
	size_t n = 0;
	for (size_t i = 0; i < tab.n; i++) {
		struct process *q = tab.procs[i];
		/* a one-shot that completed is not run again; one that failed is (a retry) */
		if (!q->removed && depends_on_process(p, q) &&
		    (q->state == PROC_STOPPED ||
		     (q->state == PROC_EXITED && !(program_depends_completed(p->prog, q->prog->name) && completed(q)))) &&
		    (by == START_USER || !q->held))
			v[n++] = q;
	}
	table_start_sorted(v, n, by);   /* process_start() recurses into their own dependencies */
	free(v);
}

/* ---- what the settle step has to do ---- */

struct proc_list {
	struct process **v;
	size_t n, cap;
};

static struct proc_list came_up;     /* entered RUNNING, or ended (EXITED, FATAL, BACKOFF): dependants
                                      * waiting for them may spawn, or say why they still wait */
static struct proc_list went_down;   /* left RUNNING: restart_with_dependency */
static bool waves_due;               /* a stop batch may advance */

struct stop_batch {
	struct stop_batch *next;
	size_t n;
	struct process **procs;   /* by wave, each wave in the set's order; NULL once freed */
	unsigned *stops0;         /* each member's stop count when its wave began */
	size_t *wave_end;         /* wave k is procs[k ? wave_end[k - 1] : 0 .. wave_end[k]) */
	unsigned nwaves, current;
};

static struct stop_batch *batches;

static void list_add(struct proc_list *l, struct process *p)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 16;
		l->v = xrealloc(l->v, l->cap, sizeof(*l->v));
	}
	l->v[l->n++] = p;
}

static void list_forget(struct proc_list *l, const struct process *p)
{
	size_t w = 0;
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i] != p)
			l->v[w++] = l->v[i];
	l->n = w;
}

static void on_state_changed(void *ctx, struct process *p, enum proc_state old)
{
	if (p->state == PROC_RUNNING || p->state == PROC_EXITED || p->state == PROC_FATAL || p->state == PROC_BACKOFF)
		list_add(&came_up, p);
	if (old == PROC_RUNNING && p->state != PROC_RUNNING && !process_shutting_down())
		list_add(&went_down, p);
	if (batches)
		waves_due = true;
}

static void on_gone(void *ctx, struct process *p)
{
	list_forget(&came_up, p);
	list_forget(&went_down, p);
	for (struct stop_batch *b = batches; b; b = b->next)
		for (size_t i = 0; i < b->n; i++)
			if (b->procs[i] == p)
				b->procs[i] = NULL;
}

/* The processes that may have to act when a dependency changes: one pass over the table per
 * settle, not one per process that came up (a cold start of n would cost n^2). */
static void collect(struct proc_list *l, bool (*wanted)(const struct process *q))
{
	for (size_t i = 0; i < tab.n; i++)
		if (wanted(tab.procs[i]))
			list_add(l, tab.procs[i]);
}

static bool is_waiting(const struct process *q)
{
	return q->waiting_deps;
}

static bool restarts_with_dependency(const struct process *q)
{
	return q->prog->restart_with_dependency && q->prog->depends_on;
}

/* Dependants that waited for one of up spawn now (if nothing else keeps them waiting). */
static void release_dependants(const struct proc_list *up)
{
	struct proc_list waiting = { 0 };
	collect(&waiting, is_waiting);
	for (size_t i = 0; i < up->n; i++)
		for (size_t k = 0; k < waiting.n; k++) {
			struct process *q = waiting.v[k];
			if (q->waiting_deps && depends_on_process(q, up->v[i]))
				process_deps_changed(q);
		}
	free(waiting.v);
}

static void restart_dependants(const struct proc_list *down)
{
	struct proc_list cand = { 0 };
	collect(&cand, restarts_with_dependency);
	for (size_t i = 0; i < down->n; i++)
		for (size_t k = 0; k < cand.n; k++) {
			struct process *q = cand.v[k];
			/* a one-shot leaving RUNNING is its job done, not a dependency going away; only those
			 * with a worker: one still waiting to spawn waits for the dependency anyway */
			if (depends_on_process(q, down->v[i]) && !program_depends_completed(q->prog, down->v[i]->prog->name) &&
			    q->pid > 0 && (q->state == PROC_RUNNING || q->state == PROC_STARTING))
				process_restart(q, START_POLICY);
		}
	free(cand.v);
}

static size_t wave_begin(const struct stop_batch *b, unsigned k)
{
	return k ? b->wave_end[k - 1] : 0;
}

static void wave_snapshot(struct stop_batch *b)
{
	for (size_t i = wave_begin(b, b->current); i < b->wave_end[b->current]; i++)
		if (b->procs[i])
			b->stops0[i] = b->procs[i]->stops;
}

/* Stop the current wave; once all of it has stopped, go on with the next. true: stopped some. */
static bool batch_advance(struct stop_batch *b)
{
	bool acted = false;
	while (b->current < b->nwaves) {
		bool done = true;
		for (size_t i = wave_begin(b, b->current); i < b->wave_end[b->current]; i++) {
			struct process *p = b->procs[i];
			if (!p || p->stops != b->stops0[i] || process_is_stopped(p))
				continue;
			if (p->state != PROC_STOPPING) {
				process_stop(p);
				acted = true;
			}
			if (p->stops == b->stops0[i] && !process_is_stopped(p))
				done = false;
		}
		if (!done)
			break;
		if (++b->current < b->nwaves)
			wave_snapshot(b);
	}
	return acted;
}

static void batch_free(struct stop_batch *b)
{
	free(b->procs);
	free(b->stops0);
	free(b->wave_end);
	free(b);
}

void stop_batch_start(struct process **v, size_t n)
{
	if (n == 0)
		return;
	struct stopwave_item *items = xcalloc(n, sizeof(*items));
	unsigned *wave = xcalloc(n, sizeof(*wave));
	for (size_t i = 0; i < n; i++)
		items[i] = (struct stopwave_item) {
			.program = v[i]->prog->name, .group = v[i]->prog->group, .depends_on = v[i]->prog->depends_on,
			.group_priority = v[i]->prog->group_priority,
		};
	unsigned nwaves = stopwave_plan(items, n, wave);

	/* Members by wave (a counting sort keeps the set's order within a wave). */
	struct stop_batch *b = xcalloc(1, sizeof(*b));
	b->n = n;
	b->nwaves = nwaves;
	b->procs = xcalloc(n, sizeof(*b->procs));
	b->stops0 = xcalloc(n, sizeof(*b->stops0));
	b->wave_end = xcalloc(nwaves + 1, sizeof(*b->wave_end));
	for (size_t i = 0; i < n; i++)
		b->wave_end[wave[i]]++;
	for (unsigned k = 1; k < nwaves; k++)
		b->wave_end[k] += b->wave_end[k - 1];
	for (size_t i = n; i-- > 0; )
		b->procs[--b->wave_end[wave[i]]] = v[i];
	for (unsigned k = 0; k < nwaves; k++)   /* the counting sort left each at its wave's start */
		b->wave_end[k] = k + 1 < nwaves ? b->wave_end[k + 1] : n;
	free(wave);
	free(items);

	b->next = batches;
	batches = b;
	wave_snapshot(b);
	(void) batch_advance(b);   /* the first wave now */
	waves_due = true;
}

static bool settle(void *ctx)
{
	bool acted = false;

	if (came_up.n) {
		struct proc_list l = came_up;
		came_up = (struct proc_list) { 0 };
		release_dependants(&l);
		free(l.v);
		acted = true;
	}
	if (went_down.n) {
		struct proc_list l = went_down;
		went_down = (struct proc_list) { 0 };
		if (!process_shutting_down())
			restart_dependants(&l);
		free(l.v);
		acted = true;
	}
	if (waves_due) {
		waves_due = false;
		for (struct stop_batch **bp = &batches; *bp; ) {
			struct stop_batch *b = *bp;
			acted |= batch_advance(b);
			if (b->current >= b->nwaves) {
				*bp = b->next;
				batch_free(b);
				continue;
			}
			bp = &b->next;
		}
	}
	return acted;
}

static struct events_subscriber subscriber = {
	.state_changed = on_state_changed, .gone = on_gone, .settle = settle,
};

void depends_init(void)
{
	events_subscribe(&subscriber);
}
