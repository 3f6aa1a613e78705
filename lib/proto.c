/* The droverctl <-> droverd wire format (see proto.h): pure encode/decode/validate, no I/O. */
#include "proto.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util.h"

/*
 * Record encoding inside a reply payload (after "i32 result, str message, u32 nrecords"),
 * fields in struct order, integers little-endian, str = u32 length + bytes (no NUL):
 *
 *   struct proto_status (STATUS, PID replies): what a process has, nothing for what it has not
 *   (a status of 10,000 processes is one reply: at ~30 bytes a record it takes a few dozen
 *   messages instead of hundreds). var = an unsigned LEB128 integer (7 bits a byte, low first,
 *   at most 10 bytes); vstr = var length + bytes (no NUL):
 *     vstr name (<= 255)   u8 state (< PROC_STATE_MAX)   u8 flags (only PROTO_ST_* bits)
 *     var  present         which of the fields below follow, in this order (only ST_F_* bits);
 *                          an absent field is 0 or "" (next_attempt_ms: -1, pattern: NONE)
 *     ST_F_GROUP           vstr group (<= 255)
 *     ST_F_PID             var pid (<= INT32_MAX)
 *     ST_F_UPTIME          var uptime_ms
 *     ST_F_RESTARTS        var restarts (<= UINT32_MAX)
 *     ST_F_EXITSTATUS      var exitstatus, zigzag (0 -1 1 -2 ... as 0 1 2 3 ...; an int32)
 *     ST_F_HEARTBEAT       var heartbeat_age_ms
 *     ST_F_NEXT_ATTEMPT    var next_attempt_ms (>= 0)
 *     ST_F_DESCRIPTION     vstr description (<= 255)
 *     ST_F_STATUS_LINE     vstr status_line (<= 127)
 *     ST_F_COUNTERS        u8 ncounters (1..PROTO_COUNTERS_MAX), var counters[ncounters]
 *     ST_F_LOG_DROPPED     var log_dropped
 *     ST_F_PATTERN         var pattern (< PROTO_ARGS_MAX)
 *     ST_F_CHECKS          u8 ready_via, health_check (< PROTO_CHECK_MAX), u8 health_result
 *                          (< PROTO_HEALTH_MAX), u8 health_failures, u8 health_failures_max
 *     ST_F_READY_AFTER     var ready_after_ms
 *     ST_F_HEALTH_AGE      var health_age_ms
 *     ST_F_HEALTH_LATENCY  var health_latency_ms
 *     ST_F_NOTIFY_DROPPED  var notify_dropped
 *     ST_F_READY_DETAIL    vstr ready_detail (<= 63)
 *     ST_F_HEALTH_DETAIL   vstr health_detail (<= 63)
 *     ST_F_SINCE           var since_ms
 *     ST_F_RESTARTS_MANUAL var restarts_manual (<= UINT32_MAX)
 *
 *   struct proto_avail (AVAIL replies), 17 bytes + strings:
 *     str name (<= 255)   str group (<= 255)   u8 flags (only PROTO_AV_* bits)
 *     i32 group_priority   i32 priority
 *
 *   struct proto_result (every other reply), 17 bytes + the strings:
 *     str name (<= 255)   i32 result (0 or -1..-PROTO_ERRNO_MAX)
 *     u8  state (< PROC_STATE_MAX)   u8 action (RELOAD, REREAD, UPDATE: < RELOAD_ACTION_MAX; else 0)
 *     u8  flags (only PROTO_RES_* bits)   u16 pattern (< PROTO_ARGS_MAX, or PROTO_PATTERN_NONE)
 *     str reason (<= 255)
 *
 * Request args are bounded like names (<= PROTO_NAME_MAX - 1 bytes each): patterns are
 * process names, and the TAIL FIFO path is chosen short by droverctl.
 */

#define STATUS_RECORD_MIN  (1 + 1 + 1 + 1)
enum {
	ST_F_GROUP = 1u << 0, ST_F_PID = 1u << 1, ST_F_UPTIME = 1u << 2, ST_F_RESTARTS = 1u << 3,
	ST_F_EXITSTATUS = 1u << 4, ST_F_HEARTBEAT = 1u << 5, ST_F_NEXT_ATTEMPT = 1u << 6,
	ST_F_DESCRIPTION = 1u << 7, ST_F_STATUS_LINE = 1u << 8, ST_F_COUNTERS = 1u << 9,
	ST_F_LOG_DROPPED = 1u << 10, ST_F_PATTERN = 1u << 11, ST_F_CHECKS = 1u << 12,
	ST_F_READY_AFTER = 1u << 13, ST_F_HEALTH_AGE = 1u << 14, ST_F_HEALTH_LATENCY = 1u << 15,
	ST_F_NOTIFY_DROPPED = 1u << 16, ST_F_READY_DETAIL = 1u << 17, ST_F_HEALTH_DETAIL = 1u << 18,
	ST_F_SINCE = 1u << 19, ST_F_RESTARTS_MANUAL = 1u << 20,
	ST_F_ALL = (1u << 21) - 1,
};
/* Records a reply may hold: far beyond what one droverd can run, and it bounds what a reply can
 * make the client allocate (a status record is over a kilobyte in memory, a few bytes on the wire). */
