/* droverctl tail [-f | -n LINES | -BYTES] PROCESS [stdout|stderr]: the end of a process's output
 * from the daemon's ring buffer (the last 64 KiB): 10 lines, LINES lines, or the last BYTES bytes
 * (supervisorctl's form, cut anywhere; 0: all that is kept); -f streams live output through a
 * private FIFO. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "client.h"
#include "cmd.h"
#include "output.h"
#include "util.h"

#define TAIL_FOLLOW 0x100u      /* arg2 flag: stream into the FIFO named by args[1] */

int cmd_tail_validate(struct ctl_ctx *ctx, struct cmd_args *a)
{
	if (a->bytes_set && (a->follow || a->lines_set)) {
		ctl_errorx(ctx, "tail: -BYTES goes with neither -f nor -n");
		cmd_usage_one(ctx->err, a->cmd);
		return CTL_EXIT_USAGE;
	}
	if (a->npos < 2 || strcmp(a->pos[1], "stdout") == 0)
		a->stream = 0;
	else if (strcmp(a->pos[1], "stderr") == 0)
		a->stream = 1;
	else {
		char esc[256];
		escape_line(esc, sizeof(esc), a->pos[1]);
		ctl_errorx(ctx, "tail: unknown stream '%s' (stdout or stderr)", esc);
		cmd_usage_one(ctx->err, a->cmd);
		return CTL_EXIT_USAGE;
	}
	return 0;
}

/* A failed TAIL reply: the code says why. */
static int tail_error(struct ctl_ctx *ctx, const struct cmd_args *a, const struct proto_reply *rep)
{
	char name[256];
	escape_line(name, sizeof(name), a->pos[0]);
	switch (rep->result) {
	case -ENOENT:
		fprintf(ctx->json ? ctx->err : ctx->out, "%s%s: ERROR (no such process name)\n",
		        ctx->json ? "droverctl: " : "", name);
		return CTL_EXIT_FAILED;
	case -ENOTUNIQ:
		ctl_errorx(ctx, "tail: '%s' names more than one process", name);
		return CTL_EXIT_FAILED;
	case -ENODATA:
		ctl_errorx(ctx, "tail: %s: stderr is redirected to stdout (redirect_stderr)", name);
		return CTL_EXIT_FAILED;
	case -EPERM:
		if (a->follow) {
			ctl_errorx(ctx, "tail -f: droverd refused the FIFO: not private (mode 0600, in a 0700 "
			           "directory of its owner)");
			return CTL_EXIT_FAILED;
		}
		break;
	}
	return ctl_reply_error(ctx, a->follow ? "tail -f" : "tail", rep);
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += w;
		n -= (size_t) w;
	}
	return 0;
}

/* Copy the FIFO to stdout until the daemon closes its end. On Linux, poll() on a FIFO read end
 * reports neither data nor hang-up before a writer has connected, so a daemon that opens the
 * FIFO after replying is waited for, not mistaken for EOF. */
static int tail_copy(struct ctl_ctx *ctx, int fd)
{
	char buf[65536];
	int out = fileno(ctx->out);
	if (fflush(ctx->out) != 0)
		return -errno;
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int n = poll(&p, 1, -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		ssize_t r = read(fd, buf, sizeof(buf));
		if (r < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return -errno;
		}
		if (r == 0)
			return 0;
		int w = write_all(out, buf, (size_t) r);
		if (w < 0)
			return w;
	}
}

static int tail_follow(struct ctl_ctx *ctx, const struct cmd_args *a)
{
	const char *base = getenv("XDG_RUNTIME_DIR");
	char dir[PATH_MAX], fifo[PATH_MAX + 8];
	struct stat st;
	struct proto_reply rep;
	sigset_t old;
	int fd = -1, r;

	if (!base || base[0] != '/' || stat(base, &st) < 0 || !S_ISDIR(st.st_mode))
		base = "/tmp";
	if ((size_t) snprintf(dir, sizeof(dir), "%s/droverctl.XXXXXX", base) >= sizeof(dir) - 8) {
		ctl_errorx(ctx, "tail: runtime directory path too long");
		return CTL_EXIT_FAILED;
	}
	cleanup_block_signals(&old);
	if (!mkdtemp(dir)) {
		r = -errno;
		cleanup_restore_signals(&old);
		ctl_errorx(ctx, "tail: cannot create a directory under %s: %s", base, strerror(-r));
		return CTL_EXIT_FAILED;
	}
	snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
	cleanup_set_fifo(fifo, dir);
	cleanup_restore_signals(&old);

	if (mkfifo(fifo, 0600) < 0) {
		ctl_errorx(ctx, "tail: cannot create %s: %s", fifo, strerror(errno));
		r = CTL_EXIT_FAILED;
		goto out;
	}
	/* Read end first (O_NONBLOCK: succeeds with no writer), so the daemon's non-blocking open
	 * for writing finds a reader. */
	fd = open(fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		ctl_errorx(ctx, "tail: cannot open %s: %s", fifo, strerror(errno));
		r = CTL_EXIT_FAILED;
		goto out;
	}
	const char *args[2] = { a->pos[0], fifo };
	r = ctl_call(ctx, PROTO_TAIL, a->lines, a->stream | TAIL_FOLLOW, 2, args, 0, &rep);
	if (r)
		goto out;
	if (rep.result < 0) {
		r = tail_error(ctx, a, &rep);
		proto_reply_free(&rep);
		goto out;
	}
	proto_reply_free(&rep);
	/* droverd holds the write end now: the name is no longer needed, and gone now, a FIFO is
	 * not left behind even when this process is killed with SIGKILL. */
	(void) unlink(fifo);
	(void) rmdir(dir);
	cleanup_clear_fifo();
	r = tail_copy(ctx, fd);
	if (r < 0 && r != -EPIPE) {
		ctl_errorx(ctx, "tail: %s", strerror(-r));
		r = CTL_EXIT_FAILED;
	} else
		r = CTL_EXIT_OK;
out:
	if (fd >= 0)
		(void) close(fd);
	(void) unlink(fifo);
	(void) rmdir(dir);
	cleanup_clear_fifo();
	return r;
}

int cmd_tail_run(struct ctl_ctx *ctx, const struct cmd_args *a)
{
	struct proto_reply rep;
	int r;

	if (a->follow)
		return tail_follow(ctx, a);

	/* -BYTES: all that is kept (lines 0), cut here */
	r = ctl_call(ctx, PROTO_TAIL, a->bytes_set ? 0 : a->lines, a->stream, 1, a->pos, 0, &rep);
	if (r)
		return r;
	if (rep.result == 0 && a->bytes_set && a->bytes > 0 && rep.message_len > a->bytes) {
		memmove(rep.message, rep.message + rep.message_len - a->bytes, a->bytes);
		rep.message_len = a->bytes;
		rep.message[rep.message_len] = '\0';
	}
	if (rep.result < 0)
		r = tail_error(ctx, a, &rep);
	else if (ctx->json) {
		struct json j;
		json_init(&j, ctx->out);
		json_begin_object(&j, NULL);
		json_str(&j, "name", a->pos[0]);
		json_str(&j, "stream", a->stream ? "stderr" : "stdout");
		json_strn(&j, "data", rep.message ? rep.message : "", rep.message ? rep.message_len : 0);
		json_end_object(&j);
		json_finish(&j);
	} else if (rep.message_len > 0)
		fwrite(rep.message, 1, rep.message_len, ctx->out);
	proto_reply_free(&rep);
	return r;
}
