/* droverctl tail [-f | -n LINES | -BYTES] PATTERN [stdout|stderr]: the end of a process's output:
 * 10 lines, LINES lines (as tail(1): 0 is none; from droverd's 64 KiB in memory, or its log file
 * when that holds more of them), or the last BYTES bytes of what droverd keeps in memory
 * (supervisorctl's form, cut anywhere; 0: all of it); -f streams live output through a private
 * FIFO. A pattern that names several processes (a group, "all", a program with numprocs) shows
 * each one's lines prefixed with its name, and -f then follows them all, merged as lines come. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "client.h"
#include "cmd.h"
#include "output.h"
#include "util.h"


/* --since TIME: "30s", "10m", "2h", "1d" ago; "@SECONDS" since the epoch; "HH:MM[:SS]" today;
 * "YYYY-MM-DD[ HH:MM[:SS]]" or RFC 3339 ("2026-12-03T09:14:03[.250][Z|+01:00]"), local time
 * unless an offset is given. ms since the epoch, or 0 when it is none of these. */
static uint64_t parse_since(const char *s, uint64_t now_ms)
{
	char *end;
	if (s[0] >= '0' && s[0] <= '9') {
		double v = strtod(s, &end);
		double unit = strcmp(end, "s") == 0 ? 1 : strcmp(end, "m") == 0 ? 60 : strcmp(end, "h") == 0 ? 3600
		            : strcmp(end, "d") == 0 ? 86400 : 0;
		if (end != s && unit > 0 && v >= 0 && v * unit * 1000 < (double) now_ms)
			return now_ms - (uint64_t) (v * unit * 1000);
	}
	if (s[0] == '@') {
		double v = strtod(s + 1, &end);
		return end != s + 1 && *end == '\0' && v > 0 ? (uint64_t) (v * 1000) : 0;
	}
	static const char *const forms[] = {
		"%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d", "%H:%M:%S", "%H:%M",
	};
	for (size_t f = 0; f < ELEMENTSOF(forms); f++) {
		struct tm tm;
		time_t now = (time_t) (now_ms / 1000);
		memset(&tm, 0, sizeof(tm));
		if (forms[f][1] == 'H') {   /* a time of today */
			if (!localtime_r(&now, &tm))
				return 0;
			tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
		}
		end = strptime(s, forms[f], &tm);
		if (!end)
			continue;
		unsigned ms = 0;
		if (*end == '.' && end[1] >= '0' && end[1] <= '9') {
			unsigned scale = 100;
			for (end++; *end >= '0' && *end <= '9'; end++, scale /= 10)
				ms += (unsigned) (*end - '0') * scale;
		}
		time_t t;
		if (*end == '\0') {
			tm.tm_isdst = -1;
			t = mktime(&tm);
		} else if ((end[0] == 'Z' || end[0] == 'z') && end[1] == '\0') {
			t = timegm(&tm);
		} else if ((end[0] == '+' || end[0] == '-') && strlen(end) == 6 && end[3] == ':') {
			int h = (end[1] - '0') * 10 + (end[2] - '0'), m = (end[4] - '0') * 10 + (end[5] - '0');
			t = timegm(&tm) - (end[0] == '+' ? 1 : -1) * (time_t) (h * 3600 + m * 60);
		} else
			continue;
		return t > 0 ? (uint64_t) t * 1000 + ms : 0;
	}
	return 0;
}

