/* The reload plan: what a new config changes, process by process (matched by full name), and
 * which daemon settings differ. A pure function of two configs (reload-plan.c): no process
 * table, no I/O; the process table applies the plan. */
#ifndef DROVER_RELOAD_PLAN_H
#define DROVER_RELOAD_PLAN_H

#include <stddef.h>

#include "conf/config-keys.h"
#include "conf/config.h"

enum plan_action {
	PLAN_UNCHANGED,         /* every key equal: nothing to do */
	PLAN_UPDATED,           /* only keys applied in place differ: switch the settings, keep the process */
	PLAN_CHANGED,           /* a key that restarts the process differs */
	PLAN_ADDED,             /* only in the new config */
	PLAN_REMOVED,           /* only in the old config: stop it with its old settings */
	PLAN_ACTION_MAX
};

struct plan_entry {
	enum plan_action action;
	const char *fullname;                   /* into the new config (the old one for PLAN_REMOVED) */
	/* Old and new settings of the process; the old pair is NULL for PLAN_ADDED, the new pair
	 * for PLAN_REMOVED. They point into the two configs given to reload_plan_build. */
	const struct program_config *old_prog, *new_prog;
	const struct proc_config *old_proc, *new_proc;
	struct config_keyset changed;           /* enum program_key: the keys that differ */
};

struct reload_plan {
	struct plan_entry *entries;     /* the new config's processes in its order, then the removed ones in the old's */
	size_t n;
	size_t count[PLAN_ACTION_MAX];  /* entries per action */
	struct config_keyset daemon_changed;    /* enum daemon_key: daemon settings that differ */
};

/* Compare OLD (the config being applied; NULL = none, every process is added) with NEW. The
 * plan points into both configs: keep them alive while it is used. Cannot fail. */
void reload_plan_build(const struct drover_config *old, const struct drover_config *new, struct reload_plan *ret);
void reload_plan_free(struct reload_plan *plan);

/* The keys of SET (program keys, or daemon keys for plan->daemon_changed), as "a, b, c" into
 * BUF; for log lines such as "web: changed (command, environment)". */
void reload_plan_keys_to_string(const struct config_keyset *set, bool daemon, char *buf, size_t size);

const char *plan_action_to_string(enum plan_action a);

#endif
