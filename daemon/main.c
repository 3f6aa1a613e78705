/* droverd: argv, start-up order, the event loop's signal watchers, teardown (mirror of start-up). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "conf/config.h"
#include "core/fdbudget.h"
#include "core/manager.h"
#include "core/reload.h"
#include "core/supervisor.h"
#include "ctl-server/control.h"
#include "ctl-server/metrics.h"
#include "os/instance.h"
#include "os/leftovers.h"
#include "os/log.h"
#include "os/notify.h"
#include "os/pidfile.h"
#include "os/reap.h"
#include "os/signals.h"
#include "os/spawn.h"
#include "os/spawn-helper.h"
#include "util.h"

#define DEFAULT_CONFIG DROVER_SYSCONFDIR "/drover/drover.ini"

static const char *config_path;

/* The usage line and the options, as droverd(8)'s synopsis and OPTIONS say them (e2e/man-pages). */
static void usage(FILE *f)
{
	fprintf(f, "usage: droverd [-c FILE] [-t [--strict]] [-d] [--version] [--help]\n"
	           "  -c, --config FILE   config file (default " DEFAULT_CONFIG ")\n"
	           "  -t, --check         validate the config and its includes, print every warning and error;\n"
	           "                      exit 1 on errors (with --strict, on warnings too), else 0\n"
	           "      --strict        with -t: warnings fail too\n"
	           "  -d, --debug         debug logging\n"
	           "      --version       print the version and exit\n"
	           "  -h, --help          print this help and exit\n");
}

static void on_terminate(int sig)
{
	manager_shutdown();
}

static void on_sighup(int sig)
{
	if (manager_shutting_down()) {
		log_info("received SIGHUP during shutdown: ignored");
		return;
	}
	log_info("received SIGHUP: reloading %s", config_path);
	(void) manager_reload(NULL);
}

static void on_reopen(int sig)
{
	reload_reopen_logs();
}

static const struct signal_actions signal_actions = {
	.shutdown = on_terminate, .reload = on_sighup, .reopen_logs = on_reopen,
};

/* 0, 1 and 2 must be open: otherwise a pipe or queue could land there and reach a worker's stdio. */
static void ensure_stdio(void)
{
	for (int fd = 0; fd < 3; fd++) {
		if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
			continue;
		int n = open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY);
		if (n >= 0 && n != fd)
			close(n);
	}
}

/* Descriptors: the soft limit up to the hard one (a worker costs a pidfd, and pipes when it is
 * logged); children get the old one back. */
static void raise_limits(const struct drover_config *cfg)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		spawn_set_child_nofile(rl.rlim_cur);
		if (cfg->minfds > 0 && (rlim_t) cfg->minfds > rl.rlim_max)
			log_warn("minfds %ld is above the hard limit %lu", cfg->minfds, (unsigned long) rl.rlim_max);
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			log_warn("cannot raise RLIMIT_NOFILE: %s", strerror(errno));
	}
	if (cfg->minprocs > 0 && getrlimit(RLIMIT_NPROC, &rl) == 0 && rl.rlim_cur < (rlim_t) cfg->minprocs) {
		rl.rlim_cur = (rlim_t) cfg->minprocs <= rl.rlim_max ? (rlim_t) cfg->minprocs : rl.rlim_max;
		if (setrlimit(RLIMIT_NPROC, &rl) < 0)
			log_warn("cannot raise RLIMIT_NPROC to minprocs %ld: %s", cfg->minprocs, strerror(errno));
	}
}

static int mkdir_p(const char *path, mode_t mode)
{
	char buf[4096];
	if (strcpy_bounded(buf, sizeof(buf), path) < 0)
		return -ENAMETOOLONG;
	for (char *s = buf + 1; ; s++) {
		if (*s == '/' || *s == '\0') {
			char c = *s;
			*s = '\0';
			if (mkdir(buf, mode) < 0 && errno != EEXIST)
				return -errno;
			*s = c;
			if (!c)
				break;
		}
	}
	return 0;
}

/* After the loop: the members of stopped workers' groups were sent SIGKILL and, as droverd is
 * their subreaper, are its children: reap them before exiting rather than leave them to init
 * as zombies. Bounded (1 s), for adopted descendants that do not die (killtree = false). */
