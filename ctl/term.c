/* droverctl on a terminal: width, colour, cutting lines by what is visible. */
#include "term.h"

#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "proto.h"

unsigned term_width(int fd)
{
	struct winsize ws;
	if (!isatty(fd))
		return 0;
	if (ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	/* a terminal that does not know its size (a serial line): the shell's idea of it */
	const char *c = getenv("COLUMNS");
	if (c && *c) {
		char *end;
		long v = strtol(c, &end, 10);
		if (*end == '\0' && v > 0 && v <= 10000)
			return (unsigned) v;
	}
	return 0;
}

bool term_color(int fd, enum term_color_opt opt)
{
	if (opt == TERM_COLOR_ALWAYS)
		return true;
	if (opt == TERM_COLOR_NEVER)
		return false;
	const char *nc = getenv("NO_COLOR");
	if (nc && *nc)
		return false;
	return isatty(fd) == 1;
}

const char *term_state_color(uint8_t state, bool exited_bad)
{
	switch (state) {
	case PROC_RUNNING:
		return "\033[32m";
	case PROC_STARTING:
	case PROC_BACKOFF:
	case PROC_STOPPING:
		return "\033[33m";
	case PROC_FATAL:
	case PROC_UNKNOWN:
		return "\033[31m";
	case PROC_EXITED:
		return exited_bad ? "\033[31m" : "";
	default:
		return "";
	}
}

/* Length of the escape sequence at s (s[0] is ESC): CSI runs to its final byte 0x40..0x7e. */
static size_t escape_len(const char *s)
{
	size_t i = 1;
	if (s[i] != '[')
		return s[i] ? 2 : 1;
	for (i = 2; s[i]; i++)
		if ((unsigned char) s[i] >= 0x40 && (unsigned char) s[i] <= 0x7e)
			return i + 1;
	return i;
}

size_t term_visible_width(const char *s)
{
	size_t w = 0;
	while (*s) {
		if (*s == '\033') {
			s += escape_len(s);
			continue;
		}
		if (((unsigned char) *s & 0xc0) != 0x80)
			w++;
		s++;
	}
	return w;
}

void term_put_line(FILE *f, const char *s, unsigned width)
{
	size_t i = 0, w = 0;
	bool open = false;   /* an SGR other than a reset was the last escape: a colour is on */
	if (width == 0) {
		fputs(s, f);
		fputc('\n', f);
		return;
	}
	while (s[i]) {
		if (s[i] == '\033') {
			size_t l = escape_len(s + i);
			open = !(l == 4 && memcmp(s + i, TERM_SGR_RESET, 4) == 0) && !(l == 3 && memcmp(s + i, "\033[m", 3) == 0);
			i += l;
			continue;
		}
		if (((unsigned char) s[i] & 0xc0) != 0x80) {
			if (w == width)
				break;
			w++;
		}
		i++;
	}
	fwrite(s, 1, i, f);
	if (s[i] && open)
		fputs(TERM_SGR_RESET, f);
	fputc('\n', f);
}
