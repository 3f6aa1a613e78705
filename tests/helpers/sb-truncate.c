/* sb-truncate: a hostile worker that tries to truncate (to 0 or 1 byte) and to grow its
 * scoreboard object N times each, through its own descriptor, and to take the seals off it. The
 * object is sealed: every attempt must fail with EPERM, and nothing changes (size, mapping).
 * It maps the object itself first, so a truncation that did happen would kill it with SIGBUS on
 * its next read.
 *
 *   -n N         rounds (default 100)
 *   -d FILE      when done, write "eperm N" (every attempt refused with EPERM and the object
 *                unchanged) or "changed WHAT ERRNO" into FILE
 *
 * Then it stays alive. Exits 111 on a setup error. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sb-objects.h"

static void report(const char *path, const char *line)
{
	if (!path)
		return;
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd >= 0) {
		(void) !write(fd, line, strlen(line));
		close(fd);
	}
}

int main(int argc, char **argv)
{
	const char *done = NULL;
	long n = 100;
	int c;
	char line[96];

	while ((c = getopt(argc, argv, "n:d:")) != -1) {
		switch (c) {
		case 'n': n = atol(optarg); break;
		case 'd': done = optarg; break;
		default: return 111;
		}
	}
	int fd = sb_own_fd();
	uint32_t slot;
	volatile unsigned char *m = sb_map_fd(fd, &slot);
	if (!m)
		return 111;
	static const off_t sizes[] = { 0, 1, SB_OBJECT_SIZE * 2 };
	for (long i = 0; i < n; i++) {
		for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
			if (ftruncate(fd, sizes[k]) == 0 || errno != EPERM) {
				snprintf(line, sizeof(line), "changed ftruncate-%lld %d\n", (long long) sizes[k], errno);
				report(done, line);
				return 0;
			}
		}
		if (fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE) == 0 || errno != EPERM) {
			snprintf(line, sizeof(line), "changed seal %d\n", errno);
			report(done, line);
			return 0;
		}
		(void) m[SB_OBJECT_SIZE - 1];   /* still there: a truncation would SIGBUS here */
	}
	struct stat st;
	if (fstat(fd, &st) < 0 || st.st_size != SB_OBJECT_SIZE) {
		report(done, "changed size 0\n");
		return 0;
	}
	snprintf(line, sizeof(line), "eperm %ld\n", n);
	report(done, line);
	for (;;)
		pause();
}
