/* Unit tests of the wire format (lib/proto.c): round trips, fragmentation, malformed input. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"
#include "util.h"

#define RQ "/t1.reply.1234.0123abcd"

static const char *const some_args[] = { "all", "web:web_00", "db", "group:*" };

static ssize_t encode_simple(uint8_t *buf, size_t cap, uint16_t type, size_t nargs)
{
	return proto_request_encode(buf, cap, type, 42, RQ, 7, 9, nargs, some_args);
}

/* ---- round trips ---- */

static void test_request_roundtrip_every_type(void **state)
{
	for (uint16_t t = PROTO_STATUS; t < PROTO_TYPE_MAX; t++) {
		for (size_t nargs = 0; nargs <= ELEMENTSOF(some_args); nargs++) {
			uint8_t buf[PROTO_MSG_MAX];
			struct proto_request *r = xmalloc(sizeof(*r));
			ssize_t n = proto_request_encode(buf, sizeof(buf), t, 0xdeadbeef, RQ, 0x01020304, 0xa0b0c0d0,
			                                 nargs, some_args);
			assert_true(n > 0);
			assert_int_equal(proto_request_decode(buf, (size_t) n, r), 0);
			assert_int_equal(r->type, t);
			assert_int_equal(r->id, 0xdeadbeef);
			assert_int_equal(r->arg1, 0x01020304);
			assert_int_equal(r->arg2, 0xa0b0c0d0);
			assert_int_equal(r->nargs, nargs);
			assert_string_equal(r->reply_queue, RQ);
			for (size_t i = 0; i < nargs; i++)
				assert_string_equal(r->args[i], some_args[i]);
			free(r);
		}
		assert_non_null(proto_type_to_string(t));
	}
	assert_null(proto_type_to_string(PROTO_TYPE_MAX));
}

static void test_request_max_args(void **state)
{
	const char *args[PROTO_ARGS_MAX + 1];
	uint8_t buf[PROTO_MSG_MAX];
	struct proto_request *r = xmalloc(sizeof(*r));
	for (size_t i = 0; i <= PROTO_ARGS_MAX; i++)
		args[i] = "web:web_00";
	ssize_t n = proto_request_encode(buf, sizeof(buf), PROTO_STOP, 1, RQ, 0, 0, PROTO_ARGS_MAX, args);
	assert_true(n > 0);
	assert_int_equal(proto_request_decode(buf, (size_t) n, r), 0);
	assert_int_equal(r->nargs, PROTO_ARGS_MAX);
	assert_int_equal(proto_request_encode(buf, sizeof(buf), PROTO_STOP, 1, RQ, 0, 0, PROTO_ARGS_MAX + 1, args), -E2BIG);
	free(r);
}

static void test_request_encode_limits(void **state)
{
	uint8_t buf[PROTO_MSG_MAX];
	char longname[PROTO_NAME_MAX + 1];
	const char *a[1] = { longname };
	memset(longname, 'x', PROTO_NAME_MAX);
	longname[PROTO_NAME_MAX] = '\0';
	assert_int_equal(proto_request_encode(buf, sizeof(buf), PROTO_STOP, 1, RQ, 0, 0, 1, a), -ENAMETOOLONG);
	assert_int_equal(proto_request_encode(buf, sizeof(buf), PROTO_STOP, 1, longname, 0, 0, 0, NULL), -ENAMETOOLONG);
	assert_int_equal(proto_request_encode(buf, 30, PROTO_STOP, 1, RQ, 0, 0, 0, NULL), -EMSGSIZE);
	assert_int_equal(proto_request_encode(buf, sizeof(buf), 0, 1, RQ, 0, 0, 0, NULL), -EINVAL);
	assert_int_equal(proto_request_encode(buf, sizeof(buf), PROTO_TYPE_MAX, 1, RQ, 0, 0, 0, NULL), -EINVAL);
	/* 255-byte name is the maximum */
	longname[PROTO_NAME_MAX - 1] = '\0';
	assert_true(proto_request_encode(buf, sizeof(buf), PROTO_STOP, 1, RQ, 0, 0, 1, a) > 0);
}

