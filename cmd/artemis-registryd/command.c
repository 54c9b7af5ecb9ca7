/*
 * command.c — the nng req/rep command channel (see command.h). One thread
 * answers requests one at a time: commands are rare (bootstrap) and each one goes
 * through registry_process like an HTTP request, so ordering is simple.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>

#include "command.h"
#include "log.h"
#include "model.h"
#include "registryd.h"

struct command_server {
	struct registryd	*d;
	nng_socket		 sock;
	pthread_t		 thread;
};

static const struct {
	const char	*verb;
	enum reg_op	 op;
} verbs[] = {
	{ COMMAND_REGISTER, OP_REGISTER },
	{ COMMAND_HEARTBEAT, OP_HEARTBEAT },
	{ COMMAND_UNREGISTER, OP_UNREGISTER },
};

static void
fail_json(struct sbuf *out, const char *code, const char *msg)
{
	sbuf_reset(out);
	sbuf_adds(out, "{\"failedInstances\":null,\"responseStatus\":");
	response_status_fail(out, code, msg);
	sbuf_addc(out, '}');
}

static void
answer(struct command_server *cs, const char *msg, size_t len, struct sbuf *out)
{
	const char *sp = memchr(msg, ' ', len);
	size_t vlen = sp ? (size_t)(sp - msg) : len, i;
	int status;

	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
		if (strlen(verbs[i].verb) != vlen || memcmp(verbs[i].verb, msg, vlen) != 0)
			continue;
		if (sp == NULL) {
			fail_json(out, EC_BAD_REQUEST, "command without a body");
			return;
		}
		status = registry_process(cs->d, verbs[i].op, PATH_REPLICATION, sp + 1,
		    len - vlen - 1, out);
		if (status != 200) {
			struct sbuf why = SBUF_INIT;

			sbuf_add(&why, out->s ? out->s : "", out->len);
			fail_json(out, EC_BAD_REQUEST, why.s ? why.s : "bad request");
			sbuf_free(&why);
		}
		return;
	}
	fail_json(out, EC_BAD_REQUEST, "unknown command");
}

static void *
command_loop(void *arg)
{
	struct command_server *cs = arg;
	struct sbuf out = SBUF_INIT, body = SBUF_INIT;
	nng_msg *m;
	int rv;

	for (;;) {
		if ((rv = nng_recvmsg(cs->sock, &m, 0)) != 0) {
			if (rv == NNG_ECLOSED)
				break;
			log_warnx("command: recv: %s", nng_strerror(rv));
			continue;
		}
		/* NUL-terminated copy: registry_process parses a string */
		sbuf_reset(&body);
		sbuf_add(&body, nng_msg_body(m), nng_msg_len(m));
		sbuf_reset(&out);
		answer(cs, body.s, body.len, &out);
		nng_msg_clear(m);
		if (nng_msg_append(m, out.s, out.len) != 0) {
			nng_msg_free(m);
			continue;
		}
		if ((rv = nng_sendmsg(cs->sock, m, 0)) != 0) {
			nng_msg_free(m);
			if (rv == NNG_ECLOSED)
				break;
			log_debug("command: send: %s", nng_strerror(rv));
		}
	}
	sbuf_free(&out);
	sbuf_free(&body);
	return NULL;
}

struct command_server *
command_start(struct registryd *d)
{
	struct command_server *cs;
	struct sockaddr_un sun;
	char url[PATH_MAX + 16];
	int n, rv;

	n = snprintf(url, sizeof(url), "ipc://%s/%s", d->cfg.state_dir, COMMAND_SOCKET);
	if (n < 0 || (size_t)n >= sizeof(url) ||
	    strlen(url) - strlen("ipc://") >= sizeof(sun.sun_path)) {
		log_warnx("command channel: socket path too long in %s", d->cfg.state_dir);
		return NULL;
	}
	if ((cs = calloc(1, sizeof(*cs))) == NULL)
		fatal("command_start");
	cs->d = d;
	if ((rv = nng_rep0_open(&cs->sock)) != 0) {
		log_warnx("command channel: nng_rep0_open: %s", nng_strerror(rv));
		free(cs);
		return NULL;
	}
	/* a crashed registryd leaves its socket file behind (the table lock makes
	 * sure no other registryd is alive in this state dir) */
	if (unlink(url + strlen("ipc://")) == -1 && errno != ENOENT)
		log_warn("command channel: unlink %s", url);
	if ((rv = nng_socket_set_size(cs->sock, NNG_OPT_RECVMAXSZ,
	    d->cfg.max_decoded_body + 64)) != 0 ||
	    (rv = nng_listen(cs->sock, url, NULL, 0)) != 0) {
		log_warnx("command channel: listen %s: %s", url, nng_strerror(rv));
		nng_close(cs->sock);
		free(cs);
		return NULL;
	}
	if (pthread_create(&cs->thread, NULL, command_loop, cs) != 0) {
		log_warnx("command channel: pthread_create failed");
		nng_close(cs->sock);
		free(cs);
		return NULL;
	}
	return cs;
}

void
command_stop(struct command_server *cs)
{
	if (cs == NULL)
		return;
	nng_close(cs->sock);	/* wakes the loop with NNG_ECLOSED */
	pthread_join(cs->thread, NULL);
	free(cs);
}
