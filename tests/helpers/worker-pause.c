/* worker-pause: the smallest worker there is, for tests that run thousands of them (e2e/scale-10k):
 * it waits in pause() until a signal ends it. Built static and without sanitizers whatever the
 * tree (see the Makefile): ten thousand instrumented processes would need gigabytes of shadow. */
#include <unistd.h>

int main(void)
{
	for (;;)
		pause();
}