static void fill_status(struct proto_status *s, unsigned i)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->name, sizeof(s->name), "web:web_%04u", i);
	snprintf(s->group, sizeof(s->group), "web");
	s->state = (uint8_t) (i % PROC_STATE_MAX);
	s->flags = (uint8_t) (i & 0x1f);
	s->pid = (int32_t) (10000 + i);
	s->uptime_ms = 1000ull * i + 0x100000000ull;
	s->restarts = i * 3;
	s->exitstatus = (i % 2) ? -9 : (int32_t) i;
	s->heartbeat_age_ms = i;
	s->next_attempt_ms = (i % 3) ? -1 : (int64_t) i * 10;
	snprintf(s->description, sizeof(s->description), "exit status %u", i);
	snprintf(s->status_line, sizeof(s->status_line), "serving %u requests", i);
	s->ncounters = (uint8_t) (i % (PROTO_COUNTERS_MAX + 1));
	for (unsigned k = 0; k < s->ncounters; k++)
		s->counters[k] = (uint64_t) i * 1000003u + k;
	/* every other field, present or not by i, extremes included */
	s->log_dropped = (i % 4) ? 0 : UINT64_MAX - i;
	s->pattern = (i % 5) ? (uint16_t) (i % PROTO_ARGS_MAX) : PROTO_PATTERN_NONE;
	s->ready_via = (uint8_t) (i % PROTO_CHECK_MAX);
	s->health_check = (uint8_t) ((i / 2) % PROTO_CHECK_MAX);
	s->health_result = (uint8_t) (i % PROTO_HEALTH_MAX);
	s->health_failures = (uint8_t) (i % 7);
	s->health_failures_max = (uint8_t) (i % 3 ? 3 : 0);
	s->ready_after_ms = (i % 6) ? i * 7u : 0;
	s->health_age_ms = (i % 8) ? (uint64_t) i << 33 : 0;
	s->health_latency_ms = i % 9;
	s->notify_dropped = (i % 10) ? 0 : i;
	if (i % 3)
		snprintf(s->ready_detail, sizeof(s->ready_detail), "HTTP %u", 200 + i % 300);
	if (i % 4)
		snprintf(s->health_detail, sizeof(s->health_detail), "timed out after %u s", i);
	s->since_ms = (i % 11) ? 1796315971000ull + i : 0;
	s->restarts_manual = (i % 12) ? 0 : UINT32_MAX - i;
	if (i % 13 == 0)
		s->exitstatus = INT32_MIN;
	if (i % 14 == 0)
		s->pid = INT32_MAX;
}

/* Split payload into fragments of msgsize and feed them to a fresh assembler. */
static int reassemble(const struct proto_buf *payload, uint16_t type, uint32_t id, size_t msgsize,
                      struct proto_assembler *a, unsigned *ret_frags)
{
	uint8_t *out = xmalloc(PROTO_MSG_MAX);
	int r = 0;
	unsigned k = 0;
	proto_assembler_init(a, id, type);
	for (;; k++) {
		bool more;
		size_t n = proto_reply_fragment(payload, type, id, msgsize, (uint16_t) k, out, &more);
		assert_true(n >= PROTO_HEADER_SIZE);
		assert_true(n <= msgsize);
		r = proto_assembler_feed(a, out, n);
		if (!more) {
			assert_int_equal(r, 1);
			break;
		}
		assert_int_equal(r, 0);
	}
	/* past the end: nothing */
	bool more;
	assert_int_equal(proto_reply_fragment(payload, type, id, msgsize, (uint16_t) (k + 1), out, &more), 0);
	*ret_frags = k + 1;
	free(out);
	return r;
}

static void status_reply_roundtrip(size_t msgsize)
{
	struct proto_buf b = { 0 };
	struct proto_status s;
	struct proto_assembler a;
	struct proto_reply rep;
	unsigned frags;

	proto_reply_begin(&b, 0, "ok", 2);
	for (unsigned i = 0; i < 1000; i++) {
		fill_status(&s, i);
		proto_reply_add_status(&b, &s);
	}
	proto_reply_finish(&b, 1000, 0, NULL);
	assert_int_equal(reassemble(&b, PROTO_STATUS, 77, msgsize, &a, &frags), 1);
	assert_true(frags > 1);
	assert_int_equal(frags, (b.len + msgsize - PROTO_HEADER_SIZE - 1) / (msgsize - PROTO_HEADER_SIZE));
	assert_int_equal(proto_reply_decode(&a, &rep), 0);
	assert_int_equal(rep.result, 0);
	assert_string_equal(rep.message, "ok");
	assert_int_equal(rep.nrecords, 1000);
	assert_non_null(rep.status);
	assert_null(rep.results);
	for (unsigned i = 0; i < 1000; i++) {
		fill_status(&s, i);
		assert_memory_equal(&rep.status[i], &s, sizeof(s));
	}
	proto_reply_free(&rep);
	proto_assembler_free(&a);
	proto_buf_free(&b);
}

static void test_status_1000_fragments_8192(void **state) { status_reply_roundtrip(8192); }
static void test_status_1000_fragments_256(void **state) { status_reply_roundtrip(256); }

static struct proto_result result_rec(const char *name, int32_t result, uint8_t state, uint8_t action,
                                      uint16_t pattern)
{
	struct proto_result r = { .result = result, .state = state, .action = action, .pattern = pattern };
	snprintf(r.name, sizeof(r.name), "%s", name);
	return r;
}

