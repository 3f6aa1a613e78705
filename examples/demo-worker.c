/* demo-worker: the example worker of `make run` (conf/drover.ini, [program:counter]). It does what a
 * real worker linked with libdrover does: reports ready once set up, heartbeats, says what it is
 * busy with, and counts its work. `build/droverctl -n drover-demo status` shows all of it.
 *
 * Build: cc -I lib examples/demo-worker.c build/libdrover.a -lrt -lpthread
 *    or: cc examples/demo-worker.c $(pkg-config --cflags --libs drover)   (after make install) */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "drover.h"

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	(void) sig;
	stop = 1;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);   /* a signal cuts it short: fine */
}

int main(void)
{
	struct sigaction sa = { .sa_handler = on_term };
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	srand((unsigned) getpid());

	drover_status("warming up");
	sleep_ms(500);                 /* pretend to load something */
	drover_ready();                /* ready = scoreboard: RUNNING from here on */
	printf("demo-worker %d: ready\n", (int) getpid());
	fflush(stdout);

	for (unsigned long job = 1; !stop; job++) {
		long ms = 200 + rand() % 800;
		drover_heartbeat();    /* heartbeat_timeout = 5 in the demo config */
		drover_busy();
		drover_status("job %lu (%ld ms)", job, ms);
		sleep_ms(ms);
		drover_count(0, 1);    /* counter 0: jobs done */
		drover_count(1, (uint64_t) (ms * 1024));   /* counter 1: "bytes" */
		drover_idle();
		drover_status("idle after job %lu", job);
		sleep_ms(rand() % 500);
	}
	drover_status("stopping");
	printf("demo-worker %d: stopping\n", (int) getpid());
	return 0;
}
