/* The listening socket of an [fcgi-program:x] (listen-socket.c): made once by droverd and given
 * to every process of the program as its standard input, so that it outlives their restarts
 * (clients queue in its backlog instead of being refused while a worker restarts). */
#ifndef DROVER_LISTEN_SOCKET_H
#define DROVER_LISTEN_SOCKET_H

#include <stddef.h>
#include <sys/types.h>

struct listen_socket_spec {
	const char *url;        /* tcp://HOST:PORT (IPv4, as supervisord) or unix:///PATH */
	const char *owner;      /* unix: USER or USER:GROUP to chown to; NULL: see user */
	const char *user;       /* the program's user: the owner when owner is NULL (and not droverd's) */
	int mode;               /* unix: mode of the socket file; -1: 0700 */
	int backlog;            /* <= 0: SOMAXCONN */
};

struct listen_socket {
	int fd;                 /* -1: none */
	char *path;             /* unix: the socket file made, NULL for TCP */
	dev_t dev;              /* ... and its identity (removed at close only when it is still ours) */
	ino_t ino;
};
#define LISTEN_SOCKET_INIT { -1, NULL, 0, 0 }

/* Make, bind and listen (blocking, O_CLOEXEC: the spawn dup2()s it onto the worker's 0). An
 * existing socket file at a unix path is replaced; any other file there is an error. 0, or
 * -errno with the reason in err. A host name is resolved here (getaddrinfo). */
int listen_socket_open(const struct listen_socket_spec *s, struct listen_socket *ret, char *err, size_t errsize);
/* Close it; a unix socket's file is removed when it is still the one made. */
void listen_socket_close(struct listen_socket *ls);

#endif
