/*
 * ws.h — WebSocket glue: upgrade through libmicrohttpd (http.c hands the socket
 * over), RFC 6455 framing with wslay, handshake accept key with libmd SHA-1.
 *
 * ONE event-loop thread owns every upgraded socket (epoll). All callbacks run on
 * that thread, and ws_send_text()/ws_close()/ws_foreach()/ws_fanout_*() may only be
 * called from it (from callbacks, timers or fd handlers registered here). Other
 * threads hand work to the loop with ws_loop_add_fd() on an eventfd/pipe/nng fd of
 * their own.
 *
 * The one exception is a fan-out's send(2)s: a fan-out to many sessions
 * (ARTEMIS_WS_FANOUT_MIN, default 128, with nothing queued) lends their sockets,
 * until ws_fanout_end() returns, to a small pool of sender threads
 * (ARTEMIS_WS_SENDERS in all, the loop thread included; default min(online CPUs,
 * 4); 1 = none), which start sending while the loop thread is still adding
 * recipients. Those threads do nothing but one non-blocking send(2) of the
 * shared encoded frame per session and record its result; the loop thread sends
 * its own share, joins them, then alone queues partial writes, closes failed
 * sessions and arms EPOLLOUT. No session state is touched off the loop thread, no
 * lock is held during a send, nothing is allocated per frame.
 *
 *  - text messages delivered whole (fragments reassembled) up to config
 *    ws_max_message; larger -> close 1009;
 *  - binary frames -> close 1003;
 *  - pings answered with pong at once; unsolicited pongs ignored;
 *  - a frame is written straight to the socket when nothing is queued before it;
 *    only what the socket does not take is queued (by reference). Each
 *    connection's outbound queue is bounded (bytes); a connection whose queue
 *    would overflow is closed (1008) — a slow peer never blocks the others;
 *  - sessions older than config ws_session_ttl_ms are closed with 1000, checked every
 *    ws_check_interval_ms;
 *  - at most config ws_max_connections sessions; beyond that the upgrade is refused
 *    with HTTP 503; a blacklisted remote IP is refused with 403 (§8.1).
 */
#ifndef ARTEMIS_WS_H
#define ARTEMIS_WS_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"

struct rbuf;
struct ws_conn;
struct ws_server;

struct ws_endpoint {
	const char	*path;		/* e.g. "/ws/registry/heartbeat" */
	const char	*blacklist;	/* comma-separated IPs, may be NULL */
	void		(*on_open)(struct ws_conn *, void *arg);
	void		(*on_text)(struct ws_conn *, const char *msg, size_t len, void *arg);
	void		(*on_close)(struct ws_conn *, void *arg);
	void		*arg;
};

/* Create the server and start its loop thread. Endpoints are copied. */
struct ws_server *ws_server_start(const struct config *c, const struct ws_endpoint *eps,
		    size_t neps);
/* Close every session (1001 going away), stop the loop thread, free. */
void		 ws_server_stop(struct ws_server *);

/* Used by http.c: index of the endpoint serving path, or -1. */
int		 ws_server_match(struct ws_server *, const char *path);
/* Used by http.c: 0 accept, 403 blacklisted, 503 full. */
int		 ws_server_admit(struct ws_server *, int endpoint, const char *remote_ip);
/* Used by http.c after the 101: take over the socket. extra = bytes MHD already
 * read past the handshake. urh is MHD's upgrade handle, closed by ws.c. */
void		 ws_server_adopt(struct ws_server *, int endpoint, int fd, const char *extra,
		    size_t extra_len, void *urh, const char *remote_ip);

/* Used by http.c: an http_server holds the ws_server while it may still call
 * the functions above (so ws_server_stop() and http_server_stop() may run in
 * either order). detach closes every session now (MHD owns the sockets and is
 * about to stop) and refuses new ones; release drops the hold. */
struct ws_server *ws_server_hold(struct ws_server *);
void		 ws_server_detach(struct ws_server *);
void		 ws_server_release(struct ws_server *);

/* Loop-thread only. Send a text frame; -1 if the connection is closing or broken
 * (a send that fails, or would take the outbound queue over its bound, closes it). */
int		 ws_send_text(struct ws_conn *, const char *msg, size_t len);
/* Any thread: a text frame encoded once, to send to many sessions with
 * ws_send_frame() (server frames are unmasked: the same bytes for everyone).
 * NULL if it cannot be encoded. Release with rbuf_unref(). */
struct rbuf	*ws_frame_text(const char *msg, size_t len);
/* Loop-thread only: ws_send_text() of a frame from ws_frame_text(); a session
 * that cannot take it all now keeps a reference. */
int		 ws_send_frame(struct ws_conn *, struct rbuf *frame);
void		 ws_close(struct ws_conn *, uint16_t code, const char *reason);
void		*ws_conn_data(struct ws_conn *);
void		 ws_conn_set_data(struct ws_conn *, void *);
int		 ws_conn_endpoint(struct ws_conn *);
const char	*ws_conn_remote_ip(struct ws_conn *);
uint64_t	 ws_conn_id(struct ws_conn *);	/* unique, never reused */

/* Loop-thread only: one frame to many sessions, as ws_send_frame() to each.
 * ws_fanout_begin() the frame, add each recipient with ws_fanout_add() (a
 * session added twice, closing or closed is skipped) or every open session of
 * an endpoint (-1 = all) with ws_fanout_add_endpoint(), then ws_fanout_end().
 * A recipient may get the frame as soon as it is added; when there are many,
 * the send(2)s are spread over the sender threads. ws_fanout_end() returns when
 * every recipient has it or queued it, and says how many did (the others were
 * closed). Begin, add and end in the same callback, with nothing else between
 * (an added session must not be freed before the end). */
void		 ws_fanout_begin(struct ws_server *, struct rbuf *frame);
void		 ws_fanout_add(struct ws_server *, struct ws_conn *);
void		 ws_fanout_add_endpoint(struct ws_server *, int endpoint);
size_t		 ws_fanout_end(struct ws_server *);
/* Any thread: frames written by the sender threads so far (not the loop's). */
uint64_t	 ws_fanout_helped(struct ws_server *);
/* Any thread: the CPU the sender threads are kept off (the loop thread's at the last fan-out they helped), or
 * -1 (one CPU, no helpers yet, or ARTEMIS_WS_KEEP_OFF_LOOP_CPU=0). */
int		 ws_fanout_kept_off(struct ws_server *);

/* Loop-thread only: call fn for every open session of endpoint (-1 = all). */
void		 ws_foreach(struct ws_server *, int endpoint,
		    void (*fn)(struct ws_conn *, void *arg), void *arg);
/* Any thread: open sessions of endpoint (-1 = all). */
size_t		 ws_count(struct ws_server *, int endpoint);

/* Run fn on the loop thread whenever fd is readable (fn must drain it), or every
 * interval_ms. Register before or after start; any thread. 0 ok, -1 error. */
int		 ws_loop_add_fd(struct ws_server *, int fd, void (*fn)(void *arg), void *arg);
int		 ws_loop_add_timer(struct ws_server *, int64_t interval_ms,
		    void (*fn)(void *arg), void *arg);

#endif
