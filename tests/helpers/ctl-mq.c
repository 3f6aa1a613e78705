/* ctl-mq: small POSIX message queue tool for the droverctl e2e tests (tests/e2e/ctl-*.sh).
 *
 *   ctl-mq attr QUEUE            print "maxmsg MSGMAX msgsize SIZE curmsgs N" of an existing queue
 *                                (opened O_RDONLY|O_NONBLOCK: nothing is read); exit 1 if it cannot be opened
 *   ctl-mq unlink QUEUE...       mq_unlink each; a queue that is already gone is fine; exit 1 on other errors
 *   ctl-mq create QUEUE MODE     create QUEUE (O_EXCL, 10 x 1024 bytes) with octal MODE exactly (umask 0),
 *                                close it and exit: a squatter, when run as another user
 *   ctl-mq owner QUEUE           print "uid UID mode MODE" of an existing queue (fstat on the descriptor)
 *
 * Exit 0 on success, 1 on failure (with the reason on stderr), 2 on a usage error. */
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int usage(void)
{
	fprintf(stderr, "usage: ctl-mq attr QUEUE | unlink QUEUE... | create QUEUE MODE | owner QUEUE\n");
	return 2;
}

int main(int argc, char **argv)
{
	if (argc < 3)
		return usage();

	if (strcmp(argv[1], "attr") == 0 || strcmp(argv[1], "owner") == 0) {
		struct mq_attr a;
		struct stat st;
		mqd_t q = mq_open(argv[2], O_RDONLY | O_NONBLOCK | O_CLOEXEC);
		if (q == (mqd_t) -1) {
			fprintf(stderr, "ctl-mq: %s: %s\n", argv[2], strerror(errno));
			return 1;
		}
		if (argv[1][0] == 'a') {
			if (mq_getattr(q, &a) < 0) {
				fprintf(stderr, "ctl-mq: mq_getattr %s: %s\n", argv[2], strerror(errno));
				return 1;
			}
			printf("maxmsg %ld msgsize %ld curmsgs %ld\n", (long) a.mq_maxmsg, (long) a.mq_msgsize,
			       (long) a.mq_curmsgs);
		} else {
			if (fstat((int) q, &st) < 0) {
				fprintf(stderr, "ctl-mq: fstat %s: %s\n", argv[2], strerror(errno));
				return 1;
			}
			printf("uid %u mode %04o\n", (unsigned) st.st_uid, (unsigned) (st.st_mode & 07777));
		}
		mq_close(q);
		return 0;
	}

	if (strcmp(argv[1], "unlink") == 0) {
		int rc = 0;
		for (int i = 2; i < argc; i++)
			if (mq_unlink(argv[i]) < 0 && errno != ENOENT) {
				fprintf(stderr, "ctl-mq: unlink %s: %s\n", argv[i], strerror(errno));
				rc = 1;
			}
		return rc;
	}

	if (strcmp(argv[1], "create") == 0) {
		struct mq_attr a = { .mq_maxmsg = 10, .mq_msgsize = 1024 };
		char *end;
		long mode;
		mqd_t q;

		if (argc != 4)
			return usage();
		mode = strtol(argv[3], &end, 8);
		if (*end || mode < 0 || mode > 0777)
			return usage();
		umask(0);
		q = mq_open(argv[2], O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, (mode_t) mode, &a);
		if (q == (mqd_t) -1) {
			fprintf(stderr, "ctl-mq: create %s: %s\n", argv[2], strerror(errno));
			return 1;
		}
		mq_close(q);
		return 0;
	}
	return usage();
}
