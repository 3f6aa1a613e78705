/* Reload: parse the new config completely; on any error keep the old one untouched. Otherwise
 * diff per process (by full name) and apply only the difference: add, remove (stopped with the
 * OLD settings), restart what changed, update live settings in place, leave the rest alone. */
#include "core/reload.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>

#include "core/depends.h"
#include "core/events.h"
#include "os/log.h"
#include "os/logpipe.h"
#include "os/notify.h"
#include "os/scoreboard.h"
#include "core/supervisor.h"
#include "util.h"

#define RELOAD_ERRORS_MAX 10   /* errors listed in the reply; the log gets them all */

/* Configs replaced by a reload stay alive while a removed process still points into them. */
static struct drover_config **retired;
static size_t nretired;
static ev_timer gc_timer;
static bool gc_init;

static bool config_owns(const struct drover_config *c, const struct program_config *prog)
{
	return c->nprograms && prog >= c->programs && prog < c->programs + c->nprograms;
}

static void retired_gc(void)
{
	size_t w = 0;
	for (size_t i = 0; i < nretired; i++) {
		bool used = false;
		for (size_t k = 0; k < sup.nprocs && !used; k++)
			used = config_owns(retired[i], sup.procs[k]->prog);
		if (used)
			retired[w++] = retired[i];
		else
			config_free(retired[i]);
	}
	nretired = w;
}

/* Destroy removed processes that are down; runs from a timer, never inside their callbacks. */
static void gc_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	size_t wr = 0;
	for (size_t i = 0; i < sup.nprocs; i++) {
		struct process *p = sup.procs[i];
		if (p->removed && process_is_down(p)) {
			log_proc(LOG_INFO, p, "removed: %s", p->cfg->fullname);
			events_gone(p);
			stop_batch_forget(p);
			process_free(p);
			continue;
		}
		sup.procs[wr++] = p;
	}
	sup.nprocs = wr;
	supervisor_table_changed();
	retired_gc();
}

void reload_schedule_gc(void)
{
	if (!gc_init) {
		ev_timer_init(&gc_timer, gc_cb, 0., 0.);
		gc_init = true;
	}
	if (!ev_is_active(&gc_timer)) {
		ev_timer_set(&gc_timer, 0., 0.);
		ev_timer_start(sup.loop, &gc_timer);
	}
}

void reload_shutdown(void)
{
	if (gc_init)
		ev_timer_stop(sup.loop, &gc_timer);
	for (size_t i = 0; i < nretired; i++)
		config_free(retired[i]);
	free(retired);
	retired = NULL;
	nretired = 0;
}

static struct process *find_old(const char *fullname)
{
	for (size_t i = 0; i < sup.nprocs; i++)
		if (!sup.procs[i]->removed && strcmp(sup.procs[i]->cfg->fullname, fullname) == 0)
			return sup.procs[i];
	return NULL;
}

static int slot_free(struct process **procs, size_t n)
{
	for (int s = 0; ; s++) {
		bool used = false;
		for (size_t i = 0; i < n && !used; i++)
			used = procs[i]->slot == s;
		if (!used)
			return s;
	}
}

static void result_add(struct reload_result *ret, const char *name, enum proto_reload_action a)
{
	if (!ret)
		return;
	ret->entries = xrealloc(ret->entries, ret->n + 1, sizeof(*ret->entries));
	ret->entries[ret->n].name = xstrdup(name);
	ret->entries[ret->n].action = a;
	ret->n++;
}

static bool process_is_up(const struct process *p)
{
	return p->state == PROC_STARTING || p->state == PROC_RUNNING || p->state == PROC_BACKOFF;
}

static int fail(struct reload_result *ret, int r, char **errors, size_t nerrors)
{
	char status[200];
	size_t len = 0;
	char *text = NULL;

	for (size_t i = 0; i < nerrors; i++)
		log_error("reload: %s", errors[i]);
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
	snprintf(status, sizeof(status), "reload failed: %zu error%s, running gen %u: %s", nerrors,
	         nerrors == 1 ? "" : "s", sup.generation, nerrors ? errors[0] : strerror(-r));
	strcpy_bounded(sup.last_reload_error, sizeof(sup.last_reload_error), status);
	notify_set_error(status);
	notify_reload_done();
	if (ret) {
		ret->result = r;
		ret->errors = text;
	} else {
		free(text);
	}
	return r;
}

