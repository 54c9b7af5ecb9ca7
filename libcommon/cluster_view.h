/*
 * cluster_view.h — what artemis-replicator knows about the cluster, published to
 * every daemon of this node through one small file in the state directory
 * (cluster.view), mmap'd MAP_SHARED like the instance table: the replicator maps it
 * read-write (its only writer), status.c in every other daemon read-only.
 *
 * FILE: struct cluster_view_file. magic (non-zero) and layout version first; the
 * whole payload (this node's managed status and one entry per configured peer) is
 * guarded by one sequence lock: the writer makes seq odd, copies, makes it even;
 * readers copy and retry while seq was odd or moved. All-zero bytes never look
 * valid (magic 0) and an all-zero entry reads as status "unknown", flags null.
 *
 * The file is created under a temporary name and rename(2)d into place; a
 * replicator that restarts re-attaches to a valid file and rewrites it in place, so
 * readers keep their mapping. Readers re-check the path's inode about once a
 * second and re-map when the file was replaced.
 *
 * URLS: files written since the peer URLs were learned carry a second area right
 * after struct cluster_view_file (struct cluster_view_urls: its own magic, size,
 * and the seq value of the publish that wrote it), filled under the same
 * sequence lock. The first area keeps layout version 1 and its size, so a daemon
 * built before reads a new file as before; a reader uses the URLs only when the
 * area's seq matches the snapshot's (an older replicator that re-attached to a
 * new file publishes without touching them: they are ignored, not stale). A
 * writer that finds a file without the area replaces it with one that has it,
 * the snapshot copied over (bootstrap reads it back).
 *
 * PEERS: [cluster] peers = zone:url[,url...][;zone:url...]. A peer node is addressed
 * by the one URL given there: it is polled (/api/status/node.json), receives
 * replication (/api/replication/registry/...) and is named by it in cluster.json,
 * like Java's one URL per node. Point it at the peer's registryd (which answers
 * every one of those paths). Entries equal to this node's own registry-url or
 * discovery-url are this node, not peers (a shared peer list may name every node).
 * A node of ours answers node.json with its [node] registry-url and discovery-url
 * in the headers below (the body is Java's); the replicator keeps them per peer
 * (struct cluster_urls) and up-registry-nodes / up-discovery-nodes list a peer by
 * the URL of that kind when it sent one, by the configured URL otherwise (a Java
 * peer sends none).
 */
#ifndef ARTEMIS_CLUSTER_VIEW_H
#define ARTEMIS_CLUSTER_VIEW_H

#include <stdatomic.h>
#include <stdint.h>

#include "config.h"

#define CLUSTER_VIEW_FILE	"cluster.view"
#define CLUSTER_VIEW_MAGIC	0x31574549564c4341ULL	/* "ACLVIEW1" */
#define CLUSTER_VIEW_VERSION	1
#define CLUSTER_MAX_PEERS	64
#define CLUSTER_URLS_MAGIC	0x314c5255564c4341ULL	/* "ACLVURL1" */

/* node.json response headers: the answering node's advertised URLs */
#define CLUSTER_HDR_REGISTRY_URL	"X-Artemis-Registry-Url"
#define CLUSTER_HDR_DISCOVERY_URL	"X-Artemis-Discovery-Url"

/* status; 0 = unknown so that zero bytes mean "never polled" */
enum cv_status { CV_UNKNOWN = 0, CV_STARTING = 1, CV_UP = 2, CV_DOWN = 3 };
/* tri-state flags; 0 = null */
enum cv_flag { CV_NULL = 0, CV_FALSE = 1, CV_TRUE = 2 };

struct cluster_entry {
	char		 url[CONFIG_STR];
	char		 zone[CONFIG_STR];
	uint8_t		 status;		/* enum cv_status */
	uint8_t		 can_registry;		/* enum cv_flag */
	uint8_t		 can_discovery;
	uint8_t		 allow_registry_other_zone;
	uint8_t		 allow_discovery_other_zone;
	uint8_t		 pad[3];
	int64_t		 polled_ms;		/* epoch ms of the last poll (0 = never) */
};