#define RECORDS_MAX        (1u << 17)
#define RESULT_RECORD_MIN  (4 + 4 + 1 + 1 + 1 + 2 + 4)
#define AVAIL_RECORD_MIN   (4 + 4 + 1 + 4 + 4)
#define PROTO_ST_ALL       (PROTO_ST_READY | PROTO_ST_BUSY | PROTO_ST_HEARTBEAT | PROTO_ST_EXITED | PROTO_ST_SLOT_BAD | \
                            PROTO_ST_READY_VIA)

/* ---- names ---- */

static const char *const type_names[PROTO_TYPE_MAX] = {
	[PROTO_STATUS] = "status",   [PROTO_START] = "start",       [PROTO_STOP] = "stop",
	[PROTO_RESTART] = "restart", [PROTO_SIGNAL] = "signal",     [PROTO_PID] = "pid",
	[PROTO_RELOAD] = "reload",   [PROTO_SHUTDOWN] = "shutdown", [PROTO_TAIL] = "tail",
	[PROTO_WAIT] = "wait",       [PROTO_VERSION_REQ] = "version", [PROTO_REREAD] = "reread",
	[PROTO_UPDATE] = "update",   [PROTO_AVAIL] = "avail",       [PROTO_METRICS] = "metrics",
};

bool proto_type_has_plan(enum proto_type t)
{
	return t == PROTO_RELOAD || t == PROTO_REREAD || t == PROTO_UPDATE;
}

const char *proto_type_to_string(enum proto_type t)
{
	if ((unsigned) t >= PROTO_TYPE_MAX)
		return NULL;
	return type_names[t];
}

unsigned proto_priority_of(enum proto_type t)
{
	switch (t) {
	case PROTO_STOP:
	case PROTO_SHUTDOWN:
	case PROTO_SIGNAL:
		return PROTO_PRIO_STOP;
	case PROTO_START:
	case PROTO_RESTART:
	case PROTO_RELOAD:
	case PROTO_UPDATE:
		return PROTO_PRIO_START;
	default:
		return PROTO_PRIO_QUERY;
	}
}

static const char *const state_names[PROC_STATE_MAX] = {
	[PROC_STOPPED] = "STOPPED",   [PROC_STARTING] = "STARTING", [PROC_RUNNING] = "RUNNING",
	[PROC_BACKOFF] = "BACKOFF",   [PROC_STOPPING] = "STOPPING", [PROC_EXITED] = "EXITED",
	[PROC_FATAL] = "FATAL",       [PROC_UNKNOWN] = "UNKNOWN",
};

const char *proc_state_to_string(enum proc_state s)
{
	if ((unsigned) s >= PROC_STATE_MAX)
		return "UNKNOWN";
	return state_names[s];
}

int proc_state_from_string(const char *s)
{
	if (!s)
		return -EINVAL;
	for (int i = 0; i < PROC_STATE_MAX; i++)
		if (strcasecmp(s, state_names[i]) == 0)
			return i;
	return -EINVAL;
}

static const char *const reload_action_names[RELOAD_ACTION_MAX] = {
	[RELOAD_ADDED] = "added",     [RELOAD_CHANGED] = "changed", [RELOAD_UPDATED] = "updated",
	[RELOAD_REMOVED] = "removed", [RELOAD_UNCHANGED] = "unchanged",
};

const char *proto_check_to_string(enum proto_check c)
{
	static const char *const t[PROTO_CHECK_MAX] = { "none", "scoreboard", "notify", "tcp", "http", "exec", "log" };
	return (unsigned) c < PROTO_CHECK_MAX ? t[c] : "?";
}

const char *proto_reload_action_to_string(enum proto_reload_action a)
{
	if ((unsigned) a >= RELOAD_ACTION_MAX)
		return NULL;
	return reload_action_names[a];
}

/* ---- little-endian primitives (explicit byte writes, never struct casts) ---- */

static void put_u16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t) v;
	p[1] = (uint8_t) (v >> 8);
}

static void put_u32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t) (v >> (8 * i));
}

static uint16_t get_u16(const uint8_t *p)
{
	return (uint16_t) (p[0] | (p[1] << 8));
}

static uint32_t get_u32(const uint8_t *p)
{
	return (uint32_t) p[0] | (uint32_t) p[1] << 8 | (uint32_t) p[2] << 16 | (uint32_t) p[3] << 24;
}

/* A bounds-checked reader: every get fails once the input is exhausted. */
struct reader {
	const uint8_t *p;
	size_t len, off;
};

static bool rd_u8(struct reader *r, uint8_t *v)
{
	if (r->len - r->off < 1)
		return false;
	*v = r->p[r->off++];
	return true;
}

static bool rd_u16(struct reader *r, uint16_t *v)
{
	if (r->len - r->off < 2)
		return false;
	*v = get_u16(r->p + r->off);
	r->off += 2;
	return true;
}

static bool rd_u32(struct reader *r, uint32_t *v)
{
	if (r->len - r->off < 4)
		return false;
	*v = get_u32(r->p + r->off);
	r->off += 4;
	return true;
}

