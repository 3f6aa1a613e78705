/* Writes a seed corpus for fuzz-proto into DIR: valid requests of every type, and reply streams. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"

static void put(const char *dir, const char *name, unsigned n, const void *p, size_t len)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s-%u", dir, name, n);
	FILE *f = fopen(path, "wbe");
	if (!f || fwrite(p, 1, len, f) != len || fclose(f) != 0) {
		perror(path);
		exit(1);
	}
}

/* A reply stream in fuzz_reply's format: type byte, then u16 length + fragment. */
static void put_reply(const char *dir, unsigned n, uint16_t type, const struct proto_buf *b, size_t msgsize)
{
	static uint8_t stream[1 << 20];
	uint8_t frag[PROTO_MSG_MAX];
	size_t off = 0;
	bool more = true;
	stream[off++] = (uint8_t) type;
	for (uint16_t k = 0; more; k++) {
		size_t l = proto_reply_fragment(b, type, 1, msgsize, k, frag, &more);
		if (l == 0 || off + 2 + l > sizeof(stream))
			break;
		stream[off] = (uint8_t) l;
		stream[off + 1] = (uint8_t) (l >> 8);
		memcpy(stream + off + 2, frag, l);
		off += 2 + l;
	}
	put(dir, "reply", n, stream, off);
}

int main(int argc, char **argv)
{
	static const char *const args[] = { "all", "web:web_00", "db:*", "/tmp/fifo" };
	uint8_t buf[PROTO_MSG_MAX];
	unsigned n = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: seed-proto DIR\n");
		return 2;
	}
	for (uint16_t t = PROTO_STATUS; t < PROTO_TYPE_MAX; t++)
		for (size_t na = 0; na <= 4; na++) {
			ssize_t l = proto_request_encode(buf, sizeof(buf), t, 1, "/fuzz.reply.123.0123abcd",
			                                 t == PROTO_SIGNAL ? 15 : 0x100, 5000, na, args);
			if (l > 0)
				put(argv[1], "req", n++, buf, (size_t) l);
		}

	struct proto_buf b = { 0 };
	struct proto_status s;
	memset(&s, 0, sizeof(s));
	strcpy(s.name, "web:web_00");
	strcpy(s.group, "web");
	strcpy(s.description, "exit status 1");
	strcpy(s.status_line, "idle");
	s.state = PROC_RUNNING;
	s.pid = 1234;
	s.ncounters = 2;
	proto_reply_begin(&b, 0, "", 0);
	for (int i = 0; i < 10; i++)
		proto_reply_add_status(&b, &s);
	proto_reply_finish(&b, 10, 0, NULL);
	put_reply(argv[1], n++, PROTO_STATUS, &b, 8192);
	put_reply(argv[1], n++, PROTO_STATUS, &b, 256);
	struct proto_result res = { .name = "web", .result = -114, .state = PROC_RUNNING, .pattern = 0 };
	uint16_t unmatched[] = { 1, 2 };
	proto_reply_begin(&b, 0, "", 0);
	proto_reply_add_result(&b, &res);
	proto_reply_finish(&b, 1, 2, unmatched);
	put_reply(argv[1], n++, PROTO_STOP, &b, 8192);
	proto_buf_free(&b);
	printf("%u seeds\n", n);
	return 0;
}
