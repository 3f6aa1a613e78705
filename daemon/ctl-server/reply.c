/* Replies: routes to reply queues, non-blocking fragment sends, outboxes (see reply.h).
 *
 * Replies are sent with mq_send() on O_NONBLOCK descriptors only. A reply queue that is full
 * before the first fragment is dropped at once (a client that does not read its queue costs one
 * failed mq_send per request); one that fills up mid-reply gets an "outbox" that an EV_WRITE
 * watcher drains, bounded in number, bytes, one per queue name, and time. The route checks
 * protect third parties' queues; they grant nothing (authorization is the mode and group of
 * /NAME.ctl). */
#include "ctl-server/reply.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctl-server/server.h"
#include "os/log.h"
#include "util.h"

#define OUTBOXES_MAX       64
#define OUTBOX_BYTES_MAX   (8u << 20)
#define OUTBOX_TIMEOUT_S   5.0

/* A reply that met a full queue mid-way: the rest goes out when the queue has room. */
struct outbox {
	LIST_ENTRY(outbox) link;
	struct route rt;
	uint16_t type;
	uint32_t id;
	uint16_t next_fragment;
	struct proto_buf payload;
	ev_io io;
	ev_timer timer;
};

static LIST_HEAD(, outbox) outboxes = LIST_HEAD_INITIALIZER(outboxes);

void route_close(struct route *rt)
{
	if (rt->mq != (mqd_t) -1)
		(void) mq_close(rt->mq);
	rt->mq = (mqd_t) -1;
}

/* name = "/" instance ".reply." PID "." HEX, validated by route_open */
static const char *name_pid(const char *name)
{
	return name + 1 + strlen(srv.instance) + strlen(".reply.");
}

pid_t route_client_pid(const struct route *rt)
{
	int64_t pid;
	char digits[16];
	const char *s = name_pid(rt->name);
	size_t n = strcspn(s, ".");
	if (rt->mq == (mqd_t) -1 || n == 0 || n >= sizeof(digits))
		return 0;
	memcpy(digits, s, n);
	digits[n] = '\0';
	return parse_int64(digits, 1, INT32_MAX, &pid) == 0 ? (pid_t) pid : 0;
}

int route_open(const char *name, struct route *rt)
{
	struct mq_attr a;
	struct stat st;
	mqd_t q;
	int r;

	if (!proto_reply_queue_name_valid(name, srv.instance))
		return -EINVAL;
	q = mq_open(name, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	if (q == (mqd_t) -1)
		return -errno;
	if (fstat(q, &st) < 0) {
		r = -errno;
		goto fail;
	}
	if (st.st_mode & 077) {
		r = -EPERM;
		goto fail;
	}
	if (geteuid() == 0) {
		const char *pid = name_pid(name);
		char proc[64];
		struct stat ps;
		snprintf(proc, sizeof(proc), "/proc/%.*s", (int) strcspn(pid, "."), pid);
		if (stat(proc, &ps) < 0) {
			/* Its droverctl is gone (killed before the request was read): nobody will read or
			 * remove the queue, which counts against its user's RLIMIT_MSGQUEUE. */
			(void) mq_close(q);
			(void) mq_unlink(name);
			return -ESRCH;
		}
		if (ps.st_uid != st.st_uid) {
			r = -EPERM;
			goto fail;
		}
	}
	if (mq_getattr(q, &a) < 0) {
		r = -errno;
		goto fail;
	}
	if (a.mq_msgsize < PROTO_MSG_MIN) {
		r = -EMSGSIZE;
		goto fail;
	}
	rt->mq = q;
	rt->msgsize = a.mq_msgsize > PROTO_MSG_MAX ? PROTO_MSG_MAX : (size_t) a.mq_msgsize;
	strcpy_bounded(rt->name, sizeof(rt->name), name);
	return 0;
fail:
	(void) mq_close(q);
	return r;
}

/* Send fragments from *k on; 0 when the last one is out, -EAGAIN when the queue is full. */
static int send_fragments(struct route *rt, uint16_t type, uint32_t id, const struct proto_buf *b, uint16_t *k)
{
	static uint8_t out[PROTO_MSG_MAX];

	for (;;) {
		bool more;
		size_t n = proto_reply_fragment(b, type, id, rt->msgsize, *k, out, &more);
		if (n == 0)
			return -EMSGSIZE;
		if (mq_send(rt->mq, (const char *) out, n, 0) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (!more)
			return 0;
		(*k)++;
	}
}

static void outbox_free(struct outbox *o)
{
	LIST_REMOVE(o, link);
	ev_io_stop(srv.loop, &o->io);
	ev_timer_stop(srv.loop, &o->timer);
	srv.st.outboxes--;
	srv.st.outbox_bytes -= o->payload.len;
	route_close(&o->rt);
	proto_buf_free(&o->payload);
	free(o);
}

/* Send what the queue takes now. Done or failed: the outbox is freed. Still full: the timer is
 * re-armed when a fragment went out, so it measures a client that takes nothing for
 * OUTBOX_TIMEOUT_S, not how long the whole reply takes or how long droverd was busy. */
static void outbox_drain(struct outbox *o, bool timed_out)
{
	uint16_t k0 = o->next_fragment;
	int r = send_fragments(&o->rt, o->type, o->id, &o->payload, &o->next_fragment);

	if (r == -EAGAIN) {
		if (o->next_fragment != k0) {
			ev_timer_again(srv.loop, &o->timer);
			return;
		}
		if (!timed_out)
			return;
		bad_log("reply to %s not read within %.0f s: dropped", o->rt.name, OUTBOX_TIMEOUT_S);
	}
	if (r == 0)
		srv.st.replies_sent++;
	else
		srv.st.replies_dropped++;
	outbox_free(o);
}

static void outbox_io_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	outbox_drain(container_of(w, struct outbox, io), false);
}

/* Expiry may come together with the queue's room (a loop iteration that began after droverd
 * was busy for long): try once more before giving up. */
static void outbox_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	outbox_drain(container_of(w, struct outbox, timer), true);
}

