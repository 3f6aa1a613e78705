/* One worker's lifecycle: feeds events to the FSM table (fsm.c) and carries out its actions.
 * process_set_state() is the only writer of p->state and process_set_pid() of p->pid; each
 * publishes its change (events.h). Everything a spawn needs from outside the process comes from
 * the config it points into, process_configure() (daemon-wide settings) and the hooks. */
#include "core/process.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/events.h"
#include "os/killtree.h"
#include "os/logpipe.h"
#include "os/looptime.h"
#include "os/scoreboard.h"
#include "os/spawn.h"
#include "util.h"


static struct ev_loop *event_loop;
static struct process_hooks hooks;
static char instance[64];          /* DROVER_NAME of every worker */
static int default_umask = -1;     /* [drover] umask */
static char *daemon_user;          /* [drover]/[supervisord] user, NULL: none */
static bool shutting_down;

void process_init(struct ev_loop *l, const struct process_hooks *h)
{
	event_loop = l;
	hooks = *h;
}

static enum log_time log_time_of(enum log_timestamps t)
{
	return t == TIMESTAMPS_UTC ? LOG_TIME_UTC : t == TIMESTAMPS_LOCAL ? LOG_TIME_LOCAL : LOG_TIME_NONE;
}

void process_configure(const struct drover_config *cfg)
{
	strcpy_bounded(instance, sizeof(instance), cfg->name);
	default_umask = cfg->umask;
	free(daemon_user);
	daemon_user = cfg->user ? xstrdup(cfg->user) : NULL;
	log_set_time(log_time_of(cfg->log_timestamps));
}

void process_begin_shutdown(void)
{
	shutting_down = true;
}

bool process_shutting_down(void)
{
	return shutting_down;
}

static void fsm_feed(struct process *p, enum fsm_event ev);

static void process_set_state(struct process *p, enum proc_state s)
{
	enum proc_state old = p->state;
	if (old == s)
		return;
	p->state = s;
	p->state_ns = now_mono_ns();
	p->state_real_ns = now_real_ns();
	p->subject.state = proc_state_to_string(s);
	if (s == PROC_STOPPED)
		p->stops++;
	log_proc(LOG_DEBUG, p, "%s: %s -> %s", p->cfg->fullname, proc_state_to_string(old), proc_state_to_string(s));
	events_state_changed(p, old);
}

static void process_set_pid(struct process *p, pid_t pid)
{
	pid_t old = p->pid;
	if (old == pid)
		return;
	p->pid = pid;
	p->subject.pid = pid;
	events_pid_changed(p, old);
}

/* A new incarnation of p is about to be spawned: the scoreboard object it will get, which knows
 * the generation before the child exists (later pid and state changes reach it through the event
 * module). Its descriptor for the spawn, or -1 (the worker runs without a scoreboard). */
static int slot_new_incarnation(const struct process *p)
{
	if (p->slot < 0)
		return -1;
	struct sb_owner o = { .generation = p->generation, .pid = p->pid, .state = (uint32_t) p->state };
	int fd = scoreboard_slot_spawn((uint32_t) p->slot, &o);
	return fd >= 0 ? fd : -1;
}

static void timer_cancel(struct process *p)
{
	ev_timer_stop(event_loop, &p->timer);
	p->timer_due_ns = 0;
}

/* The timer fires at due_ns (CLOCK_MONOTONIC), counted from the event it measures, however long
 * the step that arms it has taken so far. */
static void timer_arm_at(struct process *p, uint64_t due_ns)
{
	uint64_t now = now_mono_ns();
	looptime_arm(event_loop, &p->timer, due_ns > now ? (double) (due_ns - now) / 1e9 : 0.);
	p->timer_due_ns = due_ns;
}

static void timer_arm(struct process *p, double seconds)
{
	timer_arm_at(p, now_mono_ns() + (uint64_t) (seconds * 1e9));
}

bool process_reported_ready(struct process *p)
{
	struct sb_view v;
	if (p->slot < 0 || scoreboard_slot_view((uint32_t) p->slot, &v, now_mono_ns()) < 0 || !v.ready)
		return false;
	log_proc(LOG_INFO, p, "%s: reported ready", p->cfg->fullname);
	return true;
}

static void do_spawn(struct process *p);
static void stdin_settled(struct process *p, bool forked);

