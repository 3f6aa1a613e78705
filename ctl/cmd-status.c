/* droverctl status [PATTERN...]: the process table (or its JSON document); _names for completion.
 * As supervisorctl: patterns that match nothing first ("x: ERROR (no such process)", exit 4),
 * then the processes in the order of the patterns, each pattern's by group and name; exit 3 when one of them is STOPPED, EXITED,
 * FATAL or UNKNOWN (even with an unknown name), else 0 (STARTING and BACKOFF too).
 * status --watch [SECONDS]: the table again every SECONDS, with CPU% and RSS read from /proc, until
 * SIGINT or SIGTERM (exit 0); in place on a terminal, else one table per interval after a blank line. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "output.h"
#include "results.h"
#include "term.h"
#include "util.h"

int cmd_status_validate(struct ctl_ctx *ctx, struct cmd_args *a)
{
	if (a->watch_s > 0 && ctx->json) {
		ctl_errorx(ctx, "status: --watch and --json cannot be combined (a document is printed once)");
		cmd_usage_one(ctx->err, a->cmd);
		return CTL_EXIT_USAGE;
	}
	return 0;
}

/* ---- CPU and memory from /proc ------------------------------------------------------------ */

/* One process's CPU time when last seen: CPU% is the difference over the interval. */
struct cpu_sample {
	char name[PROTO_NAME_MAX];
	int32_t pid;
	uint64_t start;          /* starttime (clock ticks after boot): a pid reused is another process */
	uint64_t ticks;          /* utime + stime */
	uint64_t at_ns;          /* monotonic */
};

struct watch {
	struct cpu_sample *prev, *cur;
	size_t nprev;
};

/* utime + stime and starttime of /proc/PID/stat; -errno. The name may hold ')' and spaces: the
 * fields start after the last ')'. */
static int read_stat(int32_t pid, uint64_t *ticks, uint64_t *start)
{
	char path[64], buf[1024];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int) pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return -errno;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	char *p = strrchr(buf, ')');
	if (!p)
		return -EINVAL;
	unsigned long long ut = 0, st = 0, sta = 0;
	/* field 3 (state) follows ")"; utime is 14, stime 15, starttime 22 */
	if (sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %*d %*d %*d %*d %*d %*d %llu",
	           &ut, &st, &sta) != 3)
		return -EINVAL;
	*ticks = ut + st;
	*start = sta;
	return 0;
}