static void test_result_reply_roundtrip(void **state)
{
	struct proto_buf b = { 0 };
	struct proto_assembler a;
	struct proto_reply rep;
	struct proto_result r0 = result_rec("web:web_00", 0, PROC_RUNNING, 0, 0);
	struct proto_result r1 = result_rec("db", -EALREADY, PROC_BACKOFF, 0, 2);
	uint16_t unmatched[] = { 1, 3, PROTO_ARGS_MAX - 1 };
	unsigned frags;

	proto_reply_begin(&b, 0, "partial", 7);
	proto_reply_add_result(&b, &r0);
	proto_reply_add_result(&b, &r1);
	proto_reply_finish(&b, 2, ELEMENTSOF(unmatched), unmatched);
	assert_int_equal(reassemble(&b, PROTO_START, 5, 256, &a, &frags), 1);
	assert_int_equal(frags, 1);
	assert_int_equal(proto_reply_decode(&a, &rep), 0);
	assert_int_equal(rep.type, PROTO_START);
	assert_int_equal(rep.result, 0);
	assert_string_equal(rep.message, "partial");
	assert_int_equal(rep.nrecords, 2);
	assert_memory_equal(&rep.results[0], &r0, sizeof(r0));
	assert_memory_equal(&rep.results[1], &r1, sizeof(r1));
	assert_int_equal(rep.nunmatched, 3);
	assert_int_equal(rep.unmatched[0], 1);
	assert_int_equal(rep.unmatched[1], 3);
	assert_int_equal(rep.unmatched[2], PROTO_ARGS_MAX - 1);
	proto_reply_free(&rep);
	proto_assembler_free(&a);

	/* RELOAD records carry an action */
	struct proto_result r2 = result_rec("new", 0, PROC_UNKNOWN, RELOAD_ADDED, PROTO_PATTERN_NONE);
	proto_reply_begin(&b, 0, NULL, 0);
	proto_reply_add_result(&b, &r2);
	proto_reply_finish(&b, 1, 0, NULL);
	assert_int_equal(reassemble(&b, PROTO_RELOAD, 9, 8192, &a, &frags), 1);
	assert_int_equal(proto_reply_decode(&a, &rep), 0);
	assert_int_equal(rep.nrecords, 1);
	assert_memory_equal(&rep.results[0], &r2, sizeof(r2));
	assert_int_equal(rep.nunmatched, 0);
	proto_reply_free(&rep);
	proto_assembler_free(&a);

	/* an empty reply: one fragment */
	proto_reply_begin(&b, 0, NULL, 0);
	proto_reply_finish(&b, 0, 0, NULL);
	assert_int_equal(reassemble(&b, PROTO_VERSION_REQ, 6, 8192, &a, &frags), 1);
	assert_int_equal(proto_reply_decode(&a, &rep), 0);
	assert_string_equal(rep.message, "");
	assert_int_equal(rep.nrecords, 0);
	proto_reply_free(&rep);
	proto_assembler_free(&a);
	proto_buf_free(&b);
}

static void test_status_encode_truncates(void **state)
{
	struct proto_status s;
	struct proto_buf b = { 0 };
	struct proto_assembler a;
	struct proto_reply rep;
	unsigned frags;

	fill_status(&s, 1);
	memset(s.status_line, 'y', sizeof(s.status_line));       /* not terminated */
	memset(s.description, 'z', sizeof(s.description));
	s.ncounters = 200;
	proto_reply_begin(&b, 0, "", 0);
	proto_reply_add_status(&b, &s);
	proto_reply_finish(&b, 1, 0, NULL);
	assert_int_equal(reassemble(&b, PROTO_PID, 1, 8192, &a, &frags), 1);
	assert_int_equal(proto_reply_decode(&a, &rep), 0);
	assert_int_equal(strlen(rep.status[0].status_line), PROTO_STATUS_LINE_MAX - 1);
	assert_int_equal(strlen(rep.status[0].description), PROTO_NAME_MAX - 1);
	assert_int_equal(rep.status[0].ncounters, PROTO_COUNTERS_MAX);
	proto_reply_free(&rep);
	proto_assembler_free(&a);
	proto_buf_free(&b);
}

/* ---- malformed requests ---- */

static void test_request_every_truncation(void **state)
{
	uint8_t buf[PROTO_MSG_MAX];
	struct proto_request *r = xmalloc(sizeof(*r));
	ssize_t n = encode_simple(buf, sizeof(buf), PROTO_STOP, 4);
	assert_true(n > 0);
	for (ssize_t l = 0; l < n; l++) {
		/* the header still says n - 24: every shorter buffer is a length mismatch or too short */
		assert_int_equal(proto_request_decode(buf, (size_t) l, r), -EBADMSG);
	}
	/* truncated with a header that agrees: the payload itself is short */
	for (ssize_t l = PROTO_HEADER_SIZE; l < n; l++) {
		uint8_t c[PROTO_MSG_MAX];
		memcpy(c, buf, (size_t) l);
		c[16] = (uint8_t) (l - PROTO_HEADER_SIZE);
		c[17] = (uint8_t) ((l - PROTO_HEADER_SIZE) >> 8);
		assert_int_equal(proto_request_decode(c, (size_t) l, r), -EBADMSG);
	}
	free(r);
}

static void patch_u32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t) v; p[1] = (uint8_t) (v >> 8); p[2] = (uint8_t) (v >> 16); p[3] = (uint8_t) (v >> 24);
}

