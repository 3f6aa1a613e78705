/* Part of a config applied: supervisorctl's `update GROUP...` applies the file's changes to the
 * named process groups only. The config that then runs is the running one with those groups
 * taken from the file (config-merge.c); it is what later reloads and rereads compare against,
 * so the groups left out still show their pending changes. Pure: no I/O. */
#ifndef DROVER_CONFIG_MERGE_H
#define DROVER_CONFIG_MERGE_H

#include <stdbool.h>
#include <stddef.h>

#include "conf/config.h"

/* GROUP is the process group of a program of C: the [group:x] that lists it, or a program's
 * own name when no group lists it (supervisord's process groups). */
bool config_has_group(const struct drover_config *c, const char *group);

/* A new config (a deep copy, owned by the caller) that is RUNNING except for the programs of the
 * GROUPS: those are as in FILE (added, changed or removed as FILE says). Daemon settings are
 * RUNNING's. Programs keep RUNNING's order; the ones FILE adds follow, in FILE's order. A
 * program is the same in both when its group and its name are (a program listed by two groups
 * is two programs). A name that is a group of neither config selects nothing: the caller tells
 * the user (config_has_group).
 * NULL when the result would break a rule between programs that each config keeps on its own:
 * a depends_on naming a program the result does not have, or a dependency cycle across the
 * groups taken from FILE and the ones kept. diag->errors say which, and which groups to add to
 * the update. */
struct drover_config *config_merge_groups(const struct drover_config *running, const struct drover_config *file,
                                          const char *const *groups, size_t n, struct config_diag *diag);

#endif
