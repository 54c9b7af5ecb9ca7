/*
 * ws.c — WebSocket sessions on one epoll loop thread, framing by wslay.
 *
 * http.c answers the handshake and hands the upgraded socket over with
 * ws_server_adopt() from an MHD thread: a bounded, mutex-protected hand-off
 * list plus an eventfd wakes the loop, which then owns the connection. Every
 * session callback, timer and fd handler runs on the loop thread, so sessions
 * need no locks.
 *
 * Sending: a text frame is encoded once by wslay's frame API into an rbuf
 * (server frames are unmasked, so the bytes are the same for every session;
 * push fans one change out to thousands). ws_send_frame() writes it straight
 * to the socket (MSG_DONTWAIT) when nothing is queued before it: no copy, no
 * allocation, no epoll_ctl. Only what the socket does not take now is queued,
 * by reference, in the session's bounded outbound queue, and EPOLLOUT is
 * armed. wslay's own event queue carries control frames only (pongs, close);
 * they go out at frame boundaries of ours, so pings are answered at once and
 * frames never interleave (a frame one side has begun is finished first).
 *
 * Fan-out: one frame to many sessions (ws_fanout_begin, _add, _end). The
 * loop thread sorts each recipient as it is added: a session with something
 * queued (ours or wslay's) queues the frame by reference; one that would
 * overflow is closed; the rest are "direct", each needing one send(2) of the
 * shared bytes. On loopback most of a send(2) is the receiver's TCP work done
 * in the sender's call (~4-10 us each), so once fan_min direct recipients are
 * sorted the loop thread lends them to a small pool of sender threads, which
 * start sending while it sorts the rest (sorting 10,000 sessions takes ~1.5 ms,
 * most of it cache misses: the first frames need not wait for it). Everyone,
 * the loop thread included once it has sorted the last, claims chunks of the
 * recipient array from one atomic cursor and records each send's result in
 * the array; nothing else of a session is touched off the loop thread. After
 * the join the loop thread alone queues partial writes, marks failed sessions
 * and arms EPOLLOUT. A helper that is slow to wake only finds the work taken,
 * so a busy machine degrades to the single-threaded fan-out, never behind it.
 * The helpers are kept off the CPU the loop thread runs on (their affinity is
 * every CPU of the process but that one, set again only when the loop thread
 * has moved): a helper woken on the loop thread's own CPU would share it for
 * the whole fan-out (the scheduler does not move a task that just ran), which
 * is no faster than one thread. That happened to about one change in three
 * that found the machine idle (300 ms apart: p99 ~10 ms at 1,000 subscribers
 * instead of ~5).
 *
 * Closing: when wslay has nothing left to read or write (close frames
 * exchanged, a fatal error, or our close went unanswered for LINGER_MS) the
 * socket is half-closed and briefly drained (so unread input does not turn our
 * close frame into a reset), then on_close runs and MHD closes the socket.
 */
#include <sys/types.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <microhttpd.h>
#include <wslay/wslay.h>

#include "log.h"
#include "sbuf.h"
#include "ws.h"

#define WS_MAX_QUEUED	(4u << 20)	/* outbound bytes per session */
#define MAX_FDS		32
#define MAX_TIMERS	32
#define LINGER_MS	1000
#define MAX_EVENTS	256
#define RECV_TURN	(64u << 10)	/* input read per session per event */
#define FAN_SENDERS_MAX	16		/* sender threads, the loop thread included */
#define FAN_SENDERS_DEF	4		/* at most, by default (and no more than CPUs) */
#define FAN_MIN_DEF	128		/* direct recipients before the pool helps */
#define FAN_CHUNK	16		/* recipients published, and claimed, at a time */
#define FAN_SPINS	4096		/* waits for a chunk before yielding the CPU */

enum wtype { W_WAKE, W_FD, W_CONN };

struct watcher {
	enum wtype	 type;
};

struct fdwatch {
	struct watcher	 w;
	int		 fd;
	void		(*fn)(void *);
	void		*arg;
};

struct timer {
	int64_t		 interval;
	int64_t		 next;		/* loop thread only; 0 = not scheduled yet */
	void		(*fn)(void *);
	void		*arg;
};

struct pending {
	TAILQ_ENTRY(pending) link;
	int		 ep;
	int		 fd;
	void		*urh;
	char		*extra;
	size_t		 extra_len;
	char		 ip[64];
};

/* A queued frame (or what is left of one), shared by reference. */
struct qent {
	STAILQ_ENTRY(qent) link;
	struct rbuf	*f;
	size_t		 off;		/* bytes of f already written */
};

/* A recipient of a fan-out. fd and n are what a sender thread may touch. */
struct fan_ent {
	struct ws_conn	*c;
	int		 fd;
	ssize_t		 n;		/* bytes written, -1 broken */
};

/* Sender threads. A job opens once the loop thread has sorted fan_min direct
 * recipients and runs while it sorts the rest: chunks of ent[] are claimed from
 * one cursor (next) and sent once published (ready). When sorting is over
 * (staging 0) the loop thread claims chunks too, until none is left; it then
 * waits for the helpers that joined. */
struct fan_pool {
	pthread_mutex_t	 mtx;		/* guards the fields up to next */
	pthread_cond_t	 work;		/* a job opened, or stop */
	pthread_cond_t	 done;		/* the last helper left the job */
	pthread_t	 th[FAN_SENDERS_MAX];
	int		 nth;		/* helpers running */
	int		 stop;
	int		 open;		/* helpers may join the current job */
	int		 active;	/* helpers inside it */
	uint64_t	 gen;		/* job number */
	const char	*data;		/* the job: the frame's bytes... */
	size_t		 len;
	struct fan_ent	*ent;		/* ...to ent[0..ready) */
	_Atomic size_t	 ready;		/* entries the loop thread has published */
	_Atomic int	 staging;	/* it may still publish more */
	_Atomic size_t	 next;		/* first entry nobody claimed yet */
	_Atomic uint64_t helped;	/* frames helpers wrote (stats, tests) */
	cpu_set_t	 cpus;		/* the process's CPUs when the pool started */
	_Atomic int	 kept_off;	/* CPU the helpers are kept off, or -1 */
	int		 keep_off;	/* do so (ARTEMIS_WS_KEEP_OFF_LOOP_CPU) */
};

