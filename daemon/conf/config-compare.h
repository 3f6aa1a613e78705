/* Comparing two configs key by key, as the key tables say (config-compare.c): which keys of a
 * process or of the daemon differ, and whether a difference restarts the process. */
#ifndef DROVER_CONFIG_COMPARE_H
#define DROVER_CONFIG_COMPARE_H

#include <stdbool.h>

#include "conf/config-keys.h"
#include "conf/config.h"

/* The [program:x] keys (enum program_key) whose values differ between process A of program PA
 * and process B of program PB. Keys that decide which processes exist (numprocs) are not
 * compared: the processes' names carry them. */
void config_proc_diff(const struct program_config *pa, const struct proc_config *a, const struct program_config *pb,
                      const struct proc_config *b, struct config_keyset *ret);
/* SET (of program keys) holds a key whose change restarts the process. */
bool config_keyset_restarts(const struct config_keyset *set);
/* The daemon keys (enum daemon_key) whose fields differ, each field once (under its [drover]
 * key when [supervisord] shares it); keys merged into the programs are compared there. */
void config_daemon_diff(const struct drover_config *a, const struct drover_config *b, struct config_keyset *ret);

#endif
