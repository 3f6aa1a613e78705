/* worker-mqunlink: list or remove the POSIX message queues of a drover instance in tests.
 *
 *   worker-mqunlink NAME      mq_unlink /NAME.ctl and every /NAME.* queue (e.g. /NAME.reply.PID.RND)
 *   worker-mqunlink -l NAME   print the names of the /NAME.* queues, one a line
 *
 * /dev/mqueue is not mounted on the build machines, and the reply queues have random names, so
 * listing needs the mqueue filesystem: it is mounted on a temporary directory inside a private
 * mount namespace of this process only (root), so nothing changes for the rest of the system.
 * Exit 0; 2 when the queues cannot be listed (the known /NAME.ctl is still removed). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	char dir[] = "/tmp/drover-mq.XXXXXX", path[512];
	int list = 0, r = 0;
	const char *name;
	size_t namelen;
	struct dirent *de;
	DIR *d;

	if (argc == 3 && strcmp(argv[1], "-l") == 0)
		list = 1;
	else if (argc != 2) {
		fprintf(stderr, "usage: worker-mqunlink [-l] NAME\n");
		return 2;
	}
	name = argv[argc - 1];
	namelen = strlen(name);
	if (namelen == 0 || namelen > 64 || strchr(name, '/')) {
		fprintf(stderr, "worker-mqunlink: bad name '%s'\n", name);
		return 2;
	}

	if (!list) {
		snprintf(path, sizeof(path), "/%s.ctl", name);
		if (mq_unlink(path) < 0 && errno != ENOENT)
			fprintf(stderr, "worker-mqunlink: %s: %s\n", path, strerror(errno));
	}

	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
		fprintf(stderr, "worker-mqunlink: private mount namespace: %s\n", strerror(errno));
		return 2;
	}
	if (!mkdtemp(dir)) {
		fprintf(stderr, "worker-mqunlink: mkdtemp: %s\n", strerror(errno));
		return 2;
	}
	if (mount("mqueue", dir, "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0) {
		fprintf(stderr, "worker-mqunlink: mount mqueue: %s\n", strerror(errno));
		(void) rmdir(dir);
		return 2;
	}
	d = opendir(dir);
	if (!d) {
		fprintf(stderr, "worker-mqunlink: opendir: %s\n", strerror(errno));
		r = 2;
	}
	while (d && (de = readdir(d))) {
		if (strncmp(de->d_name, name, namelen) != 0 || de->d_name[namelen] != '.')
			continue;
		if (list) {
			printf("%s\n", de->d_name);
			continue;
		}
		snprintf(path, sizeof(path), "/%s", de->d_name);
		if (mq_unlink(path) < 0 && errno != ENOENT)
			fprintf(stderr, "worker-mqunlink: %s: %s\n", path, strerror(errno));
	}
	if (d)
		closedir(d);
	(void) umount2(dir, MNT_DETACH);
	(void) rmdir(dir);
	return r;
}
