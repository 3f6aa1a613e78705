/* [fcgi-program:x] sockets (fcgi.c): one per program, made before its first spawn and given to
 * every process of it as standard input; kept while the program exists with the same socket
 * settings (across its processes' restarts, stops and reloads), closed when a reload removes
 * the program or changes its socket, and at exit. A subscriber of the event module. */
#ifndef DROVER_FCGI_H
#define DROVER_FCGI_H

#include <stdbool.h>
#include <stddef.h>

struct process;

void fcgi_init(void);
void fcgi_stop(void);

/* The socket of p's program (made now if need be): the spawn's stdin (see process_hooks). */
int fcgi_stdin_open(struct process *p, int *ret_fd, char *err, size_t errsize);

#endif
