/* Each process's check record, its NOTIFY_SOCKET and the status fields of its checks (see
 * checks.h). What a notify message means is decided here: READY=1 is readiness (FSM_UP through
 * process_up), WATCHDOG=1 a heartbeat the liveness checks read, EXTEND_TIMEOUT_USEC= moves the
 * readiness deadline, STATUS= the worker's status line. */
#include "core/checks.h"

#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/events.h"
#include "core/process.h"
#include "core/table.h"
#include "os/linematch.h"
#include "os/log.h"
#include "os/logpipe.h"
#include "util.h"

#define DROP_LOG_INTERVAL_NS (10 * NSEC_PER_SEC)   /* one "dropped" line per process per 10 s */

static struct ev_loop *loop;
static uint64_t drops_logged_ns;

struct proc_checks *checks_of(struct process *p)
{
	if (!p->checks) {
		p->checks = xcalloc(1, sizeof(*p->checks));
		p->checks->p = p;
	}
	return p->checks;
}

/* ---- the notify socket ------------------------------------------------------------------------ */

static void on_notify(void *ctx, const struct notify_msg *m, pid_t sender)
{
	struct proc_checks *c = ctx;
	struct process *p = c->p;
	uint64_t now = now_mono_ns();

	if (m->have_status)
		memcpy(c->notify_status, m->status, sizeof(c->notify_status));
	if (m->have_errno)
		c->notify_errno = m->errnum;
	if (m->mainpid)
		c->mainpid = m->mainpid;
	if (m->watchdog_usec)
		c->watchdog_usec = m->watchdog_usec;
	if (m->watchdog)
		c->notify_heartbeat_ns = now;
	if (m->watchdog_trigger)
		c->watchdog_trigger = true;
	if (m->reloading) {
		c->notify_reloading = true;
		c->notify_ready = false;
	}
	if (m->stopping)
		c->notify_stopping = true;
	if (m->extend_usec && p->state == PROC_STARTING)
		process_extend_start(p, m->extend_usec);
	if (m->ready) {
		c->notify_ready = true;
		c->notify_reloading = false;
		if (p->state == PROC_STARTING && p->pid > 0 && p->cfg->ready.kind == CHECK_NOTIFY)
			checks_ready(p, CHECK_NOTIFY, "READY=1");
	}
	if (m->watchdog_trigger && p->state == PROC_RUNNING && p->cfg->health.kind == CHECK_NOTIFY) {
		/* the worker says it is unhealthy: as many failures as health_action waits for */
		c->have_health = true;
		c->health_ok = false;
		c->health_at_ns = now;
		c->health_latency_ns = 0;
		c->health_failures = (unsigned) p->prog->health_failures;
		snprintf(c->health_detail, sizeof(c->health_detail), "WATCHDOG=trigger");
		log_proc(LOG_WARNING, p, "%s: WATCHDOG=trigger from pid %d%s", p->cfg->fullname, (int) sender,
		         p->prog->health_action == HEALTH_RESTART ? ": restarting it" : " (health_action = log)");
		if (p->prog->health_action == HEALTH_RESTART)
			process_health_failed(p);
	}
}

static void on_drop(void *ctx, enum notify_drop why)
{
	struct proc_checks *c = ctx;
	c->notify_dropped++;
	uint64_t now = now_mono_ns();
	if (now - drops_logged_ns < DROP_LOG_INTERVAL_NS)
		return;
	drops_logged_ns = now;
	log_proc(LOG_WARNING, c->p, "%s: notify message dropped (%s); %llu dropped so far (more are counted, not logged, "
	         "for 10 s)", c->p->cfg->fullname, notify_drop_to_string(why), (unsigned long long) c->notify_dropped);
}

static const struct notifysock_hooks notify_hooks = { .message = on_notify, .dropped = on_drop };

/* The socket's owner: the program's user (a worker that drops privileges keeps its tree's
 * access through the session check, not through the file mode). */
static void user_ids(const char *user, uid_t *uid, gid_t *gid)
{
	struct passwd pw, *res = NULL;
	char buf[4096];
	int64_t n;
	*uid = (uid_t) -1;
	*gid = (gid_t) -1;
	if (!user)
		return;
	if (parse_int64(user, 0, INT32_MAX, &n) == 0)
		getpwuid_r((uid_t) n, &pw, buf, sizeof(buf), &res);
	else
		getpwnam_r(user, &pw, buf, sizeof(buf), &res);
	if (res) {
		*uid = res->pw_uid;
		*gid = res->pw_gid;
	}
}

