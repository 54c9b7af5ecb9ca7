/*
 * artemis-replicator — the cluster: peer health, outbound replication, bootstrap
 * from peers (core-contract §9). Writes the cluster view; reads the instance
 * table. Serves only the shared status routes, /health and /metrics.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cluster_view.h"
#include "http.h"
#include "log.h"
#include "ratelimit.h"
#include "replicator.h"
#include "table.h"

#define MAX_ROUTES	16

static struct replicator replicator;

int
replicator_sleep(struct replicator *r, int64_t ms)
{
	struct timespec ts;
	int stop;

	mono_deadline(&ts, ms);
	pthread_mutex_lock(&r->stop_lock);
	while (!(stop = atomic_load(&r->stopping)) &&
	    pthread_cond_timedwait(&r->stop_cond, &r->stop_lock, &ts) != ETIMEDOUT)
		;
	stop = atomic_load(&r->stopping);
	pthread_mutex_unlock(&r->stop_lock);
	return stop;
}

static void
stop_all(struct replicator *r)
{
	size_t i;

	pthread_mutex_lock(&r->stop_lock);
	atomic_store(&r->stopping, 1);
	pthread_cond_broadcast(&r->stop_cond);
	pthread_mutex_unlock(&r->stop_lock);
	bootstrap_join(r);
	forward_join(r);
	peers_join(r);
	for (i = 0; i < r->npeers; i++)
		sender_stop(&r->peers[i]);
}

static void
metric_peer(struct sbuf *out, const char *name, const struct peer *p, const char *extra,
    uint64_t v)
{
	sbuf_addf(out, "artemis_replicator_%s{peer=\"%s\"%s} %llu\n", name, p->url, extra,
	    (unsigned long long)v);
}

static void
metrics(struct sbuf *out, void *arg)
{
	struct replicator *r = arg;
	size_t i, k;
	char lbl[64];

	sbuf_addf(out, "artemis_replicator_journal_seq %llu\n"
	    "artemis_replicator_journal_records_total %llu\n"
	    "artemis_replicator_journal_resyncs_total %llu\n"
	    "artemis_replicator_peer_origin_skipped_total %llu\n"
	    "artemis_replicator_unregister_lost_total %llu\n"
	    "artemis_replicator_bootstrap_attempts_total %llu\n"
	    "artemis_replicator_bootstrap_registered_total %llu\n"
	    "artemis_replicator_node_up %d\n",
	    (unsigned long long)atomic_load(&r->journal_seq),
	    (unsigned long long)atomic_load(&r->journal_records),
	    (unsigned long long)atomic_load(&r->resyncs),
	    (unsigned long long)atomic_load(&r->skipped_peer_origin),
	    (unsigned long long)atomic_load(&r->unregister_lost),
	    (unsigned long long)atomic_load(&r->bootstrap_attempts),
	    (unsigned long long)atomic_load(&r->bootstrap_registered),
	    self_is_up(r));
	for (k = 0; k < TASK_KINDS; k++)
		sbuf_addf(out, "artemis_replicator_tasks_queued_total{kind=\"%s\"} %llu\n",
		    task_names[k], (unsigned long long)atomic_load(&r->queued[k]));
	for (i = 0; i < r->npeers; i++) {
		struct peer *p = &r->peers[i];
		size_t qlen;
		int st;

		pthread_mutex_lock(&p->lock);
		qlen = p->qlen;
		st = p->st.status;
		pthread_mutex_unlock(&p->lock);
		snprintf(lbl, sizeof(lbl), ",status=\"%s\"", cluster_status_name(st));
		metric_peer(out, "peer_status", p, lbl, 1);
		metric_peer(out, "peer_can_serve_registry", p, "",
		    (uint64_t)peer_can_serve_registry(p));
		for (k = 0; k < TASK_KINDS; k++) {
			snprintf(lbl, sizeof(lbl), ",kind=\"%s\"", task_names[k]);
			metric_peer(out, "tasks_sent_total", p, lbl, atomic_load(&p->sent[k]));
		}
		metric_peer(out, "tasks_failed_total", p, "", atomic_load(&p->failed));
		metric_peer(out, "tasks_retried_total", p, "", atomic_load(&p->retried));
		metric_peer(out, "tasks_dropped_total", p, ",reason=\"overflow\"",
		    atomic_load(&p->dropped_overflow));
		metric_peer(out, "tasks_dropped_total", p, ",reason=\"expired\"",
		    atomic_load(&p->dropped_expired));
		metric_peer(out, "requests_total", p, "", atomic_load(&p->requests));
		metric_peer(out, "full_resyncs_total", p, "", atomic_load(&p->full_resyncs));
		metric_peer(out, "resync_unregisters_total", p, "",
		    atomic_load(&p->tombstones_sent));
		metric_peer(out, "polls_failed_total", p, "", atomic_load(&p->polls_failed));
		metric_peer(out, "queue_length", p, "", qlen);
	}
}

static void
open_view(struct replicator *r)
{
	char err[512];

	if (mkdir(r->cfg.state_dir, 0755) == -1 && errno != EEXIST)
		fatal("state directory %s", r->cfg.state_dir);
	if ((r->view = cluster_view_open_writer(&r->cfg, err, sizeof(err))) == NULL)
		fatalx("cluster view: %s", err);
}

int
main(int argc, char **argv)
{
	struct replicator *r = &replicator;
	struct http_route routes[MAX_ROUTES];
	struct http_server *http;
	pthread_condattr_t ca;
	size_t n, i;
	int sig;

	http_block_signals();
	config_daemon_main(argc, argv, "artemis-replicator", &r->cfg);
	if (!r->cfg.replicator_listen.set)
		fatalx("%s: [replicator] listen is not set", r->cfg.file);
	pthread_mutex_init(&r->view_lock, NULL);
	pthread_mutex_init(&r->stop_lock, NULL);
	if (pthread_condattr_init(&ca) != 0 ||
	    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) != 0 ||
	    pthread_cond_init(&r->stop_cond, &ca) != 0)
		fatalx("pthread_cond_init");
	pthread_condattr_destroy(&ca);

	open_view(r);
	peers_init(r);
	bootstrap_start(r);	/* decides this node's status before the first publish */
	for (i = 0; i < r->npeers; i++)
		sender_start(&r->peers[i]);
	peers_start(r);
	forward_start(r);

	r->node.cfg = &r->cfg;
	r->node.self_url = r->cfg.registry_url;
	r->node.rl_cluster = ratelimit_new(r->cfg.rl_cluster, r->cfg.rl_cluster_map);
	r->node.rl_status = ratelimit_new(r->cfg.rl_status, r->cfg.rl_status_map);
	if (!r->node.rl_cluster || !r->node.rl_status)
		fatalx("bad [ratelimit] map");
	n = status_routes(&r->node, routes, MAX_ROUTES);
	http = http_server_start(&r->cfg, &r->cfg.replicator_listen, routes, n, NULL);
	if (http == NULL)
		fatalx("cannot listen on %s:%d", r->cfg.replicator_listen.host,
		    r->cfg.replicator_listen.port);
	http_server_set_metrics(http, metrics, r);
	log_info("serving on %s:%d, %zu peers", r->cfg.replicator_listen.host,
	    r->cfg.replicator_listen.port, r->npeers);

	while ((sig = http_wait_for_signal(-1)) == 0)
		;
	log_info("signal %d: shutting down", sig);
	http_server_stop(http);
	stop_all(r);
	cluster_view_close(r->view);
	ratelimit_free(r->node.rl_cluster);
	ratelimit_free(r->node.rl_status);
	free(r->peers);
	return 0;
}
