/* droverd's metrics (see metrics.h): the numbers gathered at once, and metrics_file. */
#include "ctl-server/metrics.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf/config.h"
#include "core/events.h"
#include "core/manager.h"
#include "core/reload.h"
#include "ctl-server/server.h"
#include "os/log.h"
#include "util.h"

static struct {
	struct ev_loop *loop;
	ev_timer timer;
	char instance[PROTO_NAME_MAX];
	uint64_t start_ms;
	char *path;              /* metrics_file; NULL: none, and no timer */
	int interval;
	int last_error;          /* of the last write: a failure is logged when it first happens */
} m;

int metrics_text(enum metrics_format fmt, char **ret, size_t *ret_len)
{
	struct mgr_set set;
	struct reload_counts rc;
	manager_match(NULL, 0, &set);
	struct proto_status *st = xcalloc(set.nprocs + 1, sizeof(*st));
	for (size_t i = 0; i < set.nprocs; i++)
		manager_status(set.v[i].p, &st[i]);
	reload_counts(&rc);
	struct metrics_daemon d = {
		.instance = m.instance, .version = DROVER_VERSION, .start_time_ms = m.start_ms,
		.control_requests = srv.st.received, .control_bad = srv.st.bad,
		.replies_dropped = srv.st.replies_dropped, .reloads = rc.applied, .reload_failures = rc.refused,
	};
	int r = metrics_render(&d, st, set.nprocs, now_real_ns() / NSEC_PER_MSEC, fmt, ret, ret_len);
	free(st);
	manager_set_free(&set);
	return r;
}

/* The temporary file: the same directory (rename is atomic only within one file system), a
 * name the textfile collector skips (it reads *.prom only) and that no other instance uses. */
static char *temp_name(const char *path)
{
	char *copy = xstrdup(path);
	char *t = xasprintf("%s/.%s.%s.tmp", dirname(copy), m.instance, strrchr(path, '/') ? strrchr(path, '/') + 1 : path);
	free(copy);
	return t;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		p += w;
		n -= (size_t) w;
	}
	return 0;
}

/* Write the text aside, then rename it over the file: a reader sees the old text or the new,
 * never half of one. */
static int write_file(const char *path)
{
	char *text = NULL, *tmp = temp_name(path);
	size_t len = 0;
	int fd = -1, r = metrics_text(METRICS_PROMETHEUS, &text, &len);
	if (r < 0)
		goto out;
	/* A new file of our own every time: whatever sits at the name (a crash's leftover, or
	 * something planted in a shared directory) is removed, never written through. */
	if (unlink(tmp) < 0 && errno != ENOENT) {
		r = -errno;
		goto out;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0) {
		r = -errno;
		goto out;
	}
	r = write_all(fd, text, len);
	if (close(fd) < 0 && r == 0 && errno != EINTR)
		r = -errno;
	if (r == 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0)
		(void) unlink(tmp);
out:
	free(tmp);
	free(text);
	return r;
}

static void write_now(void)
{
	int r = write_file(m.path);
	if (r < 0 && r != m.last_error)
		log_warn("metrics_file %s: cannot write it: %s (tried again every %d s)", m.path, strerror(-r), m.interval);
	else if (r == 0 && m.last_error)
		log_info("metrics_file %s: written again", m.path);
	m.last_error = r;
}

static void on_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
	write_now();
}

static void remove_file(void)
{
	if (m.path && unlink(m.path) < 0 && errno != ENOENT)
		log_warn("metrics_file %s: cannot remove it: %s", m.path, strerror(errno));
}

/* Take cfg's metrics_file and metrics_interval: a file that changed or went is removed, the new
 * one written at once. */
static void configure(const struct drover_config *cfg)
{
	bool same_path = (!m.path && !cfg->metrics_file) || (m.path && cfg->metrics_file && strcmp(m.path, cfg->metrics_file) == 0);
	if (same_path && m.interval == cfg->metrics_interval)
		return;
	ev_timer_stop(m.loop, &m.timer);
	if (!same_path) {
		remove_file();
		free(m.path);
		m.path = cfg->metrics_file ? xstrdup(cfg->metrics_file) : NULL;
		m.last_error = 0;
	}
	m.interval = cfg->metrics_interval > 0 ? cfg->metrics_interval : 15;
	if (!m.path)
		return;
	write_now();
	ev_timer_set(&m.timer, m.interval, m.interval);
	ev_timer_start(m.loop, &m.timer);
}

static void on_config_applied(void *ctx, const struct drover_config *cfg)
{
	configure(cfg);
}

static struct events_subscriber subscriber = { .config_applied = on_config_applied };

void metrics_start(struct ev_loop *loop, const struct drover_config *cfg)
{
	m.loop = loop;
	m.start_ms = now_real_ns() / NSEC_PER_MSEC;
	strcpy_bounded(m.instance, sizeof(m.instance), cfg->name);
	ev_timer_init(&m.timer, on_timer, 0, 0);
	events_subscribe(&subscriber);
	configure(cfg);
}

void metrics_stop(void)
{
	if (!m.loop)
		return;
	events_unsubscribe(&subscriber);
	ev_timer_stop(m.loop, &m.timer);
	remove_file();
	free(m.path);
	m.path = NULL;
	m.loop = NULL;
}
