/* fcgi-program sockets (see listen-socket.h), as supervisord makes them: SO_REUSEADDR for TCP,
 * the file of a unix socket replaced, chown()ed and chmod()ed, then listen(). */
#include "os/listen-socket.h"

#include <errno.h>
#include <grp.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "util.h"

static int fail(char *err, size_t errsize, int r, const char *url, const char *what)
{
	snprintf(err, errsize, "spawn error: socket %s: %s: %s", url, what, strerror(-r));
	return r;
}

/* USER or USER:GROUP (names or numbers) -> uid, gid (the user's own group without GROUP). */
static int resolve_owner(const char *owner, uid_t *uid, gid_t *gid)
{
	char *user = xstrndup(owner, strcspn(owner, ":"));
	const char *group = strchr(owner, ':');
	struct passwd pw, *pr = NULL;
	char buf[4096];
	int64_t n;
	int r = 0;

	if (parse_int64(user, 0, INT32_MAX, &n) == 0)
		getpwuid_r((uid_t) n, &pw, buf, sizeof(buf), &pr);
	else
		getpwnam_r(user, &pw, buf, sizeof(buf), &pr);
	if (!pr) {
		r = -ESRCH;
		goto out;
	}
	*uid = pw.pw_uid;
	*gid = pw.pw_gid;
	if (group) {
		struct group gr, *gres = NULL;
		if (parse_int64(group + 1, 0, INT32_MAX, &n) == 0)
			getgrgid_r((gid_t) n, &gr, buf, sizeof(buf), &gres);
		else
			getgrnam_r(group + 1, &gr, buf, sizeof(buf), &gres);
		if (!gres) {
			r = -ESRCH;
			goto out;
		}
		*gid = gr.gr_gid;
	}
out:
	free(user);
	return r;
}

static int open_unix(const struct listen_socket_spec *s, struct listen_socket *ret, char *err, size_t errsize)
{
	const char *path = s->url + 7;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	uid_t uid = 0;
	gid_t gid = 0;
	bool chown_it = false;
	int r;

	if (strcpy_bounded(sa.sun_path, sizeof(sa.sun_path), path) < 0)
		return fail(err, errsize, -ENAMETOOLONG, s->url, "path");
	const char *owner = s->owner ? s->owner : s->user;
	if (owner) {
		if ((r = resolve_owner(owner, &uid, &gid)) < 0) {
			snprintf(err, errsize, "spawn error: socket %s: unknown owner '%s'", s->url, owner);
			return r;
		}
		chown_it = s->owner || uid != geteuid();
	}
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode))
			return fail(err, errsize, -EEXIST, s->url, "a file that is no socket is in the way");
		if (unlink(path) < 0 && errno != ENOENT)
			return fail(err, errsize, -errno, s->url, "removing the old socket");
	}
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return fail(err, errsize, -errno, s->url, "socket");
	const char *what = "bind";
	if (bind(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0)
		goto fail;
	what = "chown";
	if (chown_it && chown(path, uid, gid) < 0)
		goto fail_bound;
	what = "chmod";
	if (chmod(path, (mode_t) (s->mode >= 0 ? s->mode : 0700)) < 0)
		goto fail_bound;
	what = "listen";
	if (listen(fd, s->backlog > 0 ? s->backlog : SOMAXCONN) < 0)
		goto fail_bound;
	what = "stat";
	if (lstat(path, &st) < 0)
		goto fail_bound;
	ret->fd = fd;
	ret->path = xstrdup(path);
	ret->dev = st.st_dev;
	ret->ino = st.st_ino;
	return 0;
fail_bound:
	r = -errno;
	(void) unlink(path);
	(void) close(fd);
	return fail(err, errsize, r, s->url, what);
fail:
	r = -errno;
	(void) close(fd);
	return fail(err, errsize, r, s->url, what);
}

static int open_tcp(const struct listen_socket_spec *s, struct listen_socket *ret, char *err, size_t errsize)
{
	const char *hp = s->url + 6, *colon = strrchr(hp, ':');
	char *host = xstrndup(hp, (size_t) (colon - hp));
	struct addrinfo hints = { .ai_family = AF_INET, .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE | AI_NUMERICSERV };
	struct addrinfo *ai = NULL;
	int r = getaddrinfo(host, colon + 1, &hints, &ai);
	free(host);
	if (r != 0) {
		snprintf(err, errsize, "spawn error: socket %s: %s", s->url, gai_strerror(r));
		return -EADDRNOTAVAIL;
	}
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
	const char *what = "socket";
	if (fd < 0)
		goto fail;
	what = "SO_REUSEADDR";
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
		goto fail;
	what = "bind";
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0)
		goto fail;
	what = "listen";
	if (listen(fd, s->backlog > 0 ? s->backlog : SOMAXCONN) < 0)
		goto fail;
	freeaddrinfo(ai);
	ret->fd = fd;
	ret->path = NULL;
	return 0;
fail:
	r = -errno;
	if (fd >= 0)
		(void) close(fd);
	freeaddrinfo(ai);
	return fail(err, errsize, r, s->url, what);
}

int listen_socket_open(const struct listen_socket_spec *s, struct listen_socket *ret, char *err, size_t errsize)
{
	if (strncmp(s->url, "unix://", 7) == 0)
		return open_unix(s, ret, err, errsize);
	if (strncmp(s->url, "tcp://", 6) == 0)
		return open_tcp(s, ret, err, errsize);
	snprintf(err, errsize, "spawn error: socket %s: not tcp:// or unix://", s->url);
	return -EINVAL;
}

void listen_socket_close(struct listen_socket *ls)
{
	struct stat st;
	if (ls->path && lstat(ls->path, &st) == 0 && st.st_dev == ls->dev && st.st_ino == ls->ino)
		(void) unlink(ls->path);
	if (ls->fd >= 0)
		(void) close(ls->fd);
	free(ls->path);
	*ls = (struct listen_socket) LISTEN_SOCKET_INIT;
}