/* A string of at most max bytes without NUL; *s points into the input (not terminated). */
static bool rd_str(struct reader *r, size_t max, const uint8_t **s, uint32_t *n)
{
	uint32_t l;
	if (!rd_u32(r, &l))
		return false;
	if (l > max || l > r->len - r->off)
		return false;
	if (memchr(r->p + r->off, '\0', l))
		return false;
	*s = r->p + r->off;
	*n = l;
	r->off += l;
	return true;
}

/* A string into a fixed array dst[size]: must fit with its NUL (never truncated). */
static bool rd_str_into(struct reader *r, char *dst, size_t size)
{
	const uint8_t *s;
	uint32_t n;
	if (!rd_str(r, size - 1, &s, &n))
		return false;
	memcpy(dst, s, n);
	dst[n] = '\0';
	return true;
}

static bool rd_var(struct reader *r, uint64_t *v)
{
	uint64_t x = 0;
	for (unsigned shift = 0; shift < 64; shift += 7) {
		uint8_t b;
		if (!rd_u8(r, &b))
			return false;
		if (shift == 63 && b > 1)
			return false;   /* more than 64 bits */
		x |= (uint64_t) (b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*v = x;
			return true;
		}
	}
	return false;
}

static bool rd_var_max(struct reader *r, uint64_t max, uint64_t *v)
{
	return rd_var(r, v) && *v <= max;
}

static bool rd_var32(struct reader *r, uint32_t *v)
{
	uint64_t x;
	if (!rd_var_max(r, UINT32_MAX, &x))
		return false;
	*v = (uint32_t) x;
	return true;
}

/* A var-length string into dst[size]: must fit with its NUL, no NUL inside. */
static bool rd_vstr_into(struct reader *r, char *dst, size_t size)
{
	uint64_t l;
	if (!rd_var_max(r, size - 1, &l) || l > r->len - r->off)
		return false;
	if (memchr(r->p + r->off, '\0', (size_t) l))
		return false;
	memcpy(dst, r->p + r->off, (size_t) l);
	dst[l] = '\0';
	r->off += (size_t) l;
	return true;
}

/* ---- header ---- */

void proto_header_encode(uint8_t *buf, const struct proto_header *h)
{
	put_u32(buf + 0, h->magic);
	put_u16(buf + 4, h->version);
	put_u16(buf + 6, h->type);
	put_u32(buf + 8, h->id);
	put_u16(buf + 12, h->flags);
	put_u16(buf + 14, h->fragment);
	put_u32(buf + 16, h->length);
	put_u32(buf + 20, h->reserved);
}

int proto_header_decode(const uint8_t *buf, size_t len, struct proto_header *ret)
{
	struct proto_header h;

	if (!buf || len < PROTO_HEADER_SIZE)
		return -EBADMSG;
	h.magic = get_u32(buf + 0);
	if (h.magic != PROTO_MAGIC)
		return -EBADMSG;
	h.version = get_u16(buf + 4);
	if (h.version != PROTO_VERSION)
		return -EPROTO;
	h.type = get_u16(buf + 6);
	h.id = get_u32(buf + 8);
	h.flags = get_u16(buf + 12);
	h.fragment = get_u16(buf + 14);
	h.length = get_u32(buf + 16);
	h.reserved = get_u32(buf + 20);
	if ((size_t) h.length != len - PROTO_HEADER_SIZE)
		return -EBADMSG;
	if (h.reserved != 0)
		return -EBADMSG;
	*ret = h;
	return 0;
}

/* ---- requests ---- */

static bool request_type_valid(uint32_t t)
{
	return t >= PROTO_STATUS && t < PROTO_TYPE_MAX;
}

ssize_t proto_request_encode(uint8_t *buf, size_t cap, uint16_t type, uint32_t id,
                             const char *reply_queue, uint32_t arg1, uint32_t arg2,
                             size_t nargs, const char *const *args)
{
	size_t need, qlen, off;

	if (!request_type_valid(type) || !reply_queue || (nargs > 0 && !args))
		return -EINVAL;
	if (nargs > PROTO_ARGS_MAX)
		return -E2BIG;
	qlen = strlen(reply_queue);
	if (qlen == 0 || qlen >= PROTO_NAME_MAX)
		return -ENAMETOOLONG;
	need = PROTO_HEADER_SIZE + 4 + qlen + 4 + 4 + 4;
	for (size_t i = 0; i < nargs; i++) {
		size_t l;
		if (!args[i])
			return -EINVAL;
		l = strlen(args[i]);
		if (l >= PROTO_NAME_MAX)
			return -ENAMETOOLONG;
		need += 4 + l;
	}
	if (need > cap || need > PROTO_MSG_MAX)
		return -EMSGSIZE;

	struct proto_header h = {
		.magic = PROTO_MAGIC, .version = PROTO_VERSION, .type = type, .id = id,
		.flags = 0, .fragment = 0, .length = (uint32_t) (need - PROTO_HEADER_SIZE), .reserved = 0,
	};
	proto_header_encode(buf, &h);
	off = PROTO_HEADER_SIZE;
	put_u32(buf + off, (uint32_t) qlen);
	memcpy(buf + off + 4, reply_queue, qlen);
	off += 4 + qlen;
	put_u32(buf + off, arg1);
	put_u32(buf + off + 4, arg2);
	put_u32(buf + off + 8, (uint32_t) nargs);
	off += 12;
	for (size_t i = 0; i < nargs; i++) {
		size_t l = strlen(args[i]);
		put_u32(buf + off, (uint32_t) l);
		memcpy(buf + off + 4, args[i], l);
		off += 4 + l;
	}
	return (ssize_t) off;
}