static void timer_cb(struct ev_loop *l, ev_timer *w, int revents)
{
	struct process *p = container_of(w, struct process, timer);
	p->timer_due_ns = 0;
	if (p->spawn_deferred)
		do_spawn(p);
	else if (p->state == PROC_STARTING)   /* startsecs reached: up, unless readiness is reported */
		fsm_feed(p, p->cfg->ready.kind == CHECK_NONE || (hooks.ready_now && hooks.ready_now(p)) ? FSM_UP
		                                                                                  : FSM_READY_TIMEOUT);
	else
		fsm_feed(p, FSM_TIMER);
}

/* The log files the config names for p's output now. */
static void output_configure(struct process *p)
{
	struct logpipe_file f[2];
	const struct logfile_config *lc[2] = { &p->cfg->stdout_log, &p->cfg->stderr_log };
	for (int s = 0; s < 2; s++)
		f[s] = (struct logpipe_file) { .path = lc[s]->kind == LOGFILE_NONE ? NULL : lc[s]->path,
		                               .maxbytes = lc[s]->maxbytes, .backups = lc[s]->backups,
		                               .timestamps = log_time_of(p->prog->log_timestamps) };
	/* A listener's stdout is its protocol; log events need the output too. */
	f[0].published = p->prog->kind == PROGRAM_LISTENER || p->prog->stdout_events;
	f[1].published = p->prog->stderr_events;
	logpipe_configure(p->out, &f[0], &f[1], p->prog->redirect_stderr);
}

void process_set_config(struct process *p, const struct program_config *prog, const struct proc_config *cfg)
{
	p->prog = prog;
	p->cfg = cfg;
	p->subject.name = cfg->fullname;
	output_configure(p);
}

/* The worker's output, once logged, is published (event listeners read theirs, log events). */
static void output_tap(void *ctx, int stream, const char *data, size_t n)
{
	events_output(ctx, stream, data, n);
}

struct process *process_new(const struct program_config *prog, const struct proc_config *cfg)
{
	struct process *p = xcalloc(1, sizeof(*p));
	p->state = PROC_STOPPED;
	p->state_ns = now_mono_ns();
	p->state_real_ns = now_real_ns();
	p->subject.state = proc_state_to_string(p->state);
	p->pidfd = -1;
	p->slot = -1;
	strcpy_bounded(p->description, sizeof(p->description), "Not started");
	ev_init(&p->timer, timer_cb);
	p->out = logpipe_new(&p->subject);
	logpipe_set_publish(p->out, output_tap, p);
	process_set_config(p, prog, cfg);
	return p;
}

struct process *process_free(struct process *p)
{
	if (!p)
		return NULL;
	timer_cancel(p);
	spawn_cancel(p->spawning);
	p->spawning = NULL;
	logpipe_set_publish(p->out, NULL, NULL);   /* what the free still drains is p's last output, for nobody */
	logpipe_free(p->out);
	if (p->slot >= 0)
		scoreboard_slot_release((uint32_t) p->slot);
	free(p);
	return NULL;
}

/* Has a live child. */
static bool process_is_running(const struct process *p)
{
	return p->pid > 0;
}

bool process_is_down(const struct process *p)
{
	return p->pid <= 0 && p->state != PROC_STOPPING && p->state != PROC_STARTING;
}

bool process_is_stopped(const struct process *p)
{
	return p->pid <= 0 && (p->state == PROC_STOPPED || p->state == PROC_EXITED || p->state == PROC_FATAL);
}

/* Send sig to the worker (or its process group when group is set), through the pidfd. */
static int process_kill(struct process *p, int sig, bool group)
{
	if (p->pid <= 0)
		return -ESRCH;
	/* The child is not reaped until our own reaper runs, so its pid (and, as its session
	 * leader, its process group id) cannot have been recycled: kill(-pid) is safe here. */
	if (group) {
		if (kill(-p->pid, sig) < 0 && errno != ESRCH)
			return -errno;
		return 0;
	}
	if (p->pidfd >= 0) {
		if (pidfd_send_signal(p->pidfd, sig, NULL, 0) < 0)
			return -errno;
		return 0;
	}
	if (kill(p->pid, sig) < 0)
		return -errno;
	return 0;
}