struct ws_conn {
	struct watcher	 w;
	/* what a fan-out reads of every recipient, together (one cache line) */
	int		 fd;
	int		 closing;	/* we queued a close frame */
	int		 dead;
	int		 broken;	/* a send failed: finish at the next service */
	int		 wslay_blocked;	/* wslay stopped inside a frame (EAGAIN) */
	int		 wslay_out;	/* wslay may have a frame to write */
	uint64_t	 fan_gen;	/* == s->fan_gen: in the fan-out under way */
	STAILQ_HEAD(, qent) outq;	/* our frames, in order */
	size_t		 outq_bytes;	/* unwritten bytes in outq */

	struct ws_server *s;
	wslay_event_context_ptr ctx;
	void		*urh;
	int		 ep;
	uint64_t	 id;
	int64_t		 opened_ms;
	char		 ip[64];
	char		*extra;		/* bytes MHD read past the handshake */
	size_t		 extra_len, extra_off;
	void		*data;
	uint32_t	 events;	/* registered with epoll */
	int		 lingering;	/* half-closed, draining input */
	int64_t		 deadline;	/* closing/lingering: give up then */
	int		 dirty;
	size_t		 rbudget;	/* input this turn may still read */
	LIST_ENTRY(ws_conn) link;	/* endpoint's open sessions */
	LIST_ENTRY(ws_conn) dlink;	/* dirty or dead */
	LIST_ENTRY(ws_conn) clink;	/* closing or lingering */
};

LIST_HEAD(conn_list, ws_conn);

struct ws_server {
	_Atomic int		 refs;
	struct ws_endpoint	*eps;
	size_t			 neps;
	int64_t			 ttl_ms;
	int64_t			 check_ms;
	size_t			 max_message;
	int			 max_conns;

	int			 epfd;
	struct watcher		 wake;
	int			 evfd;
	pthread_t		 thread;
	int			 running;

	pthread_mutex_t		 mtx;		/* guards the fields below */
	pthread_cond_t		 cond;
	TAILQ_HEAD(, pending)	 pending;
	int			 npending;
	int			 stop_req;
	int			 detach_req;
	int			 detached;	/* refuse new sessions */
	struct fdwatch		 fds[MAX_FDS];
	struct timer		 timers[MAX_TIMERS];
	_Atomic int		 nfds;
	_Atomic int		 ntimers;

	_Atomic uint64_t	 next_id;
	_Atomic size_t		*counts;	/* open sessions per endpoint */
	_Atomic int		 nadmitted;	/* open + pending */

	/* loop thread only */
	struct conn_list	*open;		/* per endpoint */
	struct conn_list	 dirty;
	struct conn_list	 dead;
	struct conn_list	 closing;
	struct sbuf		 scratch;
	struct rbuf		*fan_frame;	/* the fan-out under way, or NULL */
	struct fan_ent		*fan;		/* its direct recipients */
	size_t			 nfan, fancap;
	size_t			 fan_took;	/* recipients that queued it */
	int			 fan_open;	/* the senders have a job on fan[] */
	uint64_t		 fan_gen;
	size_t			 fan_min;	/* direct recipients before the pool helps */

	struct fan_pool		 pool;
};

static void	conn_finish(struct ws_conn *);
static void	conn_service(struct ws_conn *);
static void	outq_clear(struct ws_conn *);

/* ------------------------------------------------------------------ plumbing */

static void
wake_loop(struct ws_server *s)
{
	uint64_t one = 1;

	if (write(s->evfd, &one, sizeof(one)) == -1 && errno != EAGAIN)
		log_warn("ws: eventfd write");
}

static void
mark_dirty(struct ws_conn *c)
{
	if (!c->dirty && !c->dead) {
		c->dirty = 1;
		LIST_INSERT_HEAD(&c->s->dirty, c, dlink);
	}
}

static void
set_events(struct ws_conn *c, uint32_t ev)
{
	struct epoll_event e;

	if (ev == c->events)
		return;
	memset(&e, 0, sizeof(e));
	e.events = ev;
	e.data.ptr = &c->w;
	if (epoll_ctl(c->s->epfd, EPOLL_CTL_MOD, c->fd, &e) == -1)
		log_warn("ws: epoll_ctl mod");
	c->events = ev;
}

static void
close_urh(int fd, void *urh)
{
	shutdown(fd, SHUT_RDWR);
	if (MHD_upgrade_action(urh, MHD_UPGRADE_ACTION_CLOSE) != MHD_YES)
		log_warnx("ws: MHD_upgrade_action close failed");
}

/* ------------------------------------------------------------------ wslay callbacks */

static ssize_t
recv_cb(wslay_event_context_ptr ctx, uint8_t *buf, size_t len, int flags, void *user)
{
	struct ws_conn *c = user;
	ssize_t n;

	(void)flags;
	if (c->extra_off < c->extra_len) {
		n = (ssize_t)(c->extra_len - c->extra_off);
		if ((size_t)n > len)
			n = (ssize_t)len;
		memcpy(buf, c->extra + c->extra_off, (size_t)n);
		c->extra_off += (size_t)n;
		if (c->extra_off == c->extra_len) {
			free(c->extra);
			c->extra = NULL;
			c->extra_len = c->extra_off = 0;
		}
		return n;
	}
	if (c->rbudget == 0) {
		/* This turn's share is read. Replies go out at once, so a quick
		 * client could keep wslay reading its input forever: let the other
		 * sessions run; the level-triggered EPOLLIN brings us back. */
		wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
		return -1;
	}
	if (len > c->rbudget)
		len = c->rbudget;
	for (;;) {
		n = recv(c->fd, buf, len, 0);
		if (n > 0) {
			c->rbudget -= (size_t)n;
			return n;
		}
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
		else
			wslay_event_set_error(ctx, WSLAY_ERR_CALLBACK_FAILURE);
		return -1;
	}
}

static ssize_t
send_cb(wslay_event_context_ptr ctx, const uint8_t *data, size_t len, int flags,
    void *user)
{
	struct ws_conn *c = user;
	ssize_t n;
	int f = MSG_NOSIGNAL;

	if (flags & WSLAY_MSG_MORE)
		f |= MSG_MORE;
	for (;;) {
		n = send(c->fd, data, len, f);
		if (n >= 0)
			return n;
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK) {
			c->wslay_blocked = 1;
			wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
		} else
			wslay_event_set_error(ctx, WSLAY_ERR_CALLBACK_FAILURE);
		return -1;
	}
}