int reload_run(struct reload_result *ret)
{
	struct config_diag diag = { 0 };
	struct drover_config *nc = NULL, *oc = sup.config;
	unsigned n_added = 0, n_changed = 0, n_updated = 0, n_removed = 0, n_unchanged = 0;
	int r;

	if (ret)
		memset(ret, 0, sizeof(*ret));
	if (sup.shutting_down) {
		char *e = xstrdup("droverd is shutting down");
		r = fail(ret, -ESHUTDOWN, &e, 1);
		free(e);
		return r;
	}
	notify_reloading();
	r = config_load(sup.config_path, &nc, &diag);
	for (char **w = diag.warnings; w && *w; w++)
		log_warn("reload: %s", *w);
	if (r == 0 && strcmp(nc->name, oc->name) != 0) {
		strv_push(&diag.errors, xasprintf("%s: [drover] name: cannot change at runtime (running as '%s', file says '%s'); restart droverd",
		                                  nc->file, oc->name, nc->name));
		r = -EINVAL;
	}
	if (r < 0) {
		if (!diag.errors)
			strv_push(&diag.errors, xasprintf("%s: %s", sup.config_path, strerror(-r)));
		r = fail(ret, r, diag.errors, strv_length(diag.errors));
		config_diag_clear(&diag);
		config_free(nc);
		return r;
	}
	config_diag_clear(&diag);

	/* Build the new table: matched and added processes in the new config's order, then the
	 * removed ones, which stay (pointing at the old config) until they are down. */
	size_t total = 0;
	for (size_t i = 0; i < nc->nprograms; i++)
		total += nc->programs[i].nprocs;
	struct process **table = xcalloc(total + sup.nprocs + 1, sizeof(*table));
	struct process **restart = xcalloc(total + 1, sizeof(*restart));
	struct process **start = xcalloc(total + 1, sizeof(*start));
	size_t n = 0, nrestart = 0, nstart = 0;
	bool *kept = xcalloc(sup.nprocs + 1, sizeof(*kept));

	for (size_t i = 0; i < nc->nprograms; i++) {
		struct program_config *prog = &nc->programs[i];
		for (size_t k = 0; k < prog->nprocs; k++) {
			struct proc_config *pc = &prog->procs[k];
			struct process *p = find_old(pc->fullname);
			if (!p) {
				p = process_new(prog, pc);
				result_add(ret, pc->fullname, RELOAD_ADDED);
				n_added++;
				if (prog->autostart)
					start[nstart++] = p;
				table[n++] = p;
				continue;
			}
			for (size_t o = 0; o < sup.nprocs; o++)
				if (sup.procs[o] == p)
					kept[o] = true;
			bool same = proc_config_restart_equal(p->prog, p->cfg, prog, pc);
			bool live_same = config_program_live_equal(p->prog, prog);
			p->prog = prog;
			p->cfg = pc;
			if (!same) {
				result_add(ret, pc->fullname, RELOAD_CHANGED);
				n_changed++;
				if (process_is_up(p) || (prog->autostart && p->state != PROC_STOPPING && p->state != PROC_STOPPED))
					restart[nrestart++] = p;
			} else if (!live_same) {
				result_add(ret, pc->fullname, RELOAD_UPDATED);
				n_updated++;
			} else {
				result_add(ret, pc->fullname, RELOAD_UNCHANGED);
				n_unchanged++;
			}
			table[n++] = p;
		}
	}
	for (size_t o = 0; o < sup.nprocs; o++) {
		struct process *p = sup.procs[o];
		if (kept[o])
			continue;
		if (!p->removed) {
			result_add(ret, p->cfg->fullname, RELOAD_REMOVED);
			n_removed++;
			p->removed = true;
		}
		table[n++] = p;
	}
	/* New processes get the lowest free scoreboard slots; kept ones keep theirs. */
	for (size_t i = 0; i < n; i++)
		if (table[i]->slot < 0)
			table[i]->slot = slot_free(table, n);

	free(sup.procs);
	sup.procs = table;
	sup.nprocs = n;
	sup.config = nc;
	sup.generation++;
	retired = xrealloc(retired, nretired + 1, sizeof(*retired));
	retired[nretired++] = oc;
	supervisor_table_changed();
	(void) scoreboard_resize(n);   /* slots for added processes before any of them starts; logs */

	if (nc->subreaper != oc->subreaper && getpid() != 1)
		(void) prctl(PR_SET_CHILD_SUBREAPER, nc->subreaper ? 1 : 0);
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
		process_restart(restart[i]);
	supervisor_start_sorted(start, nstart);

	free(kept);
	free(restart);
	free(start);
	reload_schedule_gc();

	log_info("reload: generation %u: added %u, changed %u (restarted), updated %u (in place), removed %u, unchanged %u",
	         sup.generation, n_added, n_changed, n_updated, n_removed, n_unchanged);
	sup.last_reload_error[0] = '\0';
	notify_set_error(NULL);
	notify_reload_done();
	if (ret)
		ret->result = 0;
	return 0;
}

void reload_result_free(struct reload_result *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++)
		free(r->entries[i].name);
	free(r->entries);
	free(r->errors);
	memset(r, 0, sizeof(*r));
}

void reload_reopen_logs(void)
{
	logpipe_reopen_all();
}
