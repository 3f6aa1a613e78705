/* The lifecycle manager: control requests by pattern, one result per process (see manager.h). */
#include "core/manager.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/checks.h"
#include "core/depends.h"
#include "core/eventpool.h"
#include "core/match.h"
#include "core/process.h"
#include "core/reload.h"
#include "core/supervisor.h"
#include "core/table.h"
#include "os/logpipe.h"
#include "util.h"

void manager_match(const char *const *patterns, size_t npatterns, struct mgr_set *ret)
{
	static const char *const all[] = { "all" };
	const char *const *pat = npatterns ? patterns : all;
	size_t npat = npatterns ? npatterns : 1;
	bool *taken = xcalloc(tab.n + 1, sizeof(*taken));
	size_t n = 0, nunmatched = 0;

	ret->v = xcalloc(tab.n + npat + 1, sizeof(*ret->v));
	for (size_t k = 0; k < npat; k++) {
		bool hit = false;
		for (size_t i = 0; i < tab.n; i++) {
			struct process *p = tab.procs[i];
			struct match_names names = { p->prog->group, p->prog->name, p->cfg->name, p->cfg->fullname };
			if (!match_pattern(pat[k], &names))
				continue;
			hit = true;
			if (taken[i])
				continue;
			taken[i] = true;
			ret->v[n++] = (struct mgr_item) { .p = p, .name = p->cfg->fullname, .spawns = p->spawns,
			                                  .pattern = (unsigned) k };
		}
		if (!hit)
			ret->v[tab.n + nunmatched++] = (struct mgr_item) { .name = pat[k], .result = -ENOENT,
			                                                    .pattern = (unsigned) k };
	}
	memmove(ret->v + n, ret->v + tab.n, nunmatched * sizeof(*ret->v));
	ret->n = n + nunmatched;
	ret->nprocs = n;
	free(taken);
}

void manager_set_free(struct mgr_set *s)
{
	free(s->v);
	*s = (struct mgr_set) { 0 };
}

static int first_error(const struct mgr_set *s)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->v[i].result != 0)
			return s->v[i].result;
	return 0;
}

/* Start and restart are refused during a shutdown and for a process a reload removed. */
static int refuse_start(const struct process *p)
{
	if (process_shutting_down())
		return -ESHUTDOWN;
	if (p->removed)
		return -EIDRM;
	return 0;
}

static int cmp_user_start(const void *a, const void *b)
{
	return table_start_cmp((*(struct mgr_item *const *) a)->p, (*(struct mgr_item *const *) b)->p, START_USER);
}

int manager_start(struct mgr_set *s)
{
	/* in supervisord's "start all" order; the results stay in the set's order */
	struct mgr_item **order = xcalloc(s->nprocs + 1, sizeof(*order));
	for (size_t i = 0; i < s->nprocs; i++)
		order[i] = &s->v[i];
	qsort(order, s->nprocs, sizeof(*order), cmp_user_start);
	for (size_t i = 0; i < s->nprocs; i++) {
		struct mgr_item *it = order[i];
		struct process *p = it->p;
		it->spawns = p->spawns;
		if ((it->result = refuse_start(p)) < 0)
			continue;
		/* supervisord: STARTING, RUNNING and BACKOFF are "already started" */
		if (p->state == PROC_STARTING || p->state == PROC_RUNNING || p->state == PROC_BACKOFF) {
			/* One waiting for a dependency the user stopped would wait for good: the user's
			 * start of a dependant lifts that stop, as it does when the dependant is down. */
			if (p->state == PROC_STARTING && p->waiting_deps)
				depends_start_for(p, START_USER);
			it->result = -EALREADY;
			continue;
		}
		if (p->state == PROC_STOPPING)
			process_restart(p, START_USER);   /* starts once it is down */
		else
			process_start(p, START_USER);
	}
	free(order);
	return first_error(s);
}

int manager_stop(struct mgr_set *s)
{
	struct process **v = xcalloc(s->nprocs + 1, sizeof(*v));
	size_t n = 0;

	for (size_t i = 0; i < s->nprocs; i++) {
		struct mgr_item *it = &s->v[i];
		struct process *p = it->p;
		it->spawns = p->spawns;
		process_hold(p);   /* the user wants it down: no policy starts it again */
		if (p->state == PROC_STOPPED || p->state == PROC_EXITED || p->state == PROC_FATAL ||
		    p->state == PROC_UNKNOWN) {
			if (p->state == PROC_FATAL)
				process_stop(p);   /* cancels a pending fatal_retry */
			it->result = -ESRCH;
			continue;
		}
		it->result = 0;
		v[n++] = p;   /* stopped together: dependants first */
	}
	stop_batch_start(v, n);
	free(v);
	return first_error(s);
}

