/* sb-rogue: a hostile worker. It overwrites its whole scoreboard object (header, slot, lock) with
 * random bytes N times, and with structured lies (pid = 1, droverd's pid, -1, huge; states out of
 * range; unterminated status lines; both latch parities), then stays alive. With -a it also does
 * so to the slot part (header and slot, not the lock: a worker that dies of a scribbled lock is
 * its own business) of every other scoreboard object of its droverd that it can open through
 * /proc/PID/fd (as root: all of them; as another user: none).
 *
 *   -n N      overwrites (default 1000), 1 ms apart
 *   -a        all the objects it can reach, not only its own
 *   -d FILE   write "own 1 others K refused R" into FILE when done (K objects of other workers
 *             reached, R descriptors the kernel refused to open)
 *
 * Exits 111 on a setup error. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "sb-objects.h"

#define OTHERS_MAX 64

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long) (ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static void fill_random(void *p, size_t n)
{
	unsigned char *b = p;
	while (n) {
		ssize_t r = getrandom(b, n, 0);
		if (r <= 0)
			continue;
		b += r;
		n -= (size_t) r;
	}
}

static void lie(struct sb_slot *s, long i, uint32_t k)
{
	static const int32_t pids[] = { 1, -1, 0x7fffffff, 0 };
	s->pid = i % 8 == 3 ? (int32_t) getppid() : pids[(i / 4 + k) % 4];
	s->state = (uint32_t) (i * 7 + k);
	s->generation = (uint32_t) (i * 13);
	s->seq = (uint32_t) (i & 1);
	for (int half = 0; half < 2; half++) {
		s->copy[half].w.flags = 0xffffffffu;
		s->copy[half].w.ncounters = 0xffffffffu;
		s->copy[half].w.heartbeat_ns = UINT64_MAX;
		memset(s->copy[half].w.status, 'A', sizeof(s->copy[half].w.status));
	}
}

static void *others[OTHERS_MAX];
static size_t nothers;

static void found(pid_t pid, uint32_t slot, void *map, void *ctx)
{
	if (nothers < OTHERS_MAX)
		others[nothers++] = map;
	else
		munmap(map, SB_OBJECT_SIZE);
}

int main(int argc, char **argv)
{
	const char *done = NULL;
	long n = 1000;
	int c, all = 0, refused = 0;
	uint32_t slot;

	while ((c = getopt(argc, argv, "n:ad:")) != -1) {
		switch (c) {
		case 'n': n = atol(optarg); break;
		case 'a': all = 1; break;
		case 'd': done = optarg; break;
		default: return 111;
		}
	}
	void *own = sb_map_fd(sb_own_fd(), &slot);
	if (!own) {
		fprintf(stderr, "sb-rogue: no scoreboard object at descriptor %d\n", sb_own_fd());
		return 111;
	}
	if (all)
		refused = sb_foreign_objects(getppid(), found, NULL);

	for (long i = 0; i < n; i++) {
		fill_random(own, SB_OBJECT_SIZE);
		for (size_t k = 0; k < nothers; k++)
			fill_random(others[k], SB_HEADER_SIZE + SB_SLOT_SIZE);
		if (i % 4 == 3) {
			lie(sb_object_slot(own), i, slot);
			for (size_t k = 0; k < nothers; k++)
				lie(sb_object_slot(others[k]), i, (uint32_t) k);
		}
		sleep_ms(1);
	}
	/* End on plain garbage, so every slot reached stays invalid until its worker writes. */
	fill_random(own, SB_OBJECT_SIZE);
	for (size_t k = 0; k < nothers; k++)
		fill_random(others[k], SB_HEADER_SIZE + SB_SLOT_SIZE);
	if (done) {
		char line[96];
		int len = snprintf(line, sizeof(line), "own 1 others %zu refused %d\n", nothers, refused);
		int d = open(done, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (d >= 0) {
			(void) !write(d, line, (size_t) len);
			close(d);
		}
	}
	for (;;)
		pause();
}
