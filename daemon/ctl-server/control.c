/* The control server: the request queue /NAME.ctl, its life cycle, receiving and dispatch.
 *
 * - The request queue is read non-blocking from an ev_io watcher, at most RECEIVE_BATCH
 *   messages per wakeup (libev io watchers are level-triggered: the rest comes next iteration,
 *   so a flood cannot starve the loop). The watcher is never stopped before control_close().
 * - Every request is validated by proto_request_decode() and its reply route by route_open()
 *   BEFORE anything is executed. A request whose route cannot be opened is not executed:
 *   nobody could learn its result. Authorization is the mode/group of /NAME.ctl only.
 * - Replies (reply.c), waiters (waiters.c) and the handlers of each request type (requests.c)
 *   are the other parts of the server.
 */
#include "ctl-server/control.h"

#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/events.h"
#include "ctl-server/reply.h"
#include "ctl-server/requests.h"
#include "ctl-server/server.h"
#include "ctl-server/waiters.h"
#include "os/log.h"
#include "proto.h"
#include "util.h"

#define RECEIVE_BATCH      64                    /* messages per wakeup */
#define CTL_MSGSIZE        4096
#define CTL_MAXMSG_CAP     64                    /* RLIMIT_MSGQUEUE is shared with the reply queues */

static struct {
	bool open, started;
	mqd_t mq;
	char name[PROTO_NAME_MAX];
	size_t msgsize;
	uint8_t *rxbuf;
	ev_io io;
} ctl = { .mq = (mqd_t) -1 };

static void on_config_applied(void *ctx, const struct drover_config *cfg);

/* Waiters follow every state change; a removed process answers its waiters; control_mode and
 * control_group of a reloaded config apply to the open queue at once. */
static struct events_subscriber subscriber = {
	.state_changed = waiters_on_state_change, .gone = waiters_process_gone, .config_applied = on_config_applied,
};

/* ---- receiving ---- */

static void handle_bad(const uint8_t *buf, size_t len, int r)
{
	char q[PROTO_NAME_MAX], shown[64], text[128];
	struct route rt = { .mq = (mqd_t) -1 };
	uint32_t id;
	uint16_t type;

	srv.st.bad++;
	if (proto_request_salvage(buf, len, &id, &type, q) < 0) {
		bad_log("malformed request of %zu bytes dropped: %s", len, strerror(-r));
		return;
	}
	escape_line(shown, sizeof(shown), q);
	int rr = route_open(q, &rt);
	if (rr < 0) {
		bad_log("malformed request of %zu bytes (%s) for reply queue %s dropped: %s", len, strerror(-r),
		        shown, strerror(-rr));
		return;
	}
	srv.st.bad_answered++;
	bad_log("malformed request of %zu bytes from %s answered: %s", len, shown, strerror(-r));
	if (r == -EPROTO)
		snprintf(text, sizeof(text), "protocol version mismatch: droverd %s speaks protocol %d",
		         DROVER_VERSION, PROTO_VERSION);
	else
		snprintf(text, sizeof(text), "malformed request: %s", strerror(-r));
	reply_simple(&rt, type, id, r, text);
}

static void handle_message(const uint8_t *buf, size_t len)
{
	static struct proto_request req;   /* 8 KiB: not on the stack */
	struct route rt = { .mq = (mqd_t) -1 };
	int r;

	r = proto_request_decode(buf, len, &req);
	if (r < 0) {
		handle_bad(buf, len, r);
		return;
	}
	r = route_open(req.reply_queue, &rt);
	if (r < 0) {
		char shown[64];
		srv.st.bad++;
		escape_line(shown, sizeof(shown), req.reply_queue);
		bad_log("%s request dropped: reply queue %s: %s", proto_type_to_string(req.type), shown,
		        r == -EINVAL ? "not a droverctl reply queue of this instance" : strerror(-r));
		return;
	}
	requests_handle(&req, &rt);
}