int manager_restart(struct mgr_set *s)
{
	for (size_t i = 0; i < s->nprocs; i++) {
		struct mgr_item *it = &s->v[i];
		it->spawns = it->p->spawns;
		if ((it->result = refuse_start(it->p)) < 0)
			continue;
		process_restart(it->p, START_USER);
	}
	return first_error(s);
}

int manager_signal(struct mgr_set *s, int sig)
{
	for (size_t i = 0; i < s->nprocs; i++)
		s->v[i].result = process_signal(s->v[i].p, sig);
	return first_error(s);
}

int manager_progress(const struct process *p, enum mgr_goal goal, unsigned spawns0)
{
	switch (goal) {
	case MGR_GOAL_RUNNING:
	case MGR_GOAL_STARTED:
		if (p->state == PROC_FATAL)
			return -EIO;
		if (goal == MGR_GOAL_STARTED && p->spawns == spawns0)
			return -EINPROGRESS;   /* only a spawn after the action counts */
		switch (p->state) {
		case PROC_RUNNING:
			return 0;
		case PROC_EXITED:
		case PROC_STOPPED:
			return -EIO;
		default:
			return -EINPROGRESS;
		}
	case MGR_GOAL_STOPPED:
		if (p->state == PROC_STOPPED || p->state == PROC_EXITED || p->state == PROC_FATAL)
			return 0;
		return -EINPROGRESS;
	}
	return -EINVAL;
}

const char *manager_name(const struct process *p)
{
	return p->cfg->fullname;
}

enum proc_state manager_state(const struct process *p)
{
	return p->state;
}

void manager_status(const struct process *p, struct proto_status *ret)
{
	process_status(p, ret);
	checks_status(p, ret);
	/* a listener reports nothing itself: its status line is its protocol state and counters */
	if (!ret->status_line[0])
		(void) eventpool_describe(p, ret->status_line, sizeof(ret->status_line));
}

unsigned manager_why(const struct process *p, char *buf, size_t size)
{
	struct proto_status s;
	process_status(p, &s);
	strcpy_bounded(buf, size, s.description);
	unsigned flags = 0;
	if (p->execs > 0)   /* a child that failed before its command (unknown user) wrote nothing */
		flags |= MGR_WHY_OUTPUT;
	if (p->prog->redirect_stderr)
		flags |= MGR_WHY_STDERR_IN_STDOUT;
	return flags;
}

size_t manager_dependants_up(const struct process *p, char *buf, size_t size)
{
	size_t n = 0, len = 0;
	if (size)
		buf[0] = '\0';
	for (size_t i = 0; i < tab.n; i++) {
		const struct process *q = tab.procs[i];
		if (q == p || !(q->state == PROC_STARTING || q->state == PROC_RUNNING || q->state == PROC_BACKOFF) ||
		    !depends_on_process(q, p))
			continue;
		n++;
		if (len + 1 < size) {
			int w = snprintf(buf + len, size - len, "%s%s", len ? ", " : "", q->cfg->fullname);
			len = w < 0 ? len : len + (size_t) w >= size ? size - 1 : len + (size_t) w;
		}
	}
	return n;
}

_Static_assert(MGR_LINES_ALL == LOGPIPE_LINES_ALL, "the manager passes line counts through");

int manager_tail(const struct process *p, int stream, unsigned lines, uint64_t since_ns, char **ret_text,
                 size_t *ret_len)
{
	return logpipe_tail(p->out, stream, lines, since_ns, ret_text, ret_len);
}

int manager_follow(struct process *p, int stream, unsigned lines, uint64_t since_ns, const char *fifo_path)
{
	return logpipe_follow(p->out, stream, lines, since_ns, fifo_path);
}

int manager_reload(struct reload_result *ret)
{
	return reload_run(ret);
}

int manager_plan(struct reload_result *ret)
{
	return reload_plan_only(ret);
}

int manager_update(const char *const *groups, size_t n, struct reload_result *ret)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(groups[i], "all") == 0)
			n = 0;      /* supervisorctl: "all" among the names is every group */
	return n ? reload_update(groups, n, ret) : reload_run(ret);
}

void manager_shutdown(void)
{
	supervisor_shutdown();
}

bool manager_shutting_down(void)
{
	return process_shutting_down();
}
