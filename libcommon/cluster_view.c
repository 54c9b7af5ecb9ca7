/*
 * cluster_view.c — the cluster view file (see cluster_view.h) and the [cluster]
 * peers parser shared by status.c and the replicator.
 *
 * The sequence lock follows table.c: odd seq, release fence, copy, even seq with
 * release; readers load seq with acquire, copy, acquire fence, load it again.
 */
#include <sys/mman.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cluster_view.h"
#include "log.h"

#define READ_TRIES	10000

struct cluster_view {
	char				 path[PATH_MAX];
	int				 fd;
	dev_t				 dev;
	ino_t				 ino;
	struct cluster_view_file	*f;
	struct cluster_view_urls	*u;	/* NULL: a file without the area */
	size_t				 maplen;
};

/* ------------------------------------------------------------------ peers */

/* "http://h:p/" and "http://h:p" name the same node. */
static int
same_url(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	while (la > 0 && a[la - 1] == '/')
		la--;
	while (lb > 0 && b[lb - 1] == '/')
		lb--;
	return la == lb && la > 0 && strncasecmp(a, b, la) == 0;
}

static char *
trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
		*--e = '\0';
	return s;
}

/* Peers in cluster_peers_parse()'s order; *self_at (if not NULL) is how many
 * local-zone peers are listed before this node's own first URL in its zone
 * (0 when it is not listed there). */
static size_t
parse_peers(const struct config *c, struct cluster_peer *out, size_t max, size_t *self_at)
{
	char list[CONFIG_LIST], *zp, *zsave = NULL, *up, *usave = NULL, *colon;
	struct cluster_peer tmp[CLUSTER_MAX_PEERS];
	size_t cnt = 0, total = 0, pass, i, local_before = 0;
	int self_seen = 0, local;

	strlcpy(list, c->peers, sizeof(list));
	for (zp = strtok_r(list, ";", &zsave); zp; zp = strtok_r(NULL, ";", &zsave)) {
		if ((colon = strchr(zp, ':')) == NULL)
			continue;
		*colon = '\0';
		zp = trim(zp);
		local = strcasecmp(zp, c->zone) == 0;
		for (up = strtok_r(colon + 1, ",", &usave); up;
		    up = strtok_r(NULL, ",", &usave)) {
			up = trim(up);
			if (*up == '\0' || *zp == '\0' || cnt >= CLUSTER_MAX_PEERS)
				continue;
			if (same_url(up, c->registry_url) || same_url(up, c->discovery_url)) {
				if (local && !self_seen && self_at != NULL)
					*self_at = local_before;
				self_seen |= local;
				continue;
			}
			local_before += local;
			strlcpy(tmp[cnt].zone, zp, sizeof(tmp[cnt].zone));
			strlcpy(tmp[cnt].url, up, sizeof(tmp[cnt].url));
			cnt++;
		}
	}
	for (pass = 0; pass < 2; pass++)
		for (i = 0; i < cnt && total < max; i++) {
			local = strcasecmp(tmp[i].zone, c->zone) == 0;
			if ((pass == 0) == local)
				out[total++] = tmp[i];
		}
	return total;
}

size_t
cluster_peers_parse(const struct config *c, struct cluster_peer *out, size_t max)
{
	return parse_peers(c, out, max, NULL);
}

size_t
cluster_peers_parse_self(const struct config *c, struct cluster_peer *out, size_t max,
    size_t *self_at)
{
	*self_at = 0;
	return parse_peers(c, out, max, self_at);
}

/* ------------------------------------------------------------------ urls */

int
cluster_url_valid(const char *s, size_t len)
{
	size_t i, scheme;

	if (s == NULL || len == 0 || len >= CONFIG_STR)
		return 0;
	if (len > 7 && strncasecmp(s, "http://", 7) == 0)
		scheme = 7;
	else if (len > 8 && strncasecmp(s, "https://", 8) == 0)
		scheme = 8;
	else
		return 0;
	if (s[scheme] == '/')
		return 0;		/* no host */
	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] <= ' ' || s[i] == 0x7f)
			return 0;
	return 1;
}

/* ------------------------------------------------------------------ names */

const char *
cluster_status_name(int status)
{
	switch (status) {
	case CV_UP:
		return "up";
	case CV_DOWN:
		return "down";
	case CV_STARTING:
		return "starting";
	default:
		return "unknown";
	}
}

int
cluster_status_parse(const char *s)
{
	if (s == NULL)
		return CV_UNKNOWN;
	if (strcasecmp(s, "up") == 0)
		return CV_UP;
	if (strcasecmp(s, "down") == 0)
		return CV_DOWN;
	if (strcasecmp(s, "starting") == 0)
		return CV_STARTING;
	return CV_UNKNOWN;
}

const struct cluster_entry *
cluster_snapshot_find(const struct cluster_snapshot *s, const char *zone, const char *url)
{
	uint32_t i;

	for (i = 0; i < s->npeers && i < CLUSTER_MAX_PEERS; i++)
		if (strcmp(s->peers[i].url, url) == 0 && strcmp(s->peers[i].zone, zone) == 0)
			return &s->peers[i];
	return NULL;
}

