/* Reload: parse the new config completely; on any error keep the old one untouched. Otherwise
 * diff per process (by full name) and apply only the difference: add, remove (stopped with the
 * OLD settings), restart what changed, update live settings in place, leave the rest alone. */
#include "core/reload.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>

#include "conf/config-merge.h"
#include "conf/reload-plan.h"
#include "core/depends.h"
#include "core/events.h"
#include "core/fdbudget.h"
#include "core/health.h"
#include "core/table.h"
#include "os/log.h"
#include "os/logpipe.h"
#include "os/notify.h"
#include "os/scoreboard.h"
#include "util.h"

#define RELOAD_ERRORS_MAX 10   /* errors listed in the reply; the log gets them all */

static const char *config_path;
static bool gc_due;   /* a removed process may be down: free it in the settle step */
static struct reload_counts counts;   /* for the metrics */

static bool removed_and_down(const struct process *p)
{
	return p->removed && process_is_down(p);
}

static void on_state_changed(void *ctx, struct process *p, enum proc_state old)
{
	if (removed_and_down(p))
		gc_due = true;
}

static void on_gone(void *ctx, struct process *p)
{
	if (p->removed)
		log_proc(LOG_INFO, p, "removed: %s", p->cfg->fullname);
}

static bool settle(void *ctx)
{
	if (gc_due) {
		gc_due = false;
		table_drop(removed_and_down);
	}
	return false;
}

static struct events_subscriber subscriber = {
	.state_changed = on_state_changed, .gone = on_gone, .settle = settle,
};

void reload_init(const char *path)
{
	config_path = path;
	events_subscribe(&subscriber);
}

/* Live processes by full name (the plan names them): sorted, then searched. */
static int cmp_fullname(const void *a, const void *b)
{
	return strcmp((*(struct process *const *) a)->cfg->fullname, (*(struct process *const *) b)->cfg->fullname);
}

