/* bench/measure.c — drive supervisors through the `make bench` scenarios and print their figures.
 *
 *   measure run --n N --out FILE --dir DIR [phase options] --sys NAME --launch CMD --ts FILE ... [--sys ...]
 *     For one N and every system given (each with its own timestamp file, which its workers append to),
 *     in this order:
 *       1. cold start  launch (new session, stdin /dev/null, output to --log) -> N-th worker start line (and
 *                      the first one's);
 *                      one system at a time, the ones already up sit idle meanwhile;
 *       6. idle cost   utime+stime, schedstat run time, voluntary+nonvoluntary context switches of every
 *                      supervisor-side process over --idle seconds, once every worker is older than 2 s;
 *                      all systems over the same window (idle processes do not disturb each other); with
 *                      --shm-churn COUNT, a child of ours creates and unlinks COUNT objects in /dev/shm meanwhile;
 *       5. footprint   Rss and Pss (smaps_rollup) summed over the supervisor-side processes; the launched
 *                      process's descriptors;
 *       4. status      --status CMD (and --status2) as whole processes, --status-reps times: median, p90;
 *                      round robin over the systems, one run each in turn;
 *       3. mass crash  SIGKILL all N (all older than 2 s) -> N new start lines; Z processes 100 ms later;
 *       2. restart     SIGKILL the oldest worker (it has run > 2 s) -> the next start line: median, p90.
 *                      Each system's first sample is taken alone; the fast ones then go on alone, one sample
 *                      each in turn; those whose restart is timer-bound (first sample > --slow-ms: ~1 s poll
 *                      or throttle) finish side by side, their latency being set by their timers;
 *     then one last status run (exit code), graceful stop for --stop term (timed; its workers must be gone),
 *     and SIGSTOP+SIGKILL of everything still below us.  "Supervisor-side" = the launched process and its
 *     descendants that are not workers (workers are the pids in the timestamp file).  Figures are appended
 *     to --out as "SYS<TAB>N<TAB>KEY<TAB>VALUE" lines; progress goes to stderr.
 *   measure floor REPS OUT [WORKER]  fork+exec+wait of /bin/true, median of REPS (the physical floor); with
 *                              WORKER, also fork+exec of it to the timestamp it takes in main()
 *   measure ipc-clean NAME     unlink drover's IPC objects of instance NAME (mq /NAME.ctl, shm, semaphores);
 *                              prints how many there were
 *
 * measure makes itself a child subreaper, so whatever a supervisor leaves behind comes back to it and is killed
 * and reaped: nothing it started outlives it.  It only ever signals its own descendants.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <mqueue.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <wordexp.h>

extern char **environ;

typedef long long ns_t;
#define MS 1000000LL
#define SEC 1000000000LL

static ns_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ns_t)ts.tv_sec * SEC + ts.tv_nsec;
}

static volatile sig_atomic_t g_stop;
static long long g_t_start;
static void on_signal(int sig) { g_stop = sig; }

static void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "measure: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	exit(2);
}

static void sleep_ns(ns_t d)
{
	if (d <= 0)
		return;
	struct timespec ts = { d / SEC, d % SEC };
	while (!g_stop && nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static int cmp_ns(const void *a, const void *b)
{
	ns_t x = *(const ns_t *)a, y = *(const ns_t *)b;
	return x < y ? -1 : x > y;
}

/* Percentile by nearest rank on a sorted copy: p50 of an even count is the mean of the two middle values. */
static double pct_ms(const ns_t *v, int n, int p)
{
	if (n <= 0)
		return -1;
	ns_t *s = malloc(sizeof *s * (size_t)n);
	memcpy(s, v, sizeof *s * (size_t)n);
	qsort(s, (size_t)n, sizeof *s, cmp_ns);
	double r;
	if (p == 50)
		r = n % 2 ? (double)s[n / 2] : ((double)s[n / 2 - 1] + (double)s[n / 2]) / 2;
	else {
		int k = (p * n + 99) / 100; /* nearest rank */
		if (k < 1)
			k = 1;
		r = (double)s[k - 1];
	}
	free(s);
	return r / MS;
}

/* ---------- /proc ---------- */
struct proc {
	int pid, ppid;
	char state;
};
static struct proc *g_procs;
static int g_nprocs, g_capprocs;

static int read_file(const char *path, char *buf, size_t cap)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, cap - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = 0;
	return (int)n;
}

/* Fields of /proc/PID/stat after the ")" of comm: state is field 3, ppid 4, utime 14, stime 15. */
static int stat_fields(int pid, char *state, int *ppid, unsigned long long *ut, unsigned long long *st)
{
	char path[64], buf[1024];
	snprintf(path, sizeof path, "/proc/%d/stat", pid);
	if (read_file(path, buf, sizeof buf) < 0)
		return -1;
	char *p = strrchr(buf, ')');
	if (!p)
		return -1;
	char s;
	int pp;
	unsigned long long u = 0, t = 0;
	if (sscanf(p + 2, "%c %d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &s, &pp, &u, &t) < 2)
		return -1;
	if (state)
		*state = s;
	if (ppid)
		*ppid = pp;
	if (ut)
		*ut = u;
	if (st)
		*st = t;
	return 0;
}

static void scan_procs(void)
{
	g_nprocs = 0;
	DIR *d = opendir("/proc");
	if (!d)
		die("opendir /proc: %s", strerror(errno));
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] < '1' || e->d_name[0] > '9')
			continue;
		int pid = atoi(e->d_name);
		struct proc p = { pid, 0, 0 };
		if (stat_fields(pid, &p.state, &p.ppid, NULL, NULL) < 0)
			continue;
		if (g_nprocs == g_capprocs) {
			g_capprocs = g_capprocs ? 2 * g_capprocs : 4096;
			g_procs = realloc(g_procs, sizeof *g_procs * (size_t)g_capprocs);
		}
		g_procs[g_nprocs++] = p;
	}
	closedir(d);
}