static void test_request_bad_header(void **state)
{
	uint8_t buf[PROTO_MSG_MAX], c[PROTO_MSG_MAX];
	struct proto_request *r = xmalloc(sizeof(*r));
	struct proto_header h;
	ssize_t n = encode_simple(buf, sizeof(buf), PROTO_STATUS, 1);
	size_t len = (size_t) n;

	assert_int_equal(proto_header_decode(buf, len, &h), 0);
	assert_int_equal(h.magic, PROTO_MAGIC);
	assert_int_equal(h.length, len - PROTO_HEADER_SIZE);

#define MUTATE(off, val, expect) do { memcpy(c, buf, len); c[off] = (val); \
		assert_int_equal(proto_request_decode(c, len, r), expect); } while (0)
	MUTATE(0, 'X', -EBADMSG);                   /* magic */
	MUTATE(3, 0x00, -EBADMSG);
	MUTATE(4, PROTO_VERSION + 1, -EPROTO);      /* version */
	MUTATE(5, 1, -EPROTO);
	MUTATE(6, 0, -EBADMSG);                     /* type 0 */
	MUTATE(6, PROTO_TYPE_MAX, -EBADMSG);        /* type past the end */
	MUTATE(7, 0x80, -EBADMSG);                  /* reply bit on a request */
	MUTATE(12, 1, -EBADMSG);                    /* flags on a request */
	MUTATE(14, 1, -EBADMSG);                    /* fragment on a request */
	MUTATE(16, (uint8_t) (buf[16] + 1), -EBADMSG);   /* length says more than received */
	MUTATE(16, (uint8_t) (buf[16] - 1), -EBADMSG);   /* length says less */
	MUTATE(19, 0x80, -EBADMSG);                 /* huge length */
	MUTATE(20, 1, -EBADMSG);                    /* reserved */
	MUTATE(23, 1, -EBADMSG);
#undef MUTATE
	/* header alone is still checked for version before the rest */
	memcpy(c, buf, len);
	c[4] = (uint8_t) (PROTO_VERSION - 1);
	assert_int_equal(proto_header_decode(c, len, &h), -EPROTO);
	assert_int_equal(proto_header_decode(c, 3, &h), -EBADMSG);
	assert_int_equal(proto_header_decode(NULL, 0, &h), -EBADMSG);
	/* oversized message */
	assert_int_equal(proto_request_decode(c, PROTO_MSG_MAX + 1, r), -EBADMSG);
	free(r);
}

static void test_request_lying_field_lengths(void **state)
{
	uint8_t buf[PROTO_MSG_MAX], c[PROTO_MSG_MAX];
	struct proto_request *r = xmalloc(sizeof(*r));
	size_t len = (size_t) encode_simple(buf, sizeof(buf), PROTO_STATUS, 2);
	size_t qoff = PROTO_HEADER_SIZE, nargs_off = qoff + 4 + strlen(RQ) + 8;
	size_t a0 = nargs_off + 4;
	uint32_t lies[] = { 0, 1, (uint32_t) strlen(RQ) - 1, (uint32_t) strlen(RQ) + 1, 255, 256, 4096, 0x7fffffff, 0xffffffff };

	for (size_t i = 0; i < ELEMENTSOF(lies); i++) {
		memcpy(c, buf, len);
		patch_u32(c + qoff, lies[i]);
		assert_int_equal(proto_request_decode(c, len, r), -EBADMSG);
		memcpy(c, buf, len);
		patch_u32(c + a0, lies[i] == 3 ? 2 : lies[i]);   /* "all" is 3 bytes */
		assert_int_equal(proto_request_decode(c, len, r), -EBADMSG);
	}
	/* nargs lies */
	uint32_t nl[] = { 0, 1, 3, PROTO_ARGS_MAX, PROTO_ARGS_MAX + 1, 0xffffffff };
	for (size_t i = 0; i < ELEMENTSOF(nl); i++) {
		memcpy(c, buf, len);
		patch_u32(c + nargs_off, nl[i]);
		assert_int_equal(proto_request_decode(c, len, r), -EBADMSG);
	}
	free(r);
}

static void test_request_too_many_args(void **state)
{
	/* hand-build a request with PROTO_ARGS_MAX + 1 empty args */
	uint8_t c[PROTO_MSG_MAX];
	struct proto_request *r = xmalloc(sizeof(*r));
	struct proto_header h = { .magic = PROTO_MAGIC, .version = PROTO_VERSION, .type = PROTO_STOP };
	size_t off = PROTO_HEADER_SIZE;
	patch_u32(c + off, (uint32_t) strlen(RQ)); memcpy(c + off + 4, RQ, strlen(RQ)); off += 4 + strlen(RQ);
	patch_u32(c + off, 0); patch_u32(c + off + 4, 0); patch_u32(c + off + 8, PROTO_ARGS_MAX + 1); off += 12;
	for (int i = 0; i < PROTO_ARGS_MAX + 1; i++) {
		patch_u32(c + off, 0);
		off += 4;
	}
	h.length = (uint32_t) (off - PROTO_HEADER_SIZE);
	proto_header_encode(c, &h);
	assert_int_equal(proto_request_decode(c, off, r), -EBADMSG);
	/* the same with exactly PROTO_ARGS_MAX is fine */
	patch_u32(c + PROTO_HEADER_SIZE + 4 + strlen(RQ) + 8, PROTO_ARGS_MAX);
	h.length -= 4;
	proto_header_encode(c, &h);
	assert_int_equal(proto_request_decode(c, off - 4, r), 0);
	assert_int_equal(r->nargs, PROTO_ARGS_MAX);
	assert_string_equal(r->args[PROTO_ARGS_MAX - 1], "");
	free(r);
}