static void
msg_cb(wslay_event_context_ptr ctx, const struct wslay_event_on_msg_recv_arg *m,
    void *user)
{
	struct ws_conn *c = user;
	struct ws_server *s = c->s;
	const struct ws_endpoint *ep = &s->eps[c->ep];

	(void)ctx;
	if (c->closing || c->dead)
		return;
	switch (m->opcode) {
	case WSLAY_TEXT_FRAME:
		if (ep->on_text == NULL)
			break;
		/* Handlers get a NUL-terminated copy (wslay's buffer is not). */
		sbuf_reset(&s->scratch);
		sbuf_add(&s->scratch, m->msg, m->msg_length);
		ep->on_text(c, s->scratch.s, m->msg_length, ep->arg);
		break;
	case WSLAY_BINARY_FRAME:
		ws_close(c, 1003, "binary messages are not supported");
		break;
	default:
		break;		/* ping answered by wslay; pongs ignored */
	}
}

/* ------------------------------------------------------------------ sessions */

static void
conn_adopt(struct ws_server *s, struct pending *p)
{
	struct wslay_event_callbacks cb = {
		recv_cb, send_cb, NULL, NULL, NULL, NULL, msg_cb
	};
	struct epoll_event e;
	struct ws_conn *c;
	int fl, one = 1;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		fatal("ws: conn");
	c->w.type = W_CONN;
	c->s = s;
	c->fd = p->fd;
	c->urh = p->urh;
	c->ep = p->ep;
	c->id = atomic_fetch_add(&s->next_id, 1);
	c->opened_ms = mono_ms();
	strlcpy(c->ip, p->ip, sizeof(c->ip));
	c->extra = p->extra;
	c->extra_len = p->extra_len;
	p->extra = NULL;
	STAILQ_INIT(&c->outq);
	if (wslay_event_context_server_init(&c->ctx, &cb, c) != 0)
		fatalx("ws: wslay init");
	wslay_event_config_set_max_recv_msg_length(c->ctx, s->max_message);
	if ((fl = fcntl(c->fd, F_GETFL)) == -1 ||
	    fcntl(c->fd, F_SETFL, fl | O_NONBLOCK) == -1)
		log_warn("ws: nonblocking");
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	memset(&e, 0, sizeof(e));
	e.events = c->events = EPOLLIN;
	e.data.ptr = &c->w;
	if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, c->fd, &e) == -1) {
		log_warn("ws: epoll_ctl add");
		wslay_event_context_free(c->ctx);
		free(c->extra);
		close_urh(c->fd, c->urh);
		free(c);
		atomic_fetch_sub(&s->nadmitted, 1);
		return;
	}
	LIST_INSERT_HEAD(&s->open[c->ep], c, link);
	atomic_fetch_add(&s->counts[c->ep], 1);
	if (s->eps[c->ep].on_open != NULL)
		s->eps[c->ep].on_open(c, s->eps[c->ep].arg);
	/* Frames may already sit in extra: read them now. */
	c->wslay_out = 1;
	c->rbudget = RECV_TURN;
	if (!c->closing && wslay_event_recv(c->ctx) != 0) {
		conn_finish(c);
		return;
	}
	mark_dirty(c);
}

/* Half-close and drain so the peer reads our close frame, then finish. */
static void
conn_linger(struct ws_conn *c)
{
	if (c->lingering)
		return;
	if (!c->closing)
		LIST_INSERT_HEAD(&c->s->closing, c, clink);
	c->closing = c->lingering = 1;
	c->deadline = mono_ms() + LINGER_MS;
	shutdown(c->fd, SHUT_WR);
	set_events(c, EPOLLIN);
}

static void
conn_drain(struct ws_conn *c)
{
	char buf[4096];
	ssize_t n;
	int i;

	for (i = 0; i < 16; i++) {
		n = recv(c->fd, buf, sizeof(buf), 0);
		if (n > 0)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EINTR))
			return;
		break;		/* EOF or error */
	}
	if (i < 16)
		conn_finish(c);
}

/* The session is over: on_close, then MHD closes the socket. Freed later. */
static void
conn_finish(struct ws_conn *c)
{
	struct ws_server *s = c->s;

	if (c->dead)
		return;
	c->dead = 1;
	if (epoll_ctl(s->epfd, EPOLL_CTL_DEL, c->fd, NULL) == -1)
		log_warn("ws: epoll_ctl del");
	LIST_REMOVE(c, link);
	if (c->closing)
		LIST_REMOVE(c, clink);
	if (c->dirty)
		LIST_REMOVE(c, dlink);
	c->dirty = 0;
	LIST_INSERT_HEAD(&s->dead, c, dlink);
	atomic_fetch_sub(&s->counts[c->ep], 1);
	atomic_fetch_sub(&s->nadmitted, 1);
	if (s->eps[c->ep].on_close != NULL)
		s->eps[c->ep].on_close(c, s->eps[c->ep].arg);
	close_urh(c->fd, c->urh);
}

static void
conn_free(struct ws_conn *c)
{
	outq_clear(c);
	wslay_event_context_free(c->ctx);
	free(c->extra);
	free(c);
}

/* ------------------------------------------------------------------ output */

/* Write up to len bytes without blocking: bytes written (0 if the socket is
 * full), -1 if the connection is broken. */
static ssize_t
sock_write(int fd, const char *p, size_t len)
{
	ssize_t n;

	for (;;) {
		n = send(fd, p, len, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n >= 0)
			return n;
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return 0;
		return -1;
	}
}

static void
outq_push(struct ws_conn *c, struct rbuf *f, size_t off)
{
	struct qent *q;

	if ((q = malloc(sizeof(*q))) == NULL)
		fatal("ws: outbound queue");
	q->f = rbuf_ref(f);
	q->off = off;
	STAILQ_INSERT_TAIL(&c->outq, q, link);
	c->outq_bytes += f->len - off;
}

static void
outq_pop(struct ws_conn *c)
{
	struct qent *q = STAILQ_FIRST(&c->outq);

	STAILQ_REMOVE_HEAD(&c->outq, link);
	c->outq_bytes -= q->f->len - q->off;
	rbuf_unref(q->f);
	free(q);
}

static void
outq_clear(struct ws_conn *c)
{
	while (!STAILQ_EMPTY(&c->outq))
		outq_pop(c);
}

/* 1 when our queue's head frame is partly written: nothing else may go out. */
static int
outq_midframe(struct ws_conn *c)
{
	return !STAILQ_EMPTY(&c->outq) && STAILQ_FIRST(&c->outq)->off > 0;
}