/* ------------------------------------------------------------------ file */

static int
valid(const struct cluster_view_file *f)
{
	return f->magic == CLUSTER_VIEW_MAGIC && f->version == CLUSTER_VIEW_VERSION &&
	    f->size == sizeof(*f);
}

#define URLS_END	(sizeof(struct cluster_view_file) + sizeof(struct cluster_view_urls))

static int
urls_valid(const struct cluster_view_urls *u)
{
	return u->magic == CLUSTER_URLS_MAGIC && u->size == sizeof(*u);
}

/* Maps the first area and, when the file is long enough, the URLs area too. */
static struct cluster_view *
map_file(const char *path, int writable)
{
	struct cluster_view *v;
	struct stat st;
	void *p;

	if ((v = calloc(1, sizeof(*v))) == NULL)
		return NULL;
	strlcpy(v->path, path, sizeof(v->path));
	if ((v->fd = open(path, (writable ? O_RDWR : O_RDONLY) | O_CLOEXEC)) == -1)
		goto fail;
	if (fstat(v->fd, &st) == -1 || st.st_size < (off_t)sizeof(struct cluster_view_file))
		goto fail_fd;
	v->maplen = st.st_size >= (off_t)URLS_END ? URLS_END :
	    sizeof(struct cluster_view_file);
	p = mmap(NULL, v->maplen, PROT_READ | (writable ? PROT_WRITE : 0), MAP_SHARED,
	    v->fd, 0);
	if (p == MAP_FAILED)
		goto fail_fd;
	v->f = p;
	v->dev = st.st_dev;
	v->ino = st.st_ino;
	if (!valid(v->f)) {
		munmap(p, v->maplen);
		goto fail_fd;
	}
	if (v->maplen == URLS_END) {
		v->u = (struct cluster_view_urls *)(void *)((char *)p +
		    sizeof(struct cluster_view_file));
		if (!urls_valid(v->u))
			v->u = NULL;
	}
	return v;
fail_fd:
	close(v->fd);
fail:
	free(v);
	return NULL;
}

/* A fresh file with both areas, holding snap if not NULL: written under a
 * temporary name, magic last, renamed into place. */
static int
create_file(const char *path, const struct cluster_snapshot *snap, char *err,
    size_t errlen)
{
	struct cluster_view_file *f;
	struct cluster_view_urls *u;
	char tmp[PATH_MAX + 32];
	int fd, n;

	n = snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		snprintf(err, errlen, "%s: path too long", path);
		return -1;
	}
	(void)unlink(tmp);
	if ((fd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644)) == -1) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		return -1;
	}
	if (ftruncate(fd, URLS_END) == -1 ||
	    (f = mmap(NULL, URLS_END, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)) ==
	    MAP_FAILED) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		close(fd);
		(void)unlink(tmp);
		return -1;
	}
	f->version = CLUSTER_VIEW_VERSION;
	f->size = sizeof(*f);
	if (snap != NULL)
		memcpy(&f->snap, snap, sizeof(*snap));
	u = (struct cluster_view_urls *)(void *)((char *)f + sizeof(*f));
	u->size = sizeof(*u);
	u->magic = CLUSTER_URLS_MAGIC;	/* seq 0 and no URLs, as the file's seq */
	atomic_thread_fence(memory_order_release);
	f->magic = CLUSTER_VIEW_MAGIC;
	munmap(f, URLS_END);
	if (fsync(fd) == -1)
		log_warn("fsync %s", tmp);
	close(fd);
	if (rename(tmp, path) == -1) {
		snprintf(err, errlen, "rename %s: %s", path, strerror(errno));
		(void)unlink(tmp);
		return -1;
	}
	return 0;
}

struct cluster_view *
cluster_view_open_writer(const struct config *c, char *err, size_t errlen)
{
	struct cluster_view *v;
	char path[PATH_MAX];

	if (config_state_path(c, CLUSTER_VIEW_FILE, path, sizeof(path)) == -1) {
		snprintf(err, errlen, "state directory path too long");
		return NULL;
	}
	if ((v = map_file(path, 1)) != NULL && v->u == NULL) {
		/* written before the URLs area: replace it, keeping the snapshot */
		struct cluster_snapshot *old;

		if ((old = calloc(1, sizeof(*old))) == NULL) {
			snprintf(err, errlen, "out of memory");
			cluster_view_close(v);
			return NULL;
		}
		if (cluster_view_read(v, old, NULL) == -1)
			memset(old, 0, sizeof(*old));
		cluster_view_close(v);
		v = NULL;
		log_info("%s: adding the peer URLs area", path);
		if (create_file(path, old, err, errlen) == -1) {
			free(old);
			return NULL;
		}
		free(old);
		if ((v = map_file(path, 1)) == NULL || v->u == NULL) {
			snprintf(err, errlen, "%s: cannot map the view just created", path);
			cluster_view_close(v);
			return NULL;
		}
	}
	if (v == NULL) {
		if (create_file(path, NULL, err, errlen) == -1)
			return NULL;
		if ((v = map_file(path, 1)) == NULL) {
			snprintf(err, errlen, "%s: cannot map the view just created", path);
			return NULL;
		}
	}
	/* a writer killed mid-publish left seq odd: make it even again */
	if (atomic_load(&v->f->seq) & 1)
		atomic_fetch_add(&v->f->seq, 1);
	atomic_store(&v->f->writer_pid, (int32_t)getpid());
	return v;
}

