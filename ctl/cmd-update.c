/* droverctl reread | update [GROUP...] | avail: supervisorctl's config commands.
 *
 * droverd computes a reload plan per process (added, changed: restarted, updated in place,
 * removed, unchanged). supervisorctl speaks of process groups ("g" for [group:g], a program's
 * own group otherwise), so the lines here are per group:
 *   reread   G: available | G: changed | G: disappeared, or "No config updates to processes";
 *   update   G: stopped + G: removed process group | [G: stopped +] G: updated process group |
 *            G: added process group ("G: stopped" only when droverd stopped a process of G: an
 *            update in place restarts nothing);
 *   avail    one line per process of the config file: in use | avail, auto | manual, priorities.
 * A config with errors changes nothing; its errors are printed as "ERROR: CANT_REREAD: ..." (the
 * words of supervisorctl's refusal, then droverd's FILE:LINE lines). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "output.h"
#include "util.h"

/* What happened to one group, from the actions of its processes. */
enum group_change { GROUP_NONE, GROUP_ADDED, GROUP_CHANGED, GROUP_REMOVED };

struct group {
	char name[PROTO_NAME_MAX];
	unsigned actions;        /* bit per enum proto_reload_action seen */
	bool stopped;            /* a process of it was restarted or removed */
};

static void group_of(char *out, size_t size, const char *fullname)
{
	snprintf(out, size, "%.*s", (int) strcspn(fullname, ":"), fullname);
}

static enum group_change change_of(const struct group *g)
{
	unsigned all = g->actions;
	if (all == (1u << RELOAD_ADDED))
		return GROUP_ADDED;
	if (all == (1u << RELOAD_REMOVED))
		return GROUP_REMOVED;
	if (all & ~(1u << RELOAD_UNCHANGED))
		return GROUP_CHANGED;
	return GROUP_NONE;
}

static int cmp_group(const void *a, const void *b)
{
	return strcmp(((const struct group *) a)->name, ((const struct group *) b)->name);
}

/* The groups of the plan's records, sorted by name. */
static struct group *groups_of(const struct proto_reply *rep, size_t *ret_n)
{
	size_t n = 0, nrec = rep->results ? rep->nrecords : 0;
	struct group *v = xcalloc(nrec + 1, sizeof(*v));
	for (size_t i = 0; i < nrec; i++) {
		const struct proto_result *res = &rep->results[i];
		char name[PROTO_NAME_MAX], g[PROTO_NAME_MAX];
		size_t k;
		snprintf(name, sizeof(name), "%.*s", (int) FIELD_LEN(res->name), res->name);
		group_of(g, sizeof(g), name);
		for (k = 0; k < n && strcmp(v[k].name, g) != 0; k++)
			;
		if (k == n)
			snprintf(v[n++].name, sizeof(v[0].name), "%s", g);
		v[k].actions |= 1u << res->action;
		if (res->action == RELOAD_CHANGED || res->action == RELOAD_REMOVED)
			v[k].stopped = true;
	}
	qsort(v, n, sizeof(*v), cmp_group);
	*ret_n = n;
	return v;
}

/* A refused reread: the config has errors (its FILE:LINE lines), or another failure. */
static int plan_error(struct ctl_ctx *ctx, const char *cmd, const struct proto_reply *rep)
{
	if (rep->result == -EINVAL && rep->message && rep->message[0] && !ctx->json) {
		const char *p = rep->message;
		while (*p) {
			size_t l = strcspn(p, "\n");
			if (l > 0)
				fprintf(ctx->out, "ERROR: CANT_REREAD: %.*s\n", (int) l, p);
			p += l;
			if (*p)
				p++;
		}
		return CTL_EXIT_FAILED;
	}
	if (ctx->json) {
		struct json j;
		json_init(&j, ctx->out);
		json_begin_object(&j, NULL);
		json_strn(&j, "error", rep->message ? rep->message : "", rep->message ? rep->message_len : 0);
		json_end_object(&j);
		json_finish(&j);
		return CTL_EXIT_FAILED;
	}
	return ctl_reply_error(ctx, cmd, rep);
}

/* The process-level document, as `reload --json` writes it. */
static void plan_json(struct ctl_ctx *ctx, const struct proto_reply *rep)
{
	static const struct { enum proto_reload_action action; const char *key; } keys[] = {
		{ RELOAD_ADDED, "added" }, { RELOAD_CHANGED, "changed" },
		{ RELOAD_UPDATED, "updated" }, { RELOAD_REMOVED, "removed" },
	};
	size_t n = rep->results ? rep->nrecords : 0, unchanged = 0;
	struct json j;
	json_init(&j, ctx->out);
	json_begin_object(&j, NULL);
	for (size_t k = 0; k < ELEMENTSOF(keys); k++) {
		json_begin_array(&j, keys[k].key);
		for (size_t i = 0; i < n; i++)
			if (rep->results[i].action == keys[k].action)
				json_strn(&j, NULL, rep->results[i].name, FIELD_LEN(rep->results[i].name));
		json_end_array(&j);
	}
	for (size_t i = 0; i < n; i++)
		unchanged += rep->results[i].action == RELOAD_UNCHANGED;
	json_uint(&j, "unchanged", unchanged);
	json_end_object(&j);
	json_finish(&j);
}