static struct process *find_old(struct process **sorted, size_t n, const char *fullname)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(sorted[mid]->cfg->fullname, fullname);
		if (c == 0)
			return sorted[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* New processes get the lowest scoreboard slots no other process holds; kept ones keep theirs. */
static void assign_slots(struct process **procs, size_t n)
{
	bool *used = xcalloc(n + 1, sizeof(*used));
	for (size_t i = 0; i < n; i++)
		if (procs[i]->slot >= 0 && (size_t) procs[i]->slot < n)
			used[procs[i]->slot] = true;
	size_t next = 0;
	for (size_t i = 0; i < n; i++) {
		if (procs[i]->slot >= 0)
			continue;
		while (used[next])
			next++;
		used[next] = true;
		procs[i]->slot = (int) next;
	}
	free(used);
}

static const enum proto_reload_action reported[PLAN_ACTION_MAX] = {
	[PLAN_UNCHANGED] = RELOAD_UNCHANGED, [PLAN_UPDATED] = RELOAD_UPDATED, [PLAN_CHANGED] = RELOAD_CHANGED,
	[PLAN_ADDED] = RELOAD_ADDED, [PLAN_REMOVED] = RELOAD_REMOVED,
};

static void result_add(struct reload_result *ret, const struct plan_entry *e)
{
	if (!ret)
		return;
	ret->entries = xrealloc(ret->entries, ret->n + 1, sizeof(*ret->entries));
	ret->entries[ret->n] = (struct reload_entry) { .name = xstrdup(e->fullname), .action = reported[e->action],
	                                               .prog = e->new_prog };
	ret->n++;
}

static bool process_is_up(const struct process *p)
{
	return p->state == PROC_STARTING || p->state == PROC_RUNNING || p->state == PROC_BACKOFF;
}

/* The errors for the reply: the first RELOAD_ERRORS_MAX lines, then how many more. */
static char *errors_text(char **errors, size_t nerrors)
{
	size_t len = 0;
	char *text = NULL;

	for (size_t i = 0; i < nerrors && i < RELOAD_ERRORS_MAX; i++) {
		size_t l = strlen(errors[i]);
		text = xrealloc(text, len + l + 2, 1);
		memcpy(text + len, errors[i], l);
		len += l;
		text[len++] = '\n';
		text[len] = '\0';
	}
	if (nerrors > RELOAD_ERRORS_MAX) {
		char more[64];
		int l = snprintf(more, sizeof(more), "(%zu more errors in the log)\n", nerrors - RELOAD_ERRORS_MAX);
		text = xrealloc(text, len + (size_t) l + 1, 1);
		memcpy(text + len, more, (size_t) l + 1);
	}
	return text;
}

/* Refuse with these errors (logged; the reply gets errors_text). A refused reload (applying)
 * also says so in systemd's STATUS= and ends its RELOADING=1. */
static int refuse(struct reload_result *ret, int r, char **errors, size_t nerrors, bool applying)
{
	for (size_t i = 0; i < nerrors; i++)
		log_error("reload: %s", errors[i]);
	if (applying) {
		counts.refused++;
		char status[200];
		snprintf(status, sizeof(status), "reload failed: %zu error%s, running gen %u: %s", nerrors,
		         nerrors == 1 ? "" : "s", tab.generation, nerrors ? errors[0] : strerror(-r));
		notify_set_error(status);
		notify_reload_done();
	}
	if (ret) {
		ret->result = r;
		ret->errors = errors_text(errors, nerrors);
	}
	return r;
}

/* Read the config file completely: 0 and *ret_nc, or the refusal (nothing applied). */
static int load(struct reload_result *ret, struct drover_config **ret_nc, bool applying)
{
	struct config_diag diag = { .no_lookups = true };
	struct drover_config *nc = NULL;
	int r;

	if (ret)
		memset(ret, 0, sizeof(*ret));
	if (process_shutting_down()) {
		char *e = xstrdup("droverd is shutting down");
		r = refuse(ret, -ESHUTDOWN, &e, 1, applying);
		free(e);
		return r;
	}
	if (applying)
		notify_reloading();
	r = config_load(config_path, &nc, &diag);
	for (char **w = diag.warnings; w && *w; w++)
		log_warn("reload: %s", *w);
	if (r == 0 && strcmp(nc->name, tab.config->name) != 0) {
		strv_push(&diag.errors, xasprintf("%s: [drover] name: cannot change at runtime (running as '%s', file says '%s'); restart droverd",
		                                  nc->file, tab.config->name, nc->name));
		r = -EINVAL;
	}
	if (r < 0) {
		if (!diag.errors)
			strv_push(&diag.errors, xasprintf("%s: %s", config_path, strerror(-r)));
		r = refuse(ret, r, diag.errors, strv_length(diag.errors), applying);
		config_diag_clear(&diag);
		config_free(nc);
		return r;
	}
	/* A config droverd could not hold all the processes of is refused like a broken one. */
	struct fdbudget budget;
	unsigned long limit;
	if (!fdbudget_check(nc, fdbudget_available(&limit), &budget)) {
		char msg[512];
		fdbudget_describe(&budget, limit, msg, sizeof(msg));
		strv_push(&diag.errors, xasprintf("%s: %s", config_path, msg));
		r = refuse(ret, -EINVAL, diag.errors, strv_length(diag.errors), applying);
		config_diag_clear(&diag);
		config_free(nc);
		return r;
	}
	config_diag_clear(&diag);
	*ret_nc = nc;
	return 0;
}

int reload_plan_only(struct reload_result *ret)
{
	struct drover_config *nc;
	struct reload_plan plan;
	int r = load(ret, &nc, false);
	if (r < 0)
		return r;
	reload_plan_build(tab.config, nc, &plan);
	for (size_t i = 0; i < plan.n; i++)
		result_add(ret, &plan.entries[i]);
	reload_plan_free(&plan);
	if (ret)
		ret->config = nc;   /* the entries point into it */
	else
		config_free(nc);
	return 0;
}

/* Apply NC (which the table takes over): WHAT names the request in the log ("reload"). */
static int apply(struct drover_config *nc, struct reload_result *ret, const char *what)
{
	struct drover_config *oc = tab.config;

	/* The plan: every process of the new config (added, changed, updated in place, unchanged)
	 * in its order, then the removed ones. */
	struct reload_plan plan;
	reload_plan_build(oc, nc, &plan);

	/* The new table in the plan's order, then the processes an earlier reload removed, which
	 * stay (pointing into their retired config) until they are down. */
	size_t nold = tab.n, nsorted = 0;
	struct process **table = xcalloc(plan.n + nold + 1, sizeof(*table));
	struct process **restart = xcalloc(plan.n + 1, sizeof(*restart));
	struct process **start = xcalloc(plan.n + 1, sizeof(*start));
	struct process **recheck = xcalloc(plan.n + 1, sizeof(*recheck));
	struct process **sorted = xcalloc(nold + 1, sizeof(*sorted));
	size_t n = 0, nrestart = 0, nstart = 0, nrecheck = 0;

	struct process **earlier = xcalloc(nold + 1, sizeof(*earlier));
	size_t nearlier = 0;
	for (size_t o = 0; o < nold; o++) {
		if (tab.procs[o]->removed)
			earlier[nearlier++] = tab.procs[o];
		else
			sorted[nsorted++] = tab.procs[o];
	}
	qsort(sorted, nsorted, sizeof(*sorted), cmp_fullname);
	for (size_t i = 0; i < plan.n; i++) {
		const struct plan_entry *e = &plan.entries[i];
		struct process *p = e->action == PLAN_ADDED ? process_new(e->new_prog, e->new_proc)
		                                             : find_old(sorted, nsorted, e->fullname);
		if (!p)   /* cannot happen: the plan's old side is the applied config, whose processes are these */
			continue;
		result_add(ret, e);
		switch (e->action) {
		case PLAN_ADDED:
			if (e->new_prog->autostart)
				start[nstart++] = p;
			break;
		case PLAN_CHANGED:
			process_set_config(p, e->new_prog, e->new_proc);
			if (process_is_up(p) || (e->new_prog->autostart && p->state != PROC_STOPPING && p->state != PROC_STOPPED))
				restart[nrestart++] = p;
			break;
		case PLAN_UPDATED:
			process_set_config(p, e->new_prog, e->new_proc);
			if (p->waiting_deps)   /* its depends_on may have changed: it may no longer wait */
				recheck[nrecheck++] = p;
			break;
		case PLAN_UNCHANGED:
			process_set_config(p, e->new_prog, e->new_proc);
			break;
		case PLAN_REMOVED:
			p->removed = true;
			break;
		case PLAN_ACTION_MAX:
			break;
		}
		table[n++] = p;
	}
	for (size_t i = 0; i < nearlier; i++)
		table[n++] = earlier[i];
	free(earlier);
	free(sorted);
	assign_slots(table, n);

	table_replace(nc, table, n);
	size_t nslots = 0;
	for (size_t i = 0; i < n; i++)
		if ((size_t) table[i]->slot + 1 > nslots)
			nslots = (size_t) table[i]->slot + 1;
	(void) scoreboard_resize((uint32_t) nslots);   /* slots before any added process starts; logs */
	health_replan();

	if (config_keyset_has(&plan.daemon_changed, DK_SUBREAPER) && getpid() != 1)
		(void) prctl(PR_SET_CHILD_SUBREAPER, nc->subreaper ? 1 : 0);
	process_configure(nc);
	events_config_applied(nc);   /* control_mode / control_group apply at once */

	/* Act: removed processes stop with their old settings; changed ones restart; added start. */
	struct process **gone = xcalloc(n + 1, sizeof(*gone));
	size_t ngone = 0;
	for (size_t i = 0; i < n; i++)
		if (table[i]->removed && !process_is_down(table[i]))
			gone[ngone++] = table[i];
	stop_batch_start(gone, ngone);
	free(gone);
	for (size_t i = 0; i < nrestart; i++)
		process_restart(restart[i], START_POLICY);
	table_start_sorted(start, nstart, START_POLICY);
	/* Nothing else wakes a process that waited for a dependency its new settings dropped (that
	 * one may be RUNNING already, or never come up). */
	for (size_t i = 0; i < nrecheck; i++)
		process_deps_changed(recheck[i]);
	free(restart);
	free(start);
	free(recheck);
	gc_due = true;

	log_info("%s: generation %u: added %zu, changed %zu (restarted), updated %zu (in place), removed %zu, unchanged %zu",
	         what, tab.generation, plan.count[PLAN_ADDED], plan.count[PLAN_CHANGED], plan.count[PLAN_UPDATED],
	         plan.count[PLAN_REMOVED], plan.count[PLAN_UNCHANGED]);
	reload_plan_free(&plan);
	notify_set_error(NULL);
	notify_reload_done();
	counts.applied++;
	if (ret)
		ret->result = 0;
	return 0;
}

int reload_run(struct reload_result *ret)
{
	struct drover_config *nc = NULL;
	int r = load(ret, &nc, true);
	return r < 0 ? r : apply(nc, ret, "reload");
}

int reload_update(const char *const *groups, size_t n, struct reload_result *ret)
{
	struct drover_config *nc = NULL, *mc;
	struct config_diag diag = { .no_lookups = true };
	size_t nknown = 0;
	int r = load(ret, &nc, true);
	if (r < 0)
		return r;

	for (size_t i = 0; i < n; i++) {
		if (config_has_group(tab.config, groups[i]) || config_has_group(nc, groups[i])) {
			nknown++;
		} else if (ret) {
			ret->unknown = xrealloc(ret->unknown, ret->nunknown + 1, sizeof(*ret->unknown));
			ret->unknown[ret->nunknown++] = i;
		}
	}
	mc = nknown ? config_merge_groups(tab.config, nc, groups, n, &diag) : NULL;
	config_free(nc);
	if (!nknown) {
		notify_reload_done();
		return 0;
	}
	if (!mc) {
		r = refuse(ret, -EINVAL, diag.errors, strv_length(diag.errors), true);
		config_diag_clear(&diag);
		return r;
	}
	char what[200];
	size_t len = (size_t) snprintf(what, sizeof(what), "update");
	for (size_t i = 0; i < n && len < sizeof(what); i++)
		len += (size_t) snprintf(what + len, sizeof(what) - len, " %s", groups[i]);
	return apply(mc, ret, what);
}

void reload_counts(struct reload_counts *ret)
{
	*ret = counts;
}

void reload_result_free(struct reload_result *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++)
		free(r->entries[i].name);
	free(r->entries);
	free(r->errors);
	free(r->unknown);
	config_free(r->config);
	memset(r, 0, sizeof(*r));
}

void reload_reopen_logs(void)
{
	logpipe_reopen_all();
}