void
cluster_view_publish(struct cluster_view *v, const struct cluster_snapshot *s,
    const struct cluster_urls *urls)
{
	uint32_t seq = atomic_load_explicit(&v->f->seq, memory_order_relaxed);
	uint32_t n = s->npeers < CLUSTER_MAX_PEERS ? s->npeers : CLUSTER_MAX_PEERS;

	atomic_store_explicit(&v->f->seq, seq + 1, memory_order_relaxed);
	atomic_thread_fence(memory_order_release);
	memcpy(&v->f->snap, s, sizeof(*s));
	if (v->u != NULL) {
		memset(v->u->peers, 0, sizeof(v->u->peers));
		if (urls != NULL)
			memcpy(v->u->peers, urls, n * sizeof(*urls));
		v->u->seq = seq + 2;
	}
	atomic_store_explicit(&v->f->seq, seq + 2, memory_order_release);
}

struct cluster_view *
cluster_view_open_reader(const char *path)
{
	return map_file(path, 0);
}

int
cluster_view_replaced(struct cluster_view *v)
{
	struct stat st;

	if (stat(v->path, &st) == -1)
		return 1;
	return st.st_dev != v->dev || st.st_ino != v->ino;
}

/*
 * Copy len bytes at src inside the snapshot consistently and, if urls is not
 * NULL, the URLs area with them: "" everywhere unless the area was written by
 * the same publish as the snapshot.
 */
static int
read_part(struct cluster_view *v, void *out, const void *src, size_t len,
    struct cluster_urls *urls)
{
	uint32_t s1, s2, useq = 0;
	int tries;

	for (tries = 0; tries < READ_TRIES; tries++) {
		s1 = atomic_load_explicit(&v->f->seq, memory_order_acquire);
		if (s1 & 1) {
			sched_yield();
			continue;
		}
		memcpy(out, src, len);
		if (urls != NULL && v->u != NULL) {
			useq = v->u->seq;
			memcpy(urls, v->u->peers, sizeof(v->u->peers));
		}
		atomic_thread_fence(memory_order_acquire);
		s2 = atomic_load_explicit(&v->f->seq, memory_order_relaxed);
		if (s1 == s2)
			break;
	}
	if (tries == READ_TRIES)
		return -1;
	if (urls != NULL && (v->u == NULL || useq != s1))
		memset(urls, 0, CLUSTER_MAX_PEERS * sizeof(*urls));
	return 0;
}

int
cluster_view_read(struct cluster_view *v, struct cluster_snapshot *out,
    struct cluster_urls *urls)
{
	if (read_part(v, out, &v->f->snap, sizeof(*out), urls) == -1)
		return -1;
	if (out->npeers > CLUSTER_MAX_PEERS)
		out->npeers = CLUSTER_MAX_PEERS;
	out->self.url[sizeof(out->self.url) - 1] = '\0';
	out->self.zone[sizeof(out->self.zone) - 1] = '\0';
	for (uint32_t i = 0; i < out->npeers; i++) {
		out->peers[i].url[sizeof(out->peers[i].url) - 1] = '\0';
		out->peers[i].zone[sizeof(out->peers[i].zone) - 1] = '\0';
	}
	for (uint32_t i = 0; urls != NULL && i < CLUSTER_MAX_PEERS; i++) {
		struct cluster_urls *u = &urls[i];

		u->registry_url[sizeof(u->registry_url) - 1] = '\0';
		u->discovery_url[sizeof(u->discovery_url) - 1] = '\0';
		/* the writer checked them; a reader trusts no file */
		if (i >= out->npeers ||
		    !cluster_url_valid(u->registry_url, strlen(u->registry_url)))
			u->registry_url[0] = '\0';
		if (i >= out->npeers ||
		    !cluster_url_valid(u->discovery_url, strlen(u->discovery_url)))
			u->discovery_url[0] = '\0';
	}
	return 0;
}

int
cluster_view_read_self(struct cluster_view *v, struct cluster_entry *self,
    uint32_t *self_managed)
{
	struct {
		uint64_t	table_id;
		uint32_t	self_managed;
		uint32_t	npeers;
		int64_t		updated_ms;
		struct cluster_entry self;
	} head;

	_Static_assert(offsetof(struct cluster_snapshot, self) == 24,
	    "snapshot head layout");
	if (read_part(v, &head, &v->f->snap, sizeof(head), NULL) == -1)
		return -1;
	*self = head.self;
	*self_managed = head.self_managed;
	return 0;
}

void
cluster_view_close(struct cluster_view *v)
{
	if (v == NULL)
		return;
	munmap(v->f, v->maplen);
	close(v->fd);
	free(v);
}