int cmd_tail_validate(struct ctl_ctx *ctx, struct cmd_args *a)
{
	if (a->since) {
		a->since_ms = parse_since(a->since, now_real_ns() / 1000000u);
		if (a->since_ms == 0) {
			char esc[256];
			escape_line(esc, sizeof(esc), a->since);
			ctl_errorx(ctx, "tail: invalid --since '%s' (10m, 2h, 14:05, 2026-12-03 14:05:00, RFC 3339, @EPOCH)", esc);
			cmd_usage_one(ctx->err, a->cmd);
			return CTL_EXIT_USAGE;
		}
		if (a->bytes_set) {
			ctl_errorx(ctx, "tail: -BYTES does not go with --since");
			cmd_usage_one(ctx->err, a->cmd);
			return CTL_EXIT_USAGE;
		}
	}
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
	case -ENODATA:
		ctl_errorx(ctx, "tail: %s: stderr is redirected to stdout (redirect_stderr)", name);
		return CTL_EXIT_FAILED;
	case -ENOSTR:
		ctl_errorx(ctx, "tail: %s: its %s is discarded (%s_logfile = NONE): nothing is kept to show", name,
		           a->npos > 1 ? a->pos[1] : "stdout", a->npos > 1 ? a->pos[1] : "stdout");
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

#define TAIL_MULTI_MAX 64       /* processes followed at once */

/* The line count to ask for: -BYTES all that is kept (cut here); --since without -n every line
 * since then. */
static uint32_t tail_lines(const struct cmd_args *a)
{
	if (a->bytes_set || (a->since_ms && !a->lines_set))
		return PROTO_TAIL_ALL;
	return a->lines;
}

/* A private FIFO in a fresh 0700 directory under the runtime directory (the daemon refuses any
 * other). *ret_fd is its read end (O_NONBLOCK: the daemon's non-blocking open for writing finds a
 * reader). The FIFO is registered for removal on a fatal signal. 0 or an exit code. */
static int fifo_make(struct ctl_ctx *ctx, char dir[PATH_MAX], char fifo[PATH_MAX + 8], unsigned k, int *ret_fd)
{
	sigset_t old;
	if (!dir[0]) {
		const char *base = getenv("XDG_RUNTIME_DIR");
		struct stat st;
		if (!base || base[0] != '/' || stat(base, &st) < 0 || !S_ISDIR(st.st_mode))
			base = "/tmp";
		if ((size_t) snprintf(dir, PATH_MAX, "%s/droverctl.XXXXXX", base) >= PATH_MAX - 8) {
			ctl_errorx(ctx, "tail: runtime directory path too long");
			dir[0] = '\0';
			return CTL_EXIT_FAILED;
		}
		cleanup_block_signals(&old);
		if (!mkdtemp(dir)) {
			int e = errno;
			cleanup_restore_signals(&old);
			ctl_errorx(ctx, "tail: cannot create a directory under %s: %s", base, strerror(e));
			dir[0] = '\0';
			return CTL_EXIT_FAILED;
		}
		cleanup_set_fifo("", dir);
		cleanup_restore_signals(&old);
	}
	snprintf(fifo, PATH_MAX + 8, "%s/%u", dir, k);
	cleanup_set_fifo(fifo, dir);
	if (mkfifo(fifo, 0600) < 0) {
		ctl_errorx(ctx, "tail: cannot create %s: %s", fifo, strerror(errno));
		return CTL_EXIT_FAILED;
	}
	*ret_fd = open(fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (*ret_fd < 0) {
		ctl_errorx(ctx, "tail: cannot open %s: %s", fifo, strerror(errno));
		return CTL_EXIT_FAILED;
	}
	return 0;
}

/* One followed process: its FIFO and the line it is in the middle of. */
struct followed {
	int fd;
	char name[PROTO_NAME_MAX * 4];
	char line[4096];
	size_t len;
};

/* Write "NAME: " and the line (a line longer than the buffer goes out in pieces, each prefixed). */
static int emit_line(struct ctl_ctx *ctx, const struct followed *f, const char *p, size_t n, bool nl)
{
	int out = fileno(ctx->out), r;
	if ((r = write_all(out, f->name, strlen(f->name))) < 0 || (r = write_all(out, ": ", 2)) < 0 ||
	    (r = write_all(out, p, n)) < 0 || (nl && (r = write_all(out, "\n", 1)) < 0))
		return r;
	return 0;
}

/* Bytes read from f: whole lines go out prefixed, the rest waits for its newline. */
static int followed_feed(struct ctl_ctx *ctx, struct followed *f, const char *p, size_t n)
{
	int r;
	while (n > 0) {
		const char *nl = memchr(p, '\n', n);
		size_t take = nl ? (size_t) (nl - p) + 1 : n;
		if (f->len + take > sizeof(f->line)) {   /* too long a line: out in pieces */
			size_t room = sizeof(f->line) - f->len;
			memcpy(f->line + f->len, p, room);
			if ((r = emit_line(ctx, f, f->line, sizeof(f->line), true)) < 0)
				return r;
			f->len = 0;
			p += room;
			n -= room;
			continue;
		}
		memcpy(f->line + f->len, p, take);
		f->len += take;
		p += take;
		n -= take;
		if (nl) {
			if ((r = emit_line(ctx, f, f->line, f->len, false)) < 0)
				return r;
			f->len = 0;
		}
	}
	return 0;
}

/* Follow every FIFO until droverd closes them all (or stdout goes away). */
static int follow_merged(struct ctl_ctx *ctx, struct followed *v, size_t n)
{
	char buf[65536];
	struct pollfd pfd[TAIL_MULTI_MAX];
	size_t open_n = n;
	if (fflush(ctx->out) != 0)
		return -errno;
	while (open_n > 0) {
		for (size_t i = 0; i < n; i++)
			pfd[i] = (struct pollfd) { .fd = v[i].fd, .events = POLLIN };
		if (poll(pfd, (nfds_t) n, -1) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		for (size_t i = 0; i < n; i++) {
			if (v[i].fd < 0 || !(pfd[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			ssize_t r = read(v[i].fd, buf, sizeof(buf));
			if (r < 0 && (errno == EINTR || errno == EAGAIN))
				continue;
			if (r <= 0) {   /* droverd closed it (the process went, droverd exits) */
				if (v[i].len > 0)
					(void) emit_line(ctx, &v[i], v[i].line, v[i].len, true);
				(void) close(v[i].fd);
				v[i].fd = -1;
				open_n--;
				continue;
			}
			int w = followed_feed(ctx, &v[i], buf, (size_t) r);
			if (w < 0)
				return w;
		}
	}
	return 0;
}

/* Start following each name (one FIFO per process), then copy: one stream as it is, several
 * merged, each line prefixed with its process's name. */
static int tail_follow(struct ctl_ctx *ctx, const struct cmd_args *a, char names[][PROTO_NAME_MAX], size_t n)
{
	char dir[PATH_MAX] = "", fifo[PATH_MAX + 8] = "";
	struct followed *v = xcalloc(n, sizeof(*v));
	struct proto_reply rep;
	int r = 0;

	for (size_t i = 0; i < n; i++)
		v[i].fd = -1;
	for (size_t i = 0; i < n && r == 0; i++) {
		escape_line(v[i].name, sizeof(v[i].name), names[i]);
		if ((r = fifo_make(ctx, dir, fifo, (unsigned) i, &v[i].fd)) != 0)
			break;
		char since[32];
		snprintf(since, sizeof(since), "%llu", (unsigned long long) a->since_ms);
		const char *args[3] = { names[i], fifo, since };
		r = ctl_call(ctx, PROTO_TAIL, tail_lines(a), a->stream | PROTO_TAIL_FOLLOW | (a->since_ms ? PROTO_TAIL_SINCE : 0),
		             a->since_ms ? 3 : 2, args, 0, &rep);
		if (r)
			break;
		if (rep.result < 0) {
			struct cmd_args one = *a;
			one.pos[0] = names[i];
			r = tail_error(ctx, &one, &rep);
		}
		proto_reply_free(&rep);
		/* droverd holds the write end now: the name is no longer needed, and gone now, a FIFO
		 * is not left behind even when this process is killed with SIGKILL. */
		(void) unlink(fifo);
	}
	if (dir[0])
		(void) rmdir(dir);
	cleanup_clear_fifo();
	if (r == 0) {
		if (n == 1) {
			r = tail_copy(ctx, v[0].fd);
		} else
			r = follow_merged(ctx, v, n);
		if (r < 0 && r != -EPIPE) {
			ctl_errorx(ctx, "tail: %s", strerror(-r));
			r = CTL_EXIT_FAILED;
		} else
			r = CTL_EXIT_OK;
	}
	for (size_t i = 0; i < n; i++)
		if (v[i].fd >= 0)
			(void) close(v[i].fd);
	free(v);
	return r;
}

/* The processes a pattern names, by a STATUS request: 0 with *ret (n names), or an exit code
 * (an unknown name: as droverd's TAIL answers it). */
static int tail_names(struct ctl_ctx *ctx, const struct cmd_args *a, char (**ret)[PROTO_NAME_MAX], size_t *n)
{
	struct proto_reply rep;
	const char *pattern = a->pos[0];
	int r = ctl_call(ctx, PROTO_STATUS, 0, 0, 1, &pattern, 0, &rep);
	if (r)
		return r;
	if (rep.result < 0) {
		r = ctl_reply_error(ctx, "tail", &rep);
		proto_reply_free(&rep);
		return r;
	}
	size_t k = rep.status ? rep.nrecords : 0;
	if (k == 0) {
		rep.result = -ENOENT;
		r = tail_error(ctx, a, &rep);
		proto_reply_free(&rep);
		return r;
	}
	if (k > TAIL_MULTI_MAX) {
		ctl_errorx(ctx, "tail: '%s' names %zu processes; at most %d at once", pattern, k, TAIL_MULTI_MAX);
		proto_reply_free(&rep);
		return CTL_EXIT_FAILED;
	}
	status_sort(rep.status, k);
	*ret = xcalloc(k, sizeof(**ret));
	for (size_t i = 0; i < k; i++)
		snprintf((*ret)[i], PROTO_NAME_MAX, "%.*s", (int) FIELD_LEN(rep.status[i].name), rep.status[i].name);
	*n = k;
	proto_reply_free(&rep);
	return 0;
}

/* One process's last lines: 0 with the reply, or an exit code (printed). */
static int tail_one(struct ctl_ctx *ctx, const struct cmd_args *a, const char *name, struct proto_reply *rep)
{
	char since[32];
	snprintf(since, sizeof(since), "%llu", (unsigned long long) a->since_ms);
	const char *args[2] = { name, since };
	int r = ctl_call(ctx, PROTO_TAIL, tail_lines(a), a->stream | (a->since_ms ? PROTO_TAIL_SINCE : 0),
	                 a->since_ms ? 2 : 1, args, 0, rep);
	if (r)
		return r;
	if (rep->result == 0 && a->bytes_set && a->bytes > 0 && rep->message_len > a->bytes) {
		memmove(rep->message, rep->message + rep->message_len - a->bytes, a->bytes);
		rep->message_len = a->bytes;
		rep->message[rep->message_len] = '\0';
	}
	return 0;
}

static void json_tail(struct json *j, const char *name, const struct cmd_args *a, const struct proto_reply *rep)
{
	json_begin_object(j, NULL);
	json_str(j, "name", name);
	json_str(j, "stream", a->stream ? "stderr" : "stdout");
	json_strn(j, "data", rep->message ? rep->message : "", rep->message ? rep->message_len : 0);
	json_end_object(j);
}

/* Several processes, not followed: each one's lines, prefixed with its name. */
static int tail_several(struct ctl_ctx *ctx, const struct cmd_args *a, char names[][PROTO_NAME_MAX], size_t n)
{
	struct json j;
	int rc = CTL_EXIT_OK;
	json_init(&j, ctx->out);
	if (ctx->json)
		json_begin_array(&j, NULL);
	for (size_t i = 0; i < n; i++) {
		struct proto_reply rep;
		struct followed f = { .fd = -1 };
		int r = tail_one(ctx, a, names[i], &rep);
		if (r)
			return r;
		if (rep.result < 0) {
			struct cmd_args one = *a;
			one.pos[0] = names[i];
			rc = tail_error(ctx, &one, &rep);
		} else if (ctx->json)
			json_tail(&j, names[i], a, &rep);
		else {
			escape_line(f.name, sizeof(f.name), names[i]);
			fflush(ctx->out);
			if (followed_feed(ctx, &f, rep.message ? rep.message : "", rep.message_len) < 0 ||
			    (f.len > 0 && emit_line(ctx, &f, f.line, f.len, true) < 0))
				rc = CTL_EXIT_FAILED;
		}
		proto_reply_free(&rep);
	}
	if (ctx->json) {
		json_end_array(&j);
		json_finish(&j);
	}
	return rc;
}

int cmd_tail_run(struct ctl_ctx *ctx, const struct cmd_args *a)
{
	struct proto_reply rep;
	char (*names)[PROTO_NAME_MAX] = NULL;
	size_t n = 0;
	int r;

	if (a->follow) {
		/* the names first: one FIFO per process */
		if ((r = tail_names(ctx, a, &names, &n)) != 0)
			return r;
		r = tail_follow(ctx, a, names, n);
		free(names);
		return r;
	}
	if ((r = tail_one(ctx, a, a->pos[0], &rep)) != 0)
		return r;
	if (rep.result == -ENOTUNIQ) {   /* a group, a program with several processes */
		proto_reply_free(&rep);
		if ((r = tail_names(ctx, a, &names, &n)) != 0)
			return r;
		r = tail_several(ctx, a, names, n);
		free(names);
		return r;
	}
	if (rep.result < 0)
		r = tail_error(ctx, a, &rep);
	else if (ctx->json) {
		struct json j;
		json_init(&j, ctx->out);
		json_tail(&j, a->pos[0], a, &rep);
		json_finish(&j);
	} else if (rep.message_len > 0)
		fwrite(rep.message, 1, rep.message_len, ctx->out);
	proto_reply_free(&rep);
	return r;
}