/* Resident memory in bytes (/proc/PID/statm's second field); -errno. */
static int read_rss(int32_t pid, uint64_t *bytes)
{
	char path[64];
	unsigned long long size, res;
	snprintf(path, sizeof(path), "/proc/%d/statm", (int) pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return -errno;
	int k = fscanf(f, "%llu %llu", &size, &res);
	fclose(f);
	if (k != 2)
		return -EINVAL;
	long page = sysconf(_SC_PAGESIZE);
	*bytes = res * (uint64_t) (page > 0 ? page : 4096);
	return 0;
}

/* Seconds since boot (/proc/uptime), for the CPU% of a process seen for the first time: its
 * average since it started. */
static double boot_seconds(void)
{
	double up = 0;
	FILE *f = fopen("/proc/uptime", "re");
	if (f) {
		if (fscanf(f, "%lf", &up) != 1)
			up = 0;
		fclose(f);
	}
	return up;
}

static void format_bytes(char *buf, size_t size, uint64_t b)
{
	if (b >= (uint64_t) 10 << 30)
		snprintf(buf, size, "%.0fG", (double) b / (1 << 30));
	else if (b >= (uint64_t) 1 << 30)
		snprintf(buf, size, "%.1fG", (double) b / (1 << 30));
	else if (b >= (uint64_t) 1 << 20)
		snprintf(buf, size, "%.1fM", (double) b / (1 << 20));
	else
		snprintf(buf, size, "%lluK", (unsigned long long) (b >> 10));
}

/* Row i's "  CPU%     RSS  " text; the samples of this round go to w->cur[i]. */
static void watch_columns(struct watch *w, const struct proto_status *s, size_t i, char *out, size_t size)
{
	char cpu[16] = "-", rss[16] = "-";
	struct cpu_sample *c = &w->cur[i];
	uint64_t rb = 0;
	long hz = sysconf(_SC_CLK_TCK);

	memset(c, 0, sizeof(*c));
	memcpy(c->name, s->name, sizeof(c->name));
	if (hz <= 0)
		hz = 100;
	if (s->pid > 0 && read_stat(s->pid, &c->ticks, &c->start) == 0) {
		const struct cpu_sample *p = NULL;
		double pct = -1;
		c->pid = s->pid;
		c->at_ns = now_mono_ns();
		/* the previous table is sorted the same way: row i is almost always where it was */
		for (size_t k = 0; k <= w->nprev && !p; k++) {
			size_t at = k == 0 ? i : k - 1;
			if (at < w->nprev && w->prev[at].pid == c->pid && w->prev[at].start == c->start &&
			    memcmp(w->prev[at].name, c->name, sizeof(c->name)) == 0)
				p = &w->prev[at];
		}
		if (p && c->at_ns > p->at_ns && c->ticks >= p->ticks) {
			pct = (double) (c->ticks - p->ticks) / (double) hz * 1e9 / (double) (c->at_ns - p->at_ns) * 100;
		} else {
			/* first seen, or a new process under the name: its average since it started */
			double ran = boot_seconds() - (double) c->start / (double) hz;
			if (ran > 0)
				pct = (double) c->ticks / (double) hz / ran * 100;
		}
		if (pct >= 0)
			snprintf(cpu, sizeof(cpu), "%.1f%%", pct);
		if (read_rss(s->pid, &rb) == 0)
			format_bytes(rss, sizeof(rss), rb);
	}
	snprintf(out, size, "%6s %7s  ", cpu, rss);
}

/* ---- one table ---------------------------------------------------------------------------- */

/* One STATUS round trip and its output. *broken: the request failed (droverd gone): no use going on. */
static int status_once(struct ctl_ctx *ctx, const struct cmd_args *a, struct watch *w, bool *broken)
{
	struct proto_reply rep;
	struct ctl_patterns pats;
	int r;

	*broken = false;
	ctl_patterns_init(&pats, a->pos, a->npos);
	r = ctl_call(ctx, PROTO_STATUS, 0, 0, pats.n, pats.send, 0, &rep);
	if (r) {
		ctl_patterns_free(&pats);
		*broken = true;
		return r;
	}
	if (rep.result < 0) {
		r = ctl_reply_error(ctx, "status", &rep);
		*broken = true;
		goto out;
	}

	r = CTL_EXIT_OK;
	for (uint32_t i = 0; i < rep.nunmatched; i++) {
		char line[PROTO_NAME_MAX * 4 + 64];
		const char *p = rep.unmatched[i] < pats.n ? pats.show[rep.unmatched[i]] : "?";
		if (strcmp(p, "all") == 0)
			continue;   /* an empty table: nothing to say */
		unmatched_text(line, sizeof(line), p, &result_policy_stop);
		fprintf(ctx->json ? ctx->err : ctx->out, "%s%s\n", ctx->json ? "droverctl: " : "", line);
		r = CTL_EXIT_UNREACHABLE;
	}
	size_t n = rep.status ? rep.nrecords : 0;
	status_sort(rep.status, n);
	if (ctx->json) {
		status_print_json(ctx->out, rep.status, n);
	} else if (w) {
		struct table_style style = { .width = ctx->width, .color = ctx->color };
		char (*cols)[48] = calloc(n ? n : 1, sizeof(*cols));
		const char **extra = calloc(n ? n : 1, sizeof(*extra));
		struct cpu_sample *cur = calloc(n ? n : 1, sizeof(*cur));
		char header[64];
		if (!cols || !extra || !cur) {
			free(cols);
			free(extra);
			free(cur);
			ctl_errorx(ctx, "status: out of memory");
			*broken = true;
			r = CTL_EXIT_FAILED;
			goto out;
		}
		w->cur = cur;
		for (size_t i = 0; i < n; i++) {
			watch_columns(w, &rep.status[i], i, cols[i], sizeof(cols[i]));
			extra[i] = cols[i];
		}
		snprintf(header, sizeof(header), "%6s %7s  DESCRIPTION", "CPU%", "RSS");
		status_print_table_style(ctx->out, rep.status, n, &style, header, extra);
		free(w->prev);
		w->prev = cur;
		w->cur = NULL;
		w->nprev = n;
		free(cols);
		free(extra);
	} else if (ctx->width || ctx->color) {
		struct table_style style = { .width = ctx->width, .color = ctx->color };
		status_print_table_style(ctx->out, rep.status, n, &style, NULL, NULL);
	} else {
		status_print_table(ctx->out, rep.status, n);
	}
	for (size_t i = 0; i < n; i++)
		if (rep.status[i].state == PROC_STOPPED || rep.status[i].state == PROC_EXITED ||
		    rep.status[i].state == PROC_FATAL || rep.status[i].state == PROC_UNKNOWN)
			r = CTL_EXIT_NOT_RUNNING;
out:
	proto_reply_free(&rep);
	ctl_patterns_free(&pats);
	return r;
}

/* Until SIGINT or SIGTERM: they are blocked and taken by sigtimedwait() as the interval's sleep,
 * so a signal between two tables ends the loop cleanly (the reply queue is removed on the way out). */
static int status_watch(struct ctl_ctx *ctx, const struct cmd_args *a)
{
	struct watch w = { 0 };
	sigset_t set, old;
	bool tty = isatty(fileno(ctx->out)) == 1;
	int r = CTL_EXIT_OK;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	if (sigprocmask(SIG_BLOCK, &set, &old) < 0) {
		ctl_errorx(ctx, "status: sigprocmask: %s", strerror(errno));
		return CTL_EXIT_FAILED;
	}
	for (unsigned round = 0;; round++) {
		bool broken;
		if (tty)
			fputs("\033[H\033[2J", ctx->out);   /* home, clear: the table in place */
		else if (round > 0)
			fputc('\n', ctx->out);
		if (tty)
			ctx->width = term_width(fileno(ctx->out));   /* the window may have been resized */
		int s = status_once(ctx, a, &w, &broken);
		if (fflush(ctx->out) != 0)
			broken = true;
		if (broken) {
			r = s ? s : CTL_EXIT_FAILED;
			break;
		}
		struct timespec ts = { (time_t) a->watch_s, (long) ((a->watch_s - (double) (time_t) a->watch_s) * 1e9) };
		uint64_t end = now_mono_ns() + (uint64_t) (a->watch_s * 1e9);
		int sig;
		for (;;) {
			sig = sigtimedwait(&set, NULL, &ts);
			if (sig >= 0 || errno != EINTR)
				break;
			uint64_t now = now_mono_ns();   /* another signal (SIGWINCH): the rest of the interval */
			if (now >= end)
				break;
			ts.tv_sec = (time_t) ((end - now) / 1000000000u);
			ts.tv_nsec = (long) ((end - now) % 1000000000u);
		}
		if (sig >= 0)
			break;
	}
	free(w.prev);
	(void) sigprocmask(SIG_SETMASK, &old, NULL);
	return r;
}

int cmd_status_run(struct ctl_ctx *ctx, const struct cmd_args *a)
{
	bool broken;
	if (a->watch_s > 0)
		return status_watch(ctx, a);
	return status_once(ctx, a, NULL, &broken);
}

int cmd_names_run(struct ctl_ctx *ctx, const struct cmd_args *a)
{
	struct proto_reply rep;
	int r = ctl_call(ctx, PROTO_STATUS, 0, 0, 0, NULL, 0, &rep);
	if (r)
		return r;
	if (rep.result < 0) {
		r = ctl_reply_error(ctx, "status", &rep);
	} else {
		char name[PROTO_NAME_MAX * 4];
		for (size_t i = 0; rep.status && i < rep.nrecords; i++) {
			SAFE_FIELD(name, rep.status[i].name);
			fprintf(ctx->out, "%s\n", name);
		}
	}
	proto_reply_free(&rep);
	return r;
}