/* Every signal the lifecycle sends goes through here; a failure is logged once, here. */
static void signal_worker(struct process *p, int sig, bool group)
{
	int r = process_kill(p, sig, group);
	if (r < 0 && r != -ESRCH)
		log_proc(LOG_ERR, p, "%s: kill: %s", p->cfg->fullname, strerror(-r));
}

int process_signal(struct process *p, int sig)
{
	if (!process_is_running(p))
		return -ESRCH;
	return process_kill(p, sig, false);
}

void wstatus_describe(int wstatus, char *buf, size_t size)
{
	if (WIFEXITED(wstatus))
		snprintf(buf, size, "exit status %d", WEXITSTATUS(wstatus));
	else if (WIFSIGNALED(wstatus))
		snprintf(buf, size, "terminated by SIG%s%s", signal_to_string(WTERMSIG(wstatus)),
		         WCOREDUMP(wstatus) ? " (core dumped)" : "");
	else
		snprintf(buf, size, "wait status %#x", wstatus);
}

/* The program's environment, then drover's own variables (they win). */
static char **spawn_env(struct process *p, int sbfd)
{
	char **env = strv_copy(p->cfg->env);
	strv_push(&env, xasprintf("DROVER_NAME=%s", instance));
	strv_push(&env, xasprintf("DROVER_PROGRAM=%s", p->prog->name));
	strv_push(&env, xasprintf("DROVER_PROCESS=%s", p->cfg->fullname));
	strv_push(&env, xasprintf("DROVER_SLOT=%d", p->slot));
	strv_push(&env, xasprintf("DROVER_GENERATION=%u", p->generation));
	if (sbfd >= 0)
		strv_push(&env, xasprintf(SB_FD_ENV "=%d", SB_FD));
	strv_push(&env, xstrdup("SUPERVISOR_ENABLED=1"));
	strv_push(&env, xasprintf("SUPERVISOR_PROCESS_NAME=%s", p->cfg->name));
	strv_push(&env, xasprintf("SUPERVISOR_GROUP_NAME=%s", p->prog->group));
	if (hooks.spawning)
		hooks.spawning(p, &env);
	return env;
}

static void spawn_failed(struct process *p, const char *reason)
{
	strcpy_bounded(p->description, sizeof(p->description), reason);
	log_proc(LOG_ERR, p, "%s: %s", p->cfg->fullname, reason);
	fsm_feed(p, FSM_SPAWN_FAILED);
}

/* The spawn that asked the stdin hook for a descriptor was handed to the spawner (forked: a
 * worker may exist from now on), or failed at once (none will). */
static void stdin_settled(struct process *p, bool forked)
{
	if (!p->stdin_pending)
		return;
	p->stdin_pending = false;
	if (hooks.stdin_done)
		hooks.stdin_done(p, forked);
}

/* The spawner's answers (os/spawn.h). The worker exists: from now on it can be signalled and
 * its exit is reaped; it is "spawned" once it has exec'd its command. */
static void on_started(void *ctx, pid_t pid, int pidfd)
{
	struct process *p = ctx;
	process_set_pid(p, pid);
	p->pidfd = pidfd;
	if (p->spawns > 0) {
		if (p->spawn_user_asked)
			p->restarts_manual++;
		else
			p->restarts_auto++;
	}
	p->spawns++;
	p->killed_unready = false;
	p->stopped_sig = 0;
	p->spawned_ns = now_mono_ns();
	p->description[0] = '\0';
	logpipe_watch(p->out);
}

static void on_exec(void *ctx, int err, enum spawn_stage stage, const char *reason)
{
	struct process *p = ctx;
	p->spawning = NULL;
	if (err == 0 || stage == SPAWN_STAGE_EXEC)   /* as supervisord: the child existed and tried */
		log_proc(LOG_INFO, p, "spawned: '%s' with pid %d", p->cfg->fullname, (int) p->pid);
	if (err) {   /* its exit (127) follows and decides the state */
		strcpy_bounded(p->description, sizeof(p->description), reason);
		log_proc(LOG_ERR, p, "%s: %s", p->cfg->fullname, reason);
		return;
	}
	p->execs++;
	if (p->state != PROC_STARTING)
		return;
	if (p->prog->startsecs == 0 && p->cfg->ready.kind == CHECK_NONE)
		fsm_feed(p, FSM_UP);
	else if (p->prog->startsecs > 0)   /* ready = anything else with startsecs = 0: no deadline */
		timer_arm_at(p, p->spawned_ns + (uint64_t) p->prog->startsecs * NSEC_PER_SEC);
}

