/* The running config with some process groups taken from the file (supervisorctl's update
 * GROUP...). Programs are found by (group, name) through sorted indexes, so a merge of
 * thousands of programs stays O(n log n). */
#include "conf/config-merge.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

/* Programs of one config sorted by (group, name). */
struct prog_index {
	const struct program_config **v;
	size_t n;
};

static int cmp_group_name(const void *a, const void *b)
{
	const struct program_config *x = *(const struct program_config *const *) a;
	const struct program_config *y = *(const struct program_config *const *) b;
	int r = strcmp(x->group, y->group);
	return r ? r : strcmp(x->name, y->name);
}

static void index_build(const struct drover_config *c, struct prog_index *ix)
{
	ix->n = c->nprograms;
	ix->v = xcalloc(ix->n ? ix->n : 1, sizeof(*ix->v));
	for (size_t i = 0; i < ix->n; i++)
		ix->v[i] = &c->programs[i];
	qsort(ix->v, ix->n, sizeof(*ix->v), cmp_group_name);
}

static const struct program_config *index_find(const struct prog_index *ix, const char *group, const char *name)
{
	struct program_config key = { .group = (char *) group, .name = (char *) name };
	const struct program_config *k = &key, *const *hit = bsearch(&k, ix->v, ix->n, sizeof(*ix->v), cmp_group_name);
	return hit ? *hit : NULL;
}

bool config_has_group(const struct drover_config *c, const char *group)
{
	for (size_t i = 0; i < c->nprograms; i++)
		if (strcmp(c->programs[i].group, group) == 0)
			return true;
	return false;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *) a, *(const char *const *) b);
}

/* The named groups, sorted for bsearch. */
struct selection {
	const char **v;
	size_t n;
};

static bool selected(const struct selection *s, const char *group)
{
	return bsearch(&group, s->v, s->n, sizeof(*s->v), cmp_str) != NULL;
}

/* ---- the rules between programs that a merge can break ---- */

struct dep_check {
	const struct drover_config *c;
	const struct selection *sel;
	const struct program_config **byname;   /* sorted by name */
	size_t n;
	char *color;                            /* per program of c: 0 unseen, 1 on the path, 2 done */
	size_t *path;                           /* the programs of the current search path */
	size_t depth;
	struct config_diag *diag;
};

static int cmp_name(const void *a, const void *b)
{
	return strcmp((*(const struct program_config *const *) a)->name, (*(const struct program_config *const *) b)->name);
}

