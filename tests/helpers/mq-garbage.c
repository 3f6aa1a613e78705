/* Hostile client (RELIABILITY T23): write COUNT malformed messages straight into a control queue.
 * usage: mq-garbage QUEUE COUNT SEED     (QUEUE = /NAME.ctl)
 * Every message is invalid for droverd and names no reply queue that exists, so droverd must
 * count each one as bad and answer none. Prints "sent N". */
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "proto.h"

static uint64_t rng;

static uint64_t rnd(void)
{
	/* xorshift64*: reproducible from SEED */
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 2685821657736338717ull;
}

static size_t rnd_below(size_t n)
{
	return n ? (size_t) (rnd() % n) : 0;
}

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t) (v >> (8 * i));
}

static char instance[64];

/* A well-formed reply queue name of this instance that does not exist. */
static void ghost_queue(char *buf, size_t size)
{
	snprintf(buf, size, "/%s.reply.%u.%016llx%08x", instance, 4000000u + (unsigned) rnd_below(100000),
	         (unsigned long long) rnd(), (unsigned) rnd());
}

/* A valid request into buf; returns its size. */
static size_t valid_request(uint8_t *buf, size_t cap, const char *reply)
{
	static const char *const args[] = { "all", "web", "db:*" };
	uint16_t type = (uint16_t) (PROTO_STATUS + rnd_below(PROTO_TYPE_MAX - PROTO_STATUS));
	ssize_t n = proto_request_encode(buf, cap, type, (uint32_t) rnd(), reply, 15, 0, rnd_below(4), args);
	if (n < 0) {
		fprintf(stderr, "mq-garbage: encode: %s\n", strerror((int) -n));
		exit(1);
	}
	return (size_t) n;
}

/* One malformed message of kind k into buf[cap]; returns its size. */
static size_t garbage(unsigned k, uint8_t *buf, size_t cap)
{
	char q[PROTO_NAME_MAX];
	size_t n, len;

	ghost_queue(q, sizeof(q));
	switch (k) {
	case 0:   /* random bytes, random length 0..msgsize */
		len = rnd_below(cap + 1);
		for (size_t i = 0; i < len; i++)
			buf[i] = (uint8_t) rnd();
		return len;
	case 1:   /* valid header, lying payload length */
		n = valid_request(buf, cap, q);
		put32(buf + 16, (uint32_t) (n - PROTO_HEADER_SIZE) + 1 + (uint32_t) rnd_below(100000));
		if (rnd() & 1)
			put32(buf + 16, (uint32_t) rnd_below(n - PROTO_HEADER_SIZE));
		return n;
	case 2:   /* wrong version */
		n = valid_request(buf, cap, q);
		buf[4] = (uint8_t) (PROTO_VERSION + 1 + rnd_below(200));
		return n;
	case 3:   /* bad magic */
		n = valid_request(buf, cap, q);
		buf[rnd_below(4)] ^= (uint8_t) (1 + rnd_below(255));
		return n;
	case 4: { /* out-of-range type, or a reply type */
		static const uint16_t bad[] = { 0, PROTO_TYPE_MAX, PROTO_TYPE_MAX + 1, 0xffff, PROTO_REPLY_BIT | PROTO_STATUS, 0x7fff };
		n = valid_request(buf, cap, q);
		uint16_t t = bad[rnd_below(sizeof(bad) / sizeof(bad[0]))];
		buf[6] = (uint8_t) t;
		buf[7] = (uint8_t) (t >> 8);
		return n;
	}
	case 5:   /* a NUL inside the reply queue name, or a string running past the end */
		n = valid_request(buf, cap, q);
		if (rnd() & 1)
			buf[PROTO_HEADER_SIZE + 4 + 1 + rnd_below(strlen(q) - 1)] = '\0';
		else
			put32(buf + PROTO_HEADER_SIZE, (uint32_t) (strlen(q) + 1 + rnd_below(1000)));
		return n;
	case 6: { /* bad reply queue names (otherwise valid) */
		char bad[PROTO_NAME_MAX];
		switch (rnd_below(6)) {
		case 0: snprintf(bad, sizeof(bad), "/%s.ctl", instance); break;
		case 1: snprintf(bad, sizeof(bad), "/other%s.reply.1.0123abcd", instance); break;
		case 2: snprintf(bad, sizeof(bad), "/%s.reply.1.xyz", instance); break;
		case 3: snprintf(bad, sizeof(bad), "/%s.reply.0.0123abcd", instance); break;
		case 4: snprintf(bad, sizeof(bad), "/%s.scoreboard", instance); break;
		default: snprintf(bad, sizeof(bad), "/../../%s.reply.12.0123abcd", instance); break;
		}
		return valid_request(buf, cap, bad);
	}
	case 7:   /* a valid request naming a reply queue that does not exist */
		return valid_request(buf, cap, q);
	default:  /* reserved bits, flags, fragment, or a leftover byte */
		n = valid_request(buf, cap, q);
		switch (rnd_below(4)) {
		case 0: buf[20 + rnd_below(4)] = (uint8_t) (1 + rnd_below(255)); break;
		case 1: buf[12] = (uint8_t) (1 + rnd_below(255)); break;
		case 2: buf[14] = (uint8_t) (1 + rnd_below(255)); break;
		default:
			if (n < cap) {
				buf[n] = 'x';
				n++;
				put32(buf + 16, (uint32_t) (n - PROTO_HEADER_SIZE));
			} else {
				buf[20] = 1;
			}
			break;
		}
		return n;
	}
}

int main(int argc, char **argv)
{
	struct mq_attr a;
	unsigned long count, sent = 0;
	const char *dot;
	uint8_t *buf;
	mqd_t q;

	if (argc != 4) {
		fprintf(stderr, "usage: mq-garbage QUEUE COUNT SEED\n");
		return 2;
	}
	count = strtoul(argv[2], NULL, 10);
	rng = strtoull(argv[3], NULL, 10) * 0x9e3779b97f4a7c15ull + 1;
	dot = strrchr(argv[1], '.');
	if (argv[1][0] != '/' || !dot || (size_t) (dot - argv[1] - 1) >= sizeof(instance)) {
		fprintf(stderr, "mq-garbage: QUEUE must be /NAME.ctl\n");
		return 2;
	}
	memcpy(instance, argv[1] + 1, (size_t) (dot - argv[1] - 1));

	q = mq_open(argv[1], O_WRONLY | O_CLOEXEC);
	if (q == (mqd_t) -1 || mq_getattr(q, &a) < 0) {
		fprintf(stderr, "mq-garbage: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	buf = malloc((size_t) a.mq_msgsize + 1);
	if (!buf)
		return 1;

	for (unsigned long i = 0; i < count; i++) {
		size_t n = garbage((unsigned) rnd_below(9), buf, (size_t) a.mq_msgsize);
		time_t give_up = time(NULL) + 60;
		for (;;) {
			struct timespec ts;
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_nsec += 100 * 1000 * 1000;
			if (ts.tv_nsec >= 1000000000L) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000L;
			}
			if (mq_timedsend(q, (const char *) buf, n, (unsigned) rnd_below(3), &ts) == 0)
				break;
			if ((errno == ETIMEDOUT || errno == EINTR) && time(NULL) < give_up)
				continue;   /* a slow daemon: wait for room */
			fprintf(stderr, "mq-garbage: send %lu: %s\n", i, strerror(errno));
			printf("sent %lu\n", sent);
			return 1;
		}
		sent++;
	}
	printf("sent %lu\n", sent);
	free(buf);
	mq_close(q);
	return 0;
}