/* Descendants of root (root included when incl_root) from the last scan_procs(); returns count. */
static int descendants(int root, int incl_root, int *out, int cap)
{
	int n = 0;
	if (incl_root && n < cap)
		out[n++] = root;
	int head = 0;
	int *queue = malloc(sizeof(int) * (size_t)(g_nprocs + 1));
	int qn = 0;
	queue[qn++] = root;
	while (head < qn) {
		int parent = queue[head++];
		for (int i = 0; i < g_nprocs; i++)
			if (g_procs[i].ppid == parent && g_procs[i].pid != parent) {
				queue[qn++] = g_procs[i].pid;
				if (n < cap)
					out[n++] = g_procs[i].pid;
			}
	}
	free(queue);
	return n;
}

static char proc_state(int pid)
{
	for (int i = 0; i < g_nprocs; i++)
		if (g_procs[i].pid == pid)
			return g_procs[i].state;
	return 0;
}

static long long status_field(int pid, const char *key)
{
	char path[64], buf[4096];
	snprintf(path, sizeof path, "/proc/%d/status", pid);
	if (read_file(path, buf, sizeof buf) < 0)
		return -1;
	char *p = strstr(buf, key);
	if (!p)
		return -1;
	return atoll(p + strlen(key));
}

static void rollup(int pid, long long *rss, long long *pss)
{
	char path[64], buf[4096];
	*rss = *pss = -1;
	snprintf(path, sizeof path, "/proc/%d/smaps_rollup", pid);
	if (read_file(path, buf, sizeof buf) < 0)
		return;
	char *p = strstr(buf, "\nRss:");
	if (p)
		*rss = atoll(p + 5);
	p = strstr(buf, "\nPss:");
	if (p)
		*pss = atoll(p + 5);
}

static long long schedstat_ns(int pid)
{
	char path[64], buf[256];
	snprintf(path, sizeof path, "/proc/%d/schedstat", pid);
	if (read_file(path, buf, sizeof buf) < 0)
		return -1;
	return atoll(buf);
}

/* ---------- output ---------- */
static FILE *g_out;
static int g_n;

static void note(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "measure [%5.1fs] N=%d: ", (double)(now_ns() - g_t_start) / 1e9, g_n);
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
}

