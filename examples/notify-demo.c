/* A worker that speaks systemd's notify protocol without libsystemd (conf/drover.ini [program:notified]):
 * any program that sends READY=1 to $NOTIFY_SOCKET is ready for drover, as it is for systemd.
 * With --http PORT it also answers GET requests on 127.0.0.1:PORT with 200 (the demo's probe target). */
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static int notify(const char *msg)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (!path || !*path || strlen(path) >= sizeof(sa.sun_path))
		return -EINVAL;
	memcpy(sa.sun_path, path, strlen(path));
	socklen_t len = (socklen_t) (offsetof(struct sockaddr_un, sun_path) + strlen(path));
	if (path[0] == '@')
		sa.sun_path[0] = '\0';   /* abstract */
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	int r = sendto(fd, msg, strlen(msg), 0, (struct sockaddr *) &sa, len) < 0 ? -errno : 0;
	close(fd);
	return r;
}

static int listen_on(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t) port),
	                         .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int one = 1, fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *) &a, sizeof(a)) < 0 || listen(fd, 16) < 0) {
		perror("notify-demo: listen");
		exit(1);
	}
	return fd;
}

int main(int argc, char **argv)
{
	int lfd = -1;
	unsigned long served = 0;
	char status[128];

	signal(SIGPIPE, SIG_IGN);
	if (argc == 3 && strcmp(argv[1], "--http") == 0)
		lfd = listen_on(atoi(argv[2]));
	notify("STATUS=warming up");
	sleep(1);   /* what a real service does before it can serve: load data, open ports */
	if (notify("READY=1\nSTATUS=serving") < 0)
		fprintf(stderr, "notify-demo: no NOTIFY_SOCKET (not run with ready = notify?)\n");
	printf("notify-demo: ready\n");
	fflush(stdout);
	for (;;) {
		struct pollfd p = { lfd, POLLIN, 0 };
		if (poll(&p, lfd >= 0 ? 1 : 0, 1000) > 0) {
			int c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
			if (c >= 0) {
				char buf[1024];
				static const char ok[] = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\nok\n";
				if (read(c, buf, sizeof(buf)) > 0 && write(c, ok, sizeof(ok) - 1) < 0)
					perror("notify-demo: write");
				close(c);
				served++;
			}
		}
		snprintf(status, sizeof(status), "WATCHDOG=1\nSTATUS=serving, %lu requests", served);
		notify(status);   /* a heartbeat: health = notify restarts it if these stop */
	}
}