static int
wslay_flush(struct ws_conn *c)
{
	c->wslay_blocked = 0;
	return wslay_event_send(c->ctx) != 0 ? -1 : 0;
}

/* Write what is pending until the socket is full, never interleaving frames:
 * at each boundary of ours wslay's control frames go first (pongs at once; a
 * close ends the session, so what is queued behind it is dropped), and none of
 * ours starts while wslay is inside a frame. 0, or -1 if broken. */
static int
conn_write(struct ws_conn *c)
{
	struct qent *q;
	ssize_t n;

	for (;;) {
		if (!outq_midframe(c) && wslay_event_want_write(c->ctx)) {
			if (wslay_flush(c) == -1)
				return -1;
			if (c->wslay_blocked)
				return 0;
		}
		if (wslay_event_get_close_sent(c->ctx)) {
			outq_clear(c);
			return 0;
		}
		c->wslay_out = wslay_event_want_write(c->ctx);
		if ((q = STAILQ_FIRST(&c->outq)) == NULL)
			return 0;
		if ((n = sock_write(c->fd, q->f->data + q->off, q->f->len - q->off)) == -1)
			return -1;
		q->off += (size_t)n;
		c->outq_bytes -= (size_t)n;
		if (q->off < q->f->len)
			return 0;
		outq_pop(c);
	}
}

/* Push queued output, then decide what to wait for. */
static void
conn_service(struct ws_conn *c)
{
	uint32_t ev = 0;

	if (c->dead || c->lingering)
		return;
	if (c->broken || conn_write(c) == -1) {
		conn_finish(c);
		return;
	}
	if (wslay_event_get_close_sent(c->ctx) && !c->closing) {
		/* wslay closed on its own (1009, protocol error): bound the wait. */
		c->closing = 1;
		c->deadline = mono_ms() + LINGER_MS;
		LIST_INSERT_HEAD(&c->s->closing, c, clink);
	}
	if (!wslay_event_want_read(c->ctx) && !wslay_event_want_write(c->ctx) &&
	    STAILQ_EMPTY(&c->outq)) {
		conn_linger(c);
		return;
	}
	if (wslay_event_want_read(c->ctx))
		ev |= EPOLLIN;
	if (wslay_event_want_write(c->ctx) || !STAILQ_EMPTY(&c->outq))
		ev |= EPOLLOUT;
	set_events(c, ev);
}

static void
conn_event(struct ws_conn *c, uint32_t events)
{
	if (c->lingering) {
		conn_drain(c);
		return;
	}
	if ((events & (EPOLLIN | EPOLLHUP | EPOLLERR)) && wslay_event_want_read(c->ctx)) {
		c->wslay_out = 1;	/* a ping read now queues a pong */
		c->rbudget = RECV_TURN;
		if (wslay_event_recv(c->ctx) != 0) {
			conn_finish(c);
			return;
		}
	}
	if ((events & (EPOLLHUP | EPOLLERR)) && !wslay_event_want_read(c->ctx)) {
		conn_finish(c);
		return;
	}
	conn_service(c);
}

/* wslay's frame writer appends to an rbuf sized for the frame. */
struct frame_out {
	struct rbuf	*r;
	size_t		 cap;
};

static ssize_t
frame_append_cb(const uint8_t *data, size_t len, int flags, void *user)
{
	struct frame_out *o = user;

	(void)flags;
	if (len > o->cap - o->r->len)
		return -1;
	memcpy(o->r->data + o->r->len, data, len);
	o->r->len += len;
	return (ssize_t)len;
}

struct rbuf *
ws_frame_text(const char *msg, size_t len)
{
	struct wslay_frame_callbacks cb = { frame_append_cb, NULL, NULL };
	struct frame_out o;
	struct wslay_frame_iocb io;
	wslay_frame_context_ptr fc;
	size_t done = 0;
	ssize_t n;

	if (len > SIZE_MAX - sizeof(*o.r) - 16)
		return NULL;
	o.cap = len + 14;		/* the longest server frame header is 10 bytes */
	if ((o.r = malloc(sizeof(*o.r) + o.cap + 1)) == NULL)
		fatal("ws: frame of %zu bytes", len);
	atomic_init(&o.r->refs, 1);
	o.r->len = 0;
	if (wslay_frame_context_init(&fc, &cb, &o) != 0)
		fatalx("ws: wslay frame context");
	memset(&io, 0, sizeof(io));
	io.fin = 1;
	io.opcode = WSLAY_TEXT_FRAME;
	io.payload_length = len;
	do {
		io.data = (const uint8_t *)msg + done;
		io.data_length = len - done;
		if ((n = wslay_frame_send(fc, &io)) < 0 || (n == 0 && done < len))
			break;
		done += (size_t)n;
	} while (done < len);
	wslay_frame_context_free(fc);
	if (done < len || o.r->len == 0) {
		log_warnx("ws: cannot encode a frame of %zu bytes", len);
		free(o.r);
		return NULL;
	}
	o.r->data[o.r->len] = '\0';
	return o.r;
}

/* First half of a send: -1 refused (the session is closing, or is closed now
 * for the bound), 0 queued behind what it already has, 1 the caller writes f
 * to c->fd at once and hands the result to send_end(). An idle session's wslay
 * state is not read (wslay_out): a fan-out to 10,000 sessions pays for the
 * send(2) and little else. A close wslay sent sets closing in the same
 * conn_service(). */
static int
send_begin(struct ws_conn *c, struct rbuf *f)
{
	if (c->closing || c->dead || c->broken)
		return -1;
	if (c->outq_bytes + f->len > WS_MAX_QUEUED) {
		log_debug("ws: session %llu from %s too slow, dropped",
		    (unsigned long long)c->id, c->ip);
		ws_close(c, 1008, "outbound queue full");
		return -1;
	}
	if (!STAILQ_EMPTY(&c->outq) || c->wslay_blocked ||
	    (c->wslay_out && wslay_event_want_write(c->ctx))) {
		/* Behind a frame of ours (EPOLLOUT is armed) or wslay's (a pong
		 * for a ping read before this goes first). */
		if (STAILQ_EMPTY(&c->outq))
			mark_dirty(c);
		outq_push(c, f, 0);
		return 0;
	}
	return 1;
}

/* Second half: n bytes of f were written (-1: the socket is broken). The
 * usual whole write touches nothing of the session. */
