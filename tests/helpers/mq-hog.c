/* Hostile client (RELIABILITY T26): a reply queue of one message, pre-filled and never read,
 * named by N status requests. droverd must drop those replies without delaying anyone.
 * usage: mq-hog QUEUE N [HOLD_SECONDS]   (QUEUE = /NAME.ctl)
 * Keeps its reply queue for HOLD_SECONDS (default 2) after sending, then unlinks it (also on
 * SIGINT/SIGTERM). Prints "sent N". */
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "proto.h"

static char reply[PROTO_NAME_MAX];
static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void) sig;
	stop = 1;
}

int main(int argc, char **argv)
{
	struct mq_attr a = { .mq_maxmsg = 1, .mq_msgsize = 1024 };
	char instance[64] = "";
	uint8_t buf[PROTO_MSG_MAX];
	unsigned long n, sent = 0;
	unsigned hold = 2;
	uint32_t nonce[2];
	const char *dot;
	mqd_t ctlq, rq;
	int rc = 0;

	if (argc < 3 || argc > 4) {
		fprintf(stderr, "usage: mq-hog QUEUE N [HOLD_SECONDS]\n");
		return 2;
	}
	n = strtoul(argv[2], NULL, 10);
	if (argc == 4)
		hold = (unsigned) strtoul(argv[3], NULL, 10);
	dot = strrchr(argv[1], '.');
	if (argv[1][0] != '/' || !dot || (size_t) (dot - argv[1] - 1) >= sizeof(instance)) {
		fprintf(stderr, "mq-hog: QUEUE must be /NAME.ctl\n");
		return 2;
	}
	memcpy(instance, argv[1] + 1, (size_t) (dot - argv[1] - 1));
	if (getrandom(nonce, sizeof(nonce), 0) != (ssize_t) sizeof(nonce))
		nonce[0] = (uint32_t) time(NULL), nonce[1] = (uint32_t) getpid();
	snprintf(reply, sizeof(reply), "/%s.reply.%d.%08x%08x", instance, (int) getpid(), nonce[0], nonce[1]);

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	rq = mq_open(reply, O_RDWR | O_CREAT | O_EXCL | O_NONBLOCK | O_CLOEXEC, 0600, &a);
	if (rq == (mqd_t) -1) {
		fprintf(stderr, "mq-hog: create %s: %s\n", reply, strerror(errno));
		return 1;
	}
	/* pre-fill: the one slot is taken for good */
	if (mq_send(rq, "hog", 3, 0) < 0) {
		fprintf(stderr, "mq-hog: pre-fill: %s\n", strerror(errno));
		rc = 1;
		goto out;
	}
	ctlq = mq_open(argv[1], O_WRONLY | O_CLOEXEC);
	if (ctlq == (mqd_t) -1) {
		fprintf(stderr, "mq-hog: %s: %s\n", argv[1], strerror(errno));
		rc = 1;
		goto out;
	}
	for (unsigned long i = 0; i < n && !stop; i++) {
		ssize_t len = proto_request_encode(buf, sizeof(buf), PROTO_STATUS, (uint32_t) i + 1, reply, 0, 0, 0, NULL);
		if (len < 0) {
			rc = 1;
			break;
		}
		time_t give_up = time(NULL) + 60;
		for (;;) {
			struct timespec ts;
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_nsec += 100 * 1000 * 1000;
			if (ts.tv_nsec >= 1000000000L) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000L;
			}
			if (mq_timedsend(ctlq, (const char *) buf, (size_t) len, proto_priority_of(PROTO_STATUS), &ts) == 0) {
				sent++;
				break;
			}
			if ((errno == ETIMEDOUT || errno == EINTR) && !stop && time(NULL) < give_up)
				continue;
			fprintf(stderr, "mq-hog: send: %s\n", strerror(errno));
			rc = 1;
			goto sent;
		}
	}
sent:
	printf("sent %lu\n", sent);
	fflush(stdout);
	for (unsigned s = 0; s < hold * 10 && !stop; s++)
		usleep(100 * 1000);
	mq_close(ctlq);
out:
	mq_close(rq);
	mq_unlink(reply);
	return rc;
}