static void on_failed(void *ctx, int err, const char *reason)
{
	struct process *p = ctx;
	p->spawning = NULL;
	stdin_settled(p, false);
	logpipe_watch(p->out);   /* no writer: each pipe ends at once */
	spawn_failed(p, reason);
}

/* Its child hung before exec (a path that does not answer) and was given up: as if it had
 * exited, but its real exit, whenever it comes, belongs to nobody. */
static void on_abandoned(void *ctx, const char *reason)
{
	struct process *p = ctx;
	pid_t pid = p->pid;
	p->spawning = NULL;
	strcpy_bounded(p->description, sizeof(p->description), reason);
	log_proc(LOG_ERR, p, "%s: %s", p->cfg->fullname, reason);
	process_reaped(p, pid);
	process_on_exit(p, pid, W_EXITCODE(127, 0));
}

static const struct spawn_ops spawn_ops = {
	.started = on_started, .exec = on_exec, .failed = on_failed, .abandoned = on_abandoned,
};

/* Make the pipes and hand the request to the spawner; the answers come through spawn_ops (the
 * first ones perhaps before this returns). sbfd (the worker's scoreboard object, -1: none) is
 * taken over: the worker gets it as SB_FD, droverd keeps the mapping only. */
static void spawn_worker(struct process *p, int sbfd)
{
	char err[sizeof(p->description)];
	struct logpipe_fds fds = LOGPIPE_FDS_INIT;
	int in = -1;
	if (hooks.stdin_open) {
		/* The hook keeps its descriptor (a listener's pipe, an fcgi socket shared by every
		 * process of the program); the request takes over a copy. */
		p->stdin_pending = true;
		int hook_fd = -1;
		if (hooks.stdin_open(p, &hook_fd, err, sizeof(err)) < 0)
			goto failed;
		if (hook_fd >= 0 && (in = fcntl(hook_fd, F_DUPFD_CLOEXEC, 3)) < 0) {
			snprintf(err, sizeof(err), "spawn error: cannot pass the standard input: %s", strerror(errno));
			goto failed;
		}
	}
	int r = logpipe_prepare(p->out, &fds);
	if (r < 0) {
		snprintf(err, sizeof(err), "spawn error: cannot set up output: %s", strerror(-r));
		goto failed;
	}
	char **env = spawn_env(p, sbfd);
	struct spawn_fd sb = { .fd = sbfd, .target = SB_FD };
	struct spawn_request req = {
		.argv = p->cfg->argv, .directory = p->cfg->directory, .user = p->prog->user, .daemon_user = daemon_user,
		.umask = p->prog->umask >= 0 ? p->prog->umask : default_umask,
		.environment_file = p->prog->environment_file, .env = env,
		.stdio = { in >= 0 ? in : fds.in, fds.out, fds.err }, .extra = sbfd >= 0 ? &sb : NULL, .nextra = sbfd >= 0,
	};
	/* droverd keeps the read ends; the child's ends go with the request. */
	logpipe_attach(p->out, &fds);
	/* The order starts are asked in (two spawn helpers may then exec them in either order). */
	log_proc(LOG_DEBUG, p, "spawning: '%s'", p->cfg->fullname);
	p->spawning = spawn_submit(&req, &spawn_ops, p);
	/* Unless it failed already, the request is on its way: a worker may exist from now on. A
	 * later failure leaves the hook a descriptor nobody reads, replaced at the next spawn (no
	 * event goes to a listener that never ran). */
	stdin_settled(p, true);
	strv_free(env);
	return;
failed:
	if (in >= 0)
		(void) close(in);
	if (sbfd >= 0)
		(void) close(sbfd);
	stdin_settled(p, false);
	spawn_failed(p, err);
}