/* The first of the programs named NAME in byname, or n. */
static size_t first_named(const struct dep_check *dc, const char *name)
{
	size_t lo = 0, hi = dc->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(dc->byname[mid]->name, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < dc->n && strcmp(dc->byname[lo]->name, name) == 0 ? lo : dc->n;
}

/* Depth-first from program I (an index into c->programs); true once a cycle is reported. */
static bool find_cycle(struct dep_check *dc, size_t i)
{
	const struct program_config *p = &dc->c->programs[i];
	dc->color[i] = 1;
	dc->path[dc->depth++] = i;
	for (char **dep = p->depends_on; dep && *dep; dep++) {
		for (size_t k = first_named(dc, *dep); k < dc->n && strcmp(dc->byname[k]->name, *dep) == 0; k++) {
			size_t t = (size_t) (dc->byname[k] - dc->c->programs);
			if (dc->color[t] == 1) {
				/* the cycle is path[from..depth): one of its programs is of a group left out */
				size_t from = dc->depth;
				while (from > 0 && dc->path[from - 1] != t)
					from--;
				const char *kept = NULL;
				for (size_t s = from ? from - 1 : 0; s < dc->depth && !kept; s++)
					if (!selected(dc->sel, dc->c->programs[dc->path[s]].group))
						kept = dc->c->programs[dc->path[s]].group;
				strv_push(&dc->diag->errors,
				          xasprintf("%s:%u: [program:%s] depends_on: dependency cycle through '%s' when only the "
				                    "named groups are updated: name group '%s' too",
				                    p->file ? p->file : "?", p->line, p->name, *dep, kept ? kept : p->group));
				return true;
			}
			if (dc->color[t] == 0 && find_cycle(dc, t))
				return true;
		}
	}
	dc->color[i] = 2;
	dc->depth--;
	return false;
}

/* Every depends_on of M names a program of M, and no dependency cycle: true, or false with the
 * reasons in diag, each naming the group to add to the update (FILE tells a missing program's). */
static bool check_depends(const struct drover_config *m, const struct drover_config *file,
                          const struct selection *sel, struct config_diag *diag)
{
	struct dep_check dc = { .c = m, .sel = sel, .n = m->nprograms, .diag = diag };
	bool ok = true, any = false;

	dc.byname = xcalloc(dc.n ? dc.n : 1, sizeof(*dc.byname));
	for (size_t i = 0; i < dc.n; i++)
		dc.byname[i] = &m->programs[i];
	qsort(dc.byname, dc.n, sizeof(*dc.byname), cmp_name);
	for (size_t i = 0; i < dc.n; i++) {
		const struct program_config *p = &m->programs[i];
		for (char **dep = p->depends_on; dep && *dep; dep++) {
			any = true;
			if (first_named(&dc, *dep) < dc.n)
				continue;
			/* Either p comes from the file and its dependency is in a group left out (add
			 * that group), or p is kept and its dependency's group is removed by the file
			 * (add p's group, whose new settings drop the dependency or the program). */
			const char *g = p->group;
			if (selected(sel, p->group))
				for (size_t k = 0; k < file->nprograms; k++)
					if (strcmp(file->programs[k].name, *dep) == 0) {
						g = file->programs[k].group;
						break;
					}
			strv_push(&diag->errors,
			          xasprintf("%s:%u: [program:%s] depends_on: '%s' would not exist when only the named groups "
			                    "are updated: name group '%s' too",
			                    p->file ? p->file : "?", p->line, p->name, *dep, g));
			ok = false;
		}
	}
	if (ok && any) {
		dc.color = xcalloc(dc.n ? dc.n : 1, 1);
		dc.path = xcalloc(dc.n ? dc.n : 1, sizeof(*dc.path));
		for (size_t i = 0; i < dc.n && ok; i++)
			if (dc.color[i] == 0)
				ok = !find_cycle(&dc, i);
		free(dc.color);
		free(dc.path);
	}
	free(dc.byname);
	return ok;
}

struct drover_config *config_merge_groups(const struct drover_config *running, const struct drover_config *file,
                                          const char *const *groups, size_t n, struct config_diag *diag)
{
	struct selection sel = { xcalloc(n ? n : 1, sizeof(*sel.v)), n };
	struct prog_index old_ix, new_ix;
	struct drover_config *m = config_copy_daemon(running);

	for (size_t i = 0; i < n; i++)
		sel.v[i] = groups[i];
	qsort(sel.v, sel.n, sizeof(*sel.v), cmp_str);
	index_build(running, &old_ix);
	index_build(file, &new_ix);

	m->programs = xcalloc(running->nprograms + file->nprograms + 1, sizeof(*m->programs));
	/* running's programs in its order: kept, or replaced by the file's, or gone */
	for (size_t i = 0; i < running->nprograms; i++) {
		const struct program_config *p = &running->programs[i];
		if (selected(&sel, p->group))
			p = index_find(&new_ix, p->group, p->name);
		if (p)
			program_config_copy(&m->programs[m->nprograms++], p);
	}
	/* then what the file adds to the named groups, in the file's order */
	for (size_t i = 0; i < file->nprograms; i++) {
		const struct program_config *p = &file->programs[i];
		if (selected(&sel, p->group) && !index_find(&old_ix, p->group, p->name))
			program_config_copy(&m->programs[m->nprograms++], p);
	}
	free(old_ix.v);
	free(new_ix.v);

	if (!check_depends(m, file, &sel, diag))
		m = config_free(m);
	free(sel.v);
	return m;
}
