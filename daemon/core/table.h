/* The process table: every process of the applied config (and those a reload removed, until
 * they are down), found by pid in O(1), the count of processes in each state, and the configs
 * they point into. It changes only through these functions. */
#ifndef DROVER_TABLE_H
#define DROVER_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "conf/config.h"
#include "core/process.h"

struct table {
	struct process **procs;         /* every process of every program, in config order; removed ones last */
	size_t n;
	struct drover_config *config;   /* the generation currently applied */
	unsigned generation;            /* 1 = the first */
	unsigned count[PROC_STATE_MAX]; /* processes in each state */
};

extern struct table tab;

/* Build the table for cfg (taken): one process per proc_config, scoreboard slot = position. */
void table_init(struct drover_config *cfg);
/* Teardown: free every process and every config. */
void table_free(void);

/* Apply a reload: procs (n, in the new order) point into cfg (taken) or, for removed ones, into
 * the configs applied before, which are kept until no process points into them. */
void table_replace(struct drover_config *cfg, struct process **procs, size_t n);
/* Free the processes drop() says (events_gone() first), and the configs nobody uses any more. */
void table_drop(bool (*drop)(const struct process *p));

struct process *table_find_pid(pid_t pid);

/* supervisord's start order, < 0 when a starts before b: groups (a [group:x], or a program of its
 * own) by priority, then name; inside a [group:x] its programs= order when the start is the
 * policy's (start-up, reload, dependencies), the programs' priority when a user starts them
 * ("start all"); a program's processes by name. */
int table_start_cmp(const struct process *a, const struct process *b, enum start_origin by);
/* Start these processes in that order (sorts v in place). */
void table_start_sorted(struct process **v, size_t n, enum start_origin by);

/* The processes' count. */
size_t config_nprocs(const struct drover_config *cfg);

#endif
