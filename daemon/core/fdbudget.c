/* See fdbudget.h. */
#include "core/fdbudget.h"

#include <stdio.h>
#include <sys/resource.h>

/* A stream is read (a pipe's read end) when it has a log file, a tap (ready or health = log) or
 * somebody it is published to (a listener's stdout is its protocol; log events); a log file is
 * one descriptor more. Mirrors what logpipe_prepare() makes. */
static size_t stream_cost(const struct logfile_config *lc, bool tap, bool published)
{
	bool file = lc->kind != LOGFILE_NONE;
	return file || tap || published ? 1 + file : 0;
}

size_t fdbudget_process(const struct program_config *prog, const struct proc_config *pc)
{
	bool tap = pc->ready.kind == CHECK_LOG || pc->health.kind == CHECK_LOG;
	bool listener = prog->kind == PROGRAM_LISTENER;
	size_t n = 1;   /* the pidfd */
	n += stream_cost(&pc->stdout_log, tap, listener || prog->stdout_events);
	if (!prog->redirect_stderr)
		n += stream_cost(&pc->stderr_log, tap, prog->stderr_events);
	if (pc->notify_socket)
		n++;
	if (listener)
		n++;   /* the write end of its stdin, where events go */
	return n;
}

bool fdbudget_check(const struct drover_config *cfg, size_t available, struct fdbudget *ret)
{
	struct fdbudget b = { 0 };
	bool full = false;
	for (size_t i = 0; i < cfg->nprograms; i++) {
		const struct program_config *prog = &cfg->programs[i];
		if (prog->kind == PROGRAM_FCGI)
			b.need++;   /* the program's socket, shared by its processes */
		for (size_t k = 0; k < prog->nprocs; k++) {
			size_t n = fdbudget_process(prog, &prog->procs[k]);
			b.nprocs++;
			b.need += n;
			if (!full && b.need <= available)
				b.fit++;
			else
				full = true;
			if (n > b.biggest_need) {
				b.biggest_need = n;
				b.biggest = prog;
			}
		}
	}
	*ret = b;
	return b.need <= available;
}

size_t fdbudget_available(unsigned long *ret_limit)
{
	struct rlimit rl;
	unsigned long limit = 1024;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0)
		limit = rl.rlim_cur == RLIM_INFINITY ? (unsigned long) -1 / 2 : (unsigned long) rl.rlim_cur;
	if (ret_limit)
		*ret_limit = limit;
	return limit > FDBUDGET_OWN ? (size_t) (limit - FDBUDGET_OWN) : 0;
}

void fdbudget_describe(const struct fdbudget *b, unsigned long limit, char *buf, size_t size)
{
	snprintf(buf, size,
	         "the config's %zu processes need %zu descriptors while running (up to %zu each, as [program:%s]: "
	         "a pidfd, and a pipe and a log file per logged stream), but the descriptor limit is %lu "
	         "(%d kept for droverd itself): %zu of them fit; raise the hard limit (LimitNOFILE=, ulimit -Hn), "
	         "or log less (stdout_logfile = NONE)",
	         b->nprocs, b->need, b->biggest_need, b->biggest ? b->biggest->name : "?", limit, FDBUDGET_OWN, b->fit);
}
