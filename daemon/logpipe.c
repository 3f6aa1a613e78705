/* Worker stdio: stdin is /dev/null; stdout/stderr go to the configured log file (AUTO or path),
 * or /dev/null for NONE, never to droverd's own terminal. */
#include "logpipe.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "process.h"

static int open_log(const struct logfile_config *lc, const struct process *p)
{
	if (lc->kind != LOGFILE_NONE && lc->path) {
		int fd = open(lc->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0644);
		if (fd >= 0)
			return fd;
		log_proc(LOG_WARNING, p, "%s: cannot open log file %s: %s (output discarded)",
		         p->cfg->fullname, lc->path, strerror(errno));
	}
	int fd = open("/dev/null", O_WRONLY | O_CLOEXEC | O_NOCTTY);
	return fd < 0 ? -errno : fd;
}

int logpipe_prepare(struct process *p, struct logpipe_fds *ret)
{
	struct logpipe_fds f = { -1, -1, -1 };
	int r;

	f.in = open("/dev/null", O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (f.in < 0) {
		r = -errno;
		goto fail;
	}
	f.out = open_log(&p->cfg->stdout_log, p);
	if (f.out < 0) {
		r = f.out;
		goto fail;
	}
	if (p->prog->redirect_stderr)
		f.err = fcntl(f.out, F_DUPFD_CLOEXEC, 3);
	else
		f.err = open_log(&p->cfg->stderr_log, p);
	if (f.err < 0) {
		r = f.err == -1 ? -errno : f.err;
		goto fail;
	}
	*ret = f;
	return 0;
fail:
	logpipe_fds_close(&f);
	return r;
}

void logpipe_attach(struct process *p, struct logpipe_fds *fds)
{
	(void) p;
	(void) fds;   /* files: droverd keeps nothing */
}

void logpipe_fds_close(struct logpipe_fds *fds)
{
	int *all[] = { &fds->in, &fds->out, &fds->err };
	for (size_t i = 0; i < 3; i++) {
		if (*all[i] >= 0)
			close(*all[i]);
		*all[i] = -1;
	}
}

void logpipe_reopen_all(void)
{
	/* Log files are opened afresh at every spawn and owned by the worker: nothing to reopen. */
}
