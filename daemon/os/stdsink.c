/* droverd's own stdout/stderr as a log file: see stdsink.h. */
#include "os/stdsink.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

int stdsink_fd_of(const char *path)
{
	static const struct { const char *path; int fd; } names[] = {
		{ "/dev/stdout", 1 }, { "/dev/fd/1", 1 }, { "/proc/self/fd/1", 1 },
		{ "/dev/stderr", 2 }, { "/dev/fd/2", 2 }, { "/proc/self/fd/2", 2 },
	};
	for (size_t i = 0; path && i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(path, names[i].path) == 0)
			return names[i].fd;
	return 0;
}

int stdsink_open(int std, enum stdsink_kind *ret_kind)
{
	struct stat st;
	int fd = fcntl(std, F_DUPFD_CLOEXEC, 3);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		int r = -errno;
		close(fd);
		return r;
	}
	*ret_kind = S_ISREG(st.st_mode) || S_ISBLK(st.st_mode) ? STDSINK_FILE
	          : S_ISSOCK(st.st_mode) ? STDSINK_SOCKET
	          : S_ISFIFO(st.st_mode) ? STDSINK_PIPE : STDSINK_OTHER;
	return fd;
}

/* Bytes a pipe takes now without blocking: its size minus what it holds. */
static size_t pipe_room(int fd)
{
	int size = fcntl(fd, F_GETPIPE_SZ), queued = 0;
	if (size < 0 || ioctl(fd, FIONREAD, &queued) < 0 || queued >= size)
		return 0;
	return (size_t) (size - queued);
}

static bool writable(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLOUT };
	int r;
	do
		r = poll(&pfd, 1, 0);
	while (r < 0 && errno == EINTR);
	return r > 0 && (pfd.revents & POLLOUT);
}

size_t stdsink_write(int fd, enum stdsink_kind kind, const char *buf, size_t n, int *ret_err)
{
	size_t done = 0;
	*ret_err = 0;
	while (done < n) {
		size_t want = n - done;
		ssize_t w;
		if (kind == STDSINK_SOCKET) {
			w = send(fd, buf + done, want, MSG_DONTWAIT | MSG_NOSIGNAL);
		} else {
			if (kind == STDSINK_PIPE) {
				size_t room = pipe_room(fd);
				if (room < want)
					want = room;
			} else if (kind == STDSINK_OTHER && !writable(fd)) {
				want = 0;
			}
			if (want == 0) {
				*ret_err = EAGAIN;
				break;
			}
			w = write(fd, buf + done, want);
		}
		if (w < 0) {
			if (errno == EINTR)
				continue;
			*ret_err = errno;
			break;
		}
		if (w == 0) {
			*ret_err = EIO;
			break;
		}
		done += (size_t) w;
	}
	return done;
}
