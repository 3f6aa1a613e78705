/* notify-sink SOCKET LOG: a stand-in for systemd's notify socket (tests/e2e/notify.sh).
 * Binds an AF_UNIX datagram socket at SOCKET and appends every datagram to LOG, one line per
 * assignment, split at the real newlines of the datagram:
 *   SEQ MONO_US LEN RAW ASSIGNMENT
 * SEQ numbers datagrams from 1 (the lines of one datagram share it), MONO_US is CLOCK_MONOTONIC
 * at receipt in microseconds (the clock of MONOTONIC_USEC=), LEN the assignment's length in
 * bytes, RAW how many of them are not printable ASCII (control characters the sender did not
 * escape). Those are written as \xNN and a backslash as \\, so the log is plain text.
 * Exits on SIGTERM/SIGINT; unlinks SOCKET. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void) sig;
	stop = 1;
}

int main(int argc, char **argv)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	static char buf[65536];
	unsigned long seq = 0;
	FILE *log;
	int fd;

	if (argc != 3 || strlen(argv[1]) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "usage: notify-sink SOCKET LOG\n");
		return 2;
	}
	struct sigaction act = { .sa_handler = on_signal };   /* no SA_RESTART: recv returns EINTR */
	sigaction(SIGTERM, &act, NULL);
	sigaction(SIGINT, &act, NULL);
	log = fopen(argv[2], "a");
	if (!log) {
		perror(argv[2]);
		return 1;
	}
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		perror("socket");
		return 1;
	}
	strcpy(sa.sun_path, argv[1]);
	(void) unlink(argv[1]);
	if (bind(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0) {
		perror("bind");
		return 1;
	}
	while (!stop) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			perror("recv");
			break;
		}
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		unsigned long long us = (unsigned long long) ts.tv_sec * 1000000ULL + (unsigned long long) ts.tv_nsec / 1000;
		seq++;
		ssize_t start = 0;
		for (ssize_t i = 0; i <= n; i++) {
			if (i < n && buf[i] != '\n')
				continue;
			size_t raw = 0;
			for (ssize_t k = start; k < i; k++)
				raw += (unsigned char) buf[k] < 0x20 || (unsigned char) buf[k] >= 0x7f;
			fprintf(log, "%lu %llu %zd %zu ", seq, us, i - start, raw);
			for (ssize_t k = start; k < i; k++) {
				unsigned char c = (unsigned char) buf[k];
				if (c == '\\')
					fputs("\\\\", log);
				else if (c >= 0x20 && c < 0x7f)
					fputc(c, log);
				else
					fprintf(log, "\\x%02x", c);
			}
			fputc('\n', log);
			start = i + 1;
		}
		fflush(log);
	}
	(void) unlink(argv[1]);
	fclose(log);
	return 0;
}