static void reset_incarnation(struct proc_checks *c)
{
	c->ready_via = CHECK_NONE;
	c->ready_decided = false;
	c->ready_after_ns = 0;
	c->ready_detail[0] = '\0';
	c->notify_ready = c->notify_reloading = c->notify_stopping = c->watchdog_trigger = false;
	c->notify_status[0] = '\0';
	c->notify_heartbeat_ns = 0;
	c->watchdog_usec = 0;
	c->mainpid = 0;
	c->notify_errno = 0;
}

void checks_spawning(struct process *p, char ***env)
{
	struct proc_checks *c = p->checks;
	if (c)
		reset_incarnation(c);
	if (!p->cfg->notify_socket) {
		if (c)
			c->ns = notifysock_close(c->ns);
		return;
	}
	c = checks_of(p);
	reset_incarnation(c);
	if (!c->ns) {
		uid_t uid;
		gid_t gid;
		user_ids(p->prog->user, &uid, &gid);
		int r = notifysock_open(uid, gid, &notify_hooks, c, &c->ns);
		if (r < 0) {
			log_proc(LOG_ERR, p, "%s: cannot create its NOTIFY_SOCKET: %s (it will not be able to report)",
			         p->cfg->fullname, strerror(-r));
			return;
		}
	}
	notifysock_set_owner(c->ns, 0);
	notifysock_discard(c->ns);   /* what a previous incarnation left queued is not this one's */
	notifysock_expect(c->ns);    /* this one's first message may come before its pid does */
	strv_env_set(env, xasprintf("NOTIFY_SOCKET=%s", notifysock_address(c->ns)));
}

static void record_ready(struct process *p, enum check_kind kind, const char *detail)
{
	struct proc_checks *c = checks_of(p);
	c->ready_via = kind;
	c->ready_decided = true;
	c->ready_after_ns = now_mono_ns() - p->spawned_ns;
	if (detail)
		snprintf(c->ready_detail, sizeof(c->ready_detail), "%s", detail);
}

bool checks_ready_now(struct process *p)
{
	struct proc_checks *c = p->checks;
	bool ready = false;
	switch (p->cfg->ready.kind) {
	case CHECK_SCOREBOARD:
		ready = process_reported_ready(p);
		break;
	case CHECK_NOTIFY:
		if (c) {
			notifysock_poll(c->ns);   /* a READY=1 queued behind the timer counts */
			ready = p->state == PROC_STARTING && c->notify_ready;
		}
		break;
	default:
		break;
	}
	if (ready)   /* the caller feeds FSM_UP */
		record_ready(p, p->cfg->ready.kind, p->cfg->ready.kind == CHECK_NOTIFY ? "READY=1" : "reported ready");
	return ready;
}

void checks_ready(struct process *p, enum check_kind kind, const char *detail)
{
	if (p->state != PROC_STARTING || p->pid <= 0)
		return;
	record_ready(p, kind, detail);
	process_up(p);
}

uint64_t checks_notify_heartbeat(const struct process *p)
{
	return p->checks ? p->checks->notify_heartbeat_ns : 0;
}

void checks_probe_spec(const struct process *p, const struct check_config *c, int timeout_ms, char **env,
                       struct probe_spec *ret)
{
	memset(ret, 0, sizeof(*ret));
	ret->kind = c->kind == CHECK_TCP ? PROBE_TCP : c->kind == CHECK_HTTP ? PROBE_HTTP : PROBE_EXEC;
	ret->timeout_ms = timeout_ms;
	ret->host = c->host;
	ret->port = c->port;
	ret->path = c->path;
	ret->command = c->command;
	ret->user = p->prog->user;
	ret->directory = p->cfg->directory;
	ret->umask = p->prog->umask;
	ret->env = env;
	ret->environment_file = p->prog->environment_file;
}

static uint64_t fnv(uint64_t h, const void *data, size_t n)
{
	const unsigned char *b = data;
	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * UINT64_C(0x100000001b3);
	return h;
}

uint64_t checks_digest(const struct check_config *c, int interval_ms, int timeout_ms, int failures, int action)
{
	int v[5] = { (int) c->kind, interval_ms, timeout_ms, failures, action };
	uint64_t h = fnv(UINT64_C(0xcbf29ce484222325), v, sizeof(v));
	return c->spec ? fnv(h, c->spec, strlen(c->spec)) : h;
}

