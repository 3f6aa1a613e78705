/* ctl-waiter: a client that sends COUNT WAIT requests (until PROCESS is stopped, for DEADLINE_MS
 * each), all answered to one reply queue of the smallest size droverd accepts (1 message of
 * PROTO_MSG_MIN bytes): hundreds of waiters without hundreds of queues, which one user's
 * RLIMIT_MSGQUEUE and the system's queues_max would not allow. A test kills it while it waits.
 *
 *   ctl-waiter QUEUE PROCESS DEADLINE_MS COUNT      (QUEUE = /NAME.ctl)
 *
 * Prints "sent COUNT REPLY-QUEUE" once every request is in QUEUE, then pauses until it is killed
 * (never reading a reply, never removing its reply queue: that is the point). Exits 1 on a setup
 * error, 2 on a usage error. */
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "proto.h"

int main(int argc, char **argv)
{
	struct mq_attr a = { .mq_maxmsg = 1, .mq_msgsize = PROTO_MSG_MIN };
	static uint8_t buf[PROTO_MSG_MAX];
	char instance[64] = "", reply[PROTO_NAME_MAX];
	const char *args[1];
	uint32_t nonce = 0;
	const char *dot;

	if (argc != 5)
		return 2;
	long count = strtol(argv[4], NULL, 10);
	if (count < 1 || count > 100000)
		return 2;
	dot = strrchr(argv[1], '.');
	if (argv[1][0] != '/' || !dot || (size_t) (dot - argv[1] - 1) >= sizeof(instance))
		return 2;
	memcpy(instance, argv[1] + 1, (size_t) (dot - argv[1] - 1));
	if (getrandom(&nonce, sizeof(nonce), 0) != (ssize_t) sizeof(nonce))
		nonce = (uint32_t) time(NULL) ^ (uint32_t) getpid();
	snprintf(reply, sizeof(reply), "/%s.reply.%d.%08x", instance, (int) getpid(), nonce);
	umask(077);
	mqd_t rq = mq_open(reply, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600, &a);
	if (rq == (mqd_t) -1) {
		fprintf(stderr, "ctl-waiter: create %s: %s\n", reply, strerror(errno));
		return 1;
	}
	mqd_t ctlq = mq_open(argv[1], O_WRONLY | O_CLOEXEC);
	if (ctlq == (mqd_t) -1) {
		fprintf(stderr, "ctl-waiter: %s: %s\n", argv[1], strerror(errno));
		mq_unlink(reply);
		return 1;
	}
	args[0] = argv[2];
	for (long i = 1; i <= count; i++) {
		ssize_t len = proto_request_encode(buf, sizeof(buf), PROTO_WAIT, (uint32_t) i, reply, PROTO_WAIT_STOPPED,
		                                   (uint32_t) strtoul(argv[3], NULL, 10), 1, args);
		int sr = -1;
		if (len >= 0)
			do
				sr = mq_send(ctlq, (const char *) buf, (size_t) len, 0);
			while (sr < 0 && errno == EINTR);
		if (sr < 0) {
			fprintf(stderr, "ctl-waiter: send: %s\n", len < 0 ? strerror((int) -len) : strerror(errno));
			mq_unlink(reply);
			return 1;
		}
	}
	printf("sent %ld %s\n", count, reply);
	fflush(stdout);
	for (;;)
		pause();
}