static void do_spawn(struct process *p)
{
	timer_cancel(p);
	if (shutting_down)
		return;
	/* What is left of the previous worker's group and tree must be gone first (a restarted
	 * server must find its port free); bounded by stopwaitsecs. killtree holds each of those
	 * processes by a pidfd: asking kill(-pgid, 0) instead would also wait for an unrelated
	 * group that got the old worker's pid as its id once the old group was gone. */
	if (p->prog->killtree && killtree_pending_for(p->cfg->fullname)) {
		uint64_t now = now_mono_ns();
		if (!p->spawn_deferred) {
			p->spawn_deferred = true;
			p->defer_until_ns = now + (uint64_t) (p->prog->stopwaitsecs + 1) * NSEC_PER_SEC;
		}
		if (now < p->defer_until_ns) {
			/* Meanwhile the process is STARTING without a pid, as one waiting for a dependency:
			 * a stop cancels the spawn (it is not STOPPED with a timer that starts it anyway). */
			strcpy_bounded(p->description, sizeof(p->description),
			               "waiting for the previous worker's processes to exit");
			process_set_state(p, PROC_STARTING);
			timer_arm(p, 0.01);
			return;
		}
		log_proc(LOG_WARNING, p, "%s: leftovers of the previous worker are still alive: spawning anyway",
		         p->cfg->fullname);
	}
	p->spawn_deferred = false;
	if (!hooks.may_spawn(p, p->description, sizeof(p->description))) {
		p->waiting_deps = true;
		process_set_state(p, PROC_STARTING);
		log_proc(LOG_INFO, p, "%s: %s", p->cfg->fullname, p->description);
		return;
	}
	p->waiting_deps = false;
	p->generation++;
	int sbfd = slot_new_incarnation(p);
	/* A user's start asks for one attempt: the retries after it are the policy's. */
	p->spawn_user_asked = p->spawn_by_user;
	p->spawn_by_user = false;
	process_set_state(p, PROC_STARTING);
	p->description[0] = '\0';
	spawn_worker(p, sbfd);
}

/* Delay before the next attempt after the k-th failed start in a row (k >= 1). */
static double backoff_delay(const struct program_config *prog, int k)
{
	if (prog->backoff == BACKOFF_EXPONENTIAL) {
		double d = prog->backoff_initial > 0 ? prog->backoff_initial : 1;
		for (int i = 1; i < k && d < prog->backoff_max; i++)
			d *= 2;
		return d > prog->backoff_max && prog->backoff_max > 0 ? prog->backoff_max : d;
	}
	return k;   /* supervisord: 1 s, 2 s, 3 s ... */
}

static void do_backoff(struct process *p)
{
	p->backoff++;
	if (p->description[0] == '\0')
		strcpy_bounded(p->description, sizeof(p->description), "Exited too quickly (process log may have details)");
	if (p->prog->startretries != STARTRETRIES_INFINITE && p->backoff > p->prog->startretries) {
		/* supervisord goes BACKOFF, then gives up (FATAL from BACKOFF): event listeners see both */
		process_set_state(p, PROC_BACKOFF);
		process_set_state(p, PROC_FATAL);
		log_proc(LOG_WARNING, p, "gave up: %s entered FATAL state, too many start retries too quickly",
		         p->cfg->fullname);
		if (p->prog->fatal_retry > 0 && !shutting_down)
			timer_arm(p, p->prog->fatal_retry);
		return;
	}
	process_set_state(p, PROC_BACKOFF);
	if (!shutting_down)
		timer_arm(p, backoff_delay(p->prog, p->backoff));
}

/* Down with nothing pending (no worker, no spawn to come): STOPPED. Then the start a restart
 * asked for, if any. */
static void enter_stopped(struct process *p)
{
	enum start_origin by = p->restart_pending;
	timer_cancel(p);
	p->waiting_deps = false;
	p->spawn_deferred = false;
	p->restart_pending = START_NONE;
	process_set_state(p, PROC_STOPPED);
	if (by != START_NONE && !shutting_down)
		process_start(p, by);
}

static void do_kill(struct process *p)
{
	bool group = p->prog->stopasgroup;
	if (p->pid <= 0) {   /* not spawned yet (a dependency, leftovers, or its spawn is on its way) */
		spawn_cancel(p->spawning);
		p->spawning = NULL;
		enter_stopped(p);
		return;
	}
	process_set_state(p, PROC_STOPPING);
	log_proc(LOG_INFO, p, "stopping: %s (pid %d) with SIG%s", p->cfg->fullname, (int) p->pid,
	         signal_to_string(p->prog->stopsignal));
	signal_worker(p, p->prog->stopsignal, group);
	uint64_t sent = now_mono_ns();   /* stopwaitsecs counts from here, however long the walk below */
	/* A SIGSTOPped worker must be able to act on the stop signal. */
	(void) process_kill(p, SIGCONT, group);
	if (p->prog->killtree)
		killtree_stop(&p->subject, p->pid, p->pidfd, p->prog->stopsignal, p->prog->stopwaitsecs);
	timer_arm_at(p, sent + (uint64_t) p->prog->stopwaitsecs * NSEC_PER_SEC);
}