static void put(const char *sys, const char *key, const char *fmt, ...)
{
	char v[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(v, sizeof v, fmt, ap);
	va_end(ap);
	fprintf(g_out, "%s\t%d\t%s\t%s\n", sys, g_n, key, v);
	fflush(g_out);
	fprintf(stderr, "  %-12s N=%-5d %-20s %s\n", sys, g_n, key, v);
}

/* ---------- one system under test ---------- */
struct worker {
	int pid;
	ns_t start;
};

struct sys {
	const char *name, *launch, *status, *status2, *stop, *ts, *log;
	int status_reps;
	int root;              /* launched process (session leader) */
	int root_gone, root_status; /* it exited (and was reaped by us) */
	int failed;            /* a phase failed: later phases are skipped */
	int tsfd, infd;        /* timestamp file, inotify on it */
	char buf[256];
	size_t blen;
	struct worker *w;      /* live workers */
	int nw, capw;
	ns_t *all;             /* start time of every line, in file order */
	long lines, capall;
	/* restart state machine */
	int rs_state, rs_pid;  /* 0 = wait for an old-enough worker, 1 = killed, waiting for the replacement */
	long rs_want;
	ns_t rs_t0, rs_next;
	ns_t *rs_v;
	int rs_k, rs_target;
	struct idle { unsigned long long ticks; long long sched, ctx; } ia, ib;
	int *sup, nsup;
};

static struct sys g_sys[8];
static int g_nsys;

static void drop_worker(struct sys *s, int pid)
{
	for (int i = 0; i < s->nw; i++)
		if (s->w[i].pid == pid) {
			s->w[i] = s->w[--s->nw];
			return;
		}
}

static int is_worker(struct sys *s, int pid)
{
	for (int i = 0; i < s->nw; i++)
		if (s->w[i].pid == pid)
			return 1;
	return 0;
}

static void read_ts(struct sys *s)
{
	for (;;) {
		ssize_t n = read(s->tsfd, s->buf + s->blen, sizeof s->buf - 1 - s->blen);
		if (n <= 0)
			return;
		s->blen += (size_t)n;
		s->buf[s->blen] = 0;
		char *line = s->buf, *nl;
		while ((nl = memchr(line, '\n', s->blen - (size_t)(line - s->buf)))) {
			*nl = 0;
			int pid;
			long long ts;
			if (sscanf(line, "%d %lld", &pid, &ts) == 2) {
				drop_worker(s, pid); /* a reused pid: the old entry is stale */
				if (s->nw == s->capw) {
					s->capw = s->capw ? 2 * s->capw : 1024;
					s->w = realloc(s->w, sizeof *s->w * (size_t)s->capw);
				}
				s->w[s->nw++] = (struct worker){ pid, ts };
				if (s->lines == s->capall) {
					s->capall = s->capall ? 2 * s->capall : 4096;
					s->all = realloc(s->all, sizeof *s->all * (size_t)s->capall);
				}
				s->all[s->lines++] = ts;
			}
			line = nl + 1;
		}
		size_t rest = s->blen - (size_t)(line - s->buf);
		memmove(s->buf, line, rest);
		s->blen = rest;
	}
}

static void drain(int fd)
{
	char ev[4096];
	while (read(fd, ev, sizeof ev) > 0)
		;
}

static int root_alive(struct sys *s)
{
	if (s->root_gone)
		return 0;
	int st;
	if (waitpid(s->root, &st, WNOHANG) == s->root) {
		s->root_gone = 1;
		s->root_status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
		return 0;
	}
	return 1;
}

/* Wait until s has read `want` lines.  Returns 0, or -1 on timeout / stop request / supervisor gone. */
static int wait_lines(struct sys *s, long want, ns_t deadline)
{
	for (;;) {
		read_ts(s);
		if (s->lines >= want)
			return 0;
		if (!root_alive(s))
			return -1;
		ns_t left = deadline - now_ns();
		if (left <= 0 || g_stop)
			return -1;
		struct pollfd pfd = { s->infd, POLLIN, 0 };
		int ms = (int)(left / MS) + 1;
		if (ms > 100)
			ms = 100; /* re-read now and then even without an event */
		if (poll(&pfd, 1, ms) > 0)
			drain(s->infd);
	}
}

/* Latest start among lines [from, to). */
static ns_t max_start(struct sys *s, long from, long to)
{
	ns_t m = 0;
	for (long k = from; k < to && k < s->lines; k++)
		if (s->all[k] > m)
			m = s->all[k];
	return m;
}

static ns_t min_start(struct sys *s, long from, long to)
{
	ns_t m = 0;
	for (long k = from; k < to && k < s->lines; k++)
		if (!m || s->all[k] < m)
			m = s->all[k];
	return m;
}

static ns_t youngest(struct sys *s)
{
	ns_t y = 0;
	for (int i = 0; i < s->nw; i++)
		if (s->w[i].start > y)
			y = s->w[i].start;
	return y;
}

static int oldest(struct sys *s)
{
	int best = -1;
	for (int i = 0; i < s->nw; i++)
		if (best < 0 || s->w[i].start < s->w[best].start)
			best = i;
	return best;
}

/* ---------- spawning ---------- */
static int launch(struct sys *s)
{
	wordexp_t we;
	if (wordexp(s->launch, &we, WRDE_NOCMD) != 0)
		die("%s: cannot parse launch command: %s", s->name, s->launch);
	int pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		setsid();
		setenv("BENCH_TS", s->ts, 1);
		int in = open("/dev/null", O_RDONLY);
		int out = open(s->log, O_WRONLY | O_CREAT | O_APPEND, 0644);
		if (in >= 0)
			dup2(in, 0);
		if (out >= 0) {
			dup2(out, 1);
			dup2(out, 2);
		}
		for (int fd = 3; fd < 1024; fd++)
			close(fd);
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGPIPE, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGHUP, SIG_DFL);
		execvp(we.we_wordv[0], we.we_wordv);
		_exit(127);
	}
	wordfree(&we);
	return pid;
}

struct cmd {
	char **argv;
	wordexp_t we;
	char *sh[4];
};

static void cmd_prepare(struct cmd *c, const char *text)
{
	memset(c, 0, sizeof *c);
	/* Plain commands (with globs) are expanded once and exec'd directly, as an interactive shell would have
	 * run them; anything with shell syntax runs as one `sh -c` (the s6-svstat loop). */
	if (strpbrk(text, ";|&`$()<>\n") || !strncmp(text, "for ", 4) ||
	    wordexp(text, &c->we, WRDE_NOCMD) != 0) {
		c->sh[0] = "/bin/sh";
		c->sh[1] = "-c";
		c->sh[2] = (char *)text;
		c->sh[3] = NULL;
		c->argv = c->sh;
	} else
		c->argv = c->we.we_wordv;
}

/* Run once as a whole process, stdout+stderr to out_path; returns wall ns, *rc = exit status. */
static ns_t cmd_run(struct cmd *c, const char *out_path, int *rc)
{
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, out_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	posix_spawn_file_actions_adddup2(&fa, 1, 2);
	posix_spawnattr_t at;
	posix_spawnattr_init(&at);
	sigset_t none;
	sigemptyset(&none);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK);
	pid_t pid;
	ns_t t0 = now_ns();
	int e = posix_spawnp(&pid, c->argv[0], &fa, &at, c->argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	if (e) {
		*rc = -1;
		return -1;
	}
	int st;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	ns_t t = now_ns() - t0;
	*rc = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	return t;
}

static long count_lines(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	long n = 0;
	int ch;
	while ((ch = getc(f)) != EOF)
		n += ch == '\n';
	fclose(f);
	return n;
}

/* ---------- supervisor-side accounting ---------- */
static int *g_tmp;
#define TMPCAP (1 << 16)

static void sup_side(struct sys *s)
{
	scan_procs();
	int n = descendants(s->root, 1, g_tmp, TMPCAP);
	s->nsup = 0;
	if (!s->sup)
		s->sup = malloc(sizeof(int) * TMPCAP);
	for (int i = 0; i < n; i++)
		if (!is_worker(s, g_tmp[i]))
			s->sup[s->nsup++] = g_tmp[i];
}