static void test_request_nul_and_leftover(void **state)
{
	uint8_t buf[PROTO_MSG_MAX], c[PROTO_MSG_MAX];
	struct proto_request *r = xmalloc(sizeof(*r));
	size_t len = (size_t) encode_simple(buf, sizeof(buf), PROTO_STATUS, 2);
	struct proto_header h;

	/* NUL inside the reply queue name and inside an arg */
	memcpy(c, buf, len);
	c[PROTO_HEADER_SIZE + 4 + 3] = '\0';
	assert_int_equal(proto_request_decode(c, len, r), -EBADMSG);
	memcpy(c, buf, len);
	c[len - 1] = '\0';
	assert_int_equal(proto_request_decode(c, len, r), -EBADMSG);

	/* a leftover byte with a header that counts it */
	memcpy(c, buf, len);
	c[len] = 'x';
	assert_int_equal(proto_header_decode(c, len, &h), 0);
	h.length++;
	proto_header_encode(c, &h);
	assert_int_equal(proto_request_decode(c, len + 1, r), -EBADMSG);

	/* an empty reply queue name */
	const char *none[1] = { NULL };
	ssize_t n = proto_request_encode(c, sizeof(c), PROTO_STATUS, 1, "", 0, 0, 0, none);
	assert_true(n < 0);
	free(r);
}

static void test_request_salvage(void **state)
{
	uint8_t buf[PROTO_MSG_MAX];
	char q[PROTO_NAME_MAX];
	uint32_t id;
	uint16_t type;
	size_t len = (size_t) encode_simple(buf, sizeof(buf), PROTO_STATUS, 2);

	buf[4] = 7;                 /* wrong version */
	buf[len - 1] = '\0';        /* and a NUL in an arg */
	assert_int_equal(proto_request_salvage(buf, len, &id, &type, q), 0);
	assert_string_equal(q, RQ);
	assert_int_equal(id, 42);
	assert_int_equal(type, PROTO_STATUS);
	assert_int_equal(proto_request_salvage(buf, 10, &id, &type, q), -EBADMSG);
	buf[0] = 0;
	assert_int_equal(proto_request_salvage(buf, len, &id, &type, q), -EBADMSG);
}

static void test_reply_queue_names(void **state)
{
	assert_true(proto_reply_queue_name_valid("/t1.reply.1234.0123abcd", "t1"));
	assert_true(proto_reply_queue_name_valid("/drover.reply.1.0123456789ABCDEFabcdef0123456789", "drover"));
	assert_false(proto_reply_queue_name_valid("/t1.reply.1234.0123abcd", "t2"));
	assert_false(proto_reply_queue_name_valid("/t1.ctl", "t1"));
	assert_false(proto_reply_queue_name_valid("t1.reply.1234.0123abcd", "t1"));
	assert_false(proto_reply_queue_name_valid("/t1.reply.1234.0123abc", "t1"));          /* 7 hex */
	assert_false(proto_reply_queue_name_valid("/t1.reply.1234.0123abcdg", "t1"));
	assert_false(proto_reply_queue_name_valid("/t1.reply.1234.0123456789abcdef0123456789abcdef0", "t1")); /* 33 */
	assert_false(proto_reply_queue_name_valid("/t1.reply.0.0123abcd", "t1"));
	assert_false(proto_reply_queue_name_valid("/t1.reply.01.0123abcd", "t1"));
	assert_false(proto_reply_queue_name_valid("/t1.reply.99999999999.0123abcd", "t1"));
	assert_false(proto_reply_queue_name_valid("/t1.reply.4294967295.0123abcd", "t1"));
	assert_false(proto_reply_queue_name_valid("/t1.reply..0123abcd", "t1"));
	assert_false(proto_reply_queue_name_valid("/t1.reply.12/..0123abcd", "t1"));
	assert_false(proto_reply_queue_name_valid("/t1x.reply.12.0123abcd", "t1"));
	assert_false(proto_reply_queue_name_valid("/t1.reply.12.0123abcd", "bad/name"));
	assert_false(proto_reply_queue_name_valid(NULL, "t1"));
	assert_false(proto_reply_queue_name_valid("/t1.reply.12.0123abcd/", "t1"));
}

/* ---- malformed replies and reassembly ---- */

static void make_fragments(uint8_t frag[][PROTO_MSG_MAX], size_t *lens, unsigned *nfrag, uint32_t id)
{
	struct proto_buf b = { 0 };
	proto_reply_begin(&b, 0, NULL, 0);
	for (int i = 0; i < 20; i++)
		proto_reply_add_result(&b, &(struct proto_result) { .name = "web:web_00000000000000000000000000000000000000",
		                                                     .state = PROC_RUNNING });
	proto_reply_finish(&b, 20, 0, NULL);
	*nfrag = 0;
	for (uint16_t k = 0;; k++) {
		bool more;
		lens[k] = proto_reply_fragment(&b, PROTO_START, id, 256, k, frag[k], &more);
		assert_true(lens[k] > 0);
		(*nfrag)++;
		if (!more)
			break;
	}
	proto_buf_free(&b);
}