static bool kill_hard_as_group(const struct process *p)
{
	return p->prog->killasgroup || p->prog->stopasgroup;
}

static void do_kill_hard(struct process *p)
{
	log_proc(LOG_WARNING, p, "killing: %s (pid %d) with SIGKILL after %d s", p->cfg->fullname, (int) p->pid,
	         p->prog->stopwaitsecs);
	signal_worker(p, SIGKILL, kill_hard_as_group(p));
	timer_arm(p, p->prog->stopwaitsecs > 0 ? p->prog->stopwaitsecs : 1);   /* re-send if it lingers */
}

/* Not ready within startsecs: the start failed. Its exit then goes to BACKOFF as usual. */
static void do_abort_start(struct process *p)
{
	snprintf(p->description, sizeof(p->description), "not ready within %d s (startsecs)", p->prog->startsecs);
	log_proc(LOG_WARNING, p, "%s: not ready within startsecs (%d s; ready = %s): start failed, killing pid %d",
	         p->cfg->fullname, p->prog->startsecs, p->cfg->ready.spec ? p->cfg->ready.spec : "startsecs",
	         (int) p->pid);
	p->killed_unready = true;
	signal_worker(p, SIGKILL, kill_hard_as_group(p));
}

static void fsm_feed(struct process *p, enum fsm_event ev)
{
	struct fsm_transition t = fsm_step(p->state, ev);

	switch (t.action) {
	case ACT_NONE:
		process_set_state(p, t.next);
		break;
	case ACT_SPAWN:
		do_spawn(p);
		break;
	case ACT_RUNNING:
		timer_cancel(p);
		if (p->prog->backoff_reset == 0)
			p->backoff = 0;   /* supervisord: reaching RUNNING forgives earlier failures */
		p->running_ns = now_mono_ns();
		process_set_state(p, PROC_RUNNING);
		if (p->cfg->ready.kind == CHECK_NONE)
			log_proc(LOG_INFO, p, "success: %s entered RUNNING state, process has stayed up for > than %d seconds (startsecs)",
			         p->cfg->fullname, p->prog->startsecs);
		else
			log_proc(LOG_INFO, p, "success: %s entered RUNNING state, ready (ready = %s) %.3f s after its spawn",
			         p->cfg->fullname, p->cfg->ready.spec, (double) (now_mono_ns() - p->spawned_ns) / 1e9);
		break;
	case ACT_BACKOFF:
		timer_cancel(p);
		do_backoff(p);
		break;
	case ACT_RESPAWN:
		process_set_state(p, PROC_EXITED);
		if (shutting_down || p->state != PROC_EXITED)
			break;
		uint64_t interval = (uint64_t) p->prog->respawn_interval * NSEC_PER_SEC;
		if (now_mono_ns() - p->spawned_ns < interval) {
			/* It died within respawn_interval (1 s) of its spawn (startsecs = 0 makes that
			 * RUNNING): at most one spawn per interval, about supervisord's rate (it restarts
			 * on its once-a-second tick), so a crash loop neither eats a core nor floods the
			 * logs. This does not count as a failed start (startretries). */
			double wait = (double) (p->spawned_ns + interval - now_mono_ns()) / 1e9;
			process_set_state(p, PROC_BACKOFF);
			timer_arm(p, wait);
			break;
		}
		if (p->prog->backoff == BACKOFF_EXPONENTIAL) {
			/* Crash-loop policy: a RUNNING crash waits too, the delay growing until the
			 * process has stayed up backoff_reset seconds. */
			process_set_state(p, PROC_BACKOFF);
			timer_arm(p, backoff_delay(p->prog, ++p->backoff));
			break;
		}
		fsm_feed(p, FSM_START);
		break;
	case ACT_KILL:
		do_kill(p);
		break;
	case ACT_RESTART:
		if (p->restart_pending == START_NONE)
			p->restart_pending = START_POLICY;
		do_kill(p);
		break;
	case ACT_KILL_HARD:
		do_kill_hard(p);
		break;
	case ACT_ABORT_START:
		do_abort_start(p);
		break;
	case ACT_STOPPED:
		enter_stopped(p);
		break;
	case ACT_CANCEL:
		timer_cancel(p);
		p->spawn_deferred = false;
		process_set_state(p, t.next);
		break;
	case ACT_MAX:
		break;
	}
}

