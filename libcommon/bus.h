/*
 * bus.h — "changed, now at sequence N" hints over nng pub/sub on ipc:// sockets in
 * the state directory (ipc://<state-dir>/<name>.bus).
 *
 * A hint is never the data: nng pub/sub drops messages under load and to slow
 * joiners. Each message carries the publisher's instance id and a message counter,
 * so a subscriber can tell that it missed some (gap) or that the publisher
 * restarted; either way it reconciles from the table / DB. Subscribers also
 * reconcile on a timer, so a silent bus is harmless.
 */
#ifndef ARTEMIS_BUS_H
#define ARTEMIS_BUS_H

#include <stdint.h>

#define BUS_REGISTRY	"registry"	/* registryd: table change_seq */
#define BUS_MGMT	"mgmt"		/* mgmtd: management DB version */

struct bus_pub;
struct bus_sub;

struct bus_hint {
	uint64_t	seq;		/* publisher's sequence (table change_seq, DB version) */
	int		gap;		/* 1: messages were missed, the publisher restarted,
					 * or this is the first message heard */
};

struct bus_pub	*bus_pub_open(const char *state_dir, const char *name);
int		 bus_publish(struct bus_pub *, uint64_t seq);	/* never blocks */
void		 bus_pub_close(struct bus_pub *);

/* Dials (and keeps re-dialling) the publisher; works before it exists. */
struct bus_sub	*bus_sub_open(const char *state_dir, const char *name);
int		 bus_sub_fd(struct bus_sub *);	/* readable when a hint may be waiting */
/* Non-blocking: 1 and *h filled, 0 nothing waiting, -1 error. */
int		 bus_sub_recv(struct bus_sub *, struct bus_hint *h);
void		 bus_sub_close(struct bus_sub *);

#endif