static void test_assembler_order_and_foreign(void **state)
{
	static uint8_t frag[16][PROTO_MSG_MAX];
	size_t lens[16];
	unsigned nfrag;
	struct proto_assembler a;
	struct proto_reply rep;

	make_fragments(frag, lens, &nfrag, 9);
	assert_true(nfrag >= 3);

	/* out of order */
	proto_assembler_init(&a, 9, PROTO_START);
	assert_int_equal(proto_assembler_feed(&a, frag[1], lens[1]), -EBADMSG);
	proto_assembler_free(&a);

	/* duplicate */
	proto_assembler_init(&a, 9, PROTO_START);
	assert_int_equal(proto_assembler_feed(&a, frag[0], lens[0]), 0);
	assert_int_equal(proto_assembler_feed(&a, frag[0], lens[0]), -EBADMSG);
	proto_assembler_free(&a);

	/* foreign id ignored anywhere in the stream; then the reply completes */
	static uint8_t other[16][PROTO_MSG_MAX];
	size_t olens[16];
	unsigned onfrag;
	make_fragments(other, olens, &onfrag, 10);
	proto_assembler_init(&a, 9, PROTO_START);
	for (unsigned k = 0; k < nfrag; k++) {
		assert_int_equal(proto_assembler_feed(&a, other[k % onfrag], olens[k % onfrag]), 0);
		assert_int_equal(proto_assembler_feed(&a, frag[k], lens[k]), k + 1 == nfrag ? 1 : 0);
	}
	assert_int_equal(proto_reply_decode(&a, &rep), 0);
	assert_int_equal(rep.nrecords, 20);
	proto_reply_free(&rep);
	/* after completion: a further fragment of ours is an error */
	assert_int_equal(proto_assembler_feed(&a, frag[0], lens[0]), -EBADMSG);
	proto_assembler_free(&a);

	/* wrong type, unknown flag, bad version, truncated fragment */
	uint8_t c[PROTO_MSG_MAX];
	proto_assembler_init(&a, 9, PROTO_STOP);
	assert_int_equal(proto_assembler_feed(&a, frag[0], lens[0]), -EBADMSG);
	proto_assembler_free(&a);
	proto_assembler_init(&a, 9, PROTO_START);
	memcpy(c, frag[0], lens[0]);
	c[12] |= 0x02;
	assert_int_equal(proto_assembler_feed(&a, c, lens[0]), -EBADMSG);
	memcpy(c, frag[0], lens[0]);
	c[4] = PROTO_VERSION + 1;
	assert_int_equal(proto_assembler_feed(&a, c, lens[0]), -EPROTO);
	for (size_t l = 0; l < lens[0]; l++)
		assert_int_equal(proto_assembler_feed(&a, frag[0], l), -EBADMSG);
	/* decoding an incomplete reply */
	assert_int_equal(proto_reply_decode(&a, &rep), -EBADMSG);
	proto_assembler_free(&a);
}

/* Build a one-fragment reply from a raw payload and try to decode it. */
static int decode_raw(uint16_t type, const uint8_t *payload, size_t len)
{
	struct proto_buf b = { 0 };
	struct proto_assembler a;
	struct proto_reply rep;
	uint8_t out[PROTO_MSG_MAX];
	bool more;
	int r;

	b.data = xmalloc(len ? len : 1);
	memcpy(b.data, payload, len);
	b.len = b.cap = len;
	size_t n = proto_reply_fragment(&b, type, 3, PROTO_MSG_MAX, 0, out, &more);
	assert_false(more);
	proto_assembler_init(&a, 3, type);
	assert_int_equal(proto_assembler_feed(&a, out, n), 1);
	r = proto_reply_decode(&a, &rep);
	if (r == 0)
		proto_reply_free(&rep);
	proto_assembler_free(&a);
	proto_buf_free(&b);
	return r;
}

