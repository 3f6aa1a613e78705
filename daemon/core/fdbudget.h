/* Descriptors droverd holds for the processes a config runs, so that a config that cannot fit the
 * descriptor limit is refused when it is read (start-up, reload), saying how many of its processes
 * would fit, instead of failing spawn after spawn with EMFILE. */
#ifndef DROVER_FDBUDGET_H
#define DROVER_FDBUDGET_H

#include <stdbool.h>
#include <stddef.h>

#include "conf/config.h"

/* droverd's own descriptors (lock, queue, loop, journal, spawn helpers) and slack for what comes
 * and goes (control clients, tail -f followers, probes, a spawn in flight). */
#define FDBUDGET_OWN 128

struct fdbudget {
	size_t nprocs;       /* processes in the config */
	size_t need;         /* descriptors they need, all running */
	size_t fit;          /* how many of them (in file order) fit */
	const struct program_config *biggest;   /* the program whose process needs most */
	size_t biggest_need;
};

/* What one running process costs droverd: its pidfd, for each stream it captures (a log file or a
 * tap: ready = log) the pipe's read end and the log file, its notify socket. */
size_t fdbudget_process(const struct program_config *prog, const struct proc_config *pc);
/* Does cfg fit in available descriptors? Fills *ret either way. Pure. */
bool fdbudget_check(const struct drover_config *cfg, size_t available, struct fdbudget *ret);
/* The descriptors left for workers under droverd's soft RLIMIT_NOFILE (raised to the hard limit
 * at start-up): the limit minus FDBUDGET_OWN. */
size_t fdbudget_available(unsigned long *ret_limit);
/* One line for a config that does not fit: "... needs N descriptors ... F of them fit ...". */
void fdbudget_describe(const struct fdbudget *b, unsigned long limit, char *buf, size_t size);

#endif
