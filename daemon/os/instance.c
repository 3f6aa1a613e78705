/* The instance lock: an flock() on a small shm object named after the instance. The kernel
 * drops it when droverd dies, however it dies, so a stale lock cannot block a restart, and
 * the descriptor is O_CLOEXEC so a surviving worker never holds it. A clean exit removes the
 * object while still holding the lock; a lock taken on a removed object does not count. */
#include "os/instance.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

static int lock_fd = -1;
static char lock_name[64];

/* One attempt: 0, -EAGAIN when the object we locked was unlinked meanwhile, or -errno. */
static int lock_once(pid_t *ret_holder)
{
	struct stat st;
	char buf[32];
	int fd, r;

	fd = shm_open(lock_name, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		r = -errno;
		goto fail;
	}
	if (st.st_uid != geteuid()) {
		r = -EPERM;
		goto fail;
	}
	while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno == EINTR)
			continue;
		r = errno == EWOULDBLOCK ? -EBUSY : -errno;
		if (r == -EBUSY && ret_holder) {
			ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
			int64_t pid;
			if (n > 0) {
				buf[n] = '\0';
				buf[strcspn(buf, "\n")] = '\0';
				if (parse_int64(buf, 1, INT32_MAX, &pid) == 0)
					*ret_holder = (pid_t) pid;
			}
		}
		goto fail;
	}
	/* A holder removes the object before it lets go of the lock (instance_unlock), so an object
	 * opened before that and locked after it is no longer the lock: whoever created the name
	 * anew may hold that one. Locking a removed object proves nothing: open the name again. */
	if (fstat(fd, &st) < 0) {
		r = -errno;
		goto fail;
	}
	if (st.st_nlink == 0) {
		r = -EAGAIN;
		goto fail;
	}
	int n = snprintf(buf, sizeof(buf), "%d\n", (int) getpid());
	if (ftruncate(fd, 0) < 0 || pwrite(fd, buf, (size_t) n, 0) != n) {
		r = -errno;
		goto fail;
	}
	lock_fd = fd;
	return 0;
fail:
	close(fd);
	return r;
}

int instance_lock(const char *name, pid_t *ret_holder)
{
	int r;

	snprintf(lock_name, sizeof(lock_name), "/%s.lock", name);
	/* Each -EAGAIN means another droverd went away in between: a handful is plenty. */
	for (int i = 0; i < 100; i++)
		if ((r = lock_once(ret_holder)) != -EAGAIN)
			return r;
	return -EBUSY;
}

void instance_unlock(void)
{
	if (lock_fd < 0)
		return;
	(void) shm_unlink(lock_name);   /* while still holding it: nobody can have it yet */
	close(lock_fd);
	lock_fd = -1;
}
