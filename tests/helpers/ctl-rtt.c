/* ctl-rtt: a well-behaved control client that measures droverd's status round trip (T26).
 *
 *   ctl-rtt QUEUE COUNT INTERVAL_MS      (QUEUE = /NAME.ctl)
 *
 * Creates its own reply queue /NAME.reply.PID.RANDOM (0600, as droverctl does), then COUNT times:
 * sends a STATUS request (blocking send with a 5 s deadline, at status priority), reads the whole
 * reply (all fragments, 5 s deadline), prints the round trip in microseconds (from before the
 * send to the last fragment) on a line of its own, and sleeps INTERVAL_MS. This is droverctl's
 * round trip without its process start-up, which under ASan and on a loaded 2-CPU machine is
 * larger and noisier than what droverd does. Exit 0; 1 when a request fails or times out (what
 * happened on stderr); the queue is removed on every exit path that can run code. */
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "proto.h"

static char reply[PROTO_NAME_MAX];

static void on_signal(int sig)
{
	mq_unlink(reply);
	signal(sig, SIG_DFL);
	raise(sig);
}

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t) ts.tv_sec * 1000000000ull + (uint64_t) ts.tv_nsec;
}

static struct timespec deadline(unsigned seconds)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += seconds;
	return ts;
}

int main(int argc, char **argv)
{
	struct mq_attr a = { .mq_maxmsg = 10, .mq_msgsize = PROTO_MSG_MAX };
	static uint8_t buf[PROTO_MSG_MAX], rbuf[PROTO_MSG_MAX];
	char instance[64] = "";
	unsigned long count, interval_ms;
	uint32_t nonce[2];
	const char *dot;
	mqd_t ctlq, rq;
	int rc = 0;

	if (argc != 4) {
		fprintf(stderr, "usage: ctl-rtt QUEUE COUNT INTERVAL_MS\n");
		return 2;
	}
	count = strtoul(argv[2], NULL, 10);
	interval_ms = strtoul(argv[3], NULL, 10);
	dot = strrchr(argv[1], '.');
	if (argv[1][0] != '/' || !dot || (size_t) (dot - argv[1] - 1) >= sizeof(instance)) {
		fprintf(stderr, "ctl-rtt: QUEUE must be /NAME.ctl\n");
		return 2;
	}
	memcpy(instance, argv[1] + 1, (size_t) (dot - argv[1] - 1));
	if (getrandom(nonce, sizeof(nonce), 0) != (ssize_t) sizeof(nonce))
		nonce[0] = (uint32_t) time(NULL), nonce[1] = (uint32_t) getpid();
	snprintf(reply, sizeof(reply), "/%s.reply.%d.%08x%08x", instance, (int) getpid(), nonce[0], nonce[1]);

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	umask(077);
	rq = mq_open(reply, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600, &a);
	if (rq == (mqd_t) -1 && errno == EMFILE) {
		a.mq_maxmsg = 1;   /* RLIMIT_MSGQUEUE is shared by every test: do with less */
		rq = mq_open(reply, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600, &a);
	}
	if (rq == (mqd_t) -1) {
		fprintf(stderr, "ctl-rtt: create %s: %s\n", reply, strerror(errno));
		return 1;
	}
	ctlq = mq_open(argv[1], O_WRONLY | O_CLOEXEC);
	if (ctlq == (mqd_t) -1) {
		fprintf(stderr, "ctl-rtt: %s: %s\n", argv[1], strerror(errno));
		mq_close(rq);
		mq_unlink(reply);
		return 1;
	}

	for (unsigned long i = 0; i < count && rc == 0; i++) {
		uint32_t id = (uint32_t) (i + 1) * 2654435761u;
		ssize_t len = proto_request_encode(buf, sizeof(buf), PROTO_STATUS, id, reply, 0, 0, 0, NULL);
		struct proto_assembler as;
		struct proto_reply rep;
		struct timespec ts;
		uint64_t t0;
		int r = 0;

		if (len < 0) {
			fprintf(stderr, "ctl-rtt: encode: %s\n", strerror((int) -len));
			rc = 1;
			break;
		}
		t0 = mono_ns();
		ts = deadline(5);
		while (mq_timedsend(ctlq, (const char *) buf, (size_t) len, proto_priority_of(PROTO_STATUS), &ts) < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "ctl-rtt: request %lu: send: %s\n", i, strerror(errno));
			rc = 1;
			goto out;
		}
		proto_assembler_init(&as, id, PROTO_STATUS);
		ts = deadline(5);
		for (;;) {
			ssize_t m = mq_timedreceive(rq, (char *) rbuf, sizeof(rbuf), NULL, &ts);
			if (m < 0) {
				if (errno == EINTR)
					continue;
				fprintf(stderr, "ctl-rtt: request %lu: receive: %s\n", i, strerror(errno));
				r = -1;
				break;
			}
			r = proto_assembler_feed(&as, rbuf, (size_t) m);
			if (r < 0) {
				fprintf(stderr, "ctl-rtt: request %lu: bad fragment: %s\n", i, strerror(-r));
				break;
			}
			if (r == 1)
				break;
		}
		if (r == 1) {
			uint64_t dt = mono_ns() - t0;
			r = proto_reply_decode(&as, &rep);
			if (r < 0 || rep.result < 0) {
				fprintf(stderr, "ctl-rtt: request %lu: reply: %s\n", i, strerror(r < 0 ? -r : -rep.result));
				rc = 1;
			} else {
				printf("%llu\n", (unsigned long long) (dt / 1000));
				fflush(stdout);
			}
			if (r == 0)
				proto_reply_free(&rep);
		} else {
			rc = 1;
		}
		proto_assembler_free(&as);
		if (interval_ms && rc == 0) {
			struct timespec d = { (time_t) (interval_ms / 1000), (long) (interval_ms % 1000) * 1000000L };
			while (nanosleep(&d, &d) < 0 && errno == EINTR)
				;
		}
	}
out:
	mq_close(ctlq);
	mq_close(rq);
	mq_unlink(reply);
	return rc;
}