static int
send_end(struct ws_conn *c, struct rbuf *f, ssize_t n)
{
	if (n == (ssize_t)f->len)
		return 0;
	if (n == -1) {
		c->broken = 1;		/* on_close must not run under the caller */
		mark_dirty(c);
		return -1;
	}
	outq_push(c, f, (size_t)n);
	set_events(c, c->events | EPOLLOUT);
	return 0;
}

int
ws_send_frame(struct ws_conn *c, struct rbuf *f)
{
	int rc;

	if ((rc = send_begin(c, f)) != 1)
		return rc;
	return send_end(c, f, sock_write(c->fd, f->data, f->len));
}

int
ws_send_text(struct ws_conn *c, const char *msg, size_t len)
{
	struct rbuf *f;
	int rc;

	if (c->closing || c->dead)
		return -1;
	if ((f = ws_frame_text(msg, len)) == NULL) {
		ws_close(c, 1011, "cannot encode");
		return -1;
	}
	rc = ws_send_frame(c, f);
	rbuf_unref(f);
	return rc;
}

void
ws_close(struct ws_conn *c, uint16_t code, const char *reason)
{
	size_t rlen = reason ? strlen(reason) : 0;

	if (c->closing || c->dead)
		return;
	c->closing = 1;
	c->deadline = mono_ms() + LINGER_MS;
	LIST_INSERT_HEAD(&c->s->closing, c, clink);
	if (rlen > 122)
		rlen = 122;
	c->wslay_out = 1;
	if (wslay_event_queue_close(c->ctx, code, (const uint8_t *)reason, rlen) != 0)
		wslay_event_shutdown_read(c->ctx);	/* already closing */
	mark_dirty(c);
}

void *
ws_conn_data(struct ws_conn *c)
{
	return c->data;
}

void
ws_conn_set_data(struct ws_conn *c, void *p)
{
	c->data = p;
}

int
ws_conn_endpoint(struct ws_conn *c)
{
	return c->ep;
}

const char *
ws_conn_remote_ip(struct ws_conn *c)
{
	return c->ip;
}

uint64_t
ws_conn_id(struct ws_conn *c)
{
	return c->id;
}

void
ws_foreach(struct ws_server *s, int ep, void (*fn)(struct ws_conn *, void *), void *arg)
{
	struct ws_conn *c;
	size_t i;

	for (i = 0; i < s->neps; i++) {
		if (ep >= 0 && (size_t)ep != i)
			continue;
		LIST_FOREACH(c, &s->open[i], link)
			if (!c->closing && !c->dead)
				fn(c, arg);
	}
}

/* ------------------------------------------------------------------ fan-out */

static inline void
cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield");
#endif
}

/* How many entries are published, once at least want are or the loop thread
 * has published its last. staging is read first: once it is 0, ready is
 * final (the loop thread stores ready, then clears staging). A helper gets
 * here ahead of the loop thread only at a job's start (a chunk of sends takes
 * far longer than sorting a chunk), so it spins briefly, then yields. */
static size_t
fan_wait_ready(struct fan_pool *p, size_t want)
{
	size_t ready;
	unsigned spins = 0;
	int staging;

	for (;;) {
		staging = atomic_load_explicit(&p->staging, memory_order_acquire);
		ready = atomic_load_explicit(&p->ready, memory_order_acquire);
		if (ready >= want || !staging)
			return ready;
		if (++spins < FAN_SPINS)
			cpu_relax();
		else
			sched_yield();
	}
}

/* Write the frame to the entries this thread claims; how many it wrote. */
static size_t
fan_share(struct fan_pool *p, struct fan_ent *ent, const char *data, size_t len)
{
	size_t i, end, ready, done = 0;

	for (;;) {
		i = atomic_fetch_add(&p->next, FAN_CHUNK);
		if ((ready = fan_wait_ready(p, i + FAN_CHUNK)) <= i)
			return done;
		end = ready < i + FAN_CHUNK ? ready : i + FAN_CHUNK;
		done += end - i;
		for (; i < end; i++)
			ent[i].n = sock_write(ent[i].fd, data, len);
	}
}

static void *
fan_helper(void *arg)
{
	struct fan_pool *p = arg;
	struct fan_ent *ent;
	const char *data;
	uint64_t seen = 0;
	size_t len, done;

	pthread_mutex_lock(&p->mtx);
	for (;;) {
		while (!p->stop && (!p->open || p->gen == seen))
			pthread_cond_wait(&p->work, &p->mtx);
		if (p->stop)
			break;
		seen = p->gen;
		p->active++;
		data = p->data;
		len = p->len;
		ent = p->ent;
		pthread_mutex_unlock(&p->mtx);
		done = fan_share(p, ent, data, len);
		if (done > 0)
			atomic_fetch_add(&p->helped, done);
		pthread_mutex_lock(&p->mtx);
		if (--p->active == 0)
			pthread_cond_signal(&p->done);
	}
	pthread_mutex_unlock(&p->mtx);
	return NULL;
}

/* Loop thread: keep the helpers off the CPU it runs on now (see the top). A
 * failure (the CPU set changed under us) leaves them where they were. */
static void
fan_keep_off(struct fan_pool *p)
{
	cpu_set_t others;
	int cpu, i;

	if (!p->keep_off || (cpu = sched_getcpu()) == atomic_load(&p->kept_off) || cpu < 0 ||
	    cpu >= CPU_SETSIZE || !CPU_ISSET(cpu, &p->cpus) || CPU_COUNT(&p->cpus) < 2)
		return;
	others = p->cpus;
	CPU_CLR(cpu, &others);
	for (i = 0; i < p->nth; i++)
		if (pthread_setaffinity_np(p->th[i], sizeof(others), &others) != 0)
			return;
	atomic_store(&p->kept_off, cpu);
}

/* Loop thread: open a job on ent[0..ready) while it goes on sorting. */
static void
fan_open(struct fan_pool *p, struct fan_ent *ent, size_t ready, struct rbuf *f)
{
	fan_keep_off(p);
	pthread_mutex_lock(&p->mtx);
	p->data = f->data;
	p->len = f->len;
	p->ent = ent;
	atomic_store(&p->next, 0);
	atomic_store(&p->staging, 1);
	atomic_store(&p->ready, ready);
	p->open = 1;
	p->gen++;
	pthread_cond_broadcast(&p->work);
	pthread_mutex_unlock(&p->mtx);
}

/* Loop thread: sorting is over at n entries; send its own share, close the
 * job and join the helpers (the join is the happens-before edge for ent[]). */