int cmd_reread_run(struct ctl_ctx *ctx, const struct cmd_args *a)
{
	static const char *const words[] = {
		[GROUP_ADDED] = "available", [GROUP_CHANGED] = "changed", [GROUP_REMOVED] = "disappeared",
	};
	struct proto_reply rep;
	size_t n, printed = 0;
	int r = ctl_call(ctx, PROTO_REREAD, 0, 0, 0, NULL, 0, &rep);
	if (r)
		return r;
	if (rep.result < 0) {
		r = plan_error(ctx, "reread", &rep);
		goto out;
	}
	if (ctx->json) {
		plan_json(ctx, &rep);
		goto out;
	}
	struct group *g = groups_of(&rep, &n);
	for (size_t i = 0; i < n; i++) {
		enum group_change c = change_of(&g[i]);
		char esc[PROTO_NAME_MAX * 4];
		if (c == GROUP_NONE)
			continue;
		escape_line(esc, sizeof(esc), g[i].name);
		fprintf(ctx->out, "%s: %s\n", esc, words[c]);
		printed++;
	}
	if (printed == 0)
		fputs("No config updates to processes\n", ctx->out);
	free(g);
out:
	proto_reply_free(&rep);
	return r;
}

int cmd_update_run(struct ctl_ctx *ctx, const struct cmd_args *a)
{
	struct proto_reply rep;
	const char *const *groups = a->pos;
	size_t n, ngroups = a->npos;
	int r;

	/* "update all" is "update" (whatever else is named) */
	for (size_t i = 0; i < a->npos; i++)
		if (strcmp(a->pos[i], "all") == 0)
			ngroups = 0;
	r = ctl_call(ctx, PROTO_UPDATE, 0, 0, ngroups, groups, 0, &rep);
	if (r)
		return r;
	if (rep.result < 0) {
		r = plan_error(ctx, "update", &rep);
		goto out;
	}
	for (uint32_t i = 0; i < rep.nunmatched; i++) {
		char esc[PROTO_NAME_MAX * 4];
		escape_line(esc, sizeof(esc), rep.unmatched[i] < ngroups ? groups[rep.unmatched[i]] : "?");
		fprintf(ctx->json ? ctx->err : ctx->out, "ERROR: no such group: %s\n", esc);
		r = CTL_EXIT_FAILED;
	}
	if (ctx->json) {
		plan_json(ctx, &rep);
		goto out;
	}
	/* supervisorctl's order: removed groups, then changed ones, then added ones */
	struct group *g = groups_of(&rep, &n);
	static const enum group_change order[] = { GROUP_REMOVED, GROUP_CHANGED, GROUP_ADDED };
	for (size_t o = 0; o < ELEMENTSOF(order); o++)
		for (size_t i = 0; i < n; i++) {
			char esc[PROTO_NAME_MAX * 4];
			if (change_of(&g[i]) != order[o])
				continue;
			escape_line(esc, sizeof(esc), g[i].name);
			if (g[i].stopped)
				fprintf(ctx->out, "%s: stopped\n", esc);
			fprintf(ctx->out, "%s: %s process group\n", esc,
			        order[o] == GROUP_REMOVED ? "removed" : order[o] == GROUP_CHANGED ? "updated" : "added");
		}
	free(g);
out:
	proto_reply_free(&rep);
	return r;
}

int cmd_avail_run(struct ctl_ctx *ctx, const struct cmd_args *a)
{
	struct proto_reply rep;
	struct json j;
	int r = ctl_call(ctx, PROTO_AVAIL, 0, 0, 0, NULL, 0, &rep);
	if (r)
		return r;
	if (rep.result < 0) {
		r = plan_error(ctx, "avail", &rep);
		goto out;
	}
	json_init(&j, ctx->out);
	if (ctx->json)
		json_begin_array(&j, NULL);
	for (size_t i = 0; rep.avail && i < rep.nrecords; i++) {
		const struct proto_avail *av = &rep.avail[i];
		char name[PROTO_NAME_MAX * 4], prio[32];
		if (ctx->json) {
			json_begin_object(&j, NULL);
			json_strn(&j, "name", av->name, FIELD_LEN(av->name));
			json_strn(&j, "group", av->group, FIELD_LEN(av->group));
			json_bool(&j, "in_use", av->flags & PROTO_AV_IN_USE);
			json_bool(&j, "autostart", av->flags & PROTO_AV_AUTOSTART);
			json_int(&j, "group_priority", av->group_priority);
			json_int(&j, "priority", av->priority);
			json_end_object(&j);
			continue;
		}
		SAFE_FIELD(name, av->name);
		snprintf(prio, sizeof(prio), "%d:%d", (int) av->group_priority, (int) av->priority);
		/* supervisorctl's columns */
		fprintf(ctx->out, "%-32s %-9s %-9s %s\n", name, av->flags & PROTO_AV_IN_USE ? "in use" : "avail",
		        av->flags & PROTO_AV_AUTOSTART ? "auto" : "manual", prio);
	}
	if (ctx->json) {
		json_end_array(&j);
		json_finish(&j);
	}
out:
	proto_reply_free(&rep);
	return r;
}