void process_deps_changed(struct process *p)
{
	if (p->waiting_deps && p->state == PROC_STARTING)
		do_spawn(p);
}

/* A user's start or restart lifts the user's stop; a policy's finds it in force and does nothing. */
static bool start_allowed(struct process *p, enum start_origin by)
{
	if (by == START_USER)
		p->held = false;
	return !p->held;
}

void process_start(struct process *p, enum start_origin by)
{
	if (shutting_down || p->removed || !start_allowed(p, by))
		return;
	p->restart_pending = START_NONE;
	if (p->state != PROC_STARTING && p->state != PROC_RUNNING && p->state != PROC_STOPPING)
		p->spawn_by_user = by == START_USER;   /* (a start of a running process spawns nothing) */
	hooks.starting(p, by);
	if (p->state == PROC_FATAL || p->state == PROC_STOPPED || p->state == PROC_EXITED)
		p->backoff = 0;   /* a user start clears FATAL */
	fsm_feed(p, FSM_START);
}

void process_stop(struct process *p)
{
	p->restart_pending = START_NONE;
	fsm_feed(p, FSM_STOP);
}

void process_hold(struct process *p)
{
	p->held = true;
}

void process_restart(struct process *p, enum start_origin by)
{
	if (!start_allowed(p, by))
		return;
	if (p->state == PROC_STARTING || p->state == PROC_RUNNING || p->state == PROC_STOPPING) {
		/* Start once stopped (a user's restart under way stays a user's). The pending start is
		 * recorded first: a process with no worker yet is stopped, and started, at once. */
		if (p->restart_pending != START_USER)
			p->restart_pending = by;
		fsm_feed(p, FSM_STOP);
		return;
	}
	if (p->state == PROC_BACKOFF)
		fsm_feed(p, FSM_STOP);
	process_start(p, by);
}

void process_up(struct process *p)
{
	fsm_feed(p, FSM_UP);
}

void process_heartbeat_stale(struct process *p)
{
	fsm_feed(p, FSM_HEARTBEAT_STALE);
}

void process_health_failed(struct process *p)
{
	fsm_feed(p, FSM_HEALTH_FAILED);
}

void process_extend_start(struct process *p, uint64_t usec)
{
	if (p->state != PROC_STARTING || p->pid <= 0 || !ev_is_active(&p->timer) || p->spawn_deferred)
		return;
	uint64_t want = now_mono_ns() + usec * 1000;
	if (p->timer_due_ns >= want)
		return;
	timer_arm(p, (double) usec / 1e6);
}

void process_reaped(struct process *p, pid_t pid)
{
	/* The child exec'd (or failed to) before it exited: that answer first, while the pid is still
	 * the worker's, so that what watches the pid sees spawn, then exit (an exit policy takes a
	 * pid gone while STARTING or RUNNING for an exit on its own). */
	if (p->spawning)
		spawn_settle(p->spawning);
	p->pidfd = -1;   /* the reaper's, closed once the exit is handed over */
	process_set_pid(p, 0);
	p->subject.pid = pid;   /* the exit's log lines still name it */
}

