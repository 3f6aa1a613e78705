/* sb-forge: a hostile worker that tries to forge other processes' scoreboard reports. For each
 * slot VICTIM it looks for that slot's object everywhere a worker could: a name in /dev/shm (the
 * instance's old scoreboard), and every other process's descriptors through /proc/PID/fd. Where
 * it finds one it writes well-formed, checksummed worker data of the slot's current generation
 * into it, through the latch as libdrover does, without the slot's lock: ready, and a fresh
 * heartbeat every 100 ms. It also writes the same into its own object, under the victim's index.
 *
 *   sb-forge [-d FILE] VICTIM...
 *     -d FILE   append "forged SLOT GEN" to FILE after the first forged write into a victim's
 *               object (and on every new generation of it), or "denied SLOT REFUSED" when no
 *               object of that slot could be opened (REFUSED: descriptors the kernel refused),
 *               then keep going (or, when every one is denied, pause)
 *
 * Exits 111 on a usage error. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "sb-objects.h"

#define VICTIMS_MAX 16

static const char *report;

/* "WHAT SLOT VALUE" */
static void say(const char *what, long a, long b)
{
	char line[64];
	int fd;

	if (!report)
		return;
	snprintf(line, sizeof(line), "%s %ld %ld\n", what, a, b);
	fd = open(report, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0666);
	if (fd >= 0) {
		(void) !write(fd, line, strlen(line));
		close(fd);
	}
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long) (ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t) ts.tv_sec * 1000000000u + (uint64_t) ts.tv_nsec;
}

static uint32_t want[VICTIMS_MAX];
static struct sb_slot *target[VICTIMS_MAX];
static int nwant;

static void found(pid_t pid, uint32_t slot, void *map, void *ctx)
{
	for (int i = 0; i < nwant; i++)
		if (want[i] == slot && !target[i]) {
			target[i] = sb_object_slot(map);
			return;
		}
	munmap(map, SB_OBJECT_SIZE);
}

static void forge(struct sb_slot *s, uint32_t index, uint32_t gen)
{
	struct sb_worker *w = sb_write_begin(s);
	if (w->wgen != gen)
		sb_worker_reset(w, gen);
	w->flags |= SB_F_READY;
	w->heartbeat_ns = now_ns();
	snprintf(w->status, sizeof(w->status), "forged by pid %d", (int) getpid());
	sb_write_end(s, index);
}

int main(int argc, char **argv)
{
	uint32_t last[VICTIMS_MAX] = { 0 };
	int c;

	while ((c = getopt(argc, argv, "d:")) != -1) {
		switch (c) {
		case 'd': report = optarg; break;
		default: return 111;
		}
	}
	if (optind >= argc || argc - optind > VICTIMS_MAX)
		return 111;
	for (int i = optind; i < argc; i++)
		want[nwant++] = (uint32_t) strtoul(argv[i], NULL, 10);

	/* The old named scoreboard, if an instance still had one. */
	const char *instance = getenv("DROVER_NAME");
	if (instance) {
		char name[128];
		snprintf(name, sizeof(name), "/dev/shm/%s.scoreboard", instance);
		if (open(name, O_RDWR | O_CLOEXEC) >= 0)
			say("named", 0, 0);
	}
	int refused = sb_foreign_objects(getppid(), found, NULL);
	void *own = sb_map_fd(sb_own_fd(), NULL);
	int reached = 0;
	for (int i = 0; i < nwant; i++) {
		if (target[i])
			reached++;
		else
			say("denied", (long) want[i], refused);
	}
	for (;;) {
		for (int i = 0; i < nwant; i++) {
			if (own)   /* into its own object, under the victim's index: read by nobody */
				forge(sb_object_slot(own), want[i], sb_object_slot(own)->generation);
			if (!target[i])
				continue;
			uint32_t gen = __atomic_load_n(&target[i]->generation, __ATOMIC_ACQUIRE);
			forge(target[i], want[i], gen);
			if (gen != last[i]) {
				say("forged", (long) want[i], (long) gen);
				last[i] = gen;
			}
		}
		if (!reached)
			pause();
		sleep_ms(100);
	}
}