static void idle_sample(struct sys *s, struct idle *r)
{
	memset(r, 0, sizeof *r);
	for (int i = 0; i < s->nsup; i++) {
		unsigned long long u, t;
		int pid = s->sup[i];
		if (stat_fields(pid, NULL, NULL, &u, &t) == 0)
			r->ticks += u + t;
		long long x = schedstat_ns(pid);
		if (x > 0)
			r->sched += x;
		long long v = status_field(pid, "voluntary_ctxt_switches:");
		long long nv = status_field(pid, "nonvoluntary_ctxt_switches:");
		if (v > 0)
			r->ctx += v;
		if (nv > 0)
			r->ctx += nv;
	}
}

/* ---------- teardown ---------- */
static void reap_all(void)
{
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
}

/* SIGSTOP then SIGKILL every descendant of ours (stopped supervisors restart nothing), reap, repeat. */
static int kill_tree(void)
{
	int self = getpid(), total = 0;
	int *pids = malloc(sizeof(int) * TMPCAP);
	for (int round = 0; round < 200; round++) {
		reap_all();
		scan_procs();
		int n = descendants(self, 0, pids, TMPCAP), live = 0;
		for (int i = 0; i < n; i++)
			if (proc_state(pids[i]) != 'Z') {
				kill(pids[i], SIGSTOP);
				live++;
			}
		if (!n)
			break;
		for (int i = 0; i < n; i++)
			kill(pids[i], SIGKILL);
		total += live;
		struct timespec ts = { 0, 20 * MS };
		nanosleep(&ts, NULL);
	}
	reap_all();
	free(pids);
	return total;
}

/* ---------- phases ---------- */
struct opts {
	const char *out, *dir;
	int restart_reps, mass, do_restart, min_reps, shm_churn;
	double idle, restart_budget, status_budget, cold_timeout, slow_ms;
};

/* Another process's traffic in /dev/shm during the idle window: count POSIX shm objects created and
 * unlinked, evenly over secs, under names of its own (a supervisor that watches all of /dev/shm
 * wakes up for each). A child of ours, not on any supervisor's side. */
static pid_t shm_churn_start(int count, double secs)
{
	pid_t pid = fork();
	if (pid != 0)
		return pid;
	ns_t t0 = now_ns(), step = (ns_t)(secs * SEC) / (count > 0 ? count : 1);
	for (int i = 0; i < count; i++) {
		char name[64];
		snprintf(name, sizeof name, "/drover-bench-churn-%d-%d", (int)getpid(), i);
		int fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600);
		if (fd >= 0) {
			close(fd);
			shm_unlink(name);
		}
		ns_t next = t0 + step * (i + 1), now = now_ns();
		if (next > now) {
			struct timespec ts = { (time_t)((next - now) / SEC), (long)((next - now) % SEC) };
			nanosleep(&ts, NULL);
		}
	}
	_exit(0);
}