static void
fan_finish(struct fan_pool *p, struct fan_ent *ent, size_t n, struct rbuf *f)
{
	atomic_store_explicit(&p->ready, n, memory_order_release);
	atomic_store_explicit(&p->staging, 0, memory_order_release);
	(void)fan_share(p, ent, f->data, f->len);
	pthread_mutex_lock(&p->mtx);
	p->open = 0;
	while (p->active > 0)
		pthread_cond_wait(&p->done, &p->mtx);
	pthread_mutex_unlock(&p->mtx);
}

/* Start the helpers: senders (the loop thread included) from
 * ARTEMIS_WS_SENDERS, else min(online CPUs, FAN_SENDERS_DEF). */
static void
fan_start(struct ws_server *s)
{
	struct fan_pool *p = &s->pool;
	const char *e;
	long cpus, senders;

	cpus = sysconf(_SC_NPROCESSORS_ONLN);
	senders = cpus < FAN_SENDERS_DEF ? cpus : FAN_SENDERS_DEF;
	if ((e = getenv("ARTEMIS_WS_SENDERS")) != NULL && *e != '\0')
		senders = strtol(e, NULL, 10);
	if (senders < 1)
		senders = 1;
	if (senders > FAN_SENDERS_MAX)
		senders = FAN_SENDERS_MAX;
	s->fan_min = FAN_MIN_DEF;
	if ((e = getenv("ARTEMIS_WS_FANOUT_MIN")) != NULL && *e != '\0' &&
	    strtol(e, NULL, 10) > 0)
		s->fan_min = (size_t)strtol(e, NULL, 10);
	atomic_store(&p->kept_off, -1);
	p->keep_off = (e = getenv("ARTEMIS_WS_KEEP_OFF_LOOP_CPU")) == NULL ||
	    strcmp(e, "0") != 0;
	if (sched_getaffinity(0, sizeof(p->cpus), &p->cpus) == -1)
		CPU_ZERO(&p->cpus);	/* never kept off */
	pthread_mutex_init(&p->mtx, NULL);
	pthread_cond_init(&p->work, NULL);
	pthread_cond_init(&p->done, NULL);
	for (p->nth = 0; p->nth < senders - 1; p->nth++) {
		if ((errno = pthread_create(&p->th[p->nth], NULL, fan_helper, p)) != 0) {
			log_warn("ws: sender thread");
			break;
		}
		(void)pthread_setname_np(p->th[p->nth], "ws-sender");
	}
	s->fan_gen = 1;
}

static void
fan_stop(struct ws_server *s)
{
	struct fan_pool *p = &s->pool;
	int i;

	pthread_mutex_lock(&p->mtx);
	p->stop = 1;
	pthread_cond_broadcast(&p->work);
	pthread_mutex_unlock(&p->mtx);
	for (i = 0; i < p->nth; i++)
		if ((errno = pthread_join(p->th[i], NULL)) != 0)
			fatal("ws: pthread_join sender");
	p->nth = 0;
}

void
ws_fanout_begin(struct ws_server *s, struct rbuf *f)
{
	struct fan_ent *n;
	size_t want = ws_count(s, -1);

	if (s->fan_frame != NULL)
		fatalx("ws: a fan-out began inside another");
	/* Room for every open session now, as the array must not move once
	 * the senders have it: a fan-out never stages more. */
	if (want > s->fancap) {
		if ((n = reallocarray(s->fan, want, sizeof(*n))) == NULL)
			fatal("ws: fan-out of %zu sessions", want);
		s->fan = n;
		s->fancap = want;
	}
	s->fan_frame = rbuf_ref(f);
}

/* Loop thread: publish the entries sorted so far, opening the job once there
 * are enough of them. */
static void
fan_publish(struct ws_server *s)
{
	if (s->fan_open)
		atomic_store_explicit(&s->pool.ready, s->nfan, memory_order_release);
	else if (s->nfan >= s->fan_min && s->pool.nth > 0) {
		fan_open(&s->pool, s->fan, s->nfan, s->fan_frame);
		s->fan_open = 1;
	}
}

void
ws_fanout_add(struct ws_server *s, struct ws_conn *c)
{
	struct rbuf *f = s->fan_frame;
	struct fan_ent *e;

	if (f == NULL)
		fatalx("ws: ws_fanout_add outside a fan-out");
	if (c->closing || c->dead || c->broken || c->fan_gen == s->fan_gen)
		return;
	c->fan_gen = s->fan_gen;
	switch (send_begin(c, f)) {
	case 1:
		break;
	case 0:
		s->fan_took++;		/* queued behind what it has */
		return;
	default:
		return;
	}
	if (s->nfan == s->fancap) {
		/* more than were open at the start: cannot happen (adoption runs
		 * on this thread), but never write past the array */
		if (send_end(c, f, sock_write(c->fd, f->data, f->len)) == 0)
			s->fan_took++;
		return;
	}
	e = &s->fan[s->nfan++];
	e->c = c;
	e->fd = c->fd;
	e->n = -1;
	if (s->nfan % FAN_CHUNK == 0)
		fan_publish(s);
}

static void
fan_add_one(struct ws_conn *c, void *arg)
{
	ws_fanout_add(arg, c);
}

void
ws_fanout_add_endpoint(struct ws_server *s, int ep)
{
	ws_foreach(s, ep, fan_add_one, s);
}

size_t
ws_fanout_end(struct ws_server *s)
{
	struct rbuf *f = s->fan_frame;
	size_t i, k = s->nfan, took = s->fan_took;

	if (f == NULL)
		fatalx("ws: ws_fanout_end without ws_fanout_begin");
	if (s->fan_open)
		fan_finish(&s->pool, s->fan, k, f);
	else
		for (i = 0; i < k; i++)
			s->fan[i].n = sock_write(s->fan[i].fd, f->data, f->len);
	for (i = 0; i < k; i++)
		if (send_end(s->fan[i].c, f, s->fan[i].n) == 0)
			took++;
	s->nfan = 0;
	s->fan_took = 0;
	s->fan_open = 0;
	s->fan_gen++;
	s->fan_frame = NULL;
	rbuf_unref(f);
	return took;
}

uint64_t
ws_fanout_helped(struct ws_server *s)
{
	return atomic_load(&s->pool.helped);
}

int
ws_fanout_kept_off(struct ws_server *s)
{
	return atomic_load(&s->pool.kept_off);
}

size_t
ws_count(struct ws_server *s, int ep)
{
	size_t i, n = 0;

	for (i = 0; i < s->neps; i++)
		if (ep < 0 || (size_t)ep == i)
			n += atomic_load(&s->counts[i]);
	return n;
}