static void test_reply_malformed(void **state)
{
	struct proto_buf b = { 0 };
	struct proto_status s;

	fill_status(&s, 3);
	proto_reply_begin(&b, 0, "m", 1);
	proto_reply_add_status(&b, &s);
	proto_reply_finish(&b, 1, 0, NULL);
	assert_int_equal(decode_raw(PROTO_STATUS, b.data, b.len), 0);

	/* every truncation of the payload */
	for (size_t l = 0; l < b.len; l++)
		assert_int_equal(decode_raw(PROTO_STATUS, b.data, l), -EBADMSG);

	/* lying nrecords */
	uint8_t *c = xmalloc(b.len + 1);
	size_t nrec_off = 4 + 4 + 1;
	uint32_t lies[] = { 0, 2, 1000, 0xffffffff };
	for (size_t i = 0; i < ELEMENTSOF(lies); i++) {
		memcpy(c, b.data, b.len);
		patch_u32(c + nrec_off, lies[i]);
		assert_int_equal(decode_raw(PROTO_STATUS, c, b.len), -EBADMSG);
	}
	/* bad state, flags, NUL in name, leftover byte (a record: var name length, name, state, flags) */
	size_t rec = nrec_off + 4;
	size_t state_off = rec + 1 + strlen(s.name);
	memcpy(c, b.data, b.len);
	c[state_off] = PROC_STATE_MAX;
	assert_int_equal(decode_raw(PROTO_STATUS, c, b.len), -EBADMSG);
	memcpy(c, b.data, b.len);
	c[state_off + 1] = 0x80;
	assert_int_equal(decode_raw(PROTO_STATUS, c, b.len), -EBADMSG);
	memcpy(c, b.data, b.len);
	c[rec + 1] = '\0';
	assert_int_equal(decode_raw(PROTO_STATUS, c, b.len), -EBADMSG);
	/* hand-made records: result 0, message "", 1 record, then the record, then no unmatched */
	static const uint8_t minimal[] = { 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 'a', PROC_RUNNING, 0, 0, 0, 0, 0, 0 };
	assert_int_equal(decode_raw(PROTO_STATUS, minimal, sizeof(minimal)), 0);
	static const uint8_t field_past_last[] = { 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 'a', 0, 0,
	                                          0x80, 0x80, 0x80, 0x01, 0, 0, 0, 0 };
	assert_int_equal(decode_raw(PROTO_STATUS, field_past_last, sizeof(field_past_last)), -EBADMSG);
	static const uint8_t var_too_long[] = { 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 'a', 0, 0, 0x02,
	                                       0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0, 0, 0, 0 };
	assert_int_equal(decode_raw(PROTO_STATUS, var_too_long, sizeof(var_too_long)), -EBADMSG);
	static const uint8_t pid_too_big[] = { 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 'a', 0, 0, 0x02,
	                                      0x80, 0x80, 0x80, 0x80, 0x08, 0, 0, 0, 0 };   /* 1 << 31 */
	assert_int_equal(decode_raw(PROTO_STATUS, pid_too_big, sizeof(pid_too_big)), -EBADMSG);
	static const uint8_t no_counters[] = { 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 'a', 0, 0,
	                                      0x80, 0x04, 0, 0, 0, 0, 0 };   /* ST_F_COUNTERS with 0 */
	assert_int_equal(decode_raw(PROTO_STATUS, no_counters, sizeof(no_counters)), -EBADMSG);
	memcpy(c, b.data, b.len);
	c[b.len] = 0;
	assert_int_equal(decode_raw(PROTO_STATUS, c, b.len + 1), -EBADMSG);
	/* the same payload read as a result reply is garbage */
	assert_int_equal(decode_raw(PROTO_START, b.data, b.len), -EBADMSG);
	/* a name of 256 bytes does not fit */
	proto_buf_free(&b);
	free(c);
	b = (struct proto_buf) { 0 };
	proto_reply_begin(&b, 0, "", 0);
	proto_reply_add_result(&b, &(struct proto_result) { .name = "x" });
	proto_reply_finish(&b, 1, 0, NULL);
	c = xmalloc(b.len + 300);
	memcpy(c, b.data, 12);
	patch_u32(c + 12, 256);
	memset(c + 16, 'n', 256);
	memcpy(c + 16 + 256, b.data + 12 + 4 + 1, b.len - 12 - 4 - 1);
	assert_int_equal(decode_raw(PROTO_START, c, b.len - 1 + 256), -EBADMSG);
	patch_u32(c + 12, 255);
	memmove(c + 16 + 255, c + 16 + 256, b.len - 12 - 4 - 1);
	assert_int_equal(decode_raw(PROTO_START, c, b.len - 1 + 255), 0);
	free(c);
	proto_buf_free(&b);
}

/* Result records and the unmatched list are validated field by field: a code that is not 0 or
 * a negative errno, a state or action out of range, an action where none belongs, a pattern
 * index out of range, unmatched indexes out of range, repeated or out of order. */
static void test_result_reply_malformed(void **state)
{
	struct proto_buf b = { 0 };
	uint16_t unmatched[] = { 0, 5 };
	/* payload: result 0..4, message 4..8, nrecords 8..12; record: name 12..17 ("x"), result
	 * 17..21, state 21, action 22, flags 23, pattern 24..26, reason 26..30 (""); nunmatched
	 * 30..34; indexes 34..38 */
	enum { RESULT = 17, STATE = 21, ACTION = 22, FLAGS = 23, PATTERN = 24, NUNMATCHED = 30, IDX = 34, LEN = 38 };

	proto_reply_begin(&b, 0, NULL, 0);
	proto_reply_add_result(&b, &(struct proto_result) { .name = "x", .result = -EALREADY, .state = PROC_RUNNING,
	                                                     .pattern = 3 });
	proto_reply_finish(&b, 1, ELEMENTSOF(unmatched), unmatched);
	assert_int_equal(b.len, LEN);
	assert_int_equal(decode_raw(PROTO_START, b.data, b.len), 0);
	for (size_t l = 0; l < b.len; l++)
		assert_int_equal(decode_raw(PROTO_START, b.data, l), -EBADMSG);

	uint8_t c[LEN];
#define BAD(type, off, patch) do { \
		memcpy(c, b.data, LEN); \
		patch; \
		assert_int_equal(decode_raw((type), c, LEN), -EBADMSG); \
	} while (0)
	BAD(PROTO_START, RESULT, patch_u32(c + RESULT, 1));
	BAD(PROTO_START, RESULT, patch_u32(c + RESULT, (uint32_t) -(PROTO_ERRNO_MAX + 1)));
	BAD(PROTO_START, STATE, c[STATE] = PROC_STATE_MAX);
	BAD(PROTO_START, ACTION, c[ACTION] = RELOAD_CHANGED);
	BAD(PROTO_START, FLAGS, c[FLAGS] = 0x80);
	BAD(PROTO_REREAD, ACTION, c[ACTION] = RELOAD_ACTION_MAX);
	BAD(PROTO_RELOAD, ACTION, c[ACTION] = RELOAD_ACTION_MAX);
	BAD(PROTO_START, PATTERN, (c[PATTERN] = PROTO_ARGS_MAX, c[PATTERN + 1] = 0));
	BAD(PROTO_START, PATTERN, (c[PATTERN] = 0xfe, c[PATTERN + 1] = 0xff));
	BAD(PROTO_START, NUNMATCHED, patch_u32(c + NUNMATCHED, 3));
	BAD(PROTO_START, NUNMATCHED, patch_u32(c + NUNMATCHED, 1));
	BAD(PROTO_START, NUNMATCHED, patch_u32(c + NUNMATCHED, PROTO_ARGS_MAX + 1));
	BAD(PROTO_START, IDX, (c[IDX + 2] = 0, c[IDX + 3] = 0));                /* 0, 0: repeated */
	BAD(PROTO_START, IDX, (c[IDX] = 6, c[IDX + 1] = 0));                    /* 6, 5: out of order */
	BAD(PROTO_START, IDX, (c[IDX + 2] = PROTO_ARGS_MAX, c[IDX + 3] = 0));   /* out of range */
