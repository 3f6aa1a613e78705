/* droverctl on a terminal: its width, whether to colour, the colour of a state, and lines cut at a
 * visible width. Nothing here is used when stdout is not a terminal (scripts see the plain bytes). */
#ifndef DROVER_CTL_TERM_H
#define DROVER_CTL_TERM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* --color / --no-color / neither. */
enum term_color_opt { TERM_COLOR_AUTO = 0, TERM_COLOR_ALWAYS, TERM_COLOR_NEVER };

/* How the status table looks: width 0 = no limit (not a terminal). */
struct table_style {
	unsigned width;
	bool color;
};

/* The columns of the terminal behind fd (TIOCGWINSZ; $COLUMNS when the ioctl says nothing), 0 when fd is
 * not a terminal or neither tells. */
unsigned term_width(int fd);
/* Colour when forced, never with --no-color or a non-empty $NO_COLOR, else when fd is a terminal. */
bool term_color(int fd, enum term_color_opt opt);
/* The SGR sequence for a state ("" for none); exited_bad: an EXITED that was not a clean exit 0. */
const char *term_state_color(uint8_t state, bool exited_bad);
#define TERM_SGR_RESET "\033[0m"

/* Columns s takes on a terminal: escape sequences (ESC [ ... final byte) count 0, a UTF-8
 * sequence 1. */
size_t term_visible_width(const char *s);
/* Writes s and a newline, cut after width visible columns (0: whole); an SGR reset is added when a
 * cut could leave a colour on. */
void term_put_line(FILE *f, const char *s, unsigned width);

#endif
