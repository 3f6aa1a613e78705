/* Packing of spawn requests (see spawn-wire.h): strings one after another, each ended by a NUL:
 * argv, env, then the directory, user and environment_file the flags announce. */
#include "os/spawn-wire.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util.h"

static const char *const stage_names[SPAWN_STAGE_MAX] = {
	"report", "read the environment", "look up the user", "find the command", "set up stdio", "setsid",
	"change user", "set parent-death signal", "set umask", "chdir", "exec",
};

const char *spawn_stage_to_string(enum spawn_stage s)
{
	return (unsigned) s < SPAWN_STAGE_MAX ? stage_names[s] : "?";
}

static size_t put(char *buf, size_t at, const char *s)
{
	size_t n = strlen(s) + 1;
	if (buf)
		memcpy(buf + at, s, n);
	return at + n;
}

/* The payload's length (buf NULL) or the payload itself. */
static size_t layout(const struct spawn_wire_req *req, char *buf)
{
	size_t at = 0;
	for (char *const *a = req->argv; *a; a++)
		at = put(buf, at, *a);
	for (char *const *e = req->env; e && *e; e++)
		at = put(buf, at, *e);
	if (req->directory)
		at = put(buf, at, req->directory);
	if (req->user)
		at = put(buf, at, req->user);
	if (req->environment_file)
		at = put(buf, at, req->environment_file);
	if (req->daemon_user)
		at = put(buf, at, req->daemon_user);
	return at;
}

int spawn_wire_pack(const struct spawn_wire_req *req, uint32_t id, struct spawn_wire_head *head, char **ret,
                    size_t *ret_len)
{
	size_t len = layout(req, NULL);
	if (len > SPAWN_PAYLOAD_MAX)
		return -E2BIG;
	memset(head, 0, sizeof(*head));
	head->magic = SPAWN_WIRE_MAGIC;
	head->type = SPAWN_WIRE_REQUEST;
	head->id = id;
	head->umask = req->umask;
	head->nargv = (uint32_t) strv_length(req->argv);
	head->nenv = (uint32_t) strv_length(req->env);
	head->flags = (req->directory ? SPAWN_WIRE_DIR : 0) | (req->user ? SPAWN_WIRE_USER : 0) |
	              (req->environment_file ? SPAWN_WIRE_ENVFILE : 0) | (req->daemon_user ? SPAWN_WIRE_DAEMON_USER : 0);
	head->len = (uint32_t) len;
	char *buf = xmalloc(len ? len : 1);
	layout(req, buf);
	*ret = buf;
	*ret_len = len;
	return 0;
}

int spawn_wire_unpack(const struct spawn_wire_head *head, const char *payload, size_t len, struct spawn_wire_req *ret)
{
	size_t want = (size_t) head->nargv + head->nenv + !!(head->flags & SPAWN_WIRE_DIR) +
	              !!(head->flags & SPAWN_WIRE_USER) + !!(head->flags & SPAWN_WIRE_ENVFILE) +
	              !!(head->flags & SPAWN_WIRE_DAEMON_USER);
	memset(ret, 0, sizeof(*ret));
	if (head->magic != SPAWN_WIRE_MAGIC || head->type != SPAWN_WIRE_REQUEST || head->nargv == 0 ||
	    head->umask < -1 || head->umask > 0777 ||
	    head->len != len || want > len || (len && payload[len - 1] != '\0'))
		return -EBADMSG;
	/* Exactly `want` strings, the last one ending the payload. */
	const char **s = xcalloc(want + 1, sizeof(*s));
	size_t n = 0;
	for (size_t at = 0; at < len; at += strlen(payload + at) + 1) {
		if (n == want) {
			free(s);
			return -EBADMSG;
		}
		s[n++] = payload + at;
	}
	if (n != want || s[0][0] == '\0') {
		free(s);
		return -EBADMSG;
	}
	char **argv = xcalloc(head->nargv + 1, sizeof(*argv));
	char **env = xcalloc(head->nenv + 1, sizeof(*env));
	size_t i = 0;
	for (size_t k = 0; k < head->nargv; k++)
		argv[k] = (char *) s[i++];
	for (size_t k = 0; k < head->nenv; k++)
		env[k] = (char *) s[i++];
	ret->argv = argv;
	ret->env = env;
	ret->directory = head->flags & SPAWN_WIRE_DIR ? s[i++] : NULL;
	ret->user = head->flags & SPAWN_WIRE_USER ? s[i++] : NULL;
	ret->environment_file = head->flags & SPAWN_WIRE_ENVFILE ? s[i++] : NULL;
	ret->daemon_user = head->flags & SPAWN_WIRE_DAEMON_USER ? s[i++] : NULL;
	ret->umask = head->umask;
	free(s);
	return 0;
}

void spawn_wire_req_clear(struct spawn_wire_req *req)
{
	free((void *) req->argv);
	free((void *) req->env);
	memset(req, 0, sizeof(*req));
}

size_t spawn_wire_take_fds(struct msghdr *m, int *fds, size_t max)
{
	size_t nfds = 0;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(m); c; c = CMSG_NXTHDR(m, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		int *in = (int *) (void *) CMSG_DATA(c);
		for (size_t i = 0; i < k; i++) {
			if (nfds < max)
				fds[nfds++] = in[i];
			else
				(void) close(in[i]);
		}
	}
	return nfds;
}