static void phase_cold(struct sys *s, struct opts *o)
{
	int fd = open(s->ts, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		die("%s: %s", s->ts, strerror(errno));
	close(fd);
	s->tsfd = open(s->ts, O_RDONLY | O_CLOEXEC);
	s->infd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	inotify_add_watch(s->infd, s->ts, IN_MODIFY);

	note("%s: launch", s->name);
	ns_t t0 = now_ns();
	s->root = launch(s);
	double limit = o->cold_timeout > 0 ? o->cold_timeout : 10 + 0.05 * g_n;
	if (wait_lines(s, g_n, t0 + (ns_t)(limit * SEC)) < 0) {
		if (s->root_gone)
			put(s->name, "error", "cold start: %ld of %d workers, then the supervisor exited with %d after %.1f s",
			    s->lines, g_n, s->root_status, (double)(now_ns() - t0) / SEC);
		else
			put(s->name, "error", "cold start: %ld of %d workers after %.1f s", s->lines, g_n,
			    (double)(now_ns() - t0) / SEC);
		s->failed = 1;
		return;
	}
	put(s->name, "cold_ms", "%.2f", (double)(max_start(s, 0, g_n) - t0) / MS);
	put(s->name, "first_ms", "%.2f", (double)(min_start(s, 0, g_n) - t0) / MS);
}

static void phase_idle(struct opts *o)
{
	/* every worker of every system older than 2 s: startsecs and similar transitions are over */
	ns_t y = 0;
	for (int i = 0; i < g_nsys; i++)
		if (!g_sys[i].failed && youngest(&g_sys[i]) > y)
			y = youngest(&g_sys[i]);
	if (o->idle > 0 || o->mass || o->do_restart)
		sleep_ns(y + 2 * SEC - now_ns());
	for (int i = 0; i < g_nsys; i++) {
		struct sys *s = &g_sys[i];
		if (s->failed)
			continue;
		read_ts(s);
		if (s->lines != g_n)
			put(s->name, "extra_starts", "%ld", s->lines - g_n);
		sup_side(s);
	}
	if (o->idle <= 0)
		return;
	note("idle %.0f s (all systems at once)", o->idle);
	for (int i = 0; i < g_nsys; i++)
		if (!g_sys[i].failed)
			idle_sample(&g_sys[i], &g_sys[i].ia);
	ns_t t0 = now_ns();
	pid_t churn = o->shm_churn > 0 ? shm_churn_start(o->shm_churn, o->idle * 0.9) : -1;
	sleep_ns((ns_t)(o->idle * SEC));
	ns_t dt = now_ns() - t0;
	if (churn > 0)
		waitpid(churn, NULL, 0);
	for (int i = 0; i < g_nsys; i++)
		if (!g_sys[i].failed)
			idle_sample(&g_sys[i], &g_sys[i].ib);
	double tick_ms = 1000.0 / (double)sysconf(_SC_CLK_TCK);
	for (int i = 0; i < g_nsys; i++) {
		struct sys *s = &g_sys[i];
		if (s->failed)
			continue;
		put(s->name, "idle_s", "%.1f", (double)dt / SEC);
		put(s->name, "idle_cpu_ms", "%.0f", (double)(s->ib.ticks - s->ia.ticks) * tick_ms);
		put(s->name, "idle_run_us", "%.0f", (double)(s->ib.sched - s->ia.sched) / 1000);
		put(s->name, "idle_ctxsw", "%lld", s->ib.ctx - s->ia.ctx);
		if (o->shm_churn > 0)
			put(s->name, "idle_shm_churn", "%d", o->shm_churn);
	}
}

static int count_fds(int pid)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/fd", pid);
	DIR *d = opendir(path);
	if (!d)
		return -1;
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

static void phase_footprint(struct sys *s)
{
	sup_side(s);
	long long rss = 0, pss = 0, r, p;
	for (int i = 0; i < s->nsup; i++) {
		rollup(s->sup[i], &r, &p);
		if (r > 0)
			rss += r;
		if (p > 0)
			pss += p;
	}
	put(s->name, "sup_procs", "%d", s->nsup);
	put(s->name, "rss_kb", "%lld", rss);
	put(s->name, "pss_kb", "%lld", pss);
	rollup(s->root, &r, &p);
	put(s->name, "root_rss_kb", "%lld", r);
	put(s->name, "root_pss_kb", "%lld", p);
	put(s->name, "root_fds", "%d", count_fds(s->root));
}

/* Status: round robin over every (system, command) series, one whole-process run at a time, so that the noise of
 * a shared machine falls on all systems alike.  A series stops at its count, or once it has min_reps samples and
 * has spent status_budget seconds. */
struct series {
	struct sys *s;
	const char *key, *text;
	struct cmd c;
	ns_t *v, spent;
	int k, reps, rc0, done;
	char first[4096];
};

static void phase_status_all(struct opts *o)
{
	struct series ser[16];
	int nser = 0;
	for (int i = 0; i < g_nsys; i++) {
		struct sys *s = &g_sys[i];
		const char *texts[2] = { s->status, s->status2 }, *keys[2] = { "status", "status2" };
		for (int j = 0; j < 2; j++) {
			if (s->failed || !texts[j] || s->status_reps <= 0)
				continue;
			struct series *x = &ser[nser++];
			memset(x, 0, sizeof *x);
			x->s = s;
			x->key = keys[j];
			x->text = texts[j];
			x->reps = s->status_reps;
			x->v = calloc((size_t)x->reps, sizeof *x->v);
			cmd_prepare(&x->c, x->text);
			snprintf(x->first, sizeof x->first, "%s/%s-%s-%d.txt", o->dir, x->key, s->name, g_n);
		}
	}
	note("status, round robin over %d series", nser);
	for (int busy = 1; busy && !g_stop;) {
		busy = 0;
		for (int i = 0; i < nser && !g_stop; i++) {
			struct series *x = &ser[i];
			if (x->done)
				continue;
			int rc;
			sleep_ns(20 * MS); /* let the previous command's aftermath (a peer's log write...) settle */
			ns_t t = cmd_run(&x->c, x->k ? "/dev/null" : x->first, &rc);
			if (!x->k)
				x->rc0 = rc;
			x->v[x->k++] = t;
			x->spent += t;
			if (x->k >= x->reps || (x->k >= o->min_reps && x->spent > (ns_t)(o->status_budget * SEC)))
				x->done = 1;
			else
				busy = 1;
		}
	}
	for (int i = 0; i < nser; i++) {
		struct series *x = &ser[i];
		char k1[64];
		const char *name = x->s->name;
		snprintf(k1, sizeof k1, "%s_med_ms", x->key);
		put(name, k1, "%.2f", pct_ms(x->v, x->k, 50));
		snprintf(k1, sizeof k1, "%s_p90_ms", x->key);
		put(name, k1, "%.2f", pct_ms(x->v, x->k, 90));
		snprintf(k1, sizeof k1, "%s_reps", x->key);
		put(name, k1, "%d", x->k);
		snprintf(k1, sizeof k1, "%s_rc", x->key);
		put(name, k1, "%d", x->rc0);
		snprintf(k1, sizeof k1, "%s_lines", x->key);
		put(name, k1, "%ld", count_lines(x->first));
		free(x->v);
	}
}

/* Restart latency, as a state machine so that the peers whose restart is timer-bound (~1 s) can be measured
 * side by side; the fast systems are always measured alone. */
static int restart_step(struct sys *s, ns_t now)
{
	if (s->rs_state == 0) {
		if (now < s->rs_next)
			return 0;
		read_ts(s);
		int i = oldest(s);
		if (i < 0)
			return -1;
		ns_t ready = s->w[i].start + 2 * SEC + 50 * MS; /* the victim has run > 2 s */
		if (now < ready) {
			s->rs_next = ready;
			return 0;
		}
		s->rs_pid = s->w[i].pid;
		s->rs_want = s->lines + 1;
		s->rs_t0 = now_ns();
		if (kill(s->rs_pid, SIGKILL) < 0) {
			drop_worker(s, s->rs_pid);
			return 0;
		}
		drop_worker(s, s->rs_pid);
		s->rs_state = 1;
		return 0;
	}
	read_ts(s);
	if (s->lines >= s->rs_want) {
		s->rs_v[s->rs_k++] = max_start(s, s->rs_want - 1, s->rs_want) - s->rs_t0;
		s->rs_state = 0;
		s->rs_next = now_ns() + 20 * MS; /* let the supervisor finish its bookkeeping */
		return 0;
	}
	if (now - s->rs_t0 > 15 * SEC || !root_alive(s)) {
		put(s->name, "error", "restart: no replacement %.1f s after SIGKILL of %d%s", (double)(now - s->rs_t0) / SEC,
		    s->rs_pid, s->root_gone ? " (the supervisor exited)" : "");
		s->failed = 1;
		return -1;
	}
	return 0;
}

static void restart_run(struct sys **set, int n, int reps, double budget, int min_reps)
{
	ns_t end = now_ns() + (ns_t)(budget * SEC);
	for (;;) {
		int active = 0;
		ns_t now = now_ns(), next = now + 100 * MS;
		struct pollfd pfd[8];
		int np = 0;
		for (int i = 0; i < n; i++) {
			struct sys *s = set[i];
			if (s->failed)
				continue;
			int done = s->rs_k >= reps || (s->rs_k >= min_reps && now > end && s->rs_state == 0);
			if (done)
				continue;
			active++;
			if (restart_step(s, now) < 0)
				continue;
			if (s->rs_state == 1)
				pfd[np++] = (struct pollfd){ s->infd, POLLIN, 0 };
			else if (s->rs_next < next)
				next = s->rs_next;
		}
		if (!active || g_stop)
			return;
		ns_t left = next - now_ns();
		if (np) {
			int ms = left > 0 ? (int)(left / MS) : 0;
			if (poll(pfd, (nfds_t)np, ms) > 0)
				for (int j = 0; j < np; j++)
					if (pfd[j].revents)
						drain(pfd[j].fd);
		} else
			sleep_ns(left);
	}
}

static void phase_restart(struct opts *o)
{
	int reps = o->restart_reps;
	struct sys *slow[8], *fast[8];
	int nslow = 0, nfast = 0;
	/* the first sample of each, alone, tells which kind it is */
	for (int i = 0; i < g_nsys && !g_stop; i++) {
		struct sys *s = &g_sys[i];
		if (s->failed)
			continue;
		s->rs_v = calloc((size_t)reps, sizeof *s->rs_v);
		restart_run(&s, 1, 1, 1e9, 1);
		if (s->rs_k && (double)s->rs_v[0] / MS > o->slow_ms)
			slow[nslow++] = s;
		else
			fast[nfast++] = s;
	}
	/* fast ones: always alone, one sample each in turn (round robin spreads the machine's noise evenly) */
	note("restart latency: %d fast system(s), one at a time in turn", nfast);
	for (int k = 1; k < reps && !g_stop; k++)
		for (int i = 0; i < nfast && !g_stop; i++)
			restart_run(&fast[i], 1, k + 1, 1e9, k + 1);
	if (nslow && !g_stop) {
		note("restart latency: %d timer-bound system(s) side by side", nslow);
		restart_run(slow, nslow, reps, o->restart_budget, o->min_reps);
	}
	for (int i = 0; i < g_nsys; i++) {
		struct sys *s = &g_sys[i];
		if (!s->rs_v)
			continue;
		put(s->name, "restart_med_ms", "%.2f", pct_ms(s->rs_v, s->rs_k, 50));
		put(s->name, "restart_p90_ms", "%.2f", pct_ms(s->rs_v, s->rs_k, 90));
		put(s->name, "restart_max_ms", "%.2f", pct_ms(s->rs_v, s->rs_k, 100));
		put(s->name, "restart_reps", "%d", s->rs_k);
		int side = 0;
		for (int j = 0; j < nslow; j++)
			side |= slow[j] == s;
		if (side && nslow > 1)
			put(s->name, "restart_side_by_side", "%d", nslow);
	}
}

static void phase_mass(struct sys *s)
{
	note("%s: mass crash", s->name);
	read_ts(s);
	sleep_ns(youngest(s) + 2 * SEC + 50 * MS - now_ns());
	read_ts(s);
	int n = s->nw;
	int *old = malloc(sizeof(int) * (size_t)n);
	for (int i = 0; i < n; i++)
		old[i] = s->w[i].pid;
	long want = s->lines + n;
	ns_t t0 = now_ns();
	for (int i = 0; i < n; i++)
		kill(old[i], SIGKILL);
	ns_t t_killed = now_ns();
	for (int i = 0; i < n; i++)
		drop_worker(s, old[i]);
	if (wait_lines(s, want, t0 + 120 * SEC) < 0) {
		put(s->name, "error", "mass crash: %ld of %d back after %.1f s%s", s->lines - (want - n), n,
		    (double)(now_ns() - t0) / SEC, s->root_gone ? " (the supervisor exited)" : "");
		s->failed = 1;
	} else {
		put(s->name, "mass_ms", "%.2f", (double)(max_start(s, want - n, want) - t0) / MS);
		put(s->name, "mass_kill_ms", "%.2f", (double)(t_killed - t0) / MS);
	}
	/* zombies: any Z process under the supervisor, 100 ms after the last replacement started */
	sleep_ns(100 * MS);
	scan_procs();
	int nd = descendants(s->root, 1, g_tmp, TMPCAP), z = 0;
	for (int i = 0; i < nd; i++)
		z += proc_state(g_tmp[i]) == 'Z';
	put(s->name, "zombies", "%d", z);
	int alive = 0;
	for (int i = 0; i < s->nw; i++)
		alive += kill(s->w[i].pid, 0) == 0 && proc_state(s->w[i].pid) != 'Z';
	put(s->name, "workers_alive", "%d", alive);
	free(old);
}

static void phase_final(struct opts *o)
{
	sleep_ns(1200 * MS); /* past startsecs of the last replacements */
	for (int i = 0; i < g_nsys; i++) {
		struct sys *s = &g_sys[i];
		if (!s->status || !s->root || g_stop)
			continue;
		struct cmd c;
		cmd_prepare(&c, s->status);
		char last[4096];
		snprintf(last, sizeof last, "%s/status-%s-%d-final.txt", o->dir, s->name, g_n);
		int rc;
		cmd_run(&c, last, &rc);
		put(s->name, "final_status_rc", "%d", rc);
	}
}

static void phase_stop(struct sys *s)
{
	if (!s->root)
		return;
	if (!root_alive(s)) {
		put(s->name, "error", "the supervisor had exited (status %d) before the end", s->root_status);
		return;
	}
	if (s->stop && !strcmp(s->stop, "term") && !g_stop) {
		ns_t t0 = now_ns();
		kill(s->root, SIGTERM);
		int st = 0, r;
		ns_t deadline = t0 + 30 * SEC;
		while ((r = waitpid(s->root, &st, WNOHANG)) == 0 && now_ns() < deadline)
			sleep_ns(2 * MS);
		if (r == s->root) {
			put(s->name, "shutdown_ms", "%.1f", (double)(now_ns() - t0) / MS);
			put(s->name, "shutdown_exit", "%d", WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
			/* its workers must be gone with it (they would be re-parented to us, the subreaper) */
			int left = 0;
			read_ts(s);
			for (int i = 0; i < s->nw; i++) {
				char path[64];
				snprintf(path, sizeof path, "/proc/%d", s->w[i].pid);
				struct stat sb;
				char state = 0;
				if (stat(path, &sb) == 0 && stat_fields(s->w[i].pid, &state, NULL, NULL, NULL) == 0 &&
				    state != 'Z')
					left++;
			}
			put(s->name, "workers_left_after_shutdown", "%d", left);
		} else
			put(s->name, "error", "no exit 30 s after SIGTERM");
	}
}

/* ---------- main ---------- */
/* fork+exec of the bench worker from this small process, to the timestamp it takes first thing in main()
 * (what a restart measures after the supervisor's own work): the median of reps, in ms. The worker writes
 * its line into a FIFO that we wait on, so nothing polls. */
static double worker_floor(const char *worker, int reps, ns_t *v)
{
	char fifo[128];
	snprintf(fifo, sizeof fifo, "/tmp/drover-bench-floor.%d", (int)getpid());
	unlink(fifo);
	if (mkfifo(fifo, 0600) < 0)
		return -1;
	char env0[160];
	snprintf(env0, sizeof env0, "BENCH_TS=%s", fifo);
	char *envp[] = { env0, NULL }, *argv[] = { (char *)worker, NULL };
	int k;
	for (k = 0; k < reps; k++) {
		ns_t t0 = now_ns();
		pid_t pid = fork();
		if (pid == 0) {
			execve(worker, argv, envp);
			_exit(127);
		}
		if (pid < 0)
			break;
		char buf[64] = "";
		int fd = open(fifo, O_RDONLY);
		ssize_t n = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
		if (fd >= 0)
			close(fd);
		buf[n > 0 ? n : 0] = '\0';
		char *sp = strchr(buf, ' ');
		v[k] = sp ? atoll(sp + 1) - t0 : 0;
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		if (!sp)
			break;
	}
	unlink(fifo);
	return k == reps ? pct_ms(v, reps, 50) : -1;
}

static int do_floor(int reps, const char *out, const char *worker)
{
	g_n = 1;
	g_out = fopen(out, "a");
	if (!g_out)
		die("%s: %s", out, strerror(errno));
	struct cmd c;
	cmd_prepare(&c, "/bin/true");
	ns_t *v = calloc((size_t)reps, sizeof *v);
	int rc;
	for (int k = 0; k < reps; k++)
		v[k] = cmd_run(&c, "/dev/null", &rc);
	put("floor", "true_med_ms", "%.3f", pct_ms(v, reps, 50));
	if (worker)
		put("floor", "worker_med_ms", "%.3f", worker_floor(worker, reps, v));
	fclose(g_out);
	return 0;
}

static int do_ipc_clean(const char *name)
{
	char buf[256];
	int n = 0;
	snprintf(buf, sizeof buf, "/%s.ctl", name);
	n += mq_unlink(buf) == 0;
	snprintf(buf, sizeof buf, "/%s.scoreboard", name);
	n += shm_unlink(buf) == 0;
	/* whatever else lives in /dev/shm under the instance name: NAME.* (shm) and sem.NAME.* (semaphores) */
	const char *pats[2] = { "/dev/shm/%s.*", "/dev/shm/sem.%s.*" };
	for (int j = 0; j < 2; j++) {
		char pat[256];
		glob_t g;
		snprintf(pat, sizeof pat, pats[j], name);
		if (glob(pat, 0, NULL, &g) == 0) {
			for (size_t i = 0; i < g.gl_pathc; i++)
				n += unlink(g.gl_pathv[i]) == 0;
			globfree(&g);
		}
	}
	printf("%d\n", n);
	return 0;
}

static void usage(void)
{
	fprintf(stderr,
	        "usage: measure run --n N --out FILE --dir DIR [--idle S] [--restart-reps R] [--restart-budget S]\n"
	        "                   [--status-budget S] [--min-reps R] [--no-restart] [--no-mass] [--slow-ms MS]\n"
	        "                   [--shm-churn COUNT]\n"
	        "                   --sys NAME --launch CMD --ts FILE [--log FILE] [--status CMD] [--status2 CMD]\n"
	        "                   [--status-reps R] [--stop term|kill]   (repeat from --sys for every system)\n"
	        "       measure floor REPS OUT [WORKER] | measure ipc-clean NAME\n");
	exit(2);
}

int main(int argc, char **argv)
{
	if (argc < 2)
		usage();
	if (!strcmp(argv[1], "floor") && (argc == 4 || argc == 5))
		return do_floor(atoi(argv[2]), argv[3], argc == 5 ? argv[4] : NULL);
	if (!strcmp(argv[1], "ipc-clean") && argc == 3)
		return do_ipc_clean(argv[2]);
	if (strcmp(argv[1], "run"))
		usage();

	struct opts o = { .dir = ".", .restart_reps = 30, .mass = 1, .do_restart = 1, .idle = 10,
	                  .restart_budget = 1e9, .status_budget = 1e9, .cold_timeout = 0, .slow_ms = 100, .min_reps = 10 };
	struct sys *s = NULL;
	for (int i = 2; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--no-mass")) {
			o.mass = 0;
			continue;
		}
		if (!strcmp(a, "--no-restart")) {
			o.do_restart = 0;
			continue;
		}
		if (i + 1 >= argc)
			usage();
		const char *v = argv[++i];
		if (!strcmp(a, "--sys")) {
			if (g_nsys == 8)
				die("too many systems");
			s = &g_sys[g_nsys++];
			s->name = v;
			s->stop = "kill";
			s->log = "/dev/null";
			s->status_reps = 30;
			continue;
		}
		if (!strcmp(a, "--n")) g_n = atoi(v);
		else if (!strcmp(a, "--out")) o.out = v;
		else if (!strcmp(a, "--dir")) o.dir = v;
		else if (!strcmp(a, "--idle")) o.idle = atof(v);
		else if (!strcmp(a, "--restart-reps")) o.restart_reps = atoi(v);
		else if (!strcmp(a, "--restart-budget")) o.restart_budget = atof(v);
		else if (!strcmp(a, "--status-budget")) o.status_budget = atof(v);
		else if (!strcmp(a, "--cold-timeout")) o.cold_timeout = atof(v);
		else if (!strcmp(a, "--slow-ms")) o.slow_ms = atof(v);
		else if (!strcmp(a, "--min-reps")) o.min_reps = atoi(v);
		else if (!strcmp(a, "--shm-churn")) o.shm_churn = atoi(v);
		else if (!s) usage();
		else if (!strcmp(a, "--launch")) s->launch = v;
		else if (!strcmp(a, "--ts")) s->ts = v;
		else if (!strcmp(a, "--log")) s->log = v;
		else if (!strcmp(a, "--status")) s->status = v;
		else if (!strcmp(a, "--status2")) s->status2 = v;
		else if (!strcmp(a, "--status-reps")) s->status_reps = atoi(v);
		else if (!strcmp(a, "--stop")) s->stop = v;
		else usage();
	}
	if (g_n <= 0 || !o.out || !g_nsys)
		usage();
	for (int i = 0; i < g_nsys; i++)
		if (!g_sys[i].launch || !g_sys[i].ts)
			die("%s: --launch and --ts are required", g_sys[i].name);
	g_out = fopen(o.out, "a");
	if (!g_out)
		die("%s: %s", o.out, strerror(errno));
	g_tmp = malloc(sizeof(int) * TMPCAP);
	g_t_start = now_ns();

	if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
		die("PR_SET_CHILD_SUBREAPER: %s", strerror(errno));
	struct sigaction sa = { 0 };
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	/* 1. cold start, one system at a time; the others sit idle meanwhile */
	for (int i = 0; i < g_nsys && !g_stop; i++)
		phase_cold(&g_sys[i], &o);
	/* 6. idle cost, all systems over the same window; 5. footprint */
	if (!g_stop)
		phase_idle(&o);
	for (int i = 0; i < g_nsys && !g_stop; i++)
		if (!g_sys[i].failed)
			phase_footprint(&g_sys[i]);
	/* 4. status */
	if (!g_stop)
		phase_status_all(&o);
	/* 3. mass crash (first: every worker is old now, so nobody waits for the 2 s) */
	for (int i = 0; i < g_nsys && o.mass && !g_stop; i++)
		if (!g_sys[i].failed)
			phase_mass(&g_sys[i]);
	/* 2. restart latency */
	if (o.do_restart && !g_stop)
		phase_restart(&o);
	if (!g_stop && (o.do_restart || o.mass))
		phase_final(&o);
	for (int i = 0; i < g_nsys; i++)
		phase_stop(&g_sys[i]);
	int killed = kill_tree();
	if (killed)
		note("teardown: killed %d processes", killed);
	int bad = 0;
	for (int i = 0; i < g_nsys; i++)
		bad |= g_sys[i].failed;
	fclose(g_out);
	return g_stop ? 130 : bad ? 1 : 0;
}