static void receive_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	for (int i = 0; i < RECEIVE_BATCH && ctl.open; i++) {
		unsigned prio;
		ssize_t n = mq_receive(ctl.mq, (char *) ctl.rxbuf, ctl.msgsize, &prio);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				bad_log("receiving from %s: %s", ctl.name, strerror(errno));
			return;
		}
		srv.st.received++;
		handle_message(ctl.rxbuf, (size_t) n);
	}
	/* more may be queued: the level-triggered watcher fires again on the next iteration */
}

/* ---- life cycle ---- */

/* A positive limit from /proc/sys/fs/mqueue, or def when it cannot be read. */
static long mq_limit(const char *path, long def)
{
	long v;
	return read_proc_long(path, &v) == 0 && v > 0 ? v : def;
}

/* The queue exists: refuse a foreign one; ours is stale (the caller holds the instance lock,
 * so no live droverd uses it): unlink it. 0 = try creating again. */
static int examine_existing(void)
{
	struct stat st;
	mqd_t q = mq_open(ctl.name, O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (q == (mqd_t) -1) {
		int r = -errno;
		if (r == -ENOENT)
			return 0;
		log_error("control queue %s exists and cannot be opened (%s): owned by another user? "
		          "refusing to start (squatted?)", ctl.name, strerror(-r));
		return -EEXIST;
	}
	if (fstat(q, &st) < 0) {
		int r = -errno;
		log_error("control queue %s exists and cannot be examined: %s", ctl.name, strerror(-r));
		(void) mq_close(q);
		return r;
	}
	(void) mq_close(q);
	if (st.st_uid != geteuid()) {
		struct passwd *pw = getpwuid(st.st_uid);
		log_error("control queue %s is owned by uid %u (%s): refusing to start (squatted?)", ctl.name,
		          (unsigned) st.st_uid, pw ? pw->pw_name : "unknown user");
		return -EEXIST;
	}
	log_warn("control queue %s was left over by a droverd that is gone: replacing it", ctl.name);
	if (mq_unlink(ctl.name) < 0 && errno != ENOENT) {
		int r = -errno;
		log_error("cannot remove stale control queue %s: %s", ctl.name, strerror(-r));
		return r;
	}
	return 0;
}

static int apply_access(const struct drover_config *cfg)
{
	/* through the descriptor: the creation mode was masked by the umask */
	if (cfg->control_group && fchown(ctl.mq, (uid_t) -1, cfg->control_gid) < 0) {
		int r = -errno;
		log_error("cannot give control queue %s to group %s: %s", ctl.name, cfg->control_group, strerror(-r));
		return r;
	}
	if (fchmod(ctl.mq, cfg->control_mode & 0777) < 0) {
		int r = -errno;
		log_error("cannot set mode %04o on control queue %s: %s", (unsigned) (cfg->control_mode & 0777),
		          ctl.name, strerror(-r));
		return r;
	}
	return 0;
}

int control_open(const struct drover_config *cfg)
{
	struct mq_attr attr = { 0 };
	long msg_max, msgsize_max;
	int r;

	if (ctl.open)
		return -EBUSY;
	if (strcpy_bounded(srv.instance, sizeof(srv.instance), cfg->name) < 0 || !instance_name_valid(cfg->name)) {
		log_error("invalid instance name '%s'", cfg->name);
		return -EINVAL;
	}
	snprintf(ctl.name, sizeof(ctl.name), "/%s.ctl", cfg->name);

	/* creating with more than msg_max fails with EINVAL, even as root */
	msg_max = mq_limit("/proc/sys/fs/mqueue/msg_max", 10);
	msgsize_max = mq_limit("/proc/sys/fs/mqueue/msgsize_max", PROTO_MSG_MAX);
	attr.mq_maxmsg = msg_max < CTL_MAXMSG_CAP ? msg_max : CTL_MAXMSG_CAP;
	/* Requests are small (a few names); 4 KiB halves the queue's share of the user's
	 * RLIMIT_MSGQUEUE budget (800 KiB by default, for all of the user's queues). */
	attr.mq_msgsize = msgsize_max < CTL_MSGSIZE ? msgsize_max : CTL_MSGSIZE;
	if (attr.mq_msgsize < PROTO_MSG_MIN) {
		log_error("cannot create control queue %s: /proc/sys/fs/mqueue/msgsize_max is %ld, below %d",
		          ctl.name, msgsize_max, PROTO_MSG_MIN);
		return -EMSGSIZE;
	}

	for (int attempt = 0;; attempt++) {
		ctl.mq = mq_open(ctl.name, O_RDONLY | O_CREAT | O_EXCL | O_NONBLOCK | O_CLOEXEC, 0600, &attr);
		if (ctl.mq != (mqd_t) -1)
			break;
		r = -errno;
		if (r == -EEXIST && attempt == 0) {
			r = examine_existing();
			if (r < 0)
				return r;
			continue;
		}
		log_error("cannot create control queue %s (mq_maxmsg %ld, mq_msgsize %ld): %s%s", ctl.name,
		          (long) attr.mq_maxmsg, (long) attr.mq_msgsize, strerror(-r),
		          r == -EMFILE || r == -ENOSPC || r == -ENOMEM
		                  ? " (queues_max or RLIMIT_MSGQUEUE reached? see LimitMSGQUEUE=)"
		                  : r == -EEXIST ? " (created again by someone else: squatted?)" : "");
		return r;
	}

	r = apply_access(cfg);
	if (r < 0)
		goto fail;
	if (mq_getattr(ctl.mq, &attr) < 0) {
		r = -errno;
		log_error("cannot read the attributes of control queue %s: %s", ctl.name, strerror(-r));
		goto fail;
	}
	ctl.msgsize = (size_t) attr.mq_msgsize;
	ctl.rxbuf = xmalloc(ctl.msgsize);
	ctl.open = true;
	srv.closing = false;
	log_debug("control queue %s: %ld messages of %ld bytes, mode %04o", ctl.name, (long) attr.mq_maxmsg,
	          (long) attr.mq_msgsize, (unsigned) (cfg->control_mode & 0777));
	return 0;
fail:
	(void) mq_close(ctl.mq);
	(void) mq_unlink(ctl.name);
	ctl.mq = (mqd_t) -1;
	return r;
}

void control_start(struct ev_loop *loop)
{
	if (!ctl.open || ctl.started)
		return;
	srv.loop = loop;
	/* Linux: an mqd_t is a descriptor that polls POLLIN while messages are queued */
	ev_io_init(&ctl.io, receive_cb, ctl.mq, EV_READ);
	ev_io_start(loop, &ctl.io);
	events_subscribe(&subscriber);
	ctl.started = true;
}

static void on_config_applied(void *ctx, const struct drover_config *cfg)
{
	if (ctl.open)
		(void) apply_access(cfg);   /* logged; the old access stays in force */
}

void control_close(void)
{
	if (!ctl.open)
		return;
	srv.closing = true;
	if (ctl.started) {
		ev_io_stop(srv.loop, &ctl.io);
		events_unsubscribe(&subscriber);
	}
	/* pending waiters get a last, best-effort answer; no new outboxes while closing */
	waiters_cancel_all();
	reply_drop_outboxes();
	(void) mq_close(ctl.mq);
	if (mq_unlink(ctl.name) < 0 && errno != ENOENT)
		log_warn("cannot remove control queue %s: %s", ctl.name, strerror(errno));
	ctl.mq = (mqd_t) -1;
	free(ctl.rxbuf);
	ctl.rxbuf = NULL;
	ctl.open = false;
	ctl.started = false;
	srv.loop = NULL;
}

const struct control_stats *control_get_stats(void)
{
	return &srv.st;
}