void process_on_exit(struct process *p, pid_t pid, int wstatus)
{
	char why[96];
	enum fsm_event ev = FSM_EXIT_FINAL;

	if (p->spawning)   /* not reaped through process_reaped() */
		spawn_settle(p->spawning);
	logpipe_on_exit(p->out);   /* its last output, and its pipe descriptors back before a respawn */
	if (p->prog->killtree)
		killtree_after_exit(&p->subject, pid, p->generation, p->prog->stopsignal, p->prog->stopwaitsecs);
	if (p->slot >= 0)
		scoreboard_slot_exit((uint32_t) p->slot);
	p->have_exit = true;
	p->exit_wstatus = wstatus;
	wstatus_describe(wstatus, why, sizeof(why));

	if (p->state == PROC_RUNNING && p->prog->backoff_reset > 0 &&
	    now_mono_ns() - p->running_ns >= (uint64_t) p->prog->backoff_reset * NSEC_PER_SEC)
		p->backoff = 0;   /* it stayed up long enough: start the backoff curve afresh */
	if (p->state == PROC_RUNNING) {
		bool expected = WIFEXITED(wstatus) && program_exitcode_expected(p->prog, WEXITSTATUS(wstatus));
		bool restart = p->prog->autorestart == AUTORESTART_TRUE ||
		               (p->prog->autorestart == AUTORESTART_UNEXPECTED && !expected);
		if (program_exit_shuts_down(p->prog, wstatus))
			restart = false;   /* its shutdown_on takes droverd down: nothing respawns */
		log_proc(LOG_INFO, p, "exited: %s (%s; %s)", p->cfg->fullname, why, expected ? "expected" : "not expected");
		strcpy_bounded(p->description, sizeof(p->description), why);
		if (restart && !shutting_down)
			ev = FSM_EXIT_RESTART;
	} else if (p->state == PROC_STARTING && p->killed_unready) {
		/* the SIGKILL was ours: the reason is the readiness deadline, said when it was sent */
		log_proc(LOG_INFO, p, "exited: %s (killed: %s)", p->cfg->fullname, p->description);
	} else if (p->state == PROC_STARTING) {
		log_proc(LOG_INFO, p, "exited: %s (%s; not expected)", p->cfg->fullname, why);
		if (p->description[0] == '\0')
			snprintf(p->description, sizeof(p->description), "Exited too quickly (%s)", why);
	} else {
		log_proc(LOG_INFO, p, "stopped: %s (%s)", p->cfg->fullname, why);
		strcpy_bounded(p->description, sizeof(p->description), why);
	}
	p->subject.pid = 0;
	fsm_feed(p, ev);
}

void process_before_reap(struct process *p)
{
	/* What is left of the worker's process group goes with it (as systemd does for a service's
	 * cgroup), unless killtree = false. Called while the worker is still an unreaped zombie, so
	 * its pid, which is also its process group id, cannot have been recycled. */
	if (p->prog->killtree)
		(void) kill(-p->pid, SIGKILL);
}

void process_stopped_by_signal(struct process *p, int sig)
{
	p->stopped_sig = sig;
	log_proc(LOG_INFO, p, "%s (pid %d) %s", p->cfg->fullname, (int) p->pid,
	         sig ? "stopped by a signal" : "continued");
}

void process_status(const struct process *p, struct proto_status *s)
{
	uint64_t now = now_mono_ns();

	memset(s, 0, sizeof(*s));
	strcpy_bounded(s->name, sizeof(s->name), p->cfg->fullname);
	strcpy_bounded(s->group, sizeof(s->group), p->prog->group);
	s->state = (uint8_t) p->state;
	s->pid = p->pid;
	if (p->pid > 0 && p->spawned_ns)
		s->uptime_ms = (now - p->spawned_ns) / NSEC_PER_MSEC;
	s->restarts = p->restarts_auto;
	s->restarts_manual = p->restarts_manual;
	s->since_ms = p->state_real_ns / NSEC_PER_MSEC;
	if (p->have_exit) {
		s->flags |= PROTO_ST_EXITED;
		s->exitstatus = WIFEXITED(p->exit_wstatus) ? WEXITSTATUS(p->exit_wstatus)
		              : WIFSIGNALED(p->exit_wstatus) ? -WTERMSIG(p->exit_wstatus) : 0;
	}
	s->next_attempt_ms = -1;
	if ((p->state == PROC_BACKOFF || p->state == PROC_FATAL) && p->timer_due_ns)
		s->next_attempt_ms = p->timer_due_ns > now ? (int64_t) ((p->timer_due_ns - now) / NSEC_PER_MSEC) : 0;
	if (p->pid > 0 && p->stopped_sig)
		snprintf(s->description, sizeof(s->description), "stopped by signal SIG%s", signal_to_string(p->stopped_sig));
	else if (p->state != PROC_RUNNING && p->state != PROC_STARTING)
		strcpy_bounded(s->description, sizeof(s->description), p->description);
	else if (p->state == PROC_STARTING && p->description[0])
		strcpy_bounded(s->description, sizeof(s->description), p->description);
	s->log_dropped = logpipe_dropped(p->out);
	if (p->slot >= 0)
		scoreboard_slot_status((uint32_t) p->slot, &p->subject, s);
}
