/* The pidfile: see pidfile.h. */
#include "os/pidfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

static char *written;   /* the path we wrote, NULL = none */

static int write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		buf += n;
		len -= (size_t) n;
	}
	return 0;
}

int pidfile_write(const char *path)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%d\n", (int) getpid());
	char *tmp = xasprintf("%s.XXXXXX", path);
	int r = 0, fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		free(tmp);
		return r;
	}
	/* A pidfile is for everyone to read (kill $(cat ...)), whatever droverd's umask. */
	if (fchmod(fd, 0644) < 0 || (r = write_all(fd, buf, (size_t) n)) < 0 || fsync(fd) < 0) {
		if (!r)
			r = -errno;
	}
	if (close(fd) < 0 && !r)
		r = -errno;
	if (!r && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0)
		(void) unlink(tmp);
	free(tmp);
	if (r < 0)
		return r;
	free(written);
	written = xstrdup(path);
	return 0;
}

void pidfile_remove(void)
{
	char buf[32];
	ssize_t n = -1;
	int64_t pid;

	if (!written)
		return;
	int fd = open(written, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd >= 0) {
		do
			n = read(fd, buf, sizeof(buf) - 1);
		while (n < 0 && errno == EINTR);
		close(fd);
	}
	if (n > 0) {
		buf[n] = '\0';
		buf[strcspn(buf, "\n")] = '\0';
		if (parse_int64(buf, 1, INT32_MAX, &pid) == 0 && pid == getpid())
			(void) unlink(written);
	}
	free(written);
	written = NULL;
}