static void reap_adopted(void)
{
	uint64_t deadline = now_mono_ns() + NSEC_PER_SEC;
	for (;;) {
		siginfo_t si;
		reap_children();
		memset(&si, 0, sizeof(si));
		if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) < 0 && errno == ECHILD)
			return;   /* no child left at all */
		if (now_mono_ns() >= deadline)
			return;   /* also for a child that stays a zombie this loop cannot reap */
		struct timespec ts = { 0, 5 * 1000 * 1000 };
		nanosleep(&ts, NULL);   /* after the event loop: nothing else to serve */
	}
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check", no_argument, NULL, 't' },
		{ "strict", no_argument, NULL, 'S' },
		{ "debug", no_argument, NULL, 'd' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	const char *path = DEFAULT_CONFIG;
	bool check = false, strict = false;
	struct config_diag diag = { 0 };
	struct drover_config *cfg = NULL;
	int c, r;

	if (argc > 1 && strcmp(argv[1], SPAWN_HELPER_ARG) == 0)
		return spawn_helper_main(argc, argv);   /* droverd's own spawn helper (os/spawn.c) */

	while ((c = getopt_long(argc, argv, "c:tdh", opts, NULL)) != -1) {
		switch (c) {
		case 'c': path = optarg; break;
		case 't': check = true; break;
		case 'S': strict = true; break;
		case 'd': log_set_debug(1); break;
		case 'V': printf("droverd %s\n", DROVER_VERSION); return 0;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;   /* a usage error, as droverctl's */
		}
	}
	if (optind != argc) {
		fprintf(stderr, "droverd: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	ensure_stdio();
	if (!check)
		log_init();

	diag.no_lookups = !check;
	r = config_load(path, &cfg, &diag);
	if (check) {
		int rc = config_check_print(path, cfg, &diag, strict);
		config_diag_clear(&diag);
		config_free(cfg);
		return rc;
	}
	for (char **w = diag.warnings; w && *w; w++)
		log_warn("%s", *w);
	if (r < 0) {
		for (char **e = diag.errors; e && *e; e++)
			log_error("%s", *e);
		notify_startup_failed(diag.errors && diag.errors[0] ? diag.errors[0] : "bad config", -r);
		config_diag_clear(&diag);
		return 1;
	}
	config_diag_clear(&diag);
	if (cfg->user) {
		char msg[256];
		if ((r = spawn_check_user(cfg->user, msg, sizeof(msg))) < 0) {
			log_error("%s", msg);
			notify_startup_failed(msg, -r);
			config_free(cfg);
			return 1;
		}
	}

	/* Before anything is created: a config that cannot fit the descriptor limit is refused whole. */
	raise_limits(cfg);
	struct fdbudget budget;
	unsigned long limit;
	if (!fdbudget_check(cfg, fdbudget_available(&limit), &budget)) {
		char msg[512];
		fdbudget_describe(&budget, limit, msg, sizeof(msg));
		log_error("%s: %s", path, msg);
		notify_startup_failed(msg, EMFILE);
		config_free(cfg);
		return 1;
	}

	pid_t holder = 0;
	r = instance_lock(cfg->name, &holder);
	if (r < 0) {
		char msg[256];
		if (r == -EBUSY)
			snprintf(msg, sizeof(msg), "droverd instance '%s' is already running (pid %d)", cfg->name, (int) holder);
		else if (r == -EPERM)
			snprintf(msg, sizeof(msg), "lock /dev/shm/%s.lock belongs to another user: refusing to start", cfg->name);
		else
			snprintf(msg, sizeof(msg), "cannot lock instance '%s': %s", cfg->name, strerror(-r));
		log_error("%s", msg);
		notify_startup_failed(msg, -r);
		config_free(cfg);
		return 1;
	}

	/* We hold the lock: whatever still carries this instance's name is an earlier run's. */
	leftovers_kill(cfg->name);
	if ((r = mkdir_p(cfg->log_dir, 0755)) < 0)
		log_warn("cannot create log_dir %s: %s", cfg->log_dir, strerror(-r));
	if ((r = mkdir_p(cfg->run_dir, 0755)) < 0)
		log_warn("cannot create run_dir %s: %s", cfg->run_dir, strerror(-r));

	/* Not the default loop: libev's default loop reaps children itself (its own SIGCHLD
	 * watcher), and reaping must have exactly one path: reap.c. */
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	if (!loop) {
		log_error("cannot create the event loop");
		return 1;
	}
	config_path = path;
	signals_start(loop, &signal_actions);

	r = control_open(cfg);
	if (r < 0) {
		notify_startup_failed("cannot create the control queue", -r);
		instance_unlock();
		config_free(cfg);
		ev_loop_destroy(loop);
		return 1;
	}
	size_t nprocs = 0;
	for (size_t i = 0; i < cfg->nprograms; i++)
		nprocs += cfg->programs[i].nprocs;
	r = supervisor_start(loop, path, cfg);   /* takes cfg: it lives until a reload replaces it */
	if (r < 0) {
		notify_startup_failed("cannot create the scoreboard", -r);
		control_close();
		instance_unlock();
		config_free(cfg);
		ev_loop_destroy(loop);
		return 1;
	}
	if (cfg->subreaper && getpid() != 1 && prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
		log_warn("cannot become a child subreaper: %s", strerror(errno));
	(void) spawn_init(loop, cfg->name);

	notify_init(loop);
	control_start(loop);
	metrics_start(loop, cfg);
	log_info("droverd %s started: instance '%s', %zu processes, config %s", DROVER_VERSION, cfg->name, nprocs, path);
	/* Only now: droverd owns its instance and answers signals and droverctl, so whoever reads
	 * the pidfile can use it (kill -TERM $(cat FILE) stops the workers in order). */
	if (cfg->pidfile && (r = pidfile_write(cfg->pidfile)) < 0)
		log_error("cannot write pidfile %s: %s", cfg->pidfile, strerror(-r));
	supervisor_autostart();
	notify_ready();

	ev_run(loop, 0);

	/* Teardown, the mirror of start-up. Every worker is down: the loop ends only then. */
	spawn_shutdown();
	reap_adopted();
	pidfile_remove();
	metrics_stop();
	control_close();
	int status = supervisor_exit_status();
	supervisor_teardown();
	reap_shutdown();
	notify_close();
	signals_stop();
	ev_loop_destroy(loop);
	instance_unlock();
	if (status)
		log_info("droverd stopped: exit status %d (exit policy)", status);
	else
		log_info("droverd stopped");
	return status;
}
