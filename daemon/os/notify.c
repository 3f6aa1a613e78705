/* systemd's notify protocol. The only file that includes <systemd/sd-daemon.h>.
 * A STATUS= assignment is one line of at most 256 bytes ("STATUS=" included) with control
 * characters escaped once, so nothing a config or a worker can put into names or error text
 * can inject another assignment. */
#include "os/notify.h"

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>

#include "os/log.h"
#include "util.h"

#define STATUS_LINE_MAX 256                              /* "STATUS=" + text, without the NUL */
#define STATUS_MAX (STATUS_LINE_MAX - sizeof("STATUS=") + 2)  /* text buffer: 249 bytes + NUL */
#define STATUS_MIN_INTERVAL 0.1   /* seconds between two STATUS= updates */

static struct ev_loop *loop;
static bool enabled;
static ev_timer watchdog;
static ev_timer status_timer;
static bool status_pending;
static ev_tstamp status_last;
static char error_text[STATUS_MAX];   /* raw (escaped when STATUS= is built), cut */
static unsigned counts[PROC_STATE_MAX];
static ev_signal test_hang;
static bool stopping;   /* STOPPING=1 sent: systemd must hear no READY=1 or RELOADING=1 after it */

static void notify_send(const char *msg)
{
	if (!enabled)
		return;
	int r = sd_notify(0, msg);
	if (r < 0)
		log_debug("sd_notify: %s", strerror(-r));
}

void notify_status_text(char *buf, size_t size)
{
	const unsigned *count = counts;
	char line[STATUS_MAX * 2];
	int n = snprintf(line, sizeof(line), "%u running, %u starting, %u backoff, %u fatal, %u stopped",
	                 count[PROC_RUNNING], count[PROC_STARTING], count[PROC_BACKOFF], count[PROC_FATAL],
	                 count[PROC_STOPPED] + count[PROC_EXITED] + count[PROC_STOPPING]);
	if (error_text[0] && n > 0 && (size_t) n < sizeof(line))
		snprintf(line + n, sizeof(line) - (size_t) n, "; %s", error_text);
	escape_line(buf, size, line);
}

static void send_status(void)
{
	char text[STATUS_MAX], msg[STATUS_MAX + 8];
	notify_status_text(text, sizeof(text));
	snprintf(msg, sizeof(msg), "STATUS=%s", text);
	notify_send(msg);
	status_last = ev_now(loop);
	status_pending = false;
}

static void status_cb(struct ev_loop *l, ev_timer *w, int revents)
{
	send_status();
}

static void watchdog_cb(struct ev_loop *l, ev_timer *w, int revents)
{
	notify_send("WATCHDOG=1");
}

/* TEST-ONLY hook (tests/e2e/systemd-testbed.sh: the watchdog restarts a hung droverd): with
 * DROVER_TEST_HANG_ON_SIGUSR2=1 in droverd's environment, SIGUSR2 wedges the event loop for
 * good, so that the systemd watchdog has to kill and restart droverd. Inert otherwise. */
static void test_hang_cb(struct ev_loop *l, ev_signal *w, int revents)
{
	log_warn("SIGUSR2 with DROVER_TEST_HANG_ON_SIGUSR2=1: hanging the event loop (test hook)");
	for (;;)
		pause();
}

static void test_hook_init(void)
{
	const char *v = getenv("DROVER_TEST_HANG_ON_SIGUSR2");
	if (!v || strcmp(v, "1") != 0)
		return;
	ev_signal_init(&test_hang, test_hang_cb, SIGUSR2);
	ev_signal_start(loop, &test_hang);
}

void notify_init(struct ev_loop *l)
{
	uint64_t usec = 0;
	loop = l;
	enabled = getenv("NOTIFY_SOCKET") != NULL;
	ev_init(&status_timer, status_cb);
	test_hook_init();
	if (!enabled)
		return;
	if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0) {
		double period = (double) usec / 2e6;
		ev_timer_init(&watchdog, watchdog_cb, period, period);
		ev_timer_start(loop, &watchdog);
		log_debug("watchdog: pinging every %.3f s", period);
	}
}

static void status_schedule(void)
{
	if (!enabled || status_pending)
		return;
	status_pending = true;
	double wait = status_last + STATUS_MIN_INTERVAL - ev_now(loop);
	ev_timer_set(&status_timer, wait > 0 ? wait : 0., 0.);
	ev_timer_start(loop, &status_timer);
}

void notify_set_counts(const unsigned count[PROC_STATE_MAX])
{
	if (memcmp(counts, count, sizeof(counts)) == 0)
		return;
	memcpy(counts, count, sizeof(counts));
	status_schedule();
}

void notify_ready(void)
{
	if (stopping)   /* e.g. a reload refused during the shutdown still ends in here */
		return;
	char text[STATUS_MAX], msg[STATUS_MAX + 32];
	notify_status_text(text, sizeof(text));
	snprintf(msg, sizeof(msg), "READY=1\nSTATUS=%s", text);
	notify_send(msg);
}

void notify_reloading(void)
{
	if (stopping)
		return;
	char msg[64];
	snprintf(msg, sizeof(msg), "RELOADING=1\nMONOTONIC_USEC=%llu", (unsigned long long) (now_mono_ns() / 1000));
	notify_send(msg);
}

void notify_reload_done(void)
{
	notify_ready();
}

void notify_stopping(void)
{
	stopping = true;
	notify_send("STOPPING=1");
}

void notify_set_error(const char *msg)
{
	if (msg)
		snprintf(error_text, sizeof(error_text), "%s", msg);   /* escaped once, in notify_status_text */
	else
		error_text[0] = '\0';
	status_schedule();
}

void notify_startup_failed(const char *msg, int errnum)
{
	char text[STATUS_MAX], buf[STATUS_MAX + 48];
	if (!getenv("NOTIFY_SOCKET"))
		return;
	escape_line(text, sizeof(text), msg);
	snprintf(buf, sizeof(buf), "STATUS=%s\nERRNO=%d", text, errnum);
	sd_notify(0, buf);
}

void notify_close(void)
{
	if (!loop)
		return;
	ev_timer_stop(loop, &watchdog);
	ev_timer_stop(loop, &status_timer);
	ev_signal_stop(loop, &test_hang);
}