#undef BAD
	/* the limits themselves are fine */
	memcpy(c, b.data, LEN);
	patch_u32(c + RESULT, (uint32_t) -PROTO_ERRNO_MAX);
	c[PATTERN] = 0xff;
	c[PATTERN + 1] = 0xff;
	assert_int_equal(decode_raw(PROTO_START, c, LEN), 0);
	memcpy(c, b.data, LEN);
	c[ACTION] = RELOAD_UNCHANGED;
	assert_int_equal(decode_raw(PROTO_RELOAD, c, LEN), 0);
	assert_int_equal(decode_raw(PROTO_UPDATE, c, LEN), 0);
	memcpy(c, b.data, LEN);
	c[FLAGS] = PROTO_RES_WAS_UP;
	assert_int_equal(decode_raw(PROTO_RESTART, c, LEN), 0);
	proto_buf_free(&b);
}

/* AVAIL records round-trip; flags outside PROTO_AV_ALL are refused. */
static void test_avail_reply(void **state)
{
	struct proto_buf b = { 0 };
	struct proto_assembler a;
	struct proto_reply rep;
	unsigned frags;
	struct proto_avail av = { .name = "g:c", .group = "g", .flags = PROTO_AV_IN_USE | PROTO_AV_AUTOSTART,
	                          .group_priority = 999, .priority = -5 };

	proto_reply_begin(&b, 0, NULL, 0);
	proto_reply_add_avail(&b, &av);
	proto_reply_finish(&b, 1, 0, NULL);
	assert_int_equal(reassemble(&b, PROTO_AVAIL, 4, 256, &a, &frags), 1);
	assert_int_equal(proto_reply_decode(&a, &rep), 0);
	assert_int_equal(rep.nrecords, 1);
	assert_non_null(rep.avail);
	assert_null(rep.results);
	assert_memory_equal(&rep.avail[0], &av, sizeof(av));
	proto_reply_free(&rep);
	proto_assembler_free(&a);
	/* flags byte: after result, message, nrecords (12), name (4 + 3), group (4 + 1) */
	size_t off = 12 + 7 + 5;
	assert_int_equal(decode_raw(PROTO_AVAIL, b.data, b.len), 0);
	b.data[off] = 0x04;
	assert_int_equal(decode_raw(PROTO_AVAIL, b.data, b.len), -EBADMSG);
	for (size_t l = 0; l < b.len; l++)
		assert_int_equal(decode_raw(PROTO_AVAIL, b.data, l), -EBADMSG);
	proto_buf_free(&b);
}

static void test_states_and_names(void **state)
{
	for (int s = 0; s < PROC_STATE_MAX; s++)
		assert_int_equal(proc_state_from_string(proc_state_to_string((enum proc_state) s)), s);
	assert_int_equal(proc_state_from_string("running"), PROC_RUNNING);
	assert_int_equal(proc_state_from_string("bogus"), -EINVAL);
	assert_string_equal(proc_state_to_string(PROC_STATE_MAX), "UNKNOWN");
	assert_string_equal(proto_reload_action_to_string(RELOAD_ADDED), "added");
	assert_null(proto_reload_action_to_string(RELOAD_ACTION_MAX));
	assert_int_equal(proto_priority_of(PROTO_STOP), PROTO_PRIO_STOP);
	assert_int_equal(proto_priority_of(PROTO_SHUTDOWN), PROTO_PRIO_STOP);
	assert_int_equal(proto_priority_of(PROTO_START), PROTO_PRIO_START);
	assert_int_equal(proto_priority_of(PROTO_STATUS), PROTO_PRIO_QUERY);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request_roundtrip_every_type),
		cmocka_unit_test(test_request_max_args),
		cmocka_unit_test(test_request_encode_limits),
		cmocka_unit_test(test_status_1000_fragments_8192),
		cmocka_unit_test(test_status_1000_fragments_256),
		cmocka_unit_test(test_result_reply_roundtrip),
		cmocka_unit_test(test_status_encode_truncates),
		cmocka_unit_test(test_request_every_truncation),
		cmocka_unit_test(test_request_bad_header),
		cmocka_unit_test(test_request_lying_field_lengths),
		cmocka_unit_test(test_request_too_many_args),
		cmocka_unit_test(test_request_nul_and_leftover),
		cmocka_unit_test(test_request_salvage),
		cmocka_unit_test(test_reply_queue_names),
		cmocka_unit_test(test_assembler_order_and_foreign),
		cmocka_unit_test(test_reply_malformed),
		cmocka_unit_test(test_result_reply_malformed),
		cmocka_unit_test(test_avail_reply),
		cmocka_unit_test(test_states_and_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