/* Keep the rest of a reply for later; false when over a bound (the caller drops it). */
static bool outbox_add(struct route *rt, uint16_t type, uint32_t id, struct proto_buf *payload, uint16_t k)
{
	struct outbox *o;

	if (srv.closing || !srv.loop || srv.st.outboxes >= OUTBOXES_MAX ||
	    srv.st.outbox_bytes + payload->len > OUTBOX_BYTES_MAX)
		return false;
	LIST_FOREACH(o, &outboxes, link)
		if (strcmp(o->rt.name, rt->name) == 0)
			return false;   /* one per reply queue: a client cannot hold many */
	o = xcalloc(1, sizeof(*o));
	o->rt = *rt;
	rt->mq = (mqd_t) -1;   /* the outbox owns the descriptor now: the caller must not close it */
	o->type = type;
	o->id = id;
	o->next_fragment = k;
	o->payload = *payload;
	*payload = (struct proto_buf) { 0 };
	/* Linux: an mqueue descriptor polls POLLOUT while the queue is not full. */
	ev_io_init(&o->io, outbox_io_cb, o->rt.mq, EV_WRITE);
	ev_timer_init(&o->timer, outbox_timer_cb, 0., OUTBOX_TIMEOUT_S);
	ev_io_start(srv.loop, &o->io);
	/* the request may have taken long (a start of 1000 processes): time from now, not from
	 * the beginning of this loop iteration */
	ev_now_update(srv.loop);
	ev_timer_again(srv.loop, &o->timer);
	LIST_INSERT_HEAD(&outboxes, o, link);
	srv.st.outboxes++;
	srv.st.outbox_bytes += o->payload.len;
	srv.st.replies_deferred++;
	return true;
}

void reply_send(struct route *rt, uint16_t type, uint32_t id, struct proto_buf *payload)
{
	uint16_t k = 0;
	int r;

	type &= (uint16_t) ~PROTO_REPLY_BIT;
	if (payload->len > PROTO_REPLY_MAX) {
		static const char msg[] = "reply too large";
		proto_reply_begin(payload, -EMSGSIZE, msg, sizeof(msg) - 1);
		proto_reply_finish(payload, 0, 0, NULL);
	}
	r = send_fragments(rt, type, id, payload, &k);
	if (r == 0) {
		srv.st.replies_sent++;
	} else if (r == -EAGAIN && k > 0 && outbox_add(rt, type, id, payload, k)) {
		return;   /* the outbox owns route and payload now */
	} else {
		/* full before the first fragment (a client that does not read), gone, or over a bound */
		srv.st.replies_dropped++;
		log_debug("control: reply to %s dropped: %s", rt->name, strerror(-r));
	}
	route_close(rt);
	proto_buf_free(payload);
}

void reply_simple(struct route *rt, uint16_t type, uint32_t id, int32_t result, const char *msg)
{
	struct proto_buf b = { 0 };
	proto_reply_begin(&b, result, msg, strlen(msg));
	proto_reply_finish(&b, 0, 0, NULL);
	reply_send(rt, type, id, &b);
}

void reply_drop_outboxes(void)
{
	while (!LIST_EMPTY(&outboxes)) {
		srv.st.replies_dropped++;
		outbox_free(LIST_FIRST(&outboxes));
	}
}