struct cluster_snapshot {
	uint64_t		 table_id;	/* table the self status was earned for */
	uint32_t		 self_managed;	/* 1: self holds this node's status */
	uint32_t		 npeers;
	int64_t			 updated_ms;	/* last publish, epoch ms */
	struct cluster_entry	 self;
	struct cluster_entry	 peers[CLUSTER_MAX_PEERS];
};

struct cluster_view_file {
	uint64_t		 magic;
	uint32_t		 version;
	uint32_t		 size;		/* sizeof(struct cluster_view_file) */
	_Atomic uint32_t	 seq;		/* sequence lock over snap */
	_Atomic int32_t		 writer_pid;
	struct cluster_snapshot	 snap;
};

/* What a peer advertises of itself (node.json's headers); "" = not known. */
struct cluster_urls {
	char		 registry_url[CONFIG_STR];
	char		 discovery_url[CONFIG_STR];
};

/* The second area of the file (see URLS above); peers[i] belongs to snap.peers[i]. */
struct cluster_view_urls {
	uint64_t		 magic;		/* CLUSTER_URLS_MAGIC */
	uint32_t		 size;		/* sizeof(struct cluster_view_urls) */
	uint32_t		 seq;		/* the publish that wrote peers */
	struct cluster_urls	 peers[CLUSTER_MAX_PEERS];
};

/* A configured peer (parsed from [cluster] peers). */
struct cluster_peer {
	char	zone[CONFIG_STR];
	char	url[CONFIG_STR];
};

/* Peers of c: local zone first (zone compared case-insensitively), then other
 * zones, each in configuration order; this node's own URLs are skipped. */
size_t	cluster_peers_parse(const struct config *c, struct cluster_peer *out, size_t max);
/* The same, and where this node stands among them as Java lists a cluster (the
 * local zone's nodes in configuration order, this one included): *self_at
 * local-zone peers come before it (0 when its URL is not in the list). */
size_t	cluster_peers_parse_self(const struct config *c, struct cluster_peer *out,
	    size_t max, size_t *self_at);

struct cluster_view;

/* Writer (replicator): attach to a valid file or create a fresh one. */
struct cluster_view *cluster_view_open_writer(const struct config *c, char *err,
	    size_t errlen);
/* urls: s->npeers entries, index for index with s->peers; NULL: none known. */
void	cluster_view_publish(struct cluster_view *, const struct cluster_snapshot *s,
	    const struct cluster_urls *urls);

/* Reader: NULL if the file is missing or not valid (yet). */
struct cluster_view *cluster_view_open_reader(const char *path);
/* 1 when the file at the view's path is not the one mapped. */
int	cluster_view_replaced(struct cluster_view *);
/* Consistent copy; 0 ok, -1 the writer kept it busy (caller treats as absent).
 * urls (NULL: not wanted) gets CLUSTER_MAX_PEERS entries for out->peers, all ""
 * when the file holds none for this snapshot. */
int	cluster_view_read(struct cluster_view *, struct cluster_snapshot *out,
	    struct cluster_urls *urls);
/* Only this node's entry and self_managed (the hot path of status checks). */
int	cluster_view_read_self(struct cluster_view *, struct cluster_entry *self,
	    uint32_t *self_managed);
void	cluster_view_close(struct cluster_view *);

/* Status name ("up", "starting", ...) and the reverse (unknown text -> CV_UNKNOWN). */
const char	*cluster_status_name(int status);
int		 cluster_status_parse(const char *);

/* 1 if s is fit to be a learned URL: http:// or https:// and a host, shorter
 * than CONFIG_STR, no space or control character. */
int	cluster_url_valid(const char *s, size_t len);

/* Find a peer entry by (zone, url) in a snapshot; NULL if absent. */
const struct cluster_entry *cluster_snapshot_find(const struct cluster_snapshot *,
	    const char *zone, const char *url);

#endif
