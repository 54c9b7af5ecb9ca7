/*
 * test_cluster_view.c — [cluster] peers parsing and the cluster view file:
 * create, publish, read back, re-attach, replace, refuse garbage.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cluster_view.h"
#include "config.h"
#include "tap.h"

static void
test_parse(void)
{
	struct config c;
	struct cluster_peer p[CLUSTER_MAX_PEERS];
	size_t n, self_at;

	config_defaults(&c);
	strlcpy(c.zone, "sha-z1", sizeof(c.zone));
	strlcpy(c.registry_url, "http://10.0.0.1:8080", sizeof(c.registry_url));
	strlcpy(c.discovery_url, "http://10.0.0.1:8081", sizeof(c.discovery_url));
	strlcpy(c.peers, "sha-z2:http://10.0.1.1:8080/; SHA-Z1 : http://10.0.0.1:8080/ , "
	    "http://10.0.0.2:8080 ;bad;sha-z1:http://10.0.0.3:8080", sizeof(c.peers));
	n = cluster_peers_parse(&c, p, CLUSTER_MAX_PEERS);
	ok(n == 3, "three peers (own URL skipped, entry without zone skipped): %zu", n);
	ok(n == 3 && strcmp(p[0].url, "http://10.0.0.2:8080") == 0 &&
	    strcmp(p[0].zone, "SHA-Z1") == 0, "local zone first, trimmed, zone case kept");
	ok(n == 3 && strcmp(p[1].url, "http://10.0.0.3:8080") == 0, "local zone in order");
	ok(n == 3 && strcmp(p[2].zone, "sha-z2") == 0, "other zones last");
	ok(cluster_peers_parse(&c, p, 1) == 1, "bounded by max");
	n = cluster_peers_parse_self(&c, p, CLUSTER_MAX_PEERS, &self_at);
	ok(n == 3 && self_at == 0, "listed first in its zone: it stands first (%zu)", self_at);
	strlcpy(c.peers, "sha-z2:http://10.0.1.1:8080;sha-z1:http://10.0.0.2:8080,"
	    "http://10.0.0.3:8080,http://10.0.0.1:8080/,http://10.0.0.4:8080", sizeof(c.peers));
	n = cluster_peers_parse_self(&c, p, CLUSTER_MAX_PEERS, &self_at);
	ok(n == 4 && self_at == 2 && strcmp(p[2].url, "http://10.0.0.4:8080") == 0,
	    "listed third in its zone: two local peers before it (%zu)", self_at);
	strlcpy(c.peers, "sha-z2:http://10.0.0.1:8081;sha-z1:http://10.0.0.2:8080",
	    sizeof(c.peers));
	n = cluster_peers_parse_self(&c, p, CLUSTER_MAX_PEERS, &self_at);
	ok(n == 1 && self_at == 0, "listed under another zone only: first (%zu)", self_at);
	c.peers[0] = '\0';
	ok(cluster_peers_parse(&c, p, CLUSTER_MAX_PEERS) == 0, "no peers");
	ok(cluster_peers_parse_self(&c, p, CLUSTER_MAX_PEERS, &self_at) == 0 && self_at == 0,
	    "no peers: this node alone");
}

static void
test_file(void)
{
	struct config c;
	struct cluster_view *w, *r, *w2;
	struct cluster_snapshot *s, *got;
	struct cluster_entry self;
	char dir[] = "/tmp/test_cluster_view.XXXXXX", path[PATH_MAX], err[256];
	uint32_t managed = 9;
	FILE *f;

	if (mkdtemp(dir) == NULL) {
		ok(0, "mkdtemp");
		return;
	}
	config_defaults(&c);
	strlcpy(c.state_dir, dir, sizeof(c.state_dir));
	config_state_path(&c, CLUSTER_VIEW_FILE, path, sizeof(path));
	ok(cluster_view_open_reader(path) == NULL, "no file: no reader");

	w = cluster_view_open_writer(&c, err, sizeof(err));
	ok(w != NULL, "writer creates the file");
	r = cluster_view_open_reader(path);
	ok(r != NULL, "reader attaches");
	s = calloc(1, sizeof(*s));
	got = calloc(1, sizeof(*got));
	ok(r && cluster_view_read(r, got) == 0 && got->npeers == 0 && !got->self_managed &&
	    got->self.status == CV_UNKNOWN, "fresh view is empty, all unknown");

	s->self_managed = 1;
	s->self.status = CV_STARTING;
	s->npeers = 2;
	strlcpy(s->peers[0].url, "http://a", sizeof(s->peers[0].url));
	strlcpy(s->peers[0].zone, "z1", sizeof(s->peers[0].zone));
	s->peers[0].status = CV_UP;
	s->peers[0].can_registry = CV_TRUE;
	strlcpy(s->peers[1].url, "http://b", sizeof(s->peers[1].url));
	strlcpy(s->peers[1].zone, "z2", sizeof(s->peers[1].zone));
	cluster_view_publish(w, s);
	ok(cluster_view_read(r, got) == 0 && got->npeers == 2, "reader sees the publish");
	ok(cluster_snapshot_find(got, "z1", "http://a") &&
	    cluster_snapshot_find(got, "z1", "http://a")->can_registry == CV_TRUE,
	    "find peer a");
	ok(cluster_snapshot_find(got, "z1", "http://b") == NULL, "zone must match");
	ok(cluster_view_read_self(r, &self, &managed) == 0 && managed == 1 &&
	    self.status == CV_STARTING, "read_self");

	/* a second writer (restarted replicator) re-attaches the same file */
	w2 = cluster_view_open_writer(&c, err, sizeof(err));
	ok(w2 != NULL && !cluster_view_replaced(r), "re-attach keeps the file");
	s->self.status = CV_UP;
	cluster_view_publish(w2, s);
	ok(cluster_view_read_self(r, &self, &managed) == 0 && self.status == CV_UP,
	    "reader sees the new writer");

	/* garbage in place of the file: writer replaces it, reader notices */
	unlink(path);
	if ((f = fopen(path, "w")) != NULL) {
		fputs("not a view", f);
		fclose(f);
	}
	ok(cluster_view_open_reader(path) == NULL, "garbage is not a view");
	ok(cluster_view_replaced(r), "reader notices the replaced file");
	cluster_view_close(w2);
	w2 = cluster_view_open_writer(&c, err, sizeof(err));
	ok(w2 != NULL, "writer recreates over garbage");
	cluster_view_close(r);
	r = cluster_view_open_reader(path);
	ok(r && cluster_view_read(r, got) == 0 && got->npeers == 0, "recreated view is empty");

	ok(strcmp(cluster_status_name(CV_STARTING), "starting") == 0 &&
	    cluster_status_parse("UP") == CV_UP && cluster_status_parse("x") == CV_UNKNOWN,
	    "status names");
	cluster_view_close(r);
	cluster_view_close(w);
	cluster_view_close(w2);
	free(s);
	free(got);
	unlink(path);
	rmdir(dir);
}

int
main(void)
{
	test_parse();
	test_file();
	return done_testing();
}
