/* sb-rogue: a hostile worker. Maps its instance's scoreboard (DROVER_NAME) read-write and fills
 * the WHOLE object with random bytes N times (header, every slot), then with a few structured
 * lies (pid = 1, droverd's pid, -1, huge; states out of range; unterminated status lines; both
 * latch parities), then stays alive. Never touches a semaphore.
 *
 *   -n N      overwrites (default 1000), 1 ms apart
 *   -d FILE   create FILE when done
 *
 * Exits 111 on a setup error. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "scoreboard.h"

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long) (ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static void fill_random(unsigned char *p, size_t n)
{
	while (n) {
		ssize_t r = getrandom(p, n, 0);
		if (r <= 0)
			continue;
		p += r;
		n -= (size_t) r;
	}
}

int main(int argc, char **argv)
{
	const char *done = NULL, *instance = getenv("DROVER_NAME");
	char name[80];
	long n = 1000;
	int c;

	while ((c = getopt(argc, argv, "n:d:")) != -1) {
		switch (c) {
		case 'n': n = atol(optarg); break;
		case 'd': done = optarg; break;
		default: return 111;
		}
	}
	if (!instance || sb_shm_name(name, sizeof(name), instance) < 0)
		return 111;
	int fd = shm_open(name, O_RDWR | O_CLOEXEC, 0);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0 || st.st_size <= 0) {
		perror("sb-rogue: scoreboard");
		return 111;
	}
	size_t size = (size_t) st.st_size;
	unsigned char *m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED)
		return 111;
	close(fd);

	for (long i = 0; i < n; i++) {
		fill_random(m, size);
		if (i % 4 == 3) {
			/* structured lies in every slot */
			uint32_t nslots = (uint32_t) ((size - SB_HEADER_SIZE) / SB_SLOT_SIZE);
			for (uint32_t k = 0; k < nslots; k++) {
				struct sb_slot *s = sb_slot_at(m, k);
				static const int32_t pids[] = { 1, -1, 0x7fffffff, 0 };
				s->pid = i % 8 == 3 ? (int32_t) getppid() : pids[(i / 4 + k) % 4];
				s->state = (uint32_t) (i * 7 + k);
				s->lock_owner = (int32_t) getppid();
				s->seq = (uint32_t) (i & 1);
				for (int half = 0; half < 2; half++) {
					s->copy[half].w.flags = 0xffffffffu;
					s->copy[half].w.ncounters = 0xffffffffu;
					s->copy[half].w.heartbeat_ns = UINT64_MAX;
					memset(s->copy[half].w.status, 'A', sizeof(s->copy[half].w.status));
				}
			}
		}
		sleep_ms(1);
	}
	/* End on plain garbage, so every slot stays invalid. */
	fill_random(m, size);
	if (done) {
		int d = open(done, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
		if (d >= 0)
			close(d);
	}
	for (;;)
		pause();
}
