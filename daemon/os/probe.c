/* Probes (see probe.h). Each attempt owns at most one socket or one child: a socket is closed
 * when the attempt ends, a command is killed with its process group at the timeout and stays on
 * the list until the reaper hands over its exit, so neither a descriptor nor a zombie outlives it.
 *
 * The HTTP client is written here rather than taken from a library: a probe needs one request
 * and the status line of the answer, on a socket the event loop already watches; libcurl's multi
 * interface could do it but brings TLS, redirects, DNS threads and a second event integration
 * for ~150 lines of need. */
#include "os/probe.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "os/log.h"
#include "os/looptime.h"
#include "os/spawn.h"
#include "util.h"

#define HTTP_REQUEST_MAX   1024
#define HTTP_RESPONSE_MAX  1024   /* the status line must come within this */
#define EXEC_OUTPUT_MAX    200    /* bytes of a command's output kept for the detail */

struct probe {
	struct probe *next, *prev;
	enum probe_kind kind;
	probe_done_fn done;             /* NULL once delivered or cancelled */
	void *ctx;
	uint64_t t0;
	int timeout_ms;
	int fd;                         /* socket, or the command's output pipe; -1 none */
	ev_io io;
	ev_timer timer;
	bool finished;                  /* the outcome is in out (delivered from the timer) */
	bool connected;
	struct probe_outcome out;
	char req[HTTP_REQUEST_MAX];
	size_t req_len, req_off;
	char resp[HTTP_RESPONSE_MAX];
	size_t resp_len;
	pid_t pid;                      /* the command, until reaped; 0 none */
	bool reaping;                   /* reaped, its exit not handed over yet (the reaper holds p) */
	struct reap_owner reaper;
	struct spawn_job *job;          /* its spawn, until the command has exec'd */
};

static struct ev_loop *loop;
static struct probe *all;
static struct probe_stats stats;

void probe_init(struct ev_loop *l)
{
	loop = l;
}

const struct probe_stats *probe_get_stats(void)
{
	return &stats;
}

static void list_add(struct probe *p)
{
	p->next = all;
	if (all)
		all->prev = p;
	all = p;
	stats.running++;
}

static void probe_free(struct probe *p)
{
	if (p->prev)
		p->prev->next = p->next;
	else
		all = p->next;
	if (p->next)
		p->next->prev = p->prev;
	stats.running--;
	free(p);
}

static void close_io(struct probe *p)
{
	ev_io_stop(loop, &p->io);
	ev_timer_stop(loop, &p->timer);
	if (p->fd >= 0)
		(void) close(p->fd);
	p->fd = -1;
}

/* Hand the outcome over; the probe is freed unless its command is still to be reaped. */
static void deliver(struct probe *p)
{
	close_io(p);
	p->out.latency_ns = now_mono_ns() - p->t0;
	if (p->out.ok)
		stats.ok++;
	else if (p->out.timed_out)
		stats.timed_out++;
	else
		stats.failed++;
	probe_done_fn done = p->done;
	void *ctx = p->ctx;
	struct probe_outcome out = p->out;
	p->done = NULL;
	if (p->pid <= 0 && !p->reaping) {   /* no command to reap (a spawn still on its way is called off) */
		spawn_cancel(p->job);
		p->job = NULL;
		probe_free(p);
	}
	if (done)
		done(ctx, &out);
}

static void fail_errno(struct probe *p, int err, const char *what)
{
	p->out.ok = false;
	if (err == ECONNREFUSED)
		snprintf(p->out.detail, sizeof(p->out.detail), "connection refused");
	else
		snprintf(p->out.detail, sizeof(p->out.detail), "%s: %s", what, strerror(err));
}

/* A result known at once is delivered from the loop all the same (a zero timer). */
static void finish_later(struct probe *p)
{
	ev_io_stop(loop, &p->io);
	p->finished = true;
	ev_timer_stop(loop, &p->timer);
	ev_timer_set(&p->timer, 0., 0.);
	ev_timer_start(loop, &p->timer);
}

/* ---- tcp and http ---------------------------------------------------------------------------- */