/* Copy a validated string into the request's strbuf; the reader already bounded it. */
static const char *strbuf_put(struct proto_request *r, size_t *used, const uint8_t *s, uint32_t n)
{
	char *d;
	if (sizeof(r->strbuf) - *used < (size_t) n + 1)
		return NULL;
	d = r->strbuf + *used;
	memcpy(d, s, n);
	d[n] = '\0';
	*used += (size_t) n + 1;
	return d;
}

int proto_request_decode(const uint8_t *buf, size_t len, struct proto_request *ret)
{
	struct proto_header h;
	struct reader rd;
	const uint8_t *s;
	uint32_t n, arg1, arg2, nargs;
	size_t used = 0;
	int r;

	/* size, magic, version, declared length, reserved */
	if (len > PROTO_MSG_MAX)
		return -EBADMSG;
	r = proto_header_decode(buf, len, &h);
	if (r < 0)
		return r;
	/* type range; a request is one message: no reply bit, no flags, fragment 0 */
	if (!request_type_valid(h.type) || h.flags != 0 || h.fragment != 0)
		return -EBADMSG;

	rd = (struct reader) { .p = buf, .len = len, .off = PROTO_HEADER_SIZE };
	/* fields: bounds and NULs checked by rd_str, strbuf holds every string (len <= strbuf) */
	if (!rd_str(&rd, PROTO_NAME_MAX - 1, &s, &n) || n == 0)
		return -EBADMSG;
	ret->reply_queue = strbuf_put(ret, &used, s, n);
	if (!ret->reply_queue)
		return -EBADMSG;
	if (!rd_u32(&rd, &arg1) || !rd_u32(&rd, &arg2) || !rd_u32(&rd, &nargs))
		return -EBADMSG;
	if (nargs > PROTO_ARGS_MAX)
		return -EBADMSG;
	for (uint32_t i = 0; i < nargs; i++) {
		if (!rd_str(&rd, PROTO_NAME_MAX - 1, &s, &n))
			return -EBADMSG;
		ret->args[i] = strbuf_put(ret, &used, s, n);
		if (!ret->args[i])
			return -EBADMSG;
	}
	/* no leftover bytes */
	if (rd.off != rd.len)
		return -EBADMSG;

	ret->type = h.type;
	ret->id = h.id;
	ret->arg1 = arg1;
	ret->arg2 = arg2;
	ret->nargs = nargs;
	for (uint32_t i = nargs; i < PROTO_ARGS_MAX; i++)
		ret->args[i] = NULL;
	return 0;
}

int proto_request_salvage(const uint8_t *buf, size_t len, uint32_t *ret_id, uint16_t *ret_type,
                          char reply_queue[PROTO_NAME_MAX])
{
	struct reader rd;

	if (!buf || len < PROTO_HEADER_SIZE || get_u32(buf) != PROTO_MAGIC)
		return -EBADMSG;
	rd = (struct reader) { .p = buf, .len = len, .off = PROTO_HEADER_SIZE };
	if (!rd_str_into(&rd, reply_queue, PROTO_NAME_MAX) || reply_queue[0] == '\0')
		return -EBADMSG;
	*ret_id = get_u32(buf + 8);
	*ret_type = get_u16(buf + 6);
	return 0;
}

/* "/INSTANCE.reply.PID.HEX": the only names the daemon ever opens. */
bool proto_reply_queue_name_valid(const char *name, const char *instance)
{
	static const char mid[] = ".reply.";
	size_t il, n;
	const char *p;

	if (!name || !instance || !instance_name_valid(instance))
		return false;
	if (strnlen(name, PROTO_NAME_MAX) >= PROTO_NAME_MAX)
		return false;
	il = strlen(instance);
	if (name[0] != '/' || strncmp(name + 1, instance, il) != 0)
		return false;
	p = name + 1 + il;
	if (strncmp(p, mid, sizeof(mid) - 1) != 0)
		return false;
	p += sizeof(mid) - 1;
	/* decimal pid: 1..10 digits, no leading zero, > 0, fits a pid_t */
	for (n = 0; p[n] >= '0' && p[n] <= '9'; n++)
		;
	if (n == 0 || n > 10 || p[0] == '0')
		return false;
	if (strtoull(p, NULL, 10) > 0x7fffffffULL)
		return false;
	p += n;
	if (*p != '.')
		return false;
	p++;
	for (n = 0; (p[n] >= '0' && p[n] <= '9') || (p[n] >= 'a' && p[n] <= 'f') || (p[n] >= 'A' && p[n] <= 'F'); n++)
		;
	if (n < 8 || n > 32 || p[n] != '\0')
		return false;
	return true;
}

/* ---- reply building ---- */