/* ---- status ------------------------------------------------------------------------------------ */

static uint8_t wire_check(enum check_kind k)
{
	return (uint8_t) k;   /* the same order: _Static_assert below */
}
_Static_assert((int) CHECK_LOG == (int) PROTO_CHECK_LOG && (int) CHECK_MAX == (int) PROTO_CHECK_MAX,
               "check kinds travel as proto_check");

void checks_status(const struct process *p, struct proto_status *s)
{
	const struct proc_checks *c = p->checks;
	uint64_t now = now_mono_ns();

	s->health_check = wire_check(p->cfg->health.kind);
	s->health_failures_max = (uint8_t) (p->prog->health_failures > 255 ? 255 : p->prog->health_failures);
	if (p->state == PROC_RUNNING && p->pid > 0) {
		s->flags |= PROTO_ST_READY_VIA;
		s->ready_via = c && c->ready_decided ? wire_check(c->ready_via) : PROTO_CHECK_NONE;
		s->ready_after_ms = c && c->ready_decided ? c->ready_after_ns / NSEC_PER_MSEC
		                  : p->running_ns > p->spawned_ns ? (p->running_ns - p->spawned_ns) / NSEC_PER_MSEC : 0;
	}
	if (!c)
		return;
	snprintf(s->ready_detail, sizeof(s->ready_detail), "%s", c->ready_detail);
	s->notify_dropped = c->notify_dropped;
	if (c->have_health && p->state == PROC_RUNNING) {
		s->health_result = c->health_ok ? PROTO_HEALTH_OK : PROTO_HEALTH_FAILED;
		s->health_age_ms = now > c->health_at_ns ? (now - c->health_at_ns) / NSEC_PER_MSEC : 0;
		s->health_latency_ms = c->health_latency_ns / NSEC_PER_MSEC;
		s->health_failures = (uint8_t) (c->health_failures > 255 ? 255 : c->health_failures);
		snprintf(s->health_detail, sizeof(s->health_detail), "%s", c->health_detail);
	}
	if (p->pid > 0 && p->cfg->notify_socket) {
		/* what the worker said through the socket fills the fields a libdrover worker fills */
		if (c->notify_ready)
			s->flags |= PROTO_ST_READY;
		if (c->notify_heartbeat_ns) {
			uint64_t age = now > c->notify_heartbeat_ns ? (now - c->notify_heartbeat_ns) / NSEC_PER_MSEC : 0;
			if (!(s->flags & PROTO_ST_HEARTBEAT) || age < s->heartbeat_age_ms)
				s->heartbeat_age_ms = age;
			s->flags |= PROTO_ST_HEARTBEAT;
		}
		if (!s->status_line[0])
			snprintf(s->status_line, sizeof(s->status_line), "%s", c->notify_status);
	}
}

/* ---- lifecycle ---------------------------------------------------------------------------------- */

static void on_pid_changed(void *ctx, struct process *p, pid_t old)
{
	if (p->checks)
		notifysock_set_owner(p->checks->ns, p->pid);
}

static void checks_free(struct process *p)
{
	struct proc_checks *c = p->checks;
	if (!c)
		return;
	c->ready_probe = probe_cancel(c->ready_probe);
	c->health_probe = probe_cancel(c->health_probe);
	ev_timer_stop(loop, &c->ready_timer);
	ev_timer_stop(loop, &c->health_timer);
	if (c->lines)
		logpipe_set_tap(p->out, NULL, NULL);
	c->lines = linematch_free(c->lines);
	c->ns = notifysock_close(c->ns);
	free(c);
	p->checks = NULL;
}

static void on_gone(void *ctx, struct process *p)
{
	checks_free(p);
}

static struct events_subscriber subscriber = { .pid_changed = on_pid_changed, .gone = on_gone };

void checks_init(struct ev_loop *l, const char *run_dir, const char *instance)
{
	loop = l;
	probe_init(l);
	int r = notifysock_init(l, run_dir, instance);
	if (r < 0)   /* notifysock_open falls back to abstract names */
		log_warn("cannot create the directory of notify sockets in %s: %s (abstract sockets are used)", run_dir,
		         strerror(-r));
	events_subscribe(&subscriber);
}

void checks_teardown(void)
{
	events_unsubscribe(&subscriber);
	for (size_t i = 0; i < tab.n; i++)
		checks_free(tab.procs[i]);
	probe_shutdown();
	notifysock_shutdown();
}
