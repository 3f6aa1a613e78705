/* fcgi-program sockets (see fcgi.h). */
#include "core/fcgi.h"

#include <stdlib.h>
#include <string.h>

#include "conf/config.h"
#include "core/events.h"
#include "core/process.h"
#include "os/listen-socket.h"
#include "os/log.h"
#include "util.h"

struct fsock {
	struct fsock *next;
	char *program;
	/* the settings it was made with */
	char *url, *owner, *user;
	int mode, backlog;
	struct listen_socket ls;
};

static struct fsock *socks;

static bool same_settings(const struct fsock *s, const struct program_config *prog)
{
	return prog->kind == PROGRAM_FCGI && streq_ptr(s->url, prog->socket) && streq_ptr(s->owner, prog->socket_owner) &&
	       streq_ptr(s->user, prog->user) && s->mode == prog->socket_mode && s->backlog == prog->socket_backlog;
}

static void fsock_free(struct fsock *s, const char *why)
{
	log_info("fcgi-program %s: socket %s closed (%s)", s->program, s->url, why);
	listen_socket_close(&s->ls);
	free(s->program);
	free(s->url);
	free(s->owner);
	free(s->user);
	free(s);
}

int fcgi_stdin_open(struct process *p, int *ret_fd, char *err, size_t errsize)
{
	const struct program_config *prog = p->prog;
	struct fsock **sp = &socks;
	while (*sp && strcmp((*sp)->program, prog->name) != 0)
		sp = &(*sp)->next;
	if (*sp && same_settings(*sp, prog)) {
		*ret_fd = (*sp)->ls.fd;
		return 0;
	}
	if (*sp) {   /* cannot be (a reload that changes it closes it), but a stale one is never used */
		struct fsock *old = *sp;
		*sp = old->next;
		fsock_free(old, "its settings changed");
	}
	struct listen_socket_spec spec = { .url = prog->socket, .owner = prog->socket_owner, .user = prog->user,
	                                   .mode = prog->socket_mode, .backlog = prog->socket_backlog };
	struct listen_socket ls = LISTEN_SOCKET_INIT;
	int r = listen_socket_open(&spec, &ls, err, errsize);
	if (r < 0)
		return r;
	struct fsock *s = xcalloc(1, sizeof(*s));
	s->program = xstrdup(prog->name);
	s->url = xstrdup(prog->socket);
	s->owner = prog->socket_owner ? xstrdup(prog->socket_owner) : NULL;
	s->user = prog->user ? xstrdup(prog->user) : NULL;
	s->mode = prog->socket_mode;
	s->backlog = prog->socket_backlog;
	s->ls = ls;
	s->next = socks;
	socks = s;
	log_info("fcgi-program %s: listening on %s", s->program, s->url);
	*ret_fd = ls.fd;
	return 0;
}

/* A reload: the sockets of programs removed, or whose socket settings changed, are closed. */
static void on_config_applied(void *ctx, const struct drover_config *cfg)
{
	for (struct fsock **sp = &socks; *sp; ) {
		struct fsock *s = *sp;
		const struct program_config *prog = NULL;
		for (size_t i = 0; i < cfg->nprograms && !prog; i++)
			if (strcmp(cfg->programs[i].name, s->program) == 0)
				prog = &cfg->programs[i];
		if (prog && same_settings(s, prog)) {
			sp = &s->next;
			continue;
		}
		*sp = s->next;
		fsock_free(s, prog ? "its settings changed" : "the program was removed");
	}
}

static struct events_subscriber subscriber = { .config_applied = on_config_applied };

void fcgi_init(void)
{
	events_subscribe(&subscriber);
}

void fcgi_stop(void)
{
	events_unsubscribe(&subscriber);
	while (socks) {
		struct fsock *s = socks;
		socks = s->next;
		fsock_free(s, "droverd exits");
	}
}