void proto_buf_free(struct proto_buf *b)
{
	if (!b)
		return;
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

static uint8_t *buf_reserve(struct proto_buf *b, size_t n)
{
	if (b->cap - b->len < n) {
		size_t cap = b->cap ? b->cap : 256;
		while (cap - b->len < n)
			cap *= 2;
		b->data = xrealloc(b->data, cap, 1);
		b->cap = cap;
	}
	uint8_t *p = b->data + b->len;
	b->len += n;
	return p;
}

static void buf_u8(struct proto_buf *b, uint8_t v)
{
	*buf_reserve(b, 1) = v;
}

static void buf_u32(struct proto_buf *b, uint32_t v)
{
	put_u32(buf_reserve(b, 4), v);
}

static void buf_bytes(struct proto_buf *b, const void *s, size_t n)
{
	buf_u32(b, (uint32_t) n);
	if (n)
		memcpy(buf_reserve(b, n), s, n);
}

static void buf_var(struct proto_buf *b, uint64_t v)
{
	uint8_t tmp[10];
	size_t n = 0;
	do {
		tmp[n] = (uint8_t) (v & 0x7f);
		v >>= 7;
		if (v)
			tmp[n] |= 0x80;
		n++;
	} while (v);
	memcpy(buf_reserve(b, n), tmp, n);
}

/* A string cut to max bytes (and at its first NUL), length as a var. */
static void buf_vstr(struct proto_buf *b, const char *s, size_t max)
{
	size_t n = strnlen(s, max);
	buf_var(b, n);
	if (n)
		memcpy(buf_reserve(b, n), s, n);
}

static uint64_t zigzag32(int32_t v)
{
	return (uint64_t) (((uint32_t) v << 1) ^ (uint32_t) (v >> 31));
}

static int32_t unzigzag32(uint32_t v)
{
	return (int32_t) ((v >> 1) ^ (0u - (v & 1)));
}

/* A string cut to max bytes (and at its first NUL), so that the decoder accepts it. */
static void buf_str(struct proto_buf *b, const char *s, size_t max)
{
	buf_bytes(b, s ? s : "", s ? strnlen(s, max) : 0);
}

void proto_reply_begin(struct proto_buf *b, int32_t result, const char *message, size_t message_len)
{
	b->len = 0;
	buf_u32(b, (uint32_t) result);
	if (!message)
		message_len = 0;
	/* a NUL inside would make the reply undecodable: stop at the first one */
	if (message_len && memchr(message, '\0', message_len))
		message_len = strlen(message);
	if (message_len > PROTO_REPLY_MAX / 2)
		message_len = PROTO_REPLY_MAX / 2;
	buf_bytes(b, message, message_len);
	buf_u32(b, 0);   /* nrecords, patched by proto_reply_finish */
}

void proto_reply_add_status(struct proto_buf *b, const struct proto_status *s)
{
	uint8_t nc = s->ncounters > PROTO_COUNTERS_MAX ? PROTO_COUNTERS_MAX : s->ncounters;
	bool checks = s->ready_via || s->health_check || s->health_result || s->health_failures || s->health_failures_max;
	uint32_t present =
		(s->group[0] ? ST_F_GROUP : 0) | (s->pid > 0 ? ST_F_PID : 0) | (s->uptime_ms ? ST_F_UPTIME : 0) |
		(s->restarts ? ST_F_RESTARTS : 0) | (s->exitstatus ? ST_F_EXITSTATUS : 0) |
		(s->heartbeat_age_ms ? ST_F_HEARTBEAT : 0) | (s->next_attempt_ms >= 0 ? ST_F_NEXT_ATTEMPT : 0) |
		(s->description[0] ? ST_F_DESCRIPTION : 0) | (s->status_line[0] ? ST_F_STATUS_LINE : 0) |
		(nc ? ST_F_COUNTERS : 0) | (s->log_dropped ? ST_F_LOG_DROPPED : 0) |
		(s->pattern < PROTO_ARGS_MAX ? ST_F_PATTERN : 0) | (checks ? ST_F_CHECKS : 0) |
		(s->ready_after_ms ? ST_F_READY_AFTER : 0) | (s->health_age_ms ? ST_F_HEALTH_AGE : 0) |
		(s->health_latency_ms ? ST_F_HEALTH_LATENCY : 0) | (s->notify_dropped ? ST_F_NOTIFY_DROPPED : 0) |
		(s->ready_detail[0] ? ST_F_READY_DETAIL : 0) | (s->health_detail[0] ? ST_F_HEALTH_DETAIL : 0) |
		(s->since_ms ? ST_F_SINCE : 0) | (s->restarts_manual ? ST_F_RESTARTS_MANUAL : 0);

	buf_vstr(b, s->name, sizeof(s->name) - 1);
	buf_u8(b, s->state < PROC_STATE_MAX ? s->state : PROC_UNKNOWN);
	buf_u8(b, s->flags & PROTO_ST_ALL);
	buf_var(b, present);
	if (present & ST_F_GROUP)
		buf_vstr(b, s->group, sizeof(s->group) - 1);
	if (present & ST_F_PID)
		buf_var(b, (uint64_t) s->pid);
	if (present & ST_F_UPTIME)
		buf_var(b, s->uptime_ms);
	if (present & ST_F_RESTARTS)
		buf_var(b, s->restarts);
	if (present & ST_F_EXITSTATUS)
		buf_var(b, zigzag32(s->exitstatus));
	if (present & ST_F_HEARTBEAT)
		buf_var(b, s->heartbeat_age_ms);
	if (present & ST_F_NEXT_ATTEMPT)
		buf_var(b, (uint64_t) s->next_attempt_ms);
	if (present & ST_F_DESCRIPTION)
		buf_vstr(b, s->description, sizeof(s->description) - 1);
	if (present & ST_F_STATUS_LINE)
		buf_vstr(b, s->status_line, sizeof(s->status_line) - 1);
	if (present & ST_F_COUNTERS) {
		buf_u8(b, nc);
		for (unsigned i = 0; i < nc; i++)
			buf_var(b, s->counters[i]);
	}
	if (present & ST_F_LOG_DROPPED)
		buf_var(b, s->log_dropped);
	if (present & ST_F_PATTERN)
		buf_var(b, s->pattern);
	if (present & ST_F_CHECKS) {
		buf_u8(b, s->ready_via < PROTO_CHECK_MAX ? s->ready_via : PROTO_CHECK_NONE);
		buf_u8(b, s->health_check < PROTO_CHECK_MAX ? s->health_check : PROTO_CHECK_NONE);
		buf_u8(b, s->health_result < PROTO_HEALTH_MAX ? s->health_result : PROTO_HEALTH_NONE);
		buf_u8(b, s->health_failures);
		buf_u8(b, s->health_failures_max);
	}
	if (present & ST_F_READY_AFTER)
		buf_var(b, s->ready_after_ms);
	if (present & ST_F_HEALTH_AGE)
		buf_var(b, s->health_age_ms);
	if (present & ST_F_HEALTH_LATENCY)
		buf_var(b, s->health_latency_ms);
	if (present & ST_F_NOTIFY_DROPPED)
		buf_var(b, s->notify_dropped);
	if (present & ST_F_READY_DETAIL)
		buf_vstr(b, s->ready_detail, sizeof(s->ready_detail) - 1);
	if (present & ST_F_HEALTH_DETAIL)
		buf_vstr(b, s->health_detail, sizeof(s->health_detail) - 1);
	if (present & ST_F_SINCE)
		buf_var(b, s->since_ms);
	if (present & ST_F_RESTARTS_MANUAL)
		buf_var(b, s->restarts_manual);
}

void proto_reply_add_avail(struct proto_buf *b, const struct proto_avail *av)
{
	buf_str(b, av->name, sizeof(av->name) - 1);
	buf_str(b, av->group, sizeof(av->group) - 1);
	buf_u8(b, av->flags & PROTO_AV_ALL);
	buf_u32(b, (uint32_t) av->group_priority);
	buf_u32(b, (uint32_t) av->priority);
}

void proto_reply_add_result(struct proto_buf *b, const struct proto_result *res)
{
	buf_str(b, res->name, sizeof(res->name) - 1);
	buf_u32(b, (uint32_t) res->result);
	buf_u8(b, res->state);
	buf_u8(b, res->action);
	buf_u8(b, res->flags & PROTO_RES_ALL);
	put_u16(buf_reserve(b, 2), res->pattern);
	buf_str(b, res->reason, sizeof(res->reason) - 1);
}

void proto_reply_finish(struct proto_buf *b, uint32_t nrecords, size_t nunmatched, const uint16_t *unmatched)
{
	size_t off;
	if (b->len < 8)
		return;
	off = 8 + (size_t) get_u32(b->data + 4);
	if (off + 4 <= b->len)
		put_u32(b->data + off, nrecords);
	if (nunmatched > PROTO_ARGS_MAX || !unmatched)
		nunmatched = 0;
	buf_u32(b, (uint32_t) nunmatched);
	for (size_t i = 0; i < nunmatched; i++)
		put_u16(buf_reserve(b, 2), unmatched[i]);
}

/* Fragments carry msgsize - header bytes each (msgsize capped at PROTO_MSG_MAX); a payload
 * always has at least one fragment. */
size_t proto_reply_fragment(const struct proto_buf *payload, uint16_t type, uint32_t id,
                            size_t msgsize, uint16_t k, uint8_t *out, bool *ret_more)
{
	size_t chunk, off, n;
	bool more;

	if (msgsize > PROTO_MSG_MAX)
		msgsize = PROTO_MSG_MAX;
	if (msgsize <= PROTO_HEADER_SIZE)
		return 0;
	chunk = msgsize - PROTO_HEADER_SIZE;
	off = (size_t) k * chunk;
	if (k > 0 && off >= payload->len)
		return 0;
	n = payload->len - off < chunk ? payload->len - off : chunk;
	more = off + n < payload->len;
	if (more && k == UINT16_MAX)
		return 0;   /* cannot be numbered: the payload exceeds PROTO_REPLY_MAX */

	struct proto_header h = {
		.magic = PROTO_MAGIC, .version = PROTO_VERSION, .type = (uint16_t) (type | PROTO_REPLY_BIT),
		.id = id, .flags = more ? PROTO_F_MORE : 0, .fragment = k, .length = (uint32_t) n, .reserved = 0,
	};
	proto_header_encode(out, &h);
	if (n)
		memcpy(out + PROTO_HEADER_SIZE, payload->data + off, n);
	*ret_more = more;
	return PROTO_HEADER_SIZE + n;
}

/* ---- reassembly and reply decoding ---- */

void proto_assembler_init(struct proto_assembler *a, uint32_t id, uint16_t type)
{
	*a = (struct proto_assembler) { .id = id, .type = type };
}

void proto_assembler_free(struct proto_assembler *a)
{
	if (!a)
		return;
	proto_buf_free(&a->payload);
	a->next_fragment = 0;
	a->complete = false;
}

int proto_assembler_feed(struct proto_assembler *a, const uint8_t *msg, size_t len)
{
	struct proto_header h;
	int r;

	if (len > PROTO_MSG_MAX)
		return -EBADMSG;
	r = proto_header_decode(msg, len, &h);
	if (r < 0)
		return r;
	if (h.id != a->id)
		return 0;   /* a late reply to an earlier request: not ours */
	if (h.type != (uint16_t) (a->type | PROTO_REPLY_BIT))
		return -EBADMSG;
	if (h.flags & ~PROTO_F_MORE)
		return -EBADMSG;
	if (a->complete || h.fragment != a->next_fragment)
		return -EBADMSG;   /* duplicate, out of order, or after the last one */
	if ((h.flags & PROTO_F_MORE) && h.fragment == UINT16_MAX)
		return -EMSGSIZE;
	if (h.length > PROTO_REPLY_MAX - a->payload.len)
		return -EMSGSIZE;
	if (h.length)
		memcpy(buf_reserve(&a->payload, h.length), msg + PROTO_HEADER_SIZE, h.length);
	a->next_fragment++;
	if (h.flags & PROTO_F_MORE)
		return 0;
	a->complete = true;
	return 1;
}

/* Into a zeroed *s: absent fields keep their zero, but next_attempt_ms and pattern. */
static bool decode_status(struct reader *rd, struct proto_status *s)
{
	uint64_t present, v;
	uint32_t u;

	if (!rd_vstr_into(rd, s->name, sizeof(s->name)))
		return false;
	if (!rd_u8(rd, &s->state) || s->state >= PROC_STATE_MAX)
		return false;
	if (!rd_u8(rd, &s->flags) || (s->flags & ~PROTO_ST_ALL))
		return false;
	if (!rd_var_max(rd, ST_F_ALL, &present))
		return false;
	s->next_attempt_ms = -1;
	s->pattern = PROTO_PATTERN_NONE;
	if ((present & ST_F_GROUP) && !rd_vstr_into(rd, s->group, sizeof(s->group)))
		return false;
	if (present & ST_F_PID) {
		if (!rd_var_max(rd, INT32_MAX, &v))
			return false;
		s->pid = (int32_t) v;
	}
	if ((present & ST_F_UPTIME) && !rd_var(rd, &s->uptime_ms))
		return false;
	if ((present & ST_F_RESTARTS) && !rd_var32(rd, &s->restarts))
		return false;
	if (present & ST_F_EXITSTATUS) {
		if (!rd_var32(rd, &u))
			return false;
		s->exitstatus = unzigzag32(u);
	}
	if ((present & ST_F_HEARTBEAT) && !rd_var(rd, &s->heartbeat_age_ms))
		return false;
	if (present & ST_F_NEXT_ATTEMPT) {
		if (!rd_var_max(rd, INT64_MAX, &v))
			return false;
		s->next_attempt_ms = (int64_t) v;
	}
	if ((present & ST_F_DESCRIPTION) && !rd_vstr_into(rd, s->description, sizeof(s->description)))
		return false;
	if ((present & ST_F_STATUS_LINE) && !rd_vstr_into(rd, s->status_line, sizeof(s->status_line)))
		return false;
	if (present & ST_F_COUNTERS) {
		if (!rd_u8(rd, &s->ncounters) || s->ncounters == 0 || s->ncounters > PROTO_COUNTERS_MAX)
			return false;
		for (unsigned i = 0; i < s->ncounters; i++)
			if (!rd_var(rd, &s->counters[i]))
				return false;
	}
	if ((present & ST_F_LOG_DROPPED) && !rd_var(rd, &s->log_dropped))
		return false;
	if (present & ST_F_PATTERN) {
		if (!rd_var_max(rd, PROTO_ARGS_MAX - 1, &v))
			return false;
		s->pattern = (uint16_t) v;
	}
	if (present & ST_F_CHECKS) {
		if (!rd_u8(rd, &s->ready_via) || s->ready_via >= PROTO_CHECK_MAX || !rd_u8(rd, &s->health_check) ||
		    s->health_check >= PROTO_CHECK_MAX || !rd_u8(rd, &s->health_result) ||
		    s->health_result >= PROTO_HEALTH_MAX || !rd_u8(rd, &s->health_failures) ||
		    !rd_u8(rd, &s->health_failures_max))
			return false;
	}
	if ((present & ST_F_READY_AFTER) && !rd_var(rd, &s->ready_after_ms))
		return false;
	if ((present & ST_F_HEALTH_AGE) && !rd_var(rd, &s->health_age_ms))
		return false;
	if ((present & ST_F_HEALTH_LATENCY) && !rd_var(rd, &s->health_latency_ms))
		return false;
	if ((present & ST_F_NOTIFY_DROPPED) && !rd_var(rd, &s->notify_dropped))
		return false;
	if ((present & ST_F_READY_DETAIL) && !rd_vstr_into(rd, s->ready_detail, sizeof(s->ready_detail)))
		return false;
	if ((present & ST_F_HEALTH_DETAIL) && !rd_vstr_into(rd, s->health_detail, sizeof(s->health_detail)))
		return false;
	if ((present & ST_F_SINCE) && !rd_var(rd, &s->since_ms))
		return false;
	if ((present & ST_F_RESTARTS_MANUAL) && !rd_var32(rd, &s->restarts_manual))
		return false;
	return true;
}

static bool decode_result(struct reader *rd, uint16_t type, struct proto_result *res)
{
	uint32_t v;
	uint16_t pattern;
	if (!rd_str_into(rd, res->name, sizeof(res->name)) || !rd_u32(rd, &v) ||
	    !rd_u8(rd, &res->state) || !rd_u8(rd, &res->action) || !rd_u8(rd, &res->flags) ||
	    !rd_u16(rd, &pattern) || !rd_str_into(rd, res->reason, sizeof(res->reason)))
		return false;
	if (res->flags & ~PROTO_RES_ALL)
		return false;
	res->result = (int32_t) v;
	if (res->result > 0 || res->result < -PROTO_ERRNO_MAX)
		return false;
	if (res->state >= PROC_STATE_MAX)
		return false;
	if (proto_type_has_plan(type) ? res->action >= RELOAD_ACTION_MAX : res->action != 0)
		return false;
	if (pattern >= PROTO_ARGS_MAX && pattern != PROTO_PATTERN_NONE)
		return false;
	res->pattern = pattern;
	return true;
}

static bool decode_avail(struct reader *rd, struct proto_avail *av)
{
	uint32_t gp, p;
	if (!rd_str_into(rd, av->name, sizeof(av->name)) || !rd_str_into(rd, av->group, sizeof(av->group)) ||
	    !rd_u8(rd, &av->flags) || !rd_u32(rd, &gp) || !rd_u32(rd, &p))
		return false;
	if (av->flags & ~PROTO_AV_ALL)
		return false;
	av->group_priority = (int32_t) gp;
	av->priority = (int32_t) p;
	return true;
}

static bool reply_has_status(uint16_t type)
{
	return type == PROTO_STATUS || type == PROTO_PID;
}

static size_t record_min(uint16_t type)
{
	return reply_has_status(type) ? STATUS_RECORD_MIN : type == PROTO_AVAIL ? AVAIL_RECORD_MIN : RESULT_RECORD_MIN;
}

int proto_reply_decode(const struct proto_assembler *a, struct proto_reply *ret)
{
	struct proto_reply r = { .type = a->type };
	struct reader rd = { .p = a->payload.data, .len = a->payload.len, .off = 0 };
	const uint8_t *msg;
	uint32_t v, mlen, n;

	if (!a->complete)
		return -EBADMSG;
	if (!rd_u32(&rd, &v))
		return -EBADMSG;
	r.result = (int32_t) v;
	if (!rd_str(&rd, PROTO_REPLY_MAX, &msg, &mlen))
		return -EBADMSG;
	if (!rd_u32(&rd, &n))
		return -EBADMSG;
	/* bound the allocation by what the payload can hold before allocating (4: nunmatched) */
	if (rd.len - rd.off < 4 || n > RECORDS_MAX ||
	    (size_t) n > (rd.len - rd.off - 4) / record_min(a->type))
		return -EBADMSG;

	if (n > 0 && reply_has_status(a->type)) {
		r.status = xcalloc(n, sizeof(*r.status));
		for (uint32_t i = 0; i < n; i++)
			if (!decode_status(&rd, &r.status[i]))
				goto bad;
	} else if (n > 0 && a->type == PROTO_AVAIL) {
		r.avail = xcalloc(n, sizeof(*r.avail));
		for (uint32_t i = 0; i < n; i++)
			if (!decode_avail(&rd, &r.avail[i]))
				goto bad;
	} else if (n > 0) {
		r.results = xcalloc(n, sizeof(*r.results));
		for (uint32_t i = 0; i < n; i++)
			if (!decode_result(&rd, a->type, &r.results[i]))
				goto bad;
	}
	/* the unmatched patterns: bounded, in range, increasing (no duplicates) */
	if (!rd_u32(&rd, &r.nunmatched) || r.nunmatched > PROTO_ARGS_MAX)
		goto bad;
	for (uint32_t i = 0; i < r.nunmatched; i++)
		if (!rd_u16(&rd, &r.unmatched[i]) || r.unmatched[i] >= PROTO_ARGS_MAX ||
		    (i > 0 && r.unmatched[i] <= r.unmatched[i - 1]))
			goto bad;
	if (rd.off != rd.len)
		goto bad;

	r.message = xmalloc((size_t) mlen + 1);
	memcpy(r.message, msg, mlen);
	r.message[mlen] = '\0';
	r.message_len = mlen;
	r.nrecords = n;
	*ret = r;
	return 0;
bad:
	free(r.status);
	free(r.avail);
	free(r.results);
	return -EBADMSG;
}

void proto_reply_free(struct proto_reply *r)
{
	if (!r)
		return;
	free(r->message);
	free(r->status);
	free(r->avail);
	free(r->results);
	r->message = NULL;
	r->status = NULL;
	r->avail = NULL;
	r->results = NULL;
	r->nrecords = 0;
	r->message_len = 0;
	r->nunmatched = 0;
}