/* ------------------------------------------------------------------ http.c side */

int
ws_server_match(struct ws_server *s, const char *path)
{
	size_t i;

	for (i = 0; i < s->neps; i++)
		if (strcmp(s->eps[i].path, path) == 0)
			return (int)i;
	return -1;
}

int
ws_server_admit(struct ws_server *s, int ep, const char *ip)
{
	const char *bl = s->eps[ep].blacklist;
	int refuse;

	if (bl != NULL && *bl != '\0' && config_list_contains(bl, ip))
		return 403;
	pthread_mutex_lock(&s->mtx);
	refuse = s->detached || s->stop_req || !s->running;
	pthread_mutex_unlock(&s->mtx);
	if (refuse || atomic_load(&s->nadmitted) >= s->max_conns)
		return 503;
	return 0;
}

void
ws_server_adopt(struct ws_server *s, int ep, int fd, const char *extra, size_t extra_len,
    void *urh, const char *ip)
{
	struct pending *p;

	pthread_mutex_lock(&s->mtx);
	/* Admission bounds open + pending sessions by ws_max_connections; a
	 * session answered 101 is not dropped because the loop is behind (a
	 * burst of reconnects on a busy machine). */
	if (s->detached || s->stop_req || !s->running || s->npending >= s->max_conns) {
		pthread_mutex_unlock(&s->mtx);
		close_urh(fd, urh);
		return;
	}
	if ((p = calloc(1, sizeof(*p))) == NULL)
		fatal("ws: adopt");
	p->ep = ep;
	p->fd = fd;
	p->urh = urh;
	strlcpy(p->ip, ip ? ip : "-", sizeof(p->ip));
	if (extra_len > 0) {
		if ((p->extra = malloc(extra_len)) == NULL)
			fatal("ws: adopt");
		memcpy(p->extra, extra, extra_len);
		p->extra_len = extra_len;
	}
	TAILQ_INSERT_TAIL(&s->pending, p, link);
	s->npending++;
	atomic_fetch_add(&s->nadmitted, 1);
	pthread_mutex_unlock(&s->mtx);
	wake_loop(s);
}

/* ------------------------------------------------------------------ loop */

static void
ttl_check(void *arg)
{
	struct ws_server *s = arg;
	struct ws_conn *c;
	int64_t now = mono_ms();
	size_t i;

	for (i = 0; i < s->neps; i++)
		LIST_FOREACH(c, &s->open[i], link)
			if (!c->closing && now - c->opened_ms >= s->ttl_ms)
				ws_close(c, 1000, "session expired");
}

/* Close every session now (going away); no lingering: MHD may stop next. */
static void
close_all(struct ws_server *s)
{
	struct ws_conn *c;
	size_t i;

	for (i = 0; i < s->neps; i++) {
		while ((c = LIST_FIRST(&s->open[i])) != NULL) {
			if (!c->closing)
				ws_close(c, 1001, "server going away");
			if (!c->lingering && !c->broken)
				(void)conn_write(c);
			conn_finish(c);
		}
	}
}

static void
take_pending(struct ws_server *s, int refuse)
{
	TAILQ_HEAD(, pending) list = TAILQ_HEAD_INITIALIZER(list);
	struct pending *p;

	pthread_mutex_lock(&s->mtx);
	TAILQ_CONCAT(&list, &s->pending, link);
	s->npending = 0;
	pthread_mutex_unlock(&s->mtx);
	while ((p = TAILQ_FIRST(&list)) != NULL) {
		TAILQ_REMOVE(&list, p, link);
		if (refuse) {
			close_urh(p->fd, p->urh);
			atomic_fetch_sub(&s->nadmitted, 1);
		} else
			conn_adopt(s, p);
		free(p->extra);
		free(p);
	}
}

/* Returns 1 when the loop must end. */
static int
on_wake(struct ws_server *s)
{
	uint64_t v;
	int stop, detach;

	if (read(s->evfd, &v, sizeof(v)) == -1 && errno != EAGAIN)
		log_warn("ws: eventfd read");
	pthread_mutex_lock(&s->mtx);
	stop = s->stop_req;
	detach = s->detach_req && !s->detached;
	pthread_mutex_unlock(&s->mtx);
	if (detach || stop) {
		/* Sessions already answered 101 get a proper 1001 too. */
		take_pending(s, 0);
		close_all(s);
		pthread_mutex_lock(&s->mtx);
		s->detached = 1;
		pthread_cond_broadcast(&s->cond);
		pthread_mutex_unlock(&s->mtx);
		return stop;
	}
	take_pending(s, 0);
	return 0;
}

static int
run_timers(struct ws_server *s)
{
	int64_t now = mono_ms(), wait = -1, left;
	int i, n = atomic_load(&s->ntimers);

	for (i = 0; i < n; i++) {
		struct timer *t = &s->timers[i];

		if (t->next == 0)
			t->next = now + t->interval;
		if (now >= t->next) {
			t->fn(t->arg);
			now = mono_ms();
			t->next = now + t->interval;
		}
		left = t->next - now;
		if (wait < 0 || left < wait)
			wait = left;
	}
	if (!LIST_EMPTY(&s->closing) && (wait < 0 || wait > 100))
		wait = 100;
	return (int)wait;
}

static void
reap(struct ws_server *s)
{
	struct ws_conn *c, *tmp;
	int64_t now = mono_ms();

	LIST_FOREACH_SAFE(c, &s->closing, clink, tmp)
		if (now >= c->deadline)
			conn_finish(c);
	while ((c = LIST_FIRST(&s->dirty)) != NULL) {
		LIST_REMOVE(c, dlink);
		c->dirty = 0;
		conn_service(c);
	}
	while ((c = LIST_FIRST(&s->dead)) != NULL) {
		LIST_REMOVE(c, dlink);
		conn_free(c);
	}
}

static void *
loop_main(void *arg)
{
	struct ws_server *s = arg;
	struct epoll_event ev[MAX_EVENTS];
	int i, n, timeout, done = 0;

	while (!done) {
		reap(s);
		timeout = run_timers(s);
		reap(s);
		n = epoll_wait(s->epfd, ev, MAX_EVENTS, timeout);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			fatal("ws: epoll_wait");
		}
		for (i = 0; i < n; i++) {
			struct watcher *w = ev[i].data.ptr;

			switch (w->type) {
			case W_WAKE:
				done |= on_wake(s);
				break;
			case W_FD:
				((struct fdwatch *)(void *)w)->fn(((struct fdwatch *)(void *)w)->arg);
				break;
			case W_CONN:
				conn_event((struct ws_conn *)(void *)w, ev[i].events);
				break;
			}
		}
	}
	reap(s);
	return NULL;
}

