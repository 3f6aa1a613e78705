/* supervisord's event listener protocol on one listener's pipes (see listener.h).
 *
 * The parser follows supervisord's dispatcher state for state: in ACKNOWLEDGED the first six
 * bytes must be READY\n; in READY nothing may come; in BUSY a result line ("RESULT N") and N bytes
 * of result; anything else is a violation. Unlike supervisord it keeps nothing unbounded: at
 * most a result line's worth of bytes (RESULT_LINE_MAX) waits for its newline, and a result body
 * is never stored (it is compared with "OK" as it streams by), so a listener that writes a 1 MB
 * line or announces a huge result costs droverd no memory.
 *
 * The listener's stdin is written with non-blocking writes: what does not fit in the pipe waits
 * (one event at most, the one in flight) for an EV_WRITE watcher. */
#include "os/listener.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

#define READY_TOKEN      "READY\n"
#define READY_LEN        (sizeof(READY_TOKEN) - 1)
#define RESULT_PREFIX    "RESULT "
#define RESULT_LINE_MAX  128        /* a result line longer than this is a violation */

struct listener {
	struct ev_loop *loop;
	struct listener_hooks hooks;
	void *ctx;
	const struct log_subject *who;

	enum listener_state state;
	int fd;                     /* droverd's end of the worker's stdin, -1 when none */
	ev_io writer;               /* EV_WRITE while out has bytes left */
	char *out;                  /* the event being written */
	size_t out_len, out_off;

	char line[RESULT_LINE_MAX]; /* bytes waiting for what follows: READY's or a result line */
	size_t line_len;
	bool in_body;               /* BUSY: the result line is read, its body is streaming */
	uint64_t body_left;         /* bytes of the body still to come */
	uint64_t body_len;
	bool body_ok;               /* the body so far is a prefix of "OK" */

	struct listener_counters counters;
};

const char *listener_state_to_string(enum listener_state s)
{
	static const char *const t[LISTENER_STATE_MAX] = { "ACKNOWLEDGED", "READY", "BUSY", "UNKNOWN" };
	return (unsigned) s < LISTENER_STATE_MAX ? t[s] : "?";
}

size_t listener_payload_len(const char *payload, size_t n)
{
	size_t chars = 0;
	for (size_t i = 0; i < n; i++)
		chars += ((unsigned char) payload[i] & 0xC0) != 0x80;   /* UTF-8 continuation bytes are not characters */
	return chars;
}

static void out_clear(struct listener *l)
{
	if (l->fd >= 0)
		ev_io_stop(l->loop, &l->writer);
	free(l->out);
	l->out = NULL;
	l->out_len = l->out_off = 0;
}

static void parse_reset(struct listener *l)
{
	l->line_len = 0;
	l->in_body = false;
	l->body_left = l->body_len = 0;
	l->body_ok = true;
}

/* The event in flight (if any) is over: accepted or not. The state changes first, so a hook that
 * looks at the listener sees it as it is now. */
static void finish_event(struct listener *l, enum listener_state next, bool accepted)
{
	bool busy = l->state == LISTENER_BUSY;
	l->state = next;
	parse_reset(l);
	if (!busy)
		return;
	if (accepted)
		l->counters.accepted++;
	else
		l->counters.rejected++;
	if (l->hooks.done)
		l->hooks.done(l->ctx, accepted);
}

