/* fuse-hang: a filesystem that never answers, to stand for a hung network mount (a hard NFS
 * mount whose server is gone). Speaks the kernel's FUSE protocol on /dev/fuse directly (no
 * libfuse): the root directory exists; looking up any name in it is never answered, so a
 * process that stats, opens, chdir()s to or execs MOUNT/anything waits in the kernel (it can
 * still be killed by SIGKILL: FUSE waits are killable).
 *
 *   fuse-hang MOUNTPOINT READYFILE
 *     mounts, creates READYFILE, serves until SIGTERM/SIGINT (or until unmounted). Exiting
 *     closes /dev/fuse, which fails every pending request (ENOTCONN): whoever waited is let go.
 *
 * Exits 111 on a setup error (no /dev/fuse, not root, mount refused). */
#include <errno.h>
#include <fcntl.h>
#include <linux/fuse.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void) sig;
	stop = 1;
}

static void reply(int fd, uint64_t unique, int error, const void *data, size_t len)
{
	struct fuse_out_header h = { .len = (uint32_t) (sizeof(h) + len), .error = error, .unique = unique };
	char buf[sizeof(h) + 256];

	if (len > 256)
		return;
	memcpy(buf, &h, sizeof(h));
	if (len)
		memcpy(buf + sizeof(h), data, len);
	(void) !write(fd, buf, sizeof(h) + len);
}

static void root_attr(struct fuse_attr *a)
{
	memset(a, 0, sizeof(*a));
	a->ino = FUSE_ROOT_ID;
	a->mode = S_IFDIR | 0755;
	a->nlink = 2;
}

int main(int argc, char **argv)
{
	static char buf[1 << 20 | 4096];   /* at least max_write + a header */
	char opts[128];
	int fd;

	if (argc != 3) {
		fprintf(stderr, "usage: fuse-hang MOUNTPOINT READYFILE\n");
		return 111;
	}
	fd = open("/dev/fuse", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		perror("fuse-hang: /dev/fuse");
		return 111;
	}
	snprintf(opts, sizeof(opts), "fd=%d,rootmode=40000,user_id=0,group_id=0,allow_other", fd);
	if (mount("fuse-hang", argv[1], "fuse", MS_NOSUID | MS_NODEV, opts) < 0) {
		perror("fuse-hang: mount");
		return 111;
	}
	struct sigaction sa = { .sa_handler = on_signal };   /* no SA_RESTART: read() returns EINTR */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	int ready = -1;

	while (!stop) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n < 0 && (errno == EINTR || errno == ENOENT))
			continue;
		if (n < (ssize_t) sizeof(struct fuse_in_header))
			break;   /* ENODEV: unmounted */
		struct fuse_in_header *in = (struct fuse_in_header *) buf;
		switch (in->opcode) {
		case FUSE_INIT: {
			struct fuse_init_in *ii = (struct fuse_init_in *) (in + 1);
			struct fuse_init_out o = { .major = FUSE_KERNEL_VERSION, .minor = FUSE_KERNEL_MINOR_VERSION,
			                           .max_readahead = ii->max_readahead, .max_write = 65536 };
			reply(fd, in->unique, 0, &o, sizeof(o));
			if (ready < 0 && (ready = open(argv[2], O_WRONLY | O_CREAT | O_CLOEXEC, 0644)) >= 0)
				close(ready);
			break;
		}
		case FUSE_GETATTR: {
			struct fuse_attr_out o = { .attr_valid = 0 };
			root_attr(&o.attr);
			reply(fd, in->unique, in->nodeid == FUSE_ROOT_ID ? 0 : -ENOENT, &o, sizeof(o));
			break;
		}
		case FUSE_LOOKUP:
			break;   /* never answered: the caller waits */
		case FUSE_FORGET:
		case FUSE_BATCH_FORGET:
		case FUSE_INTERRUPT:
			break;   /* no reply expected (an interrupted lookup keeps waiting) */
		case FUSE_DESTROY:
			stop = 1;
			break;
		default:
			reply(fd, in->unique, -ENOSYS, NULL, 0);
			break;
		}
	}
	(void) umount2(argv[1], MNT_DETACH);
	close(fd);
	return 0;
}
