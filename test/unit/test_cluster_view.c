/*
 * test_cluster_view.c — [cluster] peers parsing and the cluster view file:
 * create, publish, read back, re-attach, replace, refuse garbage; the peers'
 * learned URLs: round trip, a file written before them (read, upgraded), an older
 * writer publishing past them, what an older reader checks.
 */
#include <sys/mman.h>

#include <fcntl.h>
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

/* A fresh state dir (dir, a mkdtemp template) in c, and the view's path in it. */
static int
view_dir(char *dir, struct config *c, char *path, size_t len)
{
	if (mkdtemp(dir) == NULL) {
		ok(0, "mkdtemp");
		return -1;
	}
	config_defaults(c);
	strlcpy(c->state_dir, dir, sizeof(c->state_dir));
	config_state_path(c, CLUSTER_VIEW_FILE, path, len);
	return 0;
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

	if (view_dir(dir, &c, path, sizeof(path)) == -1)
		return;
	ok(cluster_view_open_reader(path) == NULL, "no file: no reader");

	w = cluster_view_open_writer(&c, err, sizeof(err));
	ok(w != NULL, "writer creates the file");
	r = cluster_view_open_reader(path);
	ok(r != NULL, "reader attaches");
	s = calloc(1, sizeof(*s));
	got = calloc(1, sizeof(*got));
	ok(r && cluster_view_read(r, got, NULL) == 0 && got->npeers == 0 && !got->self_managed &&
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
	cluster_view_publish(w, s, NULL);
	ok(cluster_view_read(r, got, NULL) == 0 && got->npeers == 2, "reader sees the publish");
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
	cluster_view_publish(w2, s, NULL);
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
	ok(r && cluster_view_read(r, got, NULL) == 0 && got->npeers == 0, "recreated view is empty");

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

static void
test_url_valid(void)
{
	static const char *good[] = { "http://h", "https://10.0.0.1:8081/artemis-service",
	    "HTTP://H:1/" };
	static const char *bad[] = { "", "http://", "https://", "ftp://h", "h:80",
	    "http:///x", "http://h x", "http://h\r\nX-Evil: 1", "java.lang.Object@1" };
	char longurl[CONFIG_STR + 8];
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		ok(cluster_url_valid(good[i], strlen(good[i])), "valid: %s", good[i]);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ok(!cluster_url_valid(bad[i], strlen(bad[i])), "not valid: bad[%zu]", i);
	memset(longurl, 'a', sizeof(longurl) - 1);
	longurl[sizeof(longurl) - 1] = '\0';
	memcpy(longurl, "http://", 7);
	ok(!cluster_url_valid(longurl, strlen(longurl)), "not valid: too long");
	longurl[CONFIG_STR - 1] = '\0';
	ok(cluster_url_valid(longurl, strlen(longurl)), "valid: CONFIG_STR - 1 bytes");
}

/* What a replicator built before the URLs wrote: the first area alone. */
static int
write_old_file(const char *path, const struct cluster_snapshot *snap)
{
	struct cluster_view_file *f;
	int fd, rc = -1;

	if ((fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644)) == -1)
		return -1;
	if ((f = calloc(1, sizeof(*f))) == NULL)
		goto out;
	f->magic = CLUSTER_VIEW_MAGIC;
	f->version = CLUSTER_VIEW_VERSION;
	f->size = sizeof(*f);
	atomic_store(&f->seq, 6);
	f->snap = *snap;
	if (write(fd, f, sizeof(*f)) == (ssize_t)sizeof(*f))
		rc = 0;
	free(f);
out:
	close(fd);
	return rc;
}

static void
test_urls(void)
{
	struct config c;
	struct cluster_view *w, *r, *r2;
	struct cluster_snapshot *s, *got;
	struct cluster_urls *urls, *gu;
	struct cluster_view_file *raw;
	char dir[] = "/tmp/test_cluster_view.XXXXXX", path[PATH_MAX], err[256];
	struct stat st;
	int fd;

	if (view_dir(dir, &c, path, sizeof(path)) == -1)
		return;
	s = calloc(1, sizeof(*s));
	got = calloc(1, sizeof(*got));
	urls = calloc(CLUSTER_MAX_PEERS, sizeof(*urls));
	gu = calloc(CLUSTER_MAX_PEERS, sizeof(*gu));

	/* a file from before: read as before, no URLs */
	s->self_managed = 1;
	s->self.status = CV_UP;
	s->table_id = 7;
	s->npeers = 2;
	strlcpy(s->peers[0].url, "http://a:8080", sizeof(s->peers[0].url));
	strlcpy(s->peers[0].zone, "z1", sizeof(s->peers[0].zone));
	strlcpy(s->peers[1].url, "http://b:8080", sizeof(s->peers[1].url));
	strlcpy(s->peers[1].zone, "z1", sizeof(s->peers[1].zone));
	ok(write_old_file(path, s) == 0, "old-format file written");
	r = cluster_view_open_reader(path);
	memset(gu, 'x', CLUSTER_MAX_PEERS * sizeof(*gu));
	ok(r && cluster_view_read(r, got, gu) == 0 && got->npeers == 2 &&
	    got->table_id == 7 && gu[0].discovery_url[0] == '\0' &&
	    gu[1].registry_url[0] == '\0', "old-format file: snapshot read, no URLs");

	/* the new writer upgrades it, keeping the snapshot */
	w = cluster_view_open_writer(&c, err, sizeof(err));
	ok(w != NULL, "writer attaches to the old-format file (%s)", w ? "" : err);
	ok(r && cluster_view_replaced(r), "it was replaced (readers re-map)");
	ok(stat(path, &st) == 0 && (size_t)st.st_size > sizeof(struct cluster_view_file),
	    "the new file has the URLs area");
	r2 = cluster_view_open_reader(path);
	ok(r2 && cluster_view_read(r2, got, gu) == 0 && got->self_managed == 1 &&
	    got->self.status == CV_UP && got->table_id == 7 && got->npeers == 2 &&
	    strcmp(got->peers[1].url, "http://b:8080") == 0,
	    "the snapshot survived the upgrade");

	/* round trip */
	strlcpy(urls[0].registry_url, "http://a:8080", sizeof(urls[0].registry_url));
	strlcpy(urls[0].discovery_url, "http://a:8081/", sizeof(urls[0].discovery_url));
	strlcpy(urls[1].discovery_url, "ftp://b", sizeof(urls[1].discovery_url));
	strlcpy(urls[2].discovery_url, "http://beyond", sizeof(urls[2].discovery_url));
	cluster_view_publish(w, s, urls);
	ok(r2 && cluster_view_read(r2, got, gu) == 0 &&
	    strcmp(gu[0].registry_url, "http://a:8080") == 0 &&
	    strcmp(gu[0].discovery_url, "http://a:8081/") == 0, "URLs round trip");
	ok(gu[1].registry_url[0] == '\0' && gu[1].discovery_url[0] == '\0',
	    "no URL, and a bad one read as none");
	ok(gu[2].discovery_url[0] == '\0', "nothing beyond npeers");
	ok(r2 && cluster_view_read(r2, got, NULL) == 0 && got->npeers == 2,
	    "URLs not wanted");
	cluster_view_publish(w, s, NULL);
	ok(r2 && cluster_view_read(r2, got, gu) == 0 && gu[0].discovery_url[0] == '\0',
	    "published without URLs: none");

	/* an older replicator on the new file publishes the first area alone */
	cluster_view_publish(w, s, urls);
	fd = open(path, O_RDWR);
	raw = fd == -1 ? MAP_FAILED : mmap(NULL, sizeof(*raw), PROT_READ | PROT_WRITE,
	    MAP_SHARED, fd, 0);
	ok(raw != MAP_FAILED && raw->version == CLUSTER_VIEW_VERSION &&
	    raw->size == sizeof(*raw) && raw->magic == CLUSTER_VIEW_MAGIC,
	    "first area as an older daemon checks it");
	if (raw != MAP_FAILED) {
		atomic_fetch_add(&raw->seq, 1);
		raw->snap.updated_ms++;
		atomic_fetch_add(&raw->seq, 1);
		munmap(raw, sizeof(*raw));
	}
	if (fd != -1)
		close(fd);
	ok(r2 && cluster_view_read(r2, got, gu) == 0 && gu[0].discovery_url[0] == '\0' &&
	    got->npeers == 2, "URLs of another publish are ignored");

	/* a restarted writer re-attaches in place */
	cluster_view_close(w);
	w = cluster_view_open_writer(&c, err, sizeof(err));
	ok(w != NULL && r2 && !cluster_view_replaced(r2), "new-format file re-attached");
	if (w != NULL)
		cluster_view_publish(w, s, urls);
	ok(r2 && cluster_view_read(r2, got, gu) == 0 &&
	    strcmp(gu[0].discovery_url, "http://a:8081/") == 0, "and publishes URLs");

	cluster_view_close(r);
	cluster_view_close(r2);
	cluster_view_close(w);
	free(s);
	free(got);
	free(urls);
	free(gu);
	unlink(path);
	rmdir(dir);
}

int
main(void)
{
	test_parse();
	test_file();
	test_url_valid();
	test_urls();
	return done_testing();
}
