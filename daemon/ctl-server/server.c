/* The control server's shared state and its rate-limited log of bad requests. */
#include "ctl-server/server.h"

#include <stdarg.h>
#include <stdio.h>

#include "os/log.h"
#include "util.h"

#define BADLOG_PER_SEC 5

struct ctl_server srv;

static struct {
	uint64_t window_ns;
	unsigned lines;
	unsigned long suppressed;
} badlog;

void bad_log(const char *fmt, ...)
{
	uint64_t now = now_mono_ns();
	char buf[512];
	va_list ap;

	if (now - badlog.window_ns >= NSEC_PER_SEC) {
		if (badlog.suppressed)
			log_warn("control: %lu more bad requests not logged", badlog.suppressed);
		badlog.window_ns = now;
		badlog.lines = 0;
		badlog.suppressed = 0;
	}
	if (badlog.lines >= BADLOG_PER_SEC) {
		badlog.suppressed++;
		return;
	}
	badlog.lines++;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	log_warn("control: %s (%lu bad so far)", buf, srv.st.bad);
}