int probe_http_status(const char *buf, size_t len)
{
	static const char prefix[] = "HTTP/1.";
	size_t np = sizeof(prefix) - 1;
	if (memcmp(buf, prefix, len < np ? len : np) != 0)
		return -EBADMSG;
	const char *nl = memchr(buf, '\n', len);
	if (!nl)
		return len >= HTTP_RESPONSE_MAX ? -EBADMSG : 0;
	/* "HTTP/1.x SSS" then a blank or the line end */
	size_t ll = (size_t) (nl - buf);
	if (ll < np + 5 || buf[np] < '0' || buf[np] > '9' || buf[np + 1] != ' ')
		return -EBADMSG;
	const char *c = buf + np + 2;
	for (int i = 0; i < 3; i++)
		if (c[i] < '0' || c[i] > '9')
			return -EBADMSG;
	if (c[3] != ' ' && c[3] != '\r' && c[3] != '\n')
		return -EBADMSG;
	int code = (c[0] - '0') * 100 + (c[1] - '0') * 10 + (c[2] - '0');
	return code >= 100 ? code : -EBADMSG;
}

static void http_read(struct probe *p)
{
	for (;;) {
		ssize_t n = read(p->fd, p->resp + p->resp_len, sizeof(p->resp) - p->resp_len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n < 0) {
			fail_errno(p, errno, "read");
			deliver(p);
			return;
		}
		p->resp_len += (size_t) n;
		int code = probe_http_status(p->resp, p->resp_len);
		if (code == 0 && n > 0 && p->resp_len < sizeof(p->resp))
			continue;
		if (code > 0) {
			p->out.http_status = code;
			p->out.ok = code >= 200 && code < 300;
			snprintf(p->out.detail, sizeof(p->out.detail), "HTTP %d", code);
		} else {
			snprintf(p->out.detail, sizeof(p->out.detail), n == 0 && p->resp_len == 0 ? "connection closed without an answer"
			                                                                     : "not an HTTP response");
		}
		deliver(p);
		return;
	}
}

static void http_write(struct probe *p)
{
	while (p->req_off < p->req_len) {
		ssize_t n = send(p->fd, p->req + p->req_off, p->req_len - p->req_off, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n < 0) {
			fail_errno(p, errno, "send");
			deliver(p);
			return;
		}
		p->req_off += (size_t) n;
	}
	ev_io_stop(loop, &p->io);
	ev_io_set(&p->io, p->fd, EV_READ);
	ev_io_start(loop, &p->io);
}

