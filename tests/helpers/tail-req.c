/* tail-req: send one raw TAIL request, as droverctl tail [-f] would, with any FIFO path
 * (tests/e2e/tail.sh checks what droverd refuses to open: droverctl itself only ever sends the
 * private FIFO it made).
 *
 *   tail-req QUEUE PROCESS STREAM LINES [FIFO]     (QUEUE = /NAME.ctl; FIFO given = follow)
 *
 * Prints "result R" (0 or -errno as a number) and, on the next line, the reply's message;
 * exit 0 when a reply came (whatever its result), 1 otherwise. */
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
	struct mq_attr a = { .mq_maxmsg = 1, .mq_msgsize = PROTO_MSG_MAX };
	static uint8_t buf[PROTO_MSG_MAX], rbuf[PROTO_MSG_MAX];
	char instance[64] = "", reply[PROTO_NAME_MAX];
	const char *args[2];
	uint32_t nonce = 0;
	struct proto_assembler as;
	struct proto_reply rep;
	struct timespec ts;
	const char *dot;
	mqd_t ctlq, rq;
	int r = 0, rc = 1;

	if (argc != 5 && argc != 6) {
		fprintf(stderr, "usage: tail-req QUEUE PROCESS STREAM LINES [FIFO]\n");
		return 2;
	}
	dot = strrchr(argv[1], '.');
	if (argv[1][0] != '/' || !dot || (size_t) (dot - argv[1] - 1) >= sizeof(instance))
		return 2;
	memcpy(instance, argv[1] + 1, (size_t) (dot - argv[1] - 1));
	if (getrandom(&nonce, sizeof(nonce), 0) != (ssize_t) sizeof(nonce))
		nonce = (uint32_t) time(NULL);
	snprintf(reply, sizeof(reply), "/%s.reply.%d.%08x", instance, (int) getpid(), nonce);
	umask(077);
	rq = mq_open(reply, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600, &a);
	if (rq == (mqd_t) -1) {
		fprintf(stderr, "tail-req: create %s: %s\n", reply, strerror(errno));
		return 1;
	}
	ctlq = mq_open(argv[1], O_WRONLY | O_CLOEXEC);
	if (ctlq == (mqd_t) -1) {
		fprintf(stderr, "tail-req: %s: %s\n", argv[1], strerror(errno));
		goto out;
	}
	args[0] = argv[2];
	args[1] = argc == 6 ? argv[5] : NULL;
	uint32_t stream = (uint32_t) strtoul(argv[3], NULL, 0) | (argc == 6 ? 0x100u : 0);
	ssize_t len = proto_request_encode(buf, sizeof(buf), PROTO_TAIL, 77, reply,
	                                   (uint32_t) strtoul(argv[4], NULL, 10), stream, argc == 6 ? 2 : 1, args);
	if (len < 0) {
		fprintf(stderr, "tail-req: encode: %s\n", strerror((int) -len));
		goto out;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 5;
	if (mq_timedsend(ctlq, (const char *) buf, (size_t) len, 0, &ts) < 0) {
		fprintf(stderr, "tail-req: send: %s\n", strerror(errno));
		goto out;
	}
	proto_assembler_init(&as, 77, PROTO_TAIL);
	while (r != 1) {
		ssize_t m = mq_timedreceive(rq, (char *) rbuf, sizeof(rbuf), NULL, &ts);
		if (m < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "tail-req: receive: %s\n", strerror(errno));
			break;
		}
		r = proto_assembler_feed(&as, rbuf, (size_t) m);
		if (r < 0) {
			fprintf(stderr, "tail-req: bad fragment: %s\n", strerror(-r));
			break;
		}
	}
	if (r == 1 && proto_reply_decode(&as, &rep) == 0) {
		printf("result %d\n%s\n", (int) rep.result, rep.message ? rep.message : "");
		proto_reply_free(&rep);
		rc = 0;
	}
	proto_assembler_free(&as);
out:
	mq_close(rq);
	mq_unlink(reply);
	return rc;
}
