/* libFuzzer target over the wire decoders: request, header, and reply reassembly + decoding. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Check what a successful request decode promises: bounded, NUL-terminated strings. */
static void check_request(const struct proto_request *r)
{
	if (r->type < PROTO_STATUS || r->type >= PROTO_TYPE_MAX || r->nargs > PROTO_ARGS_MAX)
		abort();
	if (strlen(r->reply_queue) >= PROTO_NAME_MAX)
		abort();
	for (uint32_t i = 0; i < r->nargs; i++)
		if (strlen(r->args[i]) >= PROTO_NAME_MAX)
			abort();
	(void) proto_reply_queue_name_valid(r->reply_queue, "fuzz");
}

/* The input is also read as a stream of reply fragments: u16 length + bytes each. */
static void fuzz_reply(const uint8_t *data, size_t size)
{
	struct proto_assembler a;
	struct proto_reply rep;
	uint16_t type = size > 0 ? (uint16_t) (data[0] % (PROTO_TYPE_MAX + 1)) : PROTO_STATUS;
	size_t off = 1;

	proto_assembler_init(&a, 1, type);
	while (off + 2 <= size) {
		size_t n = (size_t) data[off] | (size_t) data[off + 1] << 8;
		off += 2;
		if (n > size - off)
			n = size - off;
		int r = proto_assembler_feed(&a, data + off, n);
		off += n;
		if (r < 0)
			break;
		if (r == 1) {
			if (proto_reply_decode(&a, &rep) == 0) {
				if (strlen(rep.message) != rep.message_len)
					abort();
				for (uint32_t i = 0; rep.status && i < rep.nrecords; i++)
					if (rep.status[i].state >= PROC_STATE_MAX || rep.status[i].ncounters > PROTO_COUNTERS_MAX)
						abort();
				for (uint32_t i = 0; rep.results && i < rep.nrecords; i++)
					if (rep.results[i].state >= PROC_STATE_MAX || rep.results[i].result > 0)
						abort();
				if (rep.nunmatched > PROTO_ARGS_MAX)
					abort();
				proto_reply_free(&rep);
			}
			break;
		}
	}
	proto_assembler_free(&a);
}

/* Whatever decodes must re-encode to the same bytes (one canonical encoding). */
static void check_reencode(const uint8_t *data, size_t size, const struct proto_request *r)
{
	static uint8_t out[PROTO_MSG_MAX];
	ssize_t n = proto_request_encode(out, sizeof(out), r->type, r->id, r->reply_queue, r->arg1, r->arg2,
	                                 r->nargs, r->args);
	if (n < 0 || (size_t) n != size || memcmp(out, data, size) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct proto_request req;
	struct proto_header h;
	char q[PROTO_NAME_MAX];
	uint32_t id;
	uint16_t type;

	(void) proto_header_decode(data, size, &h);
	if (proto_request_decode(data, size, &req) == 0) {
		check_request(&req);
		check_reencode(data, size, &req);
	}
	if (proto_request_salvage(data, size, &id, &type, q) == 0 && strlen(q) >= PROTO_NAME_MAX)
		abort();
	fuzz_reply(data, size);
	return 0;
}
