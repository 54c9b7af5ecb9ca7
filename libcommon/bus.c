/*
 * bus.c — change hints over nng pub/sub on ipc:// sockets (see bus.h).
 *
 * A message is 24 bytes, little-endian: the publisher's random instance id, its
 * message counter (1, 2, ...) and the sequence being announced. A subscriber flags a
 * gap when the counter does not follow the previous one or the id changes (the
 * publisher restarted), and on the very first message it hears, since it cannot know
 * what came before it connected.
 */
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <nng/nng.h>
#include <nng/protocol/pubsub0/pub.h>
#include <nng/protocol/pubsub0/sub.h>

#include "bus.h"
#include "log.h"

#define BUS_MSGLEN	24
/* ms between re-dials of a missing publisher (nng doubles the wait from MIN to
 * MAX, randomised). A hint published before the dial succeeds is lost (the
 * reader's own poll or reconcile repairs it later), so the first re-dials come
 * quickly: a daemon started just after its readers is heard within tens of ms.
 * A failed dial is not free: with nng's timers each costs ~1 ms of CPU, and a
 * 100 ms cap (~40 dials a second) kept an idle discoveryd at 4 % of a core for
 * as long as mgmtd was absent; with 500 ms, ~8 a second, 0.7 %. */
#define BUS_RECONN_MIN	20
#define BUS_RECONN_MAX	500

struct bus_pub {
	nng_socket		sock;
	uint64_t		id;
	_Atomic uint64_t	counter;
};

struct bus_sub {
	nng_socket	sock;
	int		fd;
	int		heard;		/* a message was received before */
	uint64_t	last_id;
	uint64_t	last_counter;
};

/* "ipc:///state/dir/name.bus"; -1 if the path cannot be a unix socket path. */
static int
bus_url(const char *state_dir, const char *name, char *url, size_t urlsz,
    const char **path)
{
	struct sockaddr_un sun;
	int n;

	n = snprintf(url, urlsz, "ipc://%s/%s.bus", state_dir, name);
	if (n < 0 || (size_t)n >= urlsz ||
	    strlen(url) - strlen("ipc://") >= sizeof(sun.sun_path)) {
		log_warnx("bus %s: socket path too long in %s", name, state_dir);
		return -1;
	}
	*path = url + strlen("ipc://");
	return 0;
}

static void
put_u64(unsigned char *p, uint64_t v)
{
	int i;

	for (i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t
get_u64(const unsigned char *p)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static uint64_t
random_id(void)
{
	uint64_t id;
	struct timespec ts;

	if (getrandom(&id, sizeof(id), GRND_NONBLOCK) == (ssize_t)sizeof(id) && id != 0)
		return id;
	clock_gettime(CLOCK_REALTIME, &ts);	/* no entropy yet: still distinct */
	return ((uint64_t)ts.tv_nsec << 20) ^ (uint64_t)ts.tv_sec ^
	    ((uint64_t)getpid() << 40) ^ 1;
}

/* ------------------------------------------------------------------ publisher */

struct bus_pub *
bus_pub_open(const char *state_dir, const char *name)
{
	struct bus_pub *p;
	char url[256];
	const char *path;
	int rv;

	if (bus_url(state_dir, name, url, sizeof(url), &path) == -1)
		return NULL;
	if ((p = calloc(1, sizeof(*p))) == NULL)
		fatal("bus_pub_open");
	p->id = random_id();
	atomic_init(&p->counter, 0);
	if ((rv = nng_pub0_open(&p->sock)) != 0) {
		log_warnx("bus %s: nng_pub0_open: %s", name, nng_strerror(rv));
		free(p);
		return NULL;
	}
	/* A previous publisher that crashed leaves its socket file behind. */
	if (unlink(path) == -1 && errno != ENOENT)
		log_warn("bus %s: unlink %s", name, path);
	if ((rv = nng_listen(p->sock, url, NULL, 0)) != 0) {
		log_warnx("bus %s: listen %s: %s", name, url, nng_strerror(rv));
		nng_close(p->sock);
		free(p);
		return NULL;
	}
	return p;
}

int
bus_publish(struct bus_pub *p, uint64_t seq)
{
	unsigned char msg[BUS_MSGLEN];
	int rv;

	put_u64(msg, p->id);
	put_u64(msg + 8, atomic_fetch_add(&p->counter, 1) + 1);
	put_u64(msg + 16, seq);
	/* pub0 never blocks (slow subscribers lose messages); NONBLOCK to be sure. */
	if ((rv = nng_send(p->sock, msg, sizeof(msg), NNG_FLAG_NONBLOCK)) != 0) {
		log_debug("bus publish: %s", nng_strerror(rv));
		return -1;
	}
	return 0;
}

void
bus_pub_close(struct bus_pub *p)
{
	if (p == NULL)
		return;
	nng_close(p->sock);
	free(p);
}

/* ------------------------------------------------------------------ subscriber */

struct bus_sub *
bus_sub_open(const char *state_dir, const char *name)
{
	struct bus_sub *s;
	char url[256];
	const char *path;
	int rv;

	if (bus_url(state_dir, name, url, sizeof(url), &path) == -1)
		return NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL)
		fatal("bus_sub_open");
	if ((rv = nng_sub0_open(&s->sock)) != 0) {
		log_warnx("bus %s: nng_sub0_open: %s", name, nng_strerror(rv));
		free(s);
		return NULL;
	}
	if ((rv = nng_socket_set(s->sock, NNG_OPT_SUB_SUBSCRIBE, "", 0)) != 0 ||
	    (rv = nng_socket_set_ms(s->sock, NNG_OPT_RECONNMINT, BUS_RECONN_MIN)) != 0 ||
	    (rv = nng_socket_set_ms(s->sock, NNG_OPT_RECONNMAXT, BUS_RECONN_MAX)) != 0 ||
	    (rv = nng_socket_get_int(s->sock, NNG_OPT_RECVFD, &s->fd)) != 0 ||
	    /* NONBLOCK: succeed now and keep re-dialling until the publisher exists */
	    (rv = nng_dial(s->sock, url, NULL, NNG_FLAG_NONBLOCK)) != 0) {
		log_warnx("bus %s: subscribe %s: %s", name, url, nng_strerror(rv));
		nng_close(s->sock);
		free(s);
		return NULL;
	}
	return s;
}

int
bus_sub_fd(struct bus_sub *s)
{
	return s->fd;
}

int
bus_sub_recv(struct bus_sub *s, struct bus_hint *h)
{
	unsigned char msg[BUS_MSGLEN + 1];
	size_t len;
	uint64_t id, counter;
	int rv;

	for (;;) {
		len = sizeof(msg);
		rv = nng_recv(s->sock, msg, &len, NNG_FLAG_NONBLOCK);
		if (rv == NNG_EAGAIN)
			return 0;
		if (rv != 0) {
			log_warnx("bus recv: %s", nng_strerror(rv));
			return -1;
		}
		if (len == BUS_MSGLEN)
			break;
		log_debug("bus recv: ignoring a %zu-byte message", len);
	}
	id = get_u64(msg);
	counter = get_u64(msg + 8);
	h->seq = get_u64(msg + 16);
	h->gap = !s->heard || id != s->last_id || counter != s->last_counter + 1;
	s->heard = 1;
	s->last_id = id;
	s->last_counter = counter;
	return 1;
}

void
bus_sub_close(struct bus_sub *s)
{
	if (s == NULL)
		return;
	nng_close(s->sock);
	free(s);
}