/* ------------------------------------------------------------------ lifecycle */

int
ws_loop_add_fd(struct ws_server *s, int fd, void (*fn)(void *), void *arg)
{
	struct epoll_event e;
	struct fdwatch *f;
	int rc = -1;

	pthread_mutex_lock(&s->mtx);
	if (atomic_load(&s->nfds) < MAX_FDS) {
		f = &s->fds[atomic_load(&s->nfds)];
		f->w.type = W_FD;
		f->fd = fd;
		f->fn = fn;
		f->arg = arg;
		memset(&e, 0, sizeof(e));
		e.events = EPOLLIN;
		e.data.ptr = &f->w;
		if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &e) == 0) {
			atomic_fetch_add(&s->nfds, 1);
			rc = 0;
		} else
			log_warn("ws: epoll_ctl add fd %d", fd);
	}
	pthread_mutex_unlock(&s->mtx);
	return rc;
}

int
ws_loop_add_timer(struct ws_server *s, int64_t interval_ms, void (*fn)(void *), void *arg)
{
	struct timer *t;
	int rc = -1;

	if (interval_ms <= 0)
		return -1;
	pthread_mutex_lock(&s->mtx);
	if (atomic_load(&s->ntimers) < MAX_TIMERS) {
		t = &s->timers[atomic_load(&s->ntimers)];
		t->interval = interval_ms;
		t->next = 0;
		t->fn = fn;
		t->arg = arg;
		atomic_fetch_add(&s->ntimers, 1);
		rc = 0;
	}
	pthread_mutex_unlock(&s->mtx);
	if (rc == 0)
		wake_loop(s);	/* recompute the epoll timeout */
	return rc;
}

static void
server_free(struct ws_server *s)
{
	size_t i;

	for (i = 0; i < s->neps; i++) {
		free((char *)(uintptr_t)s->eps[i].path);
		free((char *)(uintptr_t)s->eps[i].blacklist);
	}
	free(s->eps);
	free(s->open);
	free((void *)(uintptr_t)s->counts);
	sbuf_free(&s->scratch);
	free(s->fan);
	rbuf_unref(s->fan_frame);
	pthread_mutex_destroy(&s->pool.mtx);
	pthread_cond_destroy(&s->pool.work);
	pthread_cond_destroy(&s->pool.done);
	close(s->epfd);
	close(s->evfd);
	pthread_mutex_destroy(&s->mtx);
	pthread_cond_destroy(&s->cond);
	free(s);
}

struct ws_server *
ws_server_start(const struct config *c, const struct ws_endpoint *eps, size_t neps)
{
	struct epoll_event e;
	struct ws_server *s;
	size_t i;

	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    (s->eps = calloc(neps + 1, sizeof(*eps))) == NULL ||
	    (s->open = calloc(neps + 1, sizeof(*s->open))) == NULL ||
	    (s->counts = calloc(neps + 1, sizeof(*s->counts))) == NULL)
		fatal("ws_server_start");
	atomic_init(&s->refs, 1);
	atomic_init(&s->next_id, 1);
	s->neps = neps;
	for (i = 0; i < neps; i++) {
		s->eps[i] = eps[i];
		if ((s->eps[i].path = strdup(eps[i].path)) == NULL ||
		    (eps[i].blacklist != NULL &&
		    (s->eps[i].blacklist = strdup(eps[i].blacklist)) == NULL))
			fatal("ws_server_start");
		LIST_INIT(&s->open[i]);
	}
	s->ttl_ms = c->ws_session_ttl_ms > 0 ? c->ws_session_ttl_ms : 360000;
	s->check_ms = c->ws_check_interval_ms > 0 ? c->ws_check_interval_ms : 1000;
	s->max_message = c->ws_max_message > 0 ? c->ws_max_message : 65536;
	s->max_conns = c->ws_max_connections > 0 ? c->ws_max_connections : 10000;
	LIST_INIT(&s->dirty);
	LIST_INIT(&s->dead);
	LIST_INIT(&s->closing);
	TAILQ_INIT(&s->pending);
	pthread_mutex_init(&s->mtx, NULL);
	pthread_cond_init(&s->cond, NULL);
	if ((s->epfd = epoll_create1(EPOLL_CLOEXEC)) == -1)
		fatal("ws: epoll_create1");
	if ((s->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) == -1)
		fatal("ws: eventfd");
	s->wake.type = W_WAKE;
	memset(&e, 0, sizeof(e));
	e.events = EPOLLIN;
	e.data.ptr = &s->wake;
	if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->evfd, &e) == -1)
		fatal("ws: epoll_ctl");
	if (ws_loop_add_timer(s, s->check_ms, ttl_check, s) == -1)
		fatalx("ws: timer");
	fan_start(s);
	s->running = 1;
	if ((errno = pthread_create(&s->thread, NULL, loop_main, s)) != 0)
		fatal("ws: pthread_create");
	return s;
}

struct ws_server *
ws_server_hold(struct ws_server *s)
{
	atomic_fetch_add(&s->refs, 1);
	return s;
}

void
ws_server_release(struct ws_server *s)
{
	if (atomic_fetch_sub(&s->refs, 1) == 1)
		server_free(s);
}

void
ws_server_detach(struct ws_server *s)
{
	pthread_mutex_lock(&s->mtx);
	if (s->running && !s->detached) {
		s->detach_req = 1;
		wake_loop(s);
		while (!s->detached)
			pthread_cond_wait(&s->cond, &s->mtx);
	}
	s->detached = 1;
	pthread_mutex_unlock(&s->mtx);
}

void
ws_server_stop(struct ws_server *s)
{
	int running;

	if (s == NULL)
		return;
	pthread_mutex_lock(&s->mtx);
	running = s->running;
	s->stop_req = 1;
	pthread_mutex_unlock(&s->mtx);
	if (running) {
		wake_loop(s);
		if ((errno = pthread_join(s->thread, NULL)) != 0)
			fatal("ws: pthread_join");
		fan_stop(s);
		pthread_mutex_lock(&s->mtx);
		s->running = 0;
		pthread_mutex_unlock(&s->mtx);
	}
	ws_server_release(s);
}