/* The listener broke the protocol: UNKNOWN until its next spawn, said once. */
static void violation(struct listener *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void violation(struct listener *l, const char *fmt, ...)
{
	char why[200];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	l->counters.violations++;
	log_about(LOG_WARNING, l->who, "%s: has entered the UNKNOWN state and will no longer receive events: %s "
	          "(the event listener protocol is READY, then RESULT N and N bytes)", l->who->name, why);
	out_clear(l);
	finish_event(l, LISTENER_UNKNOWN, false);
}

/* What the listener wrote, quoted for the log (escaped, cut). */
static const char *quoted(const char *s, size_t n, char *buf, size_t size)
{
	char raw[64];
	size_t k = n < sizeof(raw) - 1 ? n : sizeof(raw) - 1;
	memcpy(raw, s, k);
	raw[k] = '\0';
	for (size_t i = 0; i < k; i++)
		if (raw[i] == '\0')
			raw[i] = '?';
	escape_line(buf, size, raw);
	if (n > k && strlen(buf) + 4 < size)
		strcat(buf, "...");
	return buf;
}

/* "RESULT N" (blanks around N allowed, as Python's int() reads it). */
static int parse_result_line(const char *s, size_t n, uint64_t *ret)
{
	size_t p = sizeof(RESULT_PREFIX) - 1;
	if (n < p || memcmp(s, RESULT_PREFIX, p) != 0)
		return -EINVAL;
	while (p < n && (s[p] == ' ' || s[p] == '\t'))
		p++;
	uint64_t v = 0;
	size_t digits = 0;
	while (p < n && s[p] >= '0' && s[p] <= '9') {
		v = v * 10 + (uint64_t) (s[p++] - '0');
		if (++digits > 12)
			return -ERANGE;
	}
	while (p < n && (s[p] == ' ' || s[p] == '\t' || s[p] == '\r'))
		p++;
	if (!digits || p != n)
		return -EINVAL;
	*ret = v;
	return 0;
}

/* One step of the protocol on what is left of the input; returns the bytes used. */
static size_t step(struct listener *l, const char *d, size_t n)
{
	char q[100];

	switch (l->state) {
	case LISTENER_ACKNOWLEDGED: {
		size_t take = READY_LEN - l->line_len < n ? READY_LEN - l->line_len : n;
		memcpy(l->line + l->line_len, d, take);
		l->line_len += take;
		if (l->line_len < READY_LEN)
			return take;
		if (memcmp(l->line, READY_TOKEN, READY_LEN) != 0) {
			violation(l, "it wrote '%s' where READY was due", quoted(l->line, l->line_len, q, sizeof(q)));
			return n;
		}
		parse_reset(l);
		l->state = LISTENER_READY;
		if (l->hooks.ready)
			l->hooks.ready(l->ctx);
		return take;
	}
	case LISTENER_READY:
		violation(l, "it wrote '%s' while READY (nothing is due until it has an event)", quoted(d, n, q, sizeof(q)));
		return n;
	case LISTENER_BUSY:
		if (!l->in_body) {
			size_t room = sizeof(l->line) - l->line_len;
			const char *nl = memchr(d, '\n', n < room ? n : room);
			if (!nl) {
				if (n >= room) {
					violation(l, "its result line is longer than %d bytes: '%s'", RESULT_LINE_MAX,
					          quoted(l->line_len ? l->line : d, l->line_len ? l->line_len : n, q, sizeof(q)));
					return n;
				}
				memcpy(l->line + l->line_len, d, n);
				l->line_len += n;
				return n;
			}
			size_t take = (size_t) (nl - d);
			memcpy(l->line + l->line_len, d, take);
			l->line_len += take;
			uint64_t len;
			if (parse_result_line(l->line, l->line_len, &len) < 0) {
				violation(l, "bad result line '%s'", quoted(l->line, l->line_len, q, sizeof(q)));
				return n;
			}
			l->line_len = 0;
			l->in_body = true;
			l->body_len = l->body_left = len;
			l->body_ok = true;
			if (len == 0)
				finish_event(l, LISTENER_ACKNOWLEDGED, false);   /* an empty result is not OK */
			return take + 1;
		} else {
			size_t take = (uint64_t) n < l->body_left ? n : (size_t) l->body_left;
			uint64_t at = l->body_len - l->body_left;
			for (size_t i = 0; i < take && l->body_ok; i++)
				l->body_ok = at + i < 2 && d[i] == "OK"[at + i];
			l->body_left -= take;
			if (l->body_left == 0)
				finish_event(l, LISTENER_ACKNOWLEDGED, l->body_ok && l->body_len == 2);
			return take;
		}
	case LISTENER_UNKNOWN:
	case LISTENER_STATE_MAX:
		break;
	}
	return n;
}

void listener_feed(struct listener *l, const char *data, size_t n)
{
	if (l->fd < 0)
		return;   /* no worker (a descendant of the last one may still write): nobody to hear */
	while (n > 0 && l->state != LISTENER_UNKNOWN) {
		size_t used = step(l, data, n);
		data += used;
		n -= used;
	}
}

/* The pipe failed while an event was (partly) written: the listener never gets it whole. */
static void write_failed(struct listener *l, int err)
{
	l->counters.violations++;
	log_about(LOG_WARNING, l->who, "%s: writing an event to its stdin failed: %s; it will no longer receive events",
	          l->who->name, strerror(err));
	out_clear(l);
	(void) close(l->fd);
	l->fd = -1;
	finish_event(l, LISTENER_UNKNOWN, false);
}

/* Write what fits now; 0, -EAGAIN (the rest waits for the watcher), or -errno. */
static int out_flush(struct listener *l)
{
	while (l->out_off < l->out_len) {
		ssize_t w = write(l->fd, l->out + l->out_off, l->out_len - l->out_off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		l->out_off += (size_t) w;
	}
	free(l->out);
	l->out = NULL;
	l->out_len = l->out_off = 0;
	return 0;
}

static void writer_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct listener *l = container_of(w, struct listener, writer);
	int r = out_flush(l);
	if (r == -EAGAIN)
		return;
	ev_io_stop(loop, w);
	if (r < 0)
		write_failed(l, -r);
	else if (l->state == LISTENER_READY && l->hooks.ready)
		l->hooks.ready(l->ctx);   /* it answered before reading it all: it may have the next one now */
}

int listener_send(struct listener *l, const struct listener_event *ev)
{
	if (l->state != LISTENER_READY || l->fd < 0 || l->out)
		return -EAGAIN;
	char head[512];
	int h = snprintf(head, sizeof(head), "ver:3.0 server:%s serial:%llu pool:%s poolserial:%llu eventname:%s len:%zu\n",
	                 ev->server, (unsigned long long) ev->serial, ev->pool, (unsigned long long) ev->pool_serial,
	                 ev->name, listener_payload_len(ev->payload, ev->len));
	if (h < 0 || (size_t) h >= sizeof(head))
		return -ENAMETOOLONG;   /* names are at most 127 bytes: cannot happen */
	l->out = xmalloc((size_t) h + ev->len);
	memcpy(l->out, head, (size_t) h);
	memcpy(l->out + h, ev->payload, ev->len);
	l->out_len = (size_t) h + ev->len;
	l->out_off = 0;
	int r = out_flush(l);
	if (r < 0 && r != -EAGAIN) {
		/* nothing usable arrived: the event stays the caller's, the listener is done for */
		l->counters.violations++;
		log_about(LOG_WARNING, l->who, "%s: cannot write to its stdin: %s; it will no longer receive events",
		          l->who->name, strerror(-r));
		out_clear(l);
		(void) close(l->fd);
		l->fd = -1;
		l->state = LISTENER_UNKNOWN;
		return r;
	}
	if (r == -EAGAIN)
		ev_io_start(l->loop, &l->writer);
	l->counters.sent++;
	parse_reset(l);
	l->state = LISTENER_BUSY;
	return 0;
}

struct listener *listener_new(struct ev_loop *loop, const struct listener_hooks *hooks, void *ctx,
                              const struct log_subject *who)
{
	struct listener *l = xcalloc(1, sizeof(*l));
	l->loop = loop;
	l->hooks = *hooks;
	l->ctx = ctx;
	l->who = who;
	l->fd = -1;
	l->state = LISTENER_UNKNOWN;
	parse_reset(l);
	ev_init(&l->writer, writer_cb);
	return l;
}

void listener_attach(struct listener *l, int fd)
{
	listener_detach(l);
	int fl = fcntl(fd, F_GETFL);
	if (fl >= 0)
		(void) fcntl(fd, F_SETFL, fl | O_NONBLOCK);   /* droverd's end only: a pipe's ends are two descriptions */
	l->fd = fd;
	ev_io_set(&l->writer, fd, EV_WRITE);
	parse_reset(l);
	l->state = LISTENER_ACKNOWLEDGED;
}

void listener_detach(struct listener *l)
{
	out_clear(l);
	if (l->fd >= 0)
		(void) close(l->fd);
	l->fd = -1;
	finish_event(l, LISTENER_UNKNOWN, false);
}

void listener_free(struct listener *l)
{
	if (!l)
		return;
	listener_detach(l);
	free(l);
}

enum listener_state listener_state(const struct listener *l)
{
	return l->state;
}

const struct listener_counters *listener_counters(const struct listener *l)
{
	return &l->counters;
}
