/*
 * replicator.h — artemis-replicator: the cluster. Peer health, outbound
 * replication, bootstrap from peers (core-contract §9).
 *
 *   main.c       start-up, HTTP (status routes, /health, /metrics), signals
 *   peers.c      the peer list, health polling (§9.3), the cluster view
 *   sender.c     one bounded task queue and one worker thread per peer (§9.4)
 *   forward.c    follows the table journal and scans leases, queues tasks
 *   bootstrap.c  brings a force-up=false node up from an up peer (§9.5)
 *
 * The replicator never writes the instance table: bootstrap registrations go to
 * registryd over its nng command channel (cmd/artemis-registryd/command.h).
 */
#ifndef ARTEMIS_REPLICATOR_H
#define ARTEMIS_REPLICATOR_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/queue.h>

#include "cluster_view.h"
#include "config.h"
#include "sbuf.h"
#include "status.h"

#define TASK_TTL_MS		5000	/* §9.4 task-ttl */
#define QUEUE_MAX		100000	/* tasks per peer (a task is one instance) */
#define BATCH_MAX		250	/* instances per request (max-batching-size) */
#define HEARTBEAT_SCAN_MS	1000	/* lease scan for client renewals */
#define POLL_TIMEOUT_MS		200	/* node.json */
#define POLL_ATTEMPTS		3
#define POLL_RETRY_MS		10
#define SEND_TIMEOUT_MS		500	/* replication requests */
#define BOOTSTRAP_TIMEOUT_MS	2000	/* services.json */
#define BOOTSTRAP_INTERVAL_MS	1000	/* §9.2 node.init.sync-interval */

enum task_kind { TASK_REGISTER, TASK_HEARTBEAT, TASK_UNREGISTER, TASK_KINDS };

struct task {
	TAILQ_ENTRY(task)	 entry;
	enum task_kind		 kind;
	int64_t			 expiry;	/* mono_ms */
	char			*key;		/* instance key (table form) */
	size_t			 json_len;
	char			*json;		/* instance JSON */
};
TAILQ_HEAD(task_queue, task);

struct peer {
	char			 url[CONFIG_STR];
	char			 zone[CONFIG_STR];
	struct replicator	*r;

	pthread_mutex_t		 lock;		/* st, urls, queue, full_resync */
	pthread_cond_t		 cond;
	struct cluster_entry	 st;		/* last poll */
	struct cluster_urls	 urls;		/* what it advertised in that poll */
	struct task_queue	 queue;
	size_t			 qlen;
	int			 full_resync;	/* became able to serve: send every lease
						 * and every tombstone (forward.c) */
	int			 is_self;	/* this node by another URL (§9.1 note):
						 * listed, never replicated to */
	pthread_t		 thread;

	_Atomic uint64_t	 sent[TASK_KINDS];	/* instances accepted by the peer */
	_Atomic uint64_t	 failed;		/* dropped after a permanent failure */
	_Atomic uint64_t	 retried;		/* instances sent again */
	_Atomic uint64_t	 dropped_overflow;	/* queue full: oldest dropped */
	_Atomic uint64_t	 dropped_expired;	/* task-ttl passed */
	_Atomic uint64_t	 polls_failed;
	_Atomic uint64_t	 requests;		/* HTTP requests sent */
	_Atomic uint64_t	 full_resyncs;		/* lease scans that sent it everything */
	_Atomic uint64_t	 tombstones_sent;	/* unregisters re-sent in those */
};

struct replicator {
	struct config		 cfg;
	struct node_ctx		 node;
	struct peer		*peers;
	size_t			 npeers;

	struct cluster_view	*view;
	pthread_mutex_t		 view_lock;	/* self below; publishing */
	struct cluster_entry	 self;		/* own status when self_managed */
	int			 self_managed;	/* force-up = false */
	uint64_t		 self_table_id;

	pthread_mutex_t		 stop_lock;
	pthread_cond_t		 stop_cond;	/* CLOCK_MONOTONIC */
	_Atomic int		 stopping;

	pthread_t		 poller, forwarder, bootstrapper;
	int			 bootstrapping;

	/* forward.c counters */
	_Atomic uint64_t	 journal_seq;
	_Atomic uint64_t	 journal_records;
	_Atomic uint64_t	 resyncs;
	_Atomic uint64_t	 skipped_peer_origin;
	_Atomic uint64_t	 unregister_lost;
	_Atomic uint64_t	 queued[TASK_KINDS];
	_Atomic uint64_t	 bootstrap_attempts;
	_Atomic uint64_t	 bootstrap_registered;
};

extern const char *const task_names[TASK_KINDS];

/* main.c: sleep up to ms; 1 if the replicator is stopping. */
int	replicator_sleep(struct replicator *, int64_t ms);

/* peers.c */
void	peers_init(struct replicator *);
void	peers_start(struct replicator *);	/* the poller thread */
void	peers_join(struct replicator *);
/* 1 if the peer's last poll says it can serve registry (§9.2). */
int	peer_can_serve_registry(struct peer *);
int	peer_status(struct peer *);		/* enum cv_status */
int	peer_is_self(struct peer *);		/* this node under another URL */
/* Publish peers and self to the cluster view. */
void	view_publish(struct replicator *);
void	self_mark_up(struct replicator *);
int	self_is_up(struct replicator *);

/* sender.c */
void	sender_start(struct peer *);
void	sender_stop(struct peer *);
/* Queue one task (copies key and json). Drops the oldest on overflow. */
void	sender_enqueue(struct peer *, enum task_kind, const char *key, size_t key_len,
	    const char *json, size_t json_len);
/* Retry class of an errorCode (§9.4): 1 retry, 0 drop. */
int	sender_retryable(const char *error_code);

/* forward.c */
void	forward_start(struct replicator *);
void	forward_join(struct replicator *);

/* bootstrap.c */
void	bootstrap_start(struct replicator *);
void	bootstrap_join(struct replicator *);

#endif