static void sock_cb(struct ev_loop *l, ev_io *w, int revents)
{
	struct probe *p = container_of(w, struct probe, io);
	if (!p->connected) {   /* writable: the connect is decided */
		int err = 0;
		socklen_t len = sizeof(err);
		if (getsockopt(p->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
			err = errno;
		if (err) {
			fail_errno(p, err, "connect");
			deliver(p);
			return;
		}
		p->connected = true;
		if (p->kind == PROBE_TCP) {
			p->out.ok = true;
			snprintf(p->out.detail, sizeof(p->out.detail), "connected");
			deliver(p);
			return;
		}
	}
	if (p->req_off < p->req_len)
		http_write(p);
	else
		http_read(p);
}

static int sock_start(struct probe *p, const struct probe_spec *spec)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	memset(&ss, 0, sizeof(ss));
	struct sockaddr_in *v4 = (struct sockaddr_in *) &ss;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *) &ss;
	if (inet_pton(AF_INET, spec->host, &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET;
		v4->sin_port = htons((uint16_t) spec->port);
		sl = sizeof(*v4);
	} else if (inet_pton(AF_INET6, spec->host, &v6->sin6_addr) == 1) {
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons((uint16_t) spec->port);
		sl = sizeof(*v6);
	} else {
		return -EINVAL;
	}
	if (spec->kind == PROBE_HTTP) {
		bool v6host = strchr(spec->host, ':') != NULL;
		int n = snprintf(p->req, sizeof(p->req),
		                 "GET %s HTTP/1.1\r\nHost: %s%s%s:%d\r\nUser-Agent: drover-probe\r\nAccept: */*\r\n"
		                 "Connection: close\r\n\r\n",
		                 spec->path ? spec->path : "/", v6host ? "[" : "", spec->host, v6host ? "]" : "", spec->port);
		if (n < 0 || (size_t) n >= sizeof(p->req))
			return -E2BIG;
		p->req_len = (size_t) n;
	}
	p->fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (p->fd < 0)
		return -errno;
	ev_io_init(&p->io, sock_cb, p->fd, EV_WRITE);
	int r;
	do
		r = connect(p->fd, (struct sockaddr *) &ss, sl);
	while (r < 0 && errno == EINTR);
	if (r < 0 && errno != EINPROGRESS) {
		fail_errno(p, errno, "connect");
		finish_later(p);
		return 0;
	}
	ev_io_start(loop, &p->io);   /* connected at once (loopback) or not: writable tells */
	return 0;
}

/* ---- commands -------------------------------------------------------------------------------- */

static void exec_started(void *ctx, pid_t pid, int pidfd)
{
	struct probe *p = ctx;
	p->pid = pid;
}

static void exec_execd(void *ctx, int err, enum spawn_stage stage, const char *reason)
{
	struct probe *p = ctx;
	p->job = NULL;   /* a failure shows as the command's exit (127) */
}

static void exec_failed(void *ctx, int err, const char *reason)
{
	struct probe *p = ctx;
	p->job = NULL;
	/* a command that cannot even be started is a failed attempt, said as such */
	snprintf(p->out.detail, sizeof(p->out.detail), "%.95s", reason);
	finish_later(p);
}

/* Its child hung before exec and was given up: no exit of it will come. */
static void exec_abandoned(void *ctx, const char *reason)
{
	struct probe *p = ctx;
	p->job = NULL;
	p->pid = 0;
	if (p->done) {
		p->out.ok = false;
		snprintf(p->out.detail, sizeof(p->out.detail), "%.95s", reason);
		deliver(p);
	} else {
		probe_free(p);
	}
}

static const struct spawn_ops exec_ops = {
	.started = exec_started, .exec = exec_execd, .failed = exec_failed, .abandoned = exec_abandoned,
};

static int exec_start(struct probe *p, const struct probe_spec *spec)
{
	char *argv[] = { (char *) "/bin/sh", (char *) "-c", (char *) spec->command, NULL };
	int out[2] = { -1, -1 }, err2 = -1;

	if (pipe2(out, O_CLOEXEC) < 0 || fcntl(out[0], F_SETFL, O_NONBLOCK) < 0 ||
	    (err2 = fcntl(out[1], F_DUPFD_CLOEXEC, 3)) < 0) {
		snprintf(p->out.detail, sizeof(p->out.detail), "pipe: %s", strerror(errno));
		if (out[0] >= 0)
			(void) close(out[0]);
		if (out[1] >= 0)
			(void) close(out[1]);
		finish_later(p);
		return 0;
	}
	p->fd = out[0];
	struct spawn_request req = {
		.argv = argv, .directory = spec->directory, .user = spec->user,
		.umask = spec->umask, .environment_file = spec->environment_file, .env = spec->env,
		.stdio = { -1, out[1], err2 },
	};
	p->job = spawn_submit(&req, &exec_ops, p);
	return 0;
}

/* The command's exit: the outcome, with the first line of what it printed. */
static void exec_exited(struct probe *p, int wstatus)
{
	char buf[EXEC_OUTPUT_MAX + 1], why[48];
	ssize_t n = -1;
	if (p->fd >= 0)
		do
			n = read(p->fd, buf, EXEC_OUTPUT_MAX);
		while (n < 0 && errno == EINTR);
	buf[n > 0 ? n : 0] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	char line[EXEC_OUTPUT_MAX * 4 + 1];
	escape_line(line, sizeof(line), buf);
	p->out.wstatus = wstatus;
	p->out.have_wstatus = true;
	p->out.ok = WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0;
	if (WIFEXITED(wstatus))
		snprintf(why, sizeof(why), "exit status %d", WEXITSTATUS(wstatus));
	else if (WIFSIGNALED(wstatus))
		snprintf(why, sizeof(why), "killed by SIG%s", signal_to_string(WTERMSIG(wstatus)));
	else
		snprintf(why, sizeof(why), "wait status %#x", wstatus);
	char text[sizeof(why) + sizeof(line) + 2];
	snprintf(text, sizeof(text), "%s%s%s", why, line[0] ? ": " : "", line);
	(void) strcpy_bounded(p->out.detail, sizeof(p->out.detail), text);   /* cut: a detail, not a log */
}

/* ---- attempts ------------------------------------------------------------------------------ */

static void timer_cb(struct ev_loop *l, ev_timer *w, int revents)
{
	struct probe *p = container_of(w, struct probe, timer);
	if (p->finished) {
		deliver(p);
		return;
	}
	p->out.ok = false;
	p->out.timed_out = true;
	snprintf(p->out.detail, sizeof(p->out.detail), "timed out after %d.%03d s", p->timeout_ms / 1000,
	         p->timeout_ms % 1000);
	if (p->pid > 0) {   /* not reaped yet: its pid is its group's and still ours */
		(void) kill(-p->pid, SIGKILL);
		(void) kill(p->pid, SIGKILL);   /* before its setsid, the group is not its own yet */
	}
	deliver(p);
}

int probe_start(const struct probe_spec *spec, probe_done_fn done, void *ctx, struct probe **ret)
{
	if ((unsigned) spec->kind >= PROBE_KIND_MAX || !done)
		return -EINVAL;
	struct probe *p = xcalloc(1, sizeof(*p));
	p->kind = spec->kind;
	p->done = done;
	p->ctx = ctx;
	p->fd = -1;
	p->t0 = now_mono_ns();
	p->timeout_ms = spec->timeout_ms > 0 ? spec->timeout_ms : 1000;
	ev_init(&p->timer, timer_cb);
	ev_init(&p->io, sock_cb);
	int r = spec->kind == PROBE_EXEC ? exec_start(p, spec) : sock_start(p, spec);
	if (r < 0) {
		close_io(p);
		free(p);
		return r;
	}
	list_add(p);
	stats.started++;
	if (!p->finished)
		looptime_arm(loop, &p->timer, p->timeout_ms / 1000.);
	*ret = p;
	return 0;
}

struct probe *probe_cancel(struct probe *p)
{
	if (!p || !p->done)
		return NULL;
	p->done = NULL;
	close_io(p);
	if (p->pid > 0) {
		(void) kill(-p->pid, SIGKILL);   /* freed once reaped */
		(void) kill(p->pid, SIGKILL);
	} else if (!p->reaping) {         /* else freed when the reaper hands its exit over */
		spawn_cancel(p->job);
		p->job = NULL;
		probe_free(p);
	}
	return NULL;
}

static struct probe *find_pid(pid_t pid)
{
	for (struct probe *p = all; p; p = p->next)
		if (p->pid == pid)
			return p;
	return NULL;
}

/* The command's pid is free once reaped: nothing may signal it from then on. */
static void reaped(struct reap_owner *o, pid_t pid)
{
	struct probe *p = container_of(o, struct probe, reaper);
	p->pid = 0;
	p->reaping = true;
}

static void exited(struct reap_owner *o, pid_t pid, int wstatus)
{
	struct probe *p = container_of(o, struct probe, reaper);
	p->reaping = false;
	if (p->job) {   /* its exec answer first (the job ends with it) */
		struct spawn_job *job = p->job;
		spawn_settle(job);
	}
	if (p->done && !p->finished) {
		exec_exited(p, wstatus);
		deliver(p);
		return;
	}
	/* timed out or cancelled before: only the zombie was left */
	close_io(p);
	probe_free(p);
}

static const struct reap_ops reap_ops = { .reaped = reaped, .exited = exited };

struct reap_owner *probe_reap_exiting(pid_t pid)
{
	struct probe *p = find_pid(pid);
	if (!p)
		return NULL;
	(void) kill(-pid, SIGKILL);   /* what the command left in its group goes with it */
	p->reaper.ops = &reap_ops;
	return &p->reaper;
}

void probe_shutdown(void)
{
	for (struct probe *p = all, *next; p; p = next) {
		next = p->next;
		if (p->done)
			(void) probe_cancel(p);
		else if (p->pid > 0)
			(void) kill(-p->pid, SIGKILL);
	}
}
