/*
 * table.c — the shared instance table. table.h describes the file layout and the
 * rules the writer and every reader follow; this file keeps them.
 *
 * Memory ordering follows the classic C11 sequence lock: the writer stores the odd
 * sequence, issues a release fence, writes, then stores the even sequence with
 * release; a reader loads the sequence with acquire, copies, issues an acquire
 * fence and loads it again.
 */
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/uio.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "sbuf.h"
#include "table.h"

#define HEADER_SIZE	4096
#define SECTION_ALIGN	4096
#define MAX_CAPACITY	(1U << 26)
#define MIN_INDEX	1024U
#define MIN_JOURNAL	4096U
#define MAX_JOURNAL	(1U << 20)
#define NOT_FOUND	UINT32_MAX
#define FIND_TRIES	100000
#define FREE_SCAN_CHUNK	4096U	/* leases looked at per step of the lazy free scan */
#define SLOT_CHUNK	4096U	/* slots the writer backs at a time above hwm (and
				 * on to a HUGE_ALIGN boundary of the file) */
#define HUGE_ALIGN	(2U << 20)	/* a transparent huge page */
#define EXT_CHUNK	32U	/* extensions reserved at a time (12 KiB, 3 pages) */
#define OVF_CHUNK	4U	/* overflows reserved at a time (12 KiB, 3 pages) */
#define OLDEST_LAYOUT	1	/* layouts 1 to 3 are migrated (table_migrate) */
#define V2_SLOT_SIZE	1024	/* layouts 1 and 2: whole slots, no extensions */
#define OLD_DATA_MAX	(V2_SLOT_SIZE - 32)	/* their longest record, and 3's */

_Static_assert(sizeof(struct table_header) <= HEADER_SIZE, "header too large");
_Static_assert(sizeof(struct table_slot) == TABLE_SLOT_SIZE, "slot size");
_Static_assert(TABLE_SLOT_SIZE % 64 == 0 && TABLE_EXT_SIZE % 64 == 0 &&
    TABLE_OVF_SIZE % 64 == 0, "slots, extensions and overflows cache-line aligned");
_Static_assert(EXT_CHUNK * TABLE_EXT_SIZE % SECTION_ALIGN == 0, "extension chunk");
_Static_assert(OVF_CHUNK * TABLE_OVF_SIZE % SECTION_ALIGN == 0, "overflow chunk");
_Static_assert(TABLE_EXT_END == OLD_DATA_MAX, "a layout-3 record ends at the overflow");
_Static_assert(TABLE_SLOT_DATA + 32 <= 4096 && TABLE_SLOT_DATA < UINT16_MAX,
    "a record and its slot header in a page; lengths fit the slot's fields");
_Static_assert(sizeof(struct table_lease) == 32, "lease size");
_Static_assert(sizeof(struct table_journal_rec) == 32, "journal record size");

struct layout {
	uint32_t	 version;
	uint32_t	 capacity;
	uint32_t	 nslots;
	uint32_t	 journal_size;
	uint32_t	 index_size;
	size_t		 slot_size;	/* of this version (older ones: migration) */
	size_t		 ext_size;	/* 0 before layout 3 */
	size_t		 ovf_size;	/* 0 before layout 4 */
	size_t		 journal_off;
	size_t		 index_off;
	size_t		 leases_off;
	size_t		 slots_off;
	size_t		 ext_off;
	size_t		 ovf_off;
	size_t		 total;
};

struct table {
	char			*path;
	int			 fd;
	int			 writer;
	_Atomic uint64_t	 seen_beat;	/* readers: writer_beat when last changed, */
	_Atomic int64_t		 seen_ms;	/* and when (mono_ms; 0: never looked) */
	dev_t			 dev;
	ino_t			 ino;
	unsigned char		*base;
	size_t			 size;
	struct table_header	*hdr;
	struct table_journal_rec *journal;
	_Atomic uint64_t	*index;
	struct table_lease	*leases;
	struct table_slot	*slots;
	char			*ext;		/* extension i at ext + i * TABLE_EXT_SIZE */
	char			*ovf;		/* overflow i at ovf + i * TABLE_OVF_SIZE */
	uint32_t		 nslots;
	uint32_t		 jmask;
	uint32_t		 imask;
	/* writer only: the free slots below free_cursor, the lowest on top of the
	 * stack; slots at and above free_cursor are found by free_scan */
	uint32_t		*free_slots;
	uint32_t		 nfree;
	uint32_t		 free_cursor;
	/* writer only: slots [0, backed) have disk blocks and pages (slots_back) */
	uint32_t		 backed;
	int			 no_fallocate;	/* the file system cannot */
	int			 backing_failed;	/* disk full, logged */
	struct backer		*backer;	/* writer only: backs slots ahead */
	int			 backer_off;	/* it could not be started */
	/* writer only: extension and overflow chunks reserved since attach
	 * (tail_back) */
	uint8_t			*ext_backed;
	uint8_t			*ovf_backed;
	enum table_attach	 attach;
};

void	(*table_step_hook)(enum table_step);

static void	backer_stop(struct table *);

/* A test's fault injection point; one predictable branch when unset. */
#define STEP(st) do {							\
	if (__builtin_expect(table_step_hook != NULL, 0))		\
		table_step_hook(st);					\
} while (0)

/* Recovery actions at writer attach, one per slot. */
enum { ACT_NONE, ACT_DELETE, ACT_UPSERT, ACT_EVICT };

/* ------------------------------------------------------------------ helpers */

static void __attribute__((format(printf, 3, 4)))
seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static inline void
cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#endif
}

static inline uint64_t
read64(const unsigned char *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline uint64_t
read32(const unsigned char *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/* 64x64 -> 128 multiply, folded: the mixing step of wyhash. */
static inline uint64_t
mum(uint64_t a, uint64_t b)
{
	unsigned __int128 r = (unsigned __int128)a * b;

	return (uint64_t)r ^ (uint64_t)(r >> 64);
}

/* A compact wyhash-style hash; keys are short (service:instance ids). */
static uint64_t
key_hash(const char *key, size_t len)
{
	const unsigned char *p = (const unsigned char *)key;
	const uint64_t k0 = 0xa0761d6478bd642fULL, k1 = 0xe7037ed1a0b428dbULL;
	const uint64_t k2 = 0x8ebc6af09c88c6e3ULL;
	uint64_t h = k0 ^ len, a = 0, b = 0;
	size_t n = len;

	while (n > 16) {
		h = mum(read64(p) ^ k1, read64(p + 8) ^ h);
		p += 16;
		n -= 16;
	}
	if (n >= 8) {
		a = read64(p);
		b = read64(p + n - 8);
	} else if (n >= 4) {
		a = read32(p);
		b = read32(p + n - 4);
	} else if (n > 0) {
		a = ((uint64_t)p[0] << 16) | ((uint64_t)p[n >> 1] << 8) | p[n - 1];
	}
	return mum(mum(a ^ k1, b ^ h) ^ k2, len ^ k1);
}

static inline uint32_t
key_hash32(const char *key, size_t len)
{
	return (uint32_t)(key_hash(key, len) >> 32);
}

static uint64_t
pow2_at_least(uint64_t n)
{
	uint64_t p = 1;

	while (p < n)
		p <<= 1;
	return p;
}

static int
is_pow2(uint64_t n)
{
	return n != 0 && (n & (n - 1)) == 0;
}

static size_t
align_up(size_t n)
{
	return (n + SECTION_ALIGN - 1) & ~(size_t)(SECTION_ALIGN - 1);
}

/* ------------------------------------------------------------------ layout */

/* The sections of layout l->version (this one, or an older one to migrate). */
static void
layout_sections(struct layout *l)
{
	l->slot_size = l->version < 3 ? V2_SLOT_SIZE : TABLE_SLOT_SIZE;
	l->ext_size = l->version < 3 ? 0 : TABLE_EXT_SIZE;
	l->ovf_size = l->version < 4 ? 0 : TABLE_OVF_SIZE;
	l->nslots = l->capacity + 1;
	l->journal_off = HEADER_SIZE;
	l->index_off = align_up(l->journal_off +
	    (size_t)l->journal_size * sizeof(struct table_journal_rec));
	l->leases_off = align_up(l->index_off + (size_t)l->index_size * sizeof(uint64_t));
	l->slots_off = align_up(l->leases_off +
	    (size_t)l->nslots * sizeof(struct table_lease));
	l->ext_off = align_up(l->slots_off + (size_t)l->nslots * l->slot_size);
	l->ovf_off = align_up(l->ext_off + (size_t)l->nslots * l->ext_size);
	l->total = align_up(l->ovf_off + (size_t)l->nslots * l->ovf_size);
}

static void
layout_for_capacity(struct layout *l, uint32_t capacity)
{
	uint64_t j = pow2_at_least(capacity), i;

	if (j < MIN_JOURNAL)
		j = MIN_JOURNAL;
	if (j > MAX_JOURNAL)
		j = MAX_JOURNAL;
	i = pow2_at_least(2 * ((uint64_t)capacity + 1));
	if (i < MIN_INDEX)
		i = MIN_INDEX;
	l->version = TABLE_LAYOUT_VERSION;
	l->capacity = capacity;
	l->journal_size = (uint32_t)j;
	l->index_size = (uint32_t)i;
	layout_sections(l);
}

static int	geometry_check(const char *, const struct table_header *, size_t,
		    struct layout *, char *, size_t);

/* Validates a header copy against the file size; fills the layout. */
static int
header_check(const char *path, const struct table_header *h, size_t fsize,
    struct layout *l, char *err, size_t errlen)
{
	if (fsize < HEADER_SIZE || h->magic != TABLE_MAGIC) {
		seterr(err, errlen, "%s is not an instance table (bad magic); "
		    "move it away to let registryd create a new one", path);
		return -1;
	}
	if (h->layout_version >= OLDEST_LAYOUT &&
	    h->layout_version < TABLE_LAYOUT_VERSION) {
		seterr(err, errlen, "%s has table layout version %u (records of %d "
		    "bytes at most); this build reads layout version %d, to which its "
		    "registryd migrates the file when it starts", path,
		    h->layout_version, OLD_DATA_MAX, TABLE_LAYOUT_VERSION);
		return -1;
	}
	if (h->layout_version != TABLE_LAYOUT_VERSION) {
		seterr(err, errlen, "%s has table layout version %u but this build "
		    "reads layout version %d (and migrates %d-%d); run a matching build, "
		    "or stop every daemon and move the file away (its registrations "
		    "are lost)", path, h->layout_version, TABLE_LAYOUT_VERSION,
		    OLDEST_LAYOUT, TABLE_LAYOUT_VERSION - 1);
		return -1;
	}
	return geometry_check(path, h, fsize, l, err, errlen);
}

/* The sizes in a header (of any layout) against the file's size. */
static int
geometry_check(const char *path, const struct table_header *h, size_t fsize,
    struct layout *l, char *err, size_t errlen)
{
	if (h->capacity == 0 || h->capacity > MAX_CAPACITY ||
	    !is_pow2(h->journal_size) || h->journal_size > MAX_JOURNAL ||
	    !is_pow2(h->index_size) ||
	    h->index_size < 2 * ((uint64_t)h->capacity + 1)) {
		seterr(err, errlen, "%s: corrupt table header (capacity %u, journal %u,"
		    " index %u)", path, h->capacity, h->journal_size, h->index_size);
		return -1;
	}
	l->version = h->layout_version;
	l->capacity = h->capacity;
	l->journal_size = h->journal_size;
	l->index_size = h->index_size;
	layout_sections(l);
	if (l->total > fsize) {
		seterr(err, errlen, "%s is truncated: %zu bytes, its header needs %zu",
		    path, fsize, l->total);
		return -1;
	}
	if (atomic_load(&h->hwm) > l->nslots) {
		seterr(err, errlen, "%s: corrupt table header (hwm %u > %u slots)",
		    path, atomic_load(&h->hwm), l->nslots);
		return -1;
	}
	return 0;
}

static void
table_bind(struct table *t, const struct layout *l)
{
	t->hdr = (struct table_header *)t->base;
	t->journal = (struct table_journal_rec *)(t->base + l->journal_off);
	t->index = (_Atomic uint64_t *)(t->base + l->index_off);
	t->leases = (struct table_lease *)(t->base + l->leases_off);
	t->slots = (struct table_slot *)(t->base + l->slots_off);
	t->ext = (char *)(t->base + l->ext_off);
	t->ovf = (char *)(t->base + l->ovf_off);
	t->nslots = l->nslots;
	t->jmask = l->journal_size - 1;
	t->imask = l->index_size - 1;
}

/*
 * mmap of the whole file, shared, asking for transparent huge pages
 * (MADV_HUGEPAGE) for everything before the extension array (hugeable bytes):
 * where the page cache holds the file in 2 MiB folios (the slots the writer
 * backs, back_range; pages read back after a restart, which the hint makes
 * the kernel read in such folios) the kernel maps them with one entry per
 * 2 MiB instead of 512, and the random lookups of a full table no longer walk
 * page tables for every index, slot and lease line they touch. Not for the
 * extensions and overflows: a hole there stays a hole, a long record written
 * there costs its own pages, not 2 MiB of memory and disk. Only a hint:
 * without it (or with THP off) the pages are 4 KiB, as before.
 */
static void *
map_file(int fd, size_t size, size_t hugeable, int prot)
{
	void *p = mmap(NULL, size, prot, MAP_SHARED, fd, 0);

	if (p != MAP_FAILED && madvise(p, hugeable, MADV_HUGEPAGE) == -1)
		log_debug("madvise(MADV_HUGEPAGE): %s", strerror(errno));
	return p;
}

/* Reads and validates the header of t->fd, then maps the whole table. */
static int
table_map(struct table *t, int prot, char *err, size_t errlen)
{
	struct table_header h;
	struct layout l;
	struct stat st;
	ssize_t n;

	if (fstat(t->fd, &st) == -1) {
		seterr(err, errlen, "%s: fstat: %s", t->path, strerror(errno));
		return -1;
	}
	t->dev = st.st_dev;
	t->ino = st.st_ino;
	memset(&h, 0, sizeof(h));
	n = pread(t->fd, &h, sizeof(h), 0);
	if (n == -1) {
		seterr(err, errlen, "%s: read: %s", t->path, strerror(errno));
		return -1;
	}
	if (header_check(t->path, &h, (size_t)st.st_size, &l, err, errlen) == -1)
		return -1;
	t->base = map_file(t->fd, l.total, l.ext_off, prot);
	if (t->base == MAP_FAILED) {
		t->base = NULL;
		seterr(err, errlen, "%s: mmap %zu bytes: %s", t->path, l.total,
		    strerror(errno));
		return -1;
	}
	t->size = l.total;
	table_bind(t, &l);
	return 0;
}

static struct table *
table_alloc(const char *path, char *err, size_t errlen)
{
	struct table *t;

	if ((t = calloc(1, sizeof(*t))) == NULL || (t->path = strdup(path)) == NULL) {
		free(t);
		seterr(err, errlen, "out of memory");
		return NULL;
	}
	t->fd = -1;
	return t;
}

static void
table_free(struct table *t)
{
	if (t == NULL)
		return;
	backer_stop(t);
	if (t->base != NULL)
		munmap(t->base, t->size);
	if (t->fd != -1)
		close(t->fd);
	free(t->free_slots);
	free(t->ext_backed);
	free(t->ovf_backed);
	free(t->path);
	free(t);
}

/* ------------------------------------------------------------------ liveness */

int
table_writer_stalled(struct table *t, int64_t stall_ms)
{
	uint64_t beat = atomic_load_explicit(&t->hdr->writer_beat, memory_order_relaxed);
	int64_t now = mono_ms(), since;

	if (t->writer)
		return 0;
	since = atomic_load(&t->seen_ms);
	if (since == 0 || beat != atomic_load(&t->seen_beat)) {
		/* racing callers store nearly the same pair: harmless */
		atomic_store(&t->seen_beat, beat);
		atomic_store(&t->seen_ms, now);
		return 0;
	}
	return now - since >= stall_ms;
}

static int
writer_alive(struct table *t)
{
	pid_t pid = atomic_load_explicit(&t->hdr->writer_pid, memory_order_relaxed);

	if (pid <= 0)
		return 0;
	if (pid == getpid())
		return 1;
	return kill(pid, 0) == 0 || errno == EPERM;
}

/*
 * Called while a reader waits for the writer to finish a change. Spins briefly,
 * then yields. Returns 0 when waiting is pointless: the writer died mid-change, or
 * the wait went on far longer than any change takes.
 */
static int
wait_writer(struct table *t, unsigned *spins)
{
	(*spins)++;
	if (*spins < 128) {
		cpu_relax();
		return 1;
	}
	sched_yield();
	if ((*spins & 1023) == 0 && !writer_alive(t))
		return 0;
	return *spins < (1U << 22);
}

/* ------------------------------------------------------------------ index */

static inline const char *
ext_of(struct table *t, uint32_t slot)
{
	return t->ext + (size_t)slot * TABLE_EXT_SIZE;
}

static inline const char *
ovf_of(struct table *t, uint32_t slot)
{
	return t->ovf + (size_t)slot * TABLE_OVF_SIZE;
}

/* Where byte off (< TABLE_SLOT_DATA) of slot s's data is, and in *room how many
 * of its bytes follow it there: the primary area, the extension, the overflow. */
static inline char *
data_at(struct table *t, uint32_t s, size_t off, size_t *room)
{
	if (off < TABLE_SLOT_PRIMARY) {
		*room = TABLE_SLOT_PRIMARY - off;
		return t->slots[s].data + off;
	}
	if (off < TABLE_EXT_END) {
		*room = TABLE_EXT_END - off;
		return t->ext + (size_t)s * TABLE_EXT_SIZE + (off - TABLE_SLOT_PRIMARY);
	}
	*room = TABLE_SLOT_DATA - off;
	return t->ovf + (size_t)s * TABLE_OVF_SIZE + (off - TABLE_EXT_END);
}

/* 1 if slot s's data starts with the len bytes of key, read across its tiers.
 * Out of line: long keys are rare, and the lookups' hot loops stay small. */
static int __attribute__((noinline))
long_key_equal(struct table *t, uint32_t s, const char *key, size_t len)
{
	size_t off, room;
	const char *p;

	for (off = 0; off < len; off += room) {
		p = data_at(t, s, off, &room);
		if (room > len - off)
			room = len - off;
		if (memcmp(p, key + off, room) != 0)
			return 0;
	}
	return 1;
}

/* A key longer than the primary area goes on in the extension (and overflow). */
static inline int
slot_has_key(struct table *t, uint32_t s, const char *key, size_t len)
{
	const struct table_slot *sl = &t->slots[s];

	if (sl->key_len != len)
		return 0;
	if (len <= TABLE_SLOT_PRIMARY)
		return memcmp(sl->data, key, len) == 0;
	return long_key_equal(t, s, key, len);
}

/*
 * Probes the index for key. Without index_seq validation the answer is only
 * trustworthy in the writer thread (the only one that changes the index).
 */
static uint32_t
index_probe(struct table *t, uint32_t h32, const char *key, size_t len, uint32_t *posp)
{
	uint32_t pos = h32 & t->imask, s;
	uint64_t e, n;

	for (n = 0; n <= t->imask; n++, pos = (pos + 1) & t->imask) {
		e = atomic_load_explicit(&t->index[pos], memory_order_relaxed);
		if (e == 0)
			return NOT_FOUND;
		if ((uint32_t)(e >> 32) != h32)
			continue;
		s = (uint32_t)e - 1;
		if (s >= t->nslots)
			continue;
		/* renewals and copies need the lease next: overlap the two misses */
		__builtin_prefetch(&t->leases[s]);
		if (slot_has_key(t, s, key, len)) {
			if (posp != NULL)
				*posp = pos;
			return s;
		}
	}
	return NOT_FOUND;
}

static inline void
index_begin(struct table *t)
{
	uint32_t s = atomic_load_explicit(&t->hdr->index_seq, memory_order_relaxed);

	atomic_store_explicit(&t->hdr->index_seq, s | 1, memory_order_relaxed);
	atomic_thread_fence(memory_order_release);
}

static inline void
index_end(struct table *t)
{
	uint32_t s = atomic_load_explicit(&t->hdr->index_seq, memory_order_relaxed);

	atomic_store_explicit(&t->hdr->index_seq, (s | 1) + 1, memory_order_release);
}

static inline uint64_t
index_entry(uint32_t h32, uint32_t slot)
{
	return ((uint64_t)h32 << 32) | ((uint64_t)slot + 1);
}

/* Writer: insert an entry known to be absent. Caller brackets with index_begin/end. */
static void
index_insert(struct table *t, uint32_t h32, uint32_t slot)
{
	uint32_t pos = h32 & t->imask;

	while (atomic_load_explicit(&t->index[pos], memory_order_relaxed) != 0)
		pos = (pos + 1) & t->imask;
	atomic_store_explicit(&t->index[pos], index_entry(h32, slot), memory_order_relaxed);
}

/* Writer: linear-probing deletion with backward shift (no tombstones). */
static void
index_delete_at(struct table *t, uint32_t i)
{
	uint32_t j = i, home;
	uint64_t e;

	for (;;) {
		j = (j + 1) & t->imask;
		e = atomic_load_explicit(&t->index[j], memory_order_relaxed);
		if (e == 0)
			break;
		home = (uint32_t)(e >> 32) & t->imask;
		/* e may move back to i only if its home is not in (i, j] (cyclically) */
		if (i <= j ? (home > i && home <= j) : (home > i || home <= j))
			continue;
		atomic_store_explicit(&t->index[i], e, memory_order_relaxed);
		STEP(STEP_SHIFT);
		i = j;
	}
	atomic_store_explicit(&t->index[i], 0, memory_order_relaxed);
}

/* Writer: position of the entry that points to slot, or NOT_FOUND. */
static uint32_t
index_pos_of_slot(struct table *t, uint32_t h32, uint32_t slot)
{
	uint32_t pos = h32 & t->imask;
	uint64_t e, n;

	for (n = 0; n <= t->imask; n++, pos = (pos + 1) & t->imask) {
		e = atomic_load_explicit(&t->index[pos], memory_order_relaxed);
		if (e == 0)
			return NOT_FOUND;
		if ((uint32_t)e == slot + 1)
			return pos;
	}
	return NOT_FOUND;
}

static uint32_t scan_for_key(struct table *, const char *, size_t);

/* The index stayed busy with no live writer to finish it: readers scan the slots;
 * a renewal (in the writer's own process) just fails. */
static uint32_t
give_up_lookup(struct table *t, const char *key, size_t len, uint32_t *seqp)
{
	return seqp != NULL ? NOT_FOUND : scan_for_key(t, key, len);
}

/*
 * Any thread, any process: the slot indexed for key, validated by index_seq. With
 * seqp, also the slot's (even) sequence and ttl, taken while the slot was still
 * indexed for key, so a later change of the slot shows as a different sequence.
 */
static uint32_t
index_lookup(struct table *t, uint32_t h32, const char *key, size_t len,
    uint32_t *seqp, uint32_t *ttlp)
{
	unsigned spins = 0;
	uint32_t is, s, ss = 0, ttl = 0;

	for (;;) {
		is = atomic_load_explicit(&t->hdr->index_seq, memory_order_acquire);
		if (is & 1) {
			if (!wait_writer(t, &spins))
				return give_up_lookup(t, key, len, seqp);
			continue;
		}
		s = index_probe(t, h32, key, len, NULL);
		if (s != NOT_FOUND && seqp != NULL) {
			ss = atomic_load_explicit(&t->slots[s].seq, memory_order_acquire);
			ttl = t->slots[s].ttl_ms;
		}
		atomic_thread_fence(memory_order_acquire);
		if (atomic_load_explicit(&t->hdr->index_seq, memory_order_relaxed) != is ||
		    (ss & 1)) {
			if (!wait_writer(t, &spins))
				return give_up_lookup(t, key, len, seqp);
			continue;
		}
		if (seqp != NULL) {
			*seqp = ss;
			*ttlp = ttl;
		}
		return s;
	}
}

/* ------------------------------------------------------------------ readers */

/*
 * memcpy kept out of line: given the bounded length, gcc would inline it as
 * "rep movsq", which is several times slower than libc's vector copy on
 * unaligned, cache-missing slot data. noipa stops it from seeing the bound.
 */
#if defined(__GNUC__) && !defined(__clang__)
__attribute__((noipa))
#else
__attribute__((noinline))
#endif
static void
copy_out(char *dst, const char *src, size_t n)
{
	memcpy(dst, src, n);
}

/* Copies n bytes from offset off of slot s's data (off + n <= TABLE_SLOT_DATA):
 * the primary area, then the extension, then the overflow. Only those bytes:
 * a record is copied by its length, never a whole struct table_rec. */
static void __attribute__((noinline))
data_get_tiers(char *dst, struct table *t, uint32_t s, size_t off, size_t n)
{
	const char *p;
	size_t k;

	while (n > 0) {
		p = data_at(t, s, off, &k);
		if (k > n)
			k = n;
		copy_out(dst, p, k);
		dst += k;
		off += k;
		n -= k;
	}
}

static inline void
data_get(char *dst, struct table *t, uint32_t s, size_t off, size_t n)
{
	if (off + n <= TABLE_SLOT_PRIMARY)	/* the usual record */
		copy_out(dst, t->slots[s].data + off, n);
	else
		data_get_tiers(dst, t, s, off, n);
}

/* The slot's key, contiguous: in the slot, or copied into buf (a long key). */
static const char *
slot_key(struct table *t, uint32_t s, char buf[TABLE_SLOT_DATA])
{
	const struct table_slot *sl = &t->slots[s];
	size_t n = sl->key_len < TABLE_SLOT_DATA ? sl->key_len : TABLE_SLOT_DATA;

	if (n <= TABLE_SLOT_PRIMARY)
		return sl->data;
	data_get(buf, t, s, 0, n);
	return buf;
}

int
table_read_slot(struct table *t, uint32_t slot, struct table_rec *out)
{
	const struct table_slot *sl;
	const struct table_lease *l;
	unsigned spins = 0;
	uint32_t s1, kl, vl, jl;
	char *b;

	if (slot >= t->nslots)
		return 0;
	sl = &t->slots[slot];
	l = &t->leases[slot];
	for (;;) {
		s1 = atomic_load_explicit(&sl->seq, memory_order_acquire);
		if (s1 & 1) {
			if (!wait_writer(t, &spins))
				return 0;
			continue;
		}
		if (sl->state != SLOT_LIVE) {
			atomic_thread_fence(memory_order_acquire);
			if (atomic_load_explicit(&sl->seq, memory_order_relaxed) == s1)
				return 0;
			continue;
		}
		out->gen = sl->gen;
		out->ttl_ms = sl->ttl_ms;
		out->flags = sl->flags;
		out->origin = sl->origin;
		kl = sl->key_len;
		vl = sl->svc_len;
		jl = sl->json_len;
		if (kl + vl + jl <= TABLE_SLOT_DATA) {
			/* primary area, extension, overflow: one seqlock pass */
			b = out->buf;
			data_get(b, t, slot, 0, kl);
			b[kl] = '\0';
			data_get(b + kl + 1, t, slot, kl, vl);
			b[kl + 1 + vl] = '\0';
			data_get(b + kl + vl + 2, t, slot, kl + vl, jl);
			b[kl + vl + 2 + jl] = '\0';
		}
		out->creation_ms = l->creation_ms;
		out->renewal_ms = atomic_load_explicit(&l->renewal_ms, memory_order_relaxed);
		out->local_renewal_ms = atomic_load_explicit(&l->local_renewal_ms,
		    memory_order_relaxed);
		out->eviction_ms = atomic_load_explicit(&l->eviction_ms,
		    memory_order_relaxed);
		atomic_thread_fence(memory_order_acquire);
		if (atomic_load_explicit(&sl->seq, memory_order_relaxed) != s1)
			continue;
		if (kl + vl + jl > TABLE_SLOT_DATA)
			return 0;	/* stable but impossible: corrupt slot */
		break;
	}
	out->slot = slot;
	out->key = out->buf;
	out->key_len = kl;
	out->service_id = out->buf + kl + 1;
	out->svc_len = vl;
	out->json = out->buf + kl + vl + 2;
	out->json_len = jl;
	return 1;
}

/* Fallback when the writer died in the middle of changing the index. */
static uint32_t
scan_for_key(struct table *t, const char *key, size_t len)
{
	struct table_rec *r;
	uint32_t i, hwm = table_hwm(t), found = NOT_FOUND;

	if ((r = malloc(sizeof(*r))) == NULL)
		return NOT_FOUND;
	for (i = 0; i < hwm && found == NOT_FOUND; i++)
		if (table_read_slot(t, i, r) == 1 && r->key_len == len &&
		    memcmp(r->key, key, len) == 0)
			found = i;
	free(r);
	return found;
}

static int
find_hashed(struct table *t, uint32_t h32, const char *key, size_t key_len,
    struct table_rec *out)
{
	uint32_t s;
	int tries;

	for (tries = 0; tries < FIND_TRIES; tries++) {
		s = index_lookup(t, h32, key, key_len, NULL, NULL);
		if (s == NOT_FOUND)
			return 0;
		/* the slot may have been reused since the lookup: check the copy */
		if (table_read_slot(t, s, out) == 1 && out->key_len == key_len &&
		    memcmp(out->key, key, key_len) == 0)
			return 1;
	}
	return 0;
}

int
table_find(struct table *t, const char *key, size_t key_len, struct table_rec *out)
{
	if (key_len == 0 || key_len > TABLE_SLOT_DATA)
		return 0;
	return find_hashed(t, key_hash32(key, key_len), key, key_len, out);
}

/*
 * 1 and the location if slot s is live and holds key, judged under the slot's
 * sequence lock like table_read_slot (an odd slot of a dead writer is free).
 * The key is compared in place (primary area, extension, overflow): nothing
 * copied.
 */
static int
slot_locate(struct table *t, uint32_t s, const char *key, size_t len,
    struct table_loc *out)
{
	const struct table_slot *sl = &t->slots[s];
	const struct table_lease *l = &t->leases[s];
	struct table_loc loc;
	unsigned spins = 0;
	uint32_t s1;
	int match;

	for (;;) {
		s1 = atomic_load_explicit(&sl->seq, memory_order_acquire);
		if (s1 & 1) {
			if (!wait_writer(t, &spins))
				return 0;
			continue;
		}
		match = sl->state == SLOT_LIVE && slot_has_key(t, s, key, len);
		if (match) {
			loc.gen = sl->gen;
			loc.ttl_ms = sl->ttl_ms;
			loc.flags = sl->flags;
			loc.origin = sl->origin;
			loc.creation_ms = l->creation_ms;
			loc.renewal_ms = atomic_load_explicit(&l->renewal_ms,
			    memory_order_relaxed);
			loc.eviction_ms = atomic_load_explicit(&l->eviction_ms,
			    memory_order_relaxed);
		}
		atomic_thread_fence(memory_order_acquire);
		if (atomic_load_explicit(&sl->seq, memory_order_relaxed) == s1)
			break;
	}
	if (!match)
		return 0;
	loc.slot = s;
	*out = loc;
	return 1;
}

/* find_hashed without the copy: the same lookup, retries and checks. */
static int
locate_hashed(struct table *t, uint32_t h32, const char *key, size_t key_len,
    struct table_loc *out)
{
	uint32_t s;
	int tries;

	for (tries = 0; tries < FIND_TRIES; tries++) {
		s = index_lookup(t, h32, key, key_len, NULL, NULL);
		if (s == NOT_FOUND)
			return 0;
		/* the slot may have been reused since the lookup: check it */
		if (slot_locate(t, s, key, key_len, out) == 1)
			return 1;
	}
	return 0;
}

int
table_locate(struct table *t, const char *key, size_t key_len, struct table_loc *out)
{
	if (key_len == 0 || key_len > TABLE_SLOT_DATA)
		return 0;
	return locate_hashed(t, key_hash32(key, key_len), key, key_len, out);
}

int
table_journal_get(struct table *t, uint64_t seq, struct table_journal_rec *out)
{
	struct table_journal_rec *r;
	uint64_t cs;

	if (seq == 0)
		return -1;
	cs = atomic_load_explicit(&t->hdr->change_seq, memory_order_acquire);
	if (seq > cs)
		return 1;
	/* record seq was complete before change_seq reached it: any mismatch now
	 * means the ring has moved past it */
	r = &t->journal[seq & t->jmask];
	if (atomic_load_explicit(&r->seq, memory_order_acquire) != seq)
		return -1;
	out->kind = r->kind;
	out->origin = r->origin;
	out->pad = 0;
	out->slot = r->slot;
	out->gen = r->gen;
	out->old_slot = r->old_slot;
	out->pad2 = 0;
	atomic_thread_fence(memory_order_acquire);
	if (atomic_load_explicit(&r->seq, memory_order_relaxed) != seq)
		return -1;
	atomic_store_explicit(&out->seq, seq, memory_order_relaxed);
	return 0;
}

/* ------------------------------------------------------------------ accessors */

struct table_header *
table_header(struct table *t)
{
	return t->hdr;
}

uint64_t
table_change_seq(struct table *t)
{
	return atomic_load_explicit(&t->hdr->change_seq, memory_order_acquire);
}

uint32_t
table_capacity(struct table *t)
{
	return t->hdr->capacity;
}

uint32_t
table_hwm(struct table *t)
{
	uint32_t h = atomic_load_explicit(&t->hdr->hwm, memory_order_acquire);

	return h < t->nslots ? h : t->nslots;
}

uint32_t
table_live(struct table *t)
{
	return atomic_load_explicit(&t->hdr->live, memory_order_relaxed);
}

int
table_replaced(struct table *t)
{
	struct stat st;

	if (stat(t->path, &st) == -1)
		return 1;
	return st.st_dev != t->dev || st.st_ino != t->ino;
}

enum table_attach
table_attach_mode(struct table *t)
{
	return t->attach;
}

struct table_lease *
table_lease_at(struct table *t, uint32_t slot)
{
	return slot < t->nslots ? &t->leases[slot] : NULL;
}

const struct table_slot *
table_slot_at(struct table *t, uint32_t slot)
{
	return slot < t->nslots ? &t->slots[slot] : NULL;
}

const char *
table_slot_ext(struct table *t, uint32_t slot)
{
	return slot < t->nslots ? ext_of(t, slot) : NULL;
}

const char *
table_slot_ovf(struct table *t, uint32_t slot)
{
	return slot < t->nslots ? ovf_of(t, slot) : NULL;
}

/* ------------------------------------------------------------------ writer */

static inline uint64_t
next_seq(struct table *t)
{
	return atomic_load_explicit(&t->hdr->change_seq, memory_order_relaxed) + 1;
}

/* Writes record n (= next_seq) and publishes it through change_seq. */
static void
journal_append(struct table *t, uint64_t n, uint8_t kind, uint8_t origin,
    uint32_t slot, uint32_t gen, uint32_t old_slot)
{
	struct table_journal_rec *r = &t->journal[n & t->jmask];

	atomic_store_explicit(&r->seq, 0, memory_order_relaxed);
	atomic_thread_fence(memory_order_release);
	r->kind = kind;
	r->origin = origin;
	r->pad = 0;
	r->slot = slot;
	r->gen = gen;
	r->old_slot = old_slot;
	r->pad2 = 0;
	atomic_store_explicit(&r->seq, n, memory_order_release);
	STEP(STEP_JOURNAL);
	atomic_store_explicit(&t->hdr->change_seq, n, memory_order_release);
}

/*
 * Names the operation about to change the table (table.h, ATTACH). The fields
 * first, op last; the fence keeps the operation's own stores after op.
 */
static void
intent_begin(struct table *t, uint32_t op, uint64_t n, uint32_t slot,
    uint32_t old_slot, uint32_t gen, uint32_t live_after, uint8_t origin)
{
	struct table_intent *in = &t->hdr->intent;

	in->slot = slot;
	in->old_slot = old_slot;
	in->gen = gen;
	in->seq = n;
	in->live_before = atomic_load_explicit(&t->hdr->live, memory_order_relaxed);
	atomic_store_explicit(&in->live_after, live_after, memory_order_relaxed);
	in->origin = origin;
	atomic_store_explicit(&in->op, op, memory_order_release);
	atomic_thread_fence(memory_order_release);
	STEP(STEP_INTENT);
}

static void
intent_end(struct table *t)
{
	STEP(STEP_JOURNALLED);
	atomic_store_explicit(&t->hdr->intent.op, INTENT_NONE, memory_order_release);
}

static inline uint32_t
slot_begin(struct table_slot *sl)
{
	uint32_t s = atomic_load_explicit(&sl->seq, memory_order_relaxed) | 1;

	atomic_store_explicit(&sl->seq, s, memory_order_relaxed);
	atomic_thread_fence(memory_order_release);
	return s;
}

static inline void
slot_end(struct table_slot *sl, uint32_t s)
{
	atomic_store_explicit(&sl->seq, s + 1, memory_order_release);
}

/*
 * Moves free_cursor over the next leases, pushing the free slots it passes (the
 * lowest on top). Looks at a slot itself only when its lease says free.
 */
static void
free_scan(struct table *t, uint32_t hwm)
{
	uint32_t i, end;

	end = hwm - t->free_cursor > FREE_SCAN_CHUNK ? t->free_cursor + FREE_SCAN_CHUNK :
	    hwm;
	for (i = end; i-- > t->free_cursor; )
		if (t->leases[i].creation_ms == 0 && t->slots[i].state != SLOT_LIVE &&
		    t->nfree < t->nslots)
			t->free_slots[t->nfree++] = i;
	t->free_cursor = end;
}

/* The file system has no fallocate: the table stays sparse. */
static int
fallocate_unsupported(int e)
{
	return e == EOPNOTSUPP || e == ENOSYS || e == EINVAL;
}

/* MADV_POPULATE_WRITE of [p, p + len) (Linux 5.14), a hint: stores fault the
 * pages in anyway on a kernel that does not know it. */
static void
populate(struct table *t, void *p, size_t len)
{
#ifdef MADV_POPULATE_WRITE
	if (len > 0 && madvise(p, len, MADV_POPULATE_WRITE) == -1 && errno != EINVAL)
		log_debug("%s: madvise(MADV_POPULATE_WRITE): %s", t->path,
		    strerror(errno));
#else
	(void)t;
	(void)p;
	(void)len;
#endif
}

/*
 * Writes zeros over the whole pages of [first, last) with pwritev, so that the
 * page cache gets them by a plain full-page write: MADV_POPULATE_WRITE on a
 * fallocated (unwritten) range reads every page in first, zeroing it, through
 * the readahead path, then makes it writable (page_mkwrite); after a write it
 * only maps the pages, and the whole is faster and steadier (interleaved runs
 * of 640 MiB: 0.15-0.20 s against 0.17-1.3 s). Only for pages no slot below
 * hwm shares: they were never written, so their content is zeros already.
 * Best effort: the pages are populated either way.
 */
static void
zero_pages(struct table *t, size_t first, size_t last)
{
	static const char zeros[64 * 1024];
	struct iovec iov[64];
	size_t n, k;
	ssize_t w;
	int i;

	first = (first + SECTION_ALIGN - 1) & ~(size_t)(SECTION_ALIGN - 1);
	last &= ~(size_t)(SECTION_ALIGN - 1);
	while (first < last) {
		for (i = 0, n = 0; i < 64 && first + n < last; i++, n += k) {
			k = last - first - n < sizeof(zeros) ? last - first - n :
			    sizeof(zeros);
			iov[i].iov_base = (void *)zeros;
			iov[i].iov_len = k;
		}
		if ((w = pwritev(t->fd, iov, i, (off_t)first)) <= 0)
			return;
		first += (size_t)w;
	}
}

/* Test hook (table.h): fails a reservation as a full disk would. */
int	(*table_fallocate_hook)(int64_t off, int64_t len);

/* fallocate, or the test's failure; errno set on -1. */
static int
reserve(int fd, size_t off, size_t len)
{
	int e;

	if (__builtin_expect(table_fallocate_hook != NULL, 0) &&
	    (e = table_fallocate_hook((int64_t)off, (int64_t)len)) != 0) {
		errno = e;
		return -1;
	}
	return fallocate(fd, 0, (off_t)off, (off_t)len);
}

/* Page-aligned offsets of the lines from to to of an array at base + off
 * (elements of size sz): the pages that hold them. */
static void
span_of(size_t off, size_t sz, uint32_t from, uint32_t to, size_t *first,
    size_t *last)
{
	*first = (off + (size_t)from * sz) & ~(size_t)(SECTION_ALIGN - 1);
	*last = off + (size_t)to * sz;
}

/*
 * Gives the slots [from, to) and on to the next 2 MiB boundary of the file (so
 * the page cache can hold them in 2 MiB folios, mapped with one TLB entry:
 * map_file) disk blocks (fallocate: on a full disk the first store to a hole
 * of a shared mapping is a SIGBUS, a failed fallocate is an error we can
 * return), then page-cache pages (zero_pages) mapped writable in one call
 * (MADV_POPULATE_WRITE) instead of two page faults per 4 KiB page (a read
 * fault, then a write fault), which made a first fill of a fresh file 3-5
 * times slower than replacing upserts; the pages of the same slots' leases and
 * of the journal records at the same positions (a first fill writes record n
 * with slot n - 1 or so; elsewhere a harmless guess) too, their blocks were
 * reserved at creation. Neither content nor anything a reader looks at
 * changes. Run by the writer (slots_back) or by its backer thread, with their
 * own no_fallocate. 0 and in *endp the end of the slots backed (>= to), or the
 * errno of the failed reservation.
 */
static int
back_range(struct table *t, uint32_t from, uint32_t to, int *no_fallocate,
    uint32_t *endp)
{
	size_t first, last, soff = (size_t)((char *)t->slots - (char *)t->base);
	size_t send = soff + (size_t)t->nslots * TABLE_SLOT_SIZE;
	uint32_t jfrom = from & t->jmask, jto;

	/* bytes up to the boundary, the whole last page with them (the head
	 * of the next slot, never written): a page short and the kernel could
	 * not make that 2 MiB a single folio */
	first = (soff + (size_t)from * TABLE_SLOT_SIZE) & ~(size_t)(SECTION_ALIGN - 1);
	last = (soff + (size_t)to * TABLE_SLOT_SIZE + HUGE_ALIGN - 1) &
	    ~(size_t)(HUGE_ALIGN - 1);
	if (last > send)
		last = send;
	to = (uint32_t)((last - soff) / TABLE_SLOT_SIZE);
	jto = to & t->jmask;
	if (!*no_fallocate && reserve(t->fd, first, last - first) == -1) {
		if (!fallocate_unsupported(errno))
			return errno;
		*no_fallocate = 1;	/* sparse, as before */
	}
	zero_pages(t, soff + (size_t)from * TABLE_SLOT_SIZE, last);
	populate(t, t->base + first, last - first);
	span_of((size_t)((char *)t->leases - (char *)t->base),
	    sizeof(struct table_lease), from, to, &first, &last);
	populate(t, t->base + first, last - first);
	if (jfrom < jto) {	/* not across the end of the ring */
		span_of((size_t)((char *)t->journal - (char *)t->base),
		    sizeof(struct table_journal_rec), jfrom, jto, &first, &last);
		populate(t, t->base + first, last - first);
	}
	*endp = to;
	return 0;
}

/* The writer backs [t->backed, end) itself. -1 if the disk is full (logged). */
static int
slots_back(struct table *t, uint32_t end)
{
	int e;

	if (end > t->nslots)
		end = t->nslots;
	if (end <= t->backed)
		return 0;
	if ((e = back_range(t, t->backed, end, &t->no_fallocate, &end)) != 0) {
		if (!t->backing_failed) {	/* once, not at every upsert */
			errno = e;
			log_warn("%s: cannot reserve disk space for slots %u-%u",
			    t->path, t->backed, end - 1);
		}
		t->backing_failed = 1;
		return -1;
	}
	if (t->backing_failed)
		log_info("%s: disk space for new slots reserved again", t->path);
	t->backing_failed = 0;
	t->backed = end;
	return 0;
}

/*
 * THE BACKER: a thread of the writer's process that backs the next chunks of
 * slots (back_range) while the writer fills the current one, so the kernel's
 * work for fresh pages (half the time of a first fill on one core) runs on
 * another core. Started only once a table grows past its first chunk (a small
 * table never has one), stopped and joined by table_close. The writer takes
 * what it has backed at a chunk boundary, waiting if it is behind; if it
 * failed (a full disk), the writer backs the chunk itself (slots_back), which
 * logs the failure and makes the upsert -ENOSPC, and on success hands the
 * backer the new start. So the writer never stores above what has disk
 * blocks: no SIGBUS. Blocks all signals. Not in a forked child (the thread is
 * not there): the child backs its chunks itself.
 */
#define BACKER_AHEAD	(16 * SLOT_CHUNK)	/* backed ahead of hwm: 40 MiB, slack
					 * for a backer that shares its core */

struct backer {
	struct table	*t;
	pthread_t	 thread;
	pid_t		 pid;		/* the process it runs in */
	pthread_mutex_t	 lock;
	pthread_cond_t	 cond;		/* done, failed or want moved, or stop */
	uint32_t	 want;		/* the writer asks for [0, want) */
	uint32_t	 done;		/* [0, done) backed */
	int		 failed;	/* errno of the chunk at done */
	int		 stop;
	int		 no_fallocate;	/* the backer's own */
};

static void *
backer_main(void *arg)
{
	struct backer *b = arg;
	uint32_t from, to;
	int e;

	pthread_mutex_lock(&b->lock);
	for (;;) {
		while (!b->stop && (b->failed || b->done >= b->want))
			pthread_cond_wait(&b->cond, &b->lock);
		if (b->stop)
			break;
		from = b->done;
		to = b->want - from > SLOT_CHUNK ? from + SLOT_CHUNK : b->want;
		pthread_mutex_unlock(&b->lock);
		e = back_range(b->t, from, to, &b->no_fallocate, &to);
		pthread_mutex_lock(&b->lock);
		if (e != 0)
			b->failed = e;
		else if (b->done == from)	/* not moved by backer_resume */
			b->done = to;
		pthread_cond_broadcast(&b->cond);
	}
	pthread_mutex_unlock(&b->lock);
	return NULL;
}

/* Starts t's backer at t->backed; -1 (and no backer ever) if it cannot. */
static int
backer_start(struct table *t)
{
	struct backer *b;
	sigset_t all, old;
	int e;

	if (t->backer_off)
		return -1;
	t->backer_off = 1;	/* one attempt */
	if ((b = calloc(1, sizeof(*b))) == NULL)
		return -1;
	b->t = t;
	b->pid = getpid();
	b->done = b->want = t->backed;
	b->no_fallocate = t->no_fallocate;
	if ((e = pthread_mutex_init(&b->lock, NULL)) != 0) {
		free(b);
		return -1;
	}
	if ((e = pthread_cond_init(&b->cond, NULL)) != 0) {
		pthread_mutex_destroy(&b->lock);
		free(b);
		return -1;
	}
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	e = pthread_create(&b->thread, NULL, backer_main, b);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (e != 0) {
		log_debug("%s: no backer thread: %s", t->path, strerror(e));
		pthread_cond_destroy(&b->cond);
		pthread_mutex_destroy(&b->lock);
		free(b);
		return -1;
	}
	(void)pthread_setname_np(b->thread, "table-backer");
	t->backer = b;
	return 0;
}

/* Stops and joins t's backer (in the process that started it). */
static void
backer_stop(struct table *t)
{
	struct backer *b = t->backer;

	if (b == NULL)
		return;
	t->backer = NULL;
	if (b->pid != getpid()) {	/* a forked child: no thread, no lock to trust */
		free(b);
		return;
	}
	pthread_mutex_lock(&b->lock);
	b->stop = 1;
	pthread_cond_broadcast(&b->cond);
	pthread_mutex_unlock(&b->lock);
	pthread_join(b->thread, NULL);
	pthread_cond_destroy(&b->cond);
	pthread_mutex_destroy(&b->lock);
	free(b);
}

/* Asks for BACKER_AHEAD slots past hwm and waits until the one at hwm is
 * backed or the backer failed; the end of what is backed. */
static uint32_t
backer_take(struct backer *b, uint32_t hwm, uint32_t nslots)
{
	uint32_t done, want = nslots - hwm > BACKER_AHEAD ? hwm + BACKER_AHEAD : nslots;

	pthread_mutex_lock(&b->lock);
	if (b->want < want) {
		b->want = want;
		pthread_cond_broadcast(&b->cond);
	}
	while (!b->failed && b->done <= hwm)
		pthread_cond_wait(&b->cond, &b->lock);
	done = b->done;
	pthread_mutex_unlock(&b->lock);
	return done;
}

/* The writer backed up to t->backed itself: the backer goes on from there. */
static void
backer_resume(struct backer *b, uint32_t backed)
{
	pthread_mutex_lock(&b->lock);
	if (b->done < backed)
		b->done = backed;
	b->failed = 0;
	pthread_cond_broadcast(&b->cond);
	pthread_mutex_unlock(&b->lock);
}

/*
 * The slot at hwm is about to be used and is not backed: from the backer (once
 * the table is past its first chunk), else, or if it failed, by the writer.
 * -1 if the disk is full.
 */
static int
slots_need(struct table *t, uint32_t hwm)
{
	struct backer *b = t->backer;
	uint32_t done;

	if (b != NULL && b->pid != getpid())
		b = NULL;
	if (b == NULL && hwm >= SLOT_CHUNK && t->nslots - hwm > SLOT_CHUNK &&
	    backer_start(t) == 0)
		b = t->backer;
	if (b != NULL && (done = backer_take(b, hwm, t->nslots)) > hwm) {
		if (t->backing_failed)
			log_info("%s: disk space for new slots reserved again",
			    t->path);
		t->backing_failed = 0;
		t->backed = done;
		return 0;
	}
	if (slots_back(t, hwm + SLOT_CHUNK) == -1)
		return -1;
	if (b != NULL)
		backer_resume(b, t->backed);
	return 0;
}

/*
 * Reserves disk blocks for the tails of slot's chunk (chunk slots) in an array
 * of elements of size sz at arr (the extensions or the overflows) the first
 * time since attach that a record long enough is written there: the array stays
 * a hole where no such record ever landed. Not populated: the record's stores
 * fault its one or two pages in. -1 if the disk is full.
 */
static int
tail_back(struct table *t, const char *arr, size_t sz, uint32_t chunk,
    uint8_t *backed, uint32_t slot, const char *what)
{
	uint32_t c = slot / chunk;
	size_t first, last;

	if (backed == NULL || backed[c] || t->no_fallocate)
		return 0;
	first = (size_t)(arr - (char *)t->base) + (size_t)c * chunk * sz;
	last = first + (size_t)chunk * sz;
	if (last > t->size)
		last = t->size;	/* never beyond the end: that would grow the file */
	if (reserve(t->fd, first, last - first) == -1) {
		if (!fallocate_unsupported(errno)) {
			if (!t->backing_failed)
				log_warn("%s: cannot reserve disk space for the "
				    "%s of slot %u", t->path, what, slot);
			t->backing_failed = 1;
			return -1;
		}
		t->no_fallocate = 1;
		return 0;
	}
	if (t->backing_failed)
		log_info("%s: disk space for new slots reserved again", t->path);
	t->backing_failed = 0;
	backed[c] = 1;
	return 0;
}

/* The extension and overflow blocks a record of len bytes in slot needs. */
static int
tails_back(struct table *t, uint32_t slot, size_t len)
{
	if (len > TABLE_SLOT_PRIMARY && tail_back(t, t->ext, TABLE_EXT_SIZE,
	    EXT_CHUNK, t->ext_backed, slot, "extension") == -1)
		return -1;
	if (len > TABLE_EXT_END && tail_back(t, t->ovf, TABLE_OVF_SIZE,
	    OVF_CHUNK, t->ovf_backed, slot, "overflow") == -1)
		return -1;
	return 0;
}

static uint32_t
slot_alloc(struct table *t)
{
	uint32_t hwm = atomic_load_explicit(&t->hdr->hwm, memory_order_relaxed);

	if (hwm > t->nslots)
		hwm = t->nslots;
	while (t->nfree == 0 && t->free_cursor < hwm)
		free_scan(t, hwm);
	if (t->nfree == 0 && hwm >= t->nslots && t->free_cursor > 0) {
		/* cannot happen while live is right: look again from the start
		 * (the stack is empty, so no slot can be pushed twice) */
		log_warnx("%s: no free slot below hwm found; rescanning", t->path);
		t->free_cursor = 0;
		while (t->nfree == 0 && t->free_cursor < hwm)
			free_scan(t, hwm);
	}
	if (t->nfree > 0)
		return t->free_slots[--t->nfree];
	if (hwm >= t->nslots)
		return NOT_FOUND;
	if (hwm >= t->backed && slots_need(t, hwm) == -1)
		return NOT_FOUND;
	/* readers scan [0, hwm): publish the slot before anything points to it */
	atomic_store_explicit(&t->hdr->hwm, hwm + 1, memory_order_release);
	if (t->free_cursor == hwm)
		t->free_cursor = hwm + 1;	/* known: this one is in use */
	return hwm;
}

/* Gives back a slot slot_alloc returned but nothing wrote (still free): on top
 * of the stack, where it came from or, taken at hwm, below the cursor. */
static void
slot_unalloc(struct table *t, uint32_t slot)
{
	if (slot < t->free_cursor && t->nfree < t->nslots)
		t->free_slots[t->nfree++] = slot;
}

/* Frees a slot under its sequence lock, whatever state a crash left it in;
 * creation_ms 0 tells the free scan. */
static void
slot_free(struct table *t, uint32_t slot, uint64_t n)
{
	struct table_slot *sl = &t->slots[slot];
	uint32_t s = slot_begin(sl);

	STEP(STEP_RELEASE);
	sl->state = SLOT_FREE;
	t->leases[slot].creation_ms = 0;
	atomic_store_explicit(&sl->stamp, (uint32_t)n, memory_order_relaxed);
	slot_end(sl, s);
}

/* Marks slot free (under its sequence lock) and returns it to the free stack. */
static void
slot_release(struct table *t, uint32_t slot, uint64_t n)
{
	slot_free(t, slot, n);
	/* above the cursor the free scan will find it */
	if (t->free_slots != NULL && slot < t->free_cursor && t->nfree < t->nslots)
		t->free_slots[t->nfree++] = slot;
}

/* Copies n bytes to offset off of slot's data: primary area, extension,
 * overflow. */
static void
data_put(struct table *t, uint32_t slot, size_t off, const char *src, size_t n)
{
	size_t k;
	char *p;

	while (n > 0) {
		p = data_at(t, slot, off, &k);
		if (k > n)
			k = n;
		memcpy(p, src, k);
		src += k;
		off += k;
		n -= k;
	}
}

static void
slot_fill(struct table *t, uint32_t slot, uint64_t n, uint32_t h32,
    const char *key, size_t key_len, const char *svc, size_t svc_len,
    const char *json, size_t json_len, int64_t now, uint32_t ttl_ms,
    uint8_t flags, uint8_t origin)
{
	struct table_slot *sl = &t->slots[slot];
	struct table_lease *l = &t->leases[slot];
	uint32_t s = slot_begin(sl);

	STEP(STEP_FILL);
	sl->state = SLOT_LIVE;
	sl->gen = sl->gen + 1 == 0 ? 1 : sl->gen + 1;
	sl->hash = h32;
	sl->ttl_ms = ttl_ms;
	sl->flags = flags;
	sl->origin = origin;
	sl->key_len = (uint16_t)key_len;
	sl->svc_len = (uint16_t)svc_len;
	sl->json_len = (uint16_t)json_len;
	atomic_store_explicit(&sl->stamp, (uint32_t)n, memory_order_relaxed);
	data_put(t, slot, 0, key, key_len);
	data_put(t, slot, key_len, svc, svc_len);
	data_put(t, slot, key_len + svc_len, json, json_len);
	l->creation_ms = now != 0 ? now : 1;	/* 0 would mean free */
	atomic_store_explicit(&l->renewal_ms, now, memory_order_relaxed);
	atomic_store_explicit(&l->local_renewal_ms, origin == ORIGIN_LOCAL ? now : 0,
	    memory_order_relaxed);
	atomic_store_explicit(&l->eviction_ms, 0, memory_order_relaxed);
	slot_end(sl, s);
}

int
table_upsert(struct table *t, const char *key, size_t key_len,
    const char *service_id, size_t svc_len, const char *json, size_t json_len,
    int64_t now_ms, uint32_t ttl_ms, uint8_t flags, uint8_t origin,
    uint64_t *seq_out)
{
	uint32_t h32, old, pos = 0, slot, gen, live;
	uint64_t n;

	if (!t->writer)
		return -EROFS;
	if (key_len == 0)
		return -EINVAL;
	if (key_len > TABLE_SLOT_DATA || svc_len > TABLE_SLOT_DATA ||
	    json_len > TABLE_SLOT_DATA || key_len + svc_len + json_len > TABLE_SLOT_DATA)
		return -E2BIG;
	h32 = key_hash32(key, key_len);
	old = index_probe(t, h32, key, key_len, &pos);
	if (old == NOT_FOUND &&
	    atomic_load_explicit(&t->hdr->live, memory_order_relaxed) >= t->hdr->capacity)
		return -ENOSPC;
	if ((slot = slot_alloc(t)) == NOT_FOUND)
		return -ENOSPC;	/* cannot happen: one spare slot per replacement */
	if (tails_back(t, slot, key_len + svc_len + json_len) == -1) {
		slot_unalloc(t, slot);
		return -ENOSPC;
	}
	n = next_seq(t);
	live = atomic_load_explicit(&t->hdr->live, memory_order_relaxed);
	intent_begin(t, INTENT_UPSERT, n, slot, old != NOT_FOUND ? old + 1 : 0, 0,
	    old != NOT_FOUND ? live : live + 1, origin);
	/* a fresh slot: a crash now leaves the previous version intact */
	slot_fill(t, slot, n, h32, key, key_len, service_id, svc_len, json, json_len,
	    now_ms, ttl_ms, flags, origin);
	gen = t->slots[slot].gen;
	STEP(STEP_FILLED);
	/* one entry store: a crash leaves the index either before or after it */
	index_begin(t);
	STEP(STEP_INDEX);
	if (old != NOT_FOUND)
		atomic_store_explicit(&t->index[pos], index_entry(h32, slot),
		    memory_order_relaxed);
	else
		index_insert(t, h32, slot);
	index_end(t);
	STEP(STEP_INDEXED);
	if (old != NOT_FOUND)
		slot_release(t, old, n);
	else
		atomic_store_explicit(&t->hdr->live, live + 1, memory_order_relaxed);
	STEP(STEP_RELEASED);
	journal_append(t, n, TC_UPSERT, origin, slot, gen,
	    old != NOT_FOUND ? old + 1 : 0);
	intent_end(t);
	if (seq_out != NULL)
		*seq_out = n;
	return 0;
}

static int
renew_hashed(struct table *t, uint32_t h32, const char *key, size_t key_len,
    int64_t now_ms, uint8_t origin)
{
	struct table_lease *l;
	uint32_t s, ss, ttl;
	int64_t cur;
	int tries;

	for (tries = 0; tries < FIND_TRIES; tries++) {
		s = index_lookup(t, h32, key, key_len, &ss, &ttl);
		if (s == NOT_FOUND)
			return -ENOENT;
		l = &t->leases[s];
		cur = atomic_load_explicit(&l->renewal_ms, memory_order_relaxed);
		if (atomic_load_explicit(&l->eviction_ms, memory_order_relaxed) != 0 ||
		    now_ms > cur + (int64_t)ttl) {
			/* evicted or expired, unless the slot changed under us */
			if (atomic_load(&t->slots[s].seq) != ss)
				continue;
			return -ENOENT;
		}
		/* one plain atomic store, no read-modify-write: a locked instruction
		 * would cost more than the whole renewal. Two threads racing with
		 * different clocks may leave the older time: milliseconds apart. */
		if (cur < now_ms)
			atomic_store_explicit(&l->renewal_ms, now_ms, memory_order_relaxed);
		if (origin == ORIGIN_LOCAL && atomic_load_explicit(&l->local_renewal_ms,
		    memory_order_relaxed) < now_ms)
			atomic_store_explicit(&l->local_renewal_ms, now_ms,
			    memory_order_relaxed);
		/* removed or replaced meanwhile: look the key up again */
		if (atomic_load_explicit(&t->slots[s].seq, memory_order_acquire) != ss)
			continue;
		return 0;
	}
	return -ENOENT;
}

int
table_renew(struct table *t, const char *key, size_t key_len, int64_t now_ms,
    uint8_t origin)
{
	if (!t->writer)
		return -EROFS;
	if (key_len == 0 || key_len > TABLE_SLOT_DATA)
		return -ENOENT;
	return renew_hashed(t, key_hash32(key, key_len), key, key_len, now_ms, origin);
}

/* ------------------------------------------------------------------ batches */

/*
 * table_renew_many, table_find_many and table_locate_many run their keys
 * through one software pipeline (batch_run): BATCH_STAGE keys apart, key i's
 * bytes are prefetched, then it is hashed and its home index line prefetched,
 * then the slot and lease that line names for its fingerprint are prefetched,
 * (for a copy, then the slot's data lines), and only then is key i renewed,
 * copied or located by the single-key code, which checks everything again: the
 * stages only guess, so a wrong guess costs a wasted prefetch, never a wrong
 * answer. The cache misses of several keys are in flight at once instead of
 * one after another.
 */
#define BATCH_STAGE	8	/* keys between two stages */
#define BATCH_RING	64	/* power of two > 4 * BATCH_STAGE */
#define BATCH_NONE	UINT32_MAX

_Static_assert((BATCH_RING & (BATCH_RING - 1)) == 0 && BATCH_RING > 4 * BATCH_STAGE,
    "batch ring");

/* The prefetch helpers are always inlined: a function that only prefetches looks
 * free of side effects to gcc's pure-const analysis, which then drops its calls. */
#define PREFETCHER	static inline void __attribute__((always_inline))

struct batch {
	const struct table_key	*keys;
	size_t			 n;
	uint32_t		 hash[BATCH_RING];
	uint32_t		 slot[BATCH_RING];	/* guessed, or BATCH_NONE */
};

static inline int
batch_key_ok(const struct table_key *k)
{
	return k->len != 0 && k->len <= TABLE_SLOT_DATA;
}

/* Stage 1: the key's bytes. */
PREFETCHER
batch_fetch_key(struct batch *b, size_t i)
{
	if (i < b->n)
		__builtin_prefetch(b->keys[i].key);
}

/* Stage 2: hash the key, prefetch its home index line. */
PREFETCHER
batch_hash(struct table *t, struct batch *b, size_t i)
{
	uint32_t h;

	if (i >= b->n)
		return;
	h = batch_key_ok(&b->keys[i]) ? key_hash32(b->keys[i].key, b->keys[i].len) : 0;
	b->hash[i & (BATCH_RING - 1)] = h;
	__builtin_prefetch(&t->index[h & t->imask]);
}

/* Stage 3: the first entry of the home line with the key's fingerprint names
 * the slot to prefetch (header and key) with its lease. */
PREFETCHER
batch_fetch_slot(struct table *t, struct batch *b, size_t i)
{
	uint32_t h, pos, end, s = BATCH_NONE;
	uint64_t e;

	if (i >= b->n)
		return;
	h = b->hash[i & (BATCH_RING - 1)];
	/* the rest of the home line: 8 entries of 8 bytes; a longer probe is rare */
	for (pos = h & t->imask, end = (pos | 7) + 1; pos < end; pos++) {
		e = atomic_load_explicit(&t->index[pos], memory_order_relaxed);
		if (e == 0)
			break;
		if ((uint32_t)(e >> 32) == h && (uint32_t)e - 1 < t->nslots) {
			s = (uint32_t)e - 1;
			__builtin_prefetch(&t->slots[s]);
			/* the key starts at byte 32: a long one reaches the next line */
			if (b->keys[i].len > 64 - offsetof(struct table_slot, data))
				__builtin_prefetch((const char *)&t->slots[s] + 64);
			__builtin_prefetch(&t->leases[s], 1);
			break;
		}
	}
	b->slot[i & (BATCH_RING - 1)] = s;
}

/* Stage 4 (copies only): the slot's header is here; prefetch the lines its data
 * spans, in the slot and, for a long record, in its extension and overflow. The
 * lengths are read without the slot's lock: only a hint, bounded. From the
 * second line on: stage 3 fetched it only for a key that reaches it, and a
 * record of a short key (the usual one: ~30 bytes) goes on there, so without
 * it every copy met one whole miss. */
PREFETCHER
batch_fetch_body(struct table *t, struct batch *b, size_t i)
{
	const struct table_slot *sl;
	const char *p;
	size_t end, off;
	uint32_t s;

	if (i >= b->n || (s = b->slot[i & (BATCH_RING - 1)]) == BATCH_NONE)
		return;
	sl = &t->slots[s];
	p = (const char *)sl;
	end = offsetof(struct table_slot, data) + (size_t)sl->key_len + sl->svc_len +
	    sl->json_len;
	for (off = 64; off < end && off < TABLE_SLOT_SIZE; off += 64)
		__builtin_prefetch(p + off);
	if (end <= TABLE_SLOT_SIZE)
		return;
	p = ext_of(t, s);
	end -= TABLE_SLOT_SIZE;
	for (off = 0; off < end && off < TABLE_EXT_SIZE; off += 64)
		__builtin_prefetch(p + off);
	if (end <= TABLE_EXT_SIZE)
		return;
	p = ovf_of(t, s);
	end -= TABLE_EXT_SIZE;
	for (off = 0; off < end && off < TABLE_OVF_SIZE; off += 64)
		__builtin_prefetch(p + off);
}

/* What a pipeline does with key j once its stages ran; h32 is its hash (0 for a
 * malformed key: op refuses it with batch_key_ok). */
typedef void	batch_op_fn(struct table *, size_t j, uint32_t h32, void *ctx);

/*
 * The pipeline shared by every batch: the stages BATCH_STAGE keys apart, then
 * op on key j. body adds the stage that prefetches the slot's data (copies).
 * Always inlined with a constant op, so each batch gets its own loop with op
 * inlined in it: no indirect call per key.
 */
static inline void __attribute__((always_inline))
batch_run(struct table *t, const struct table_key *keys, size_t n, int body,
    batch_op_fn *op, void *ctx)
{
	struct batch b;
	size_t i, j, depth = (body ? 4 : 3) * BATCH_STAGE;

	b.keys = keys;
	b.n = n;
	for (i = 0; i < n + depth; i++) {
		batch_fetch_key(&b, i);
		if (i >= BATCH_STAGE)
			batch_hash(t, &b, i - BATCH_STAGE);
		if (i >= 2 * BATCH_STAGE)
			batch_fetch_slot(t, &b, i - 2 * BATCH_STAGE);
		if (body && i >= 3 * BATCH_STAGE)
			batch_fetch_body(t, &b, i - 3 * BATCH_STAGE);
		if (i < depth || (j = i - depth) >= n)
			continue;
		op(t, j, b.hash[j & (BATCH_RING - 1)], ctx);
	}
}

struct renew_batch {
	const struct table_key	*keys;
	int64_t			 now_ms;
	uint8_t			 origin;
	int			*results;
	size_t			 renewed;
};

static inline void __attribute__((always_inline))
renew_one(struct table *t, size_t j, uint32_t h32, void *ctx)
{
	struct renew_batch *c = ctx;
	const struct table_key *k = &c->keys[j];
	int rc;

	rc = batch_key_ok(k) ? renew_hashed(t, h32, k->key, k->len, c->now_ms,
	    c->origin) : -ENOENT;
	c->renewed += rc == 0;
	if (c->results != NULL)
		c->results[j] = rc;
}

size_t
table_renew_many(struct table *t, const struct table_key *keys, size_t n,
    int64_t now_ms, uint8_t origin, int *results)
{
	struct renew_batch c = { keys, now_ms, origin, results, 0 };
	size_t i;

	if (!t->writer) {
		for (i = 0; results != NULL && i < n; i++)
			results[i] = -EROFS;
		return 0;
	}
	batch_run(t, keys, n, 0, renew_one, &c);
	return c.renewed;
}

struct find_batch {
	const struct table_key	*keys;
	struct table_rec	*out;
	table_found_fn		*found;
	void			*arg;
	size_t			 hits;
};

static inline void __attribute__((always_inline))
find_one(struct table *t, size_t j, uint32_t h32, void *ctx)
{
	struct find_batch *c = ctx;
	const struct table_key *k = &c->keys[j];

	if (!batch_key_ok(k) || !find_hashed(t, h32, k->key, k->len, c->out))
		return;
	c->hits++;
	if (c->found != NULL)
		c->found(c->arg, j, c->out);
}

size_t
table_find_many(struct table *t, const struct table_key *keys, size_t n,
    struct table_rec *out, table_found_fn *found, void *arg)
{
	struct find_batch c = { keys, out, found, arg, 0 };

	batch_run(t, keys, n, 1, find_one, &c);
	return c.hits;
}

struct locate_batch {
	const struct table_key	*keys;
	struct table_loc	*out;
	size_t			 hits;
};

/* No body stage: a location needs the slot's header, key and lease only, the
 * lines batch_fetch_slot prefetches (as for a renewal). */
static inline void __attribute__((always_inline))
locate_one(struct table *t, size_t j, uint32_t h32, void *ctx)
{
	struct locate_batch *c = ctx;
	const struct table_key *k = &c->keys[j];

	if (batch_key_ok(k) && locate_hashed(t, h32, k->key, k->len, &c->out[j]))
		c->hits++;
	else
		c->out[j].slot = TABLE_LOC_NONE;
}

size_t
table_locate_many(struct table *t, const struct table_key *keys, size_t n,
    struct table_loc *out)
{
	struct locate_batch c = { keys, out, 0 };

	batch_run(t, keys, n, 0, locate_one, &c);
	return c.hits;
}

int
table_evict(struct table *t, const char *key, size_t key_len, int64_t now_ms,
    uint8_t origin)
{
	struct table_lease *l;
	uint32_t s;
	uint64_t n;

	if (!t->writer)
		return -EROFS;
	if (key_len == 0 || key_len > TABLE_SLOT_DATA)
		return -ENOENT;
	s = index_probe(t, key_hash32(key, key_len), key, key_len, NULL);
	if (s == NOT_FOUND)
		return -ENOENT;
	l = &t->leases[s];
	if (atomic_load_explicit(&l->eviction_ms, memory_order_relaxed) != 0)
		return 0;	/* already unregistered; the cleaner will remove it */
	n = next_seq(t);
	intent_begin(t, INTENT_EVICT, n, s, 0, t->slots[s].gen, table_live(t), origin);
	atomic_store_explicit(&t->slots[s].stamp, (uint32_t)n, memory_order_relaxed);
	atomic_store_explicit(&l->eviction_ms, now_ms != 0 ? now_ms : 1,
	    memory_order_release);
	STEP(STEP_EVICTED);
	journal_append(t, n, TC_EVICT, origin, s, t->slots[s].gen, 0);
	intent_end(t);
	return 0;
}

int
table_remove(struct table *t, uint32_t slot, uint32_t gen, uint8_t origin)
{
	struct table_slot *sl;
	uint32_t pos, live;
	uint64_t n;

	if (!t->writer)
		return -EROFS;
	if (slot >= t->nslots)
		return -ENOENT;
	sl = &t->slots[slot];
	if (sl->state != SLOT_LIVE || sl->gen != gen)
		return -ENOENT;
	n = next_seq(t);
	live = table_live(t);
	intent_begin(t, INTENT_REMOVE, n, slot, 0, gen, live > 0 ? live - 1 : 0, origin);
	/* out of the index first: a crash then leaves an orphan the next writer frees */
	if ((pos = index_pos_of_slot(t, sl->hash, slot)) != NOT_FOUND) {
		index_begin(t);
		STEP(STEP_INDEX);
		index_delete_at(t, pos);
		index_end(t);
	}
	STEP(STEP_INDEXED);
	slot_release(t, slot, n);
	STEP(STEP_RELEASED);
	atomic_store_explicit(&t->hdr->live, live > 0 ? live - 1 : 0,
	    memory_order_relaxed);
	journal_append(t, n, TC_DELETE, origin, slot, gen, 0);
	intent_end(t);
	return 0;
}

/*
 * Maps the leases [0, hwm) writable in one call instead of one page fault per
 * page (half the cost of a re-arm of 1 M leases). Only a hint: the stores fault
 * the pages in anyway if the kernel does not know MADV_POPULATE_WRITE.
 */
static void
populate_leases(struct table *t, uint32_t hwm)
{
	uintptr_t a = (uintptr_t)t->leases, e;

	e = (a + (size_t)hwm * sizeof(struct table_lease) + SECTION_ALIGN - 1) &
	    ~(uintptr_t)(SECTION_ALIGN - 1);
	populate(t, (void *)a, e - a);
}

void
table_rearm_all(struct table *t, int64_t now_ms)
{
	uint32_t i, hwm = table_hwm(t);

	if (!t->writer)
		return;
	populate_leases(t, hwm);
	/* the dense lease array only: a free slot's lease has creation_ms 0 */
	for (i = 0; i < hwm; i++)
		if (t->leases[i].creation_ms != 0)
			atomic_store_explicit(&t->leases[i].renewal_ms, now_ms,
			    memory_order_relaxed);
}

void
table_writer_beat(struct table *t)
{
	if (!t->writer)
		return;
	atomic_store_explicit(&t->hdr->writer_pid, getpid(), memory_order_relaxed);
	atomic_fetch_add_explicit(&t->hdr->writer_beat, 1, memory_order_relaxed);
}

/* ------------------------------------------------------------------ recovery */

/* Frees a slot during recovery, under its sequence lock; journalled later. */
static void
slot_discard(struct table *t, uint32_t slot, uint8_t *act)
{
	struct table_slot *sl = &t->slots[slot];
	uint32_t s = slot_begin(sl);

	sl->state = SLOT_FREE;
	t->leases[slot].creation_ms = 0;
	slot_end(sl, s);
	act[slot] = ACT_DELETE;
}

/* 1 if every index entry points to a distinct live slot that a lookup of its key
 * finds. */
static int
index_consistent(struct table *t, uint32_t hwm)
{
	struct table_slot *sl;
	uint32_t i, s, h32;
	uint8_t *seen;
	uint64_t e;
	const char *key;
	char kbuf[TABLE_SLOT_DATA];
	int good = 0;

	if ((seen = calloc(hwm + 1, 1)) == NULL)
		return 0;
	for (i = 0; i <= t->imask; i++) {
		e = atomic_load_explicit(&t->index[i], memory_order_relaxed);
		if (e == 0)
			continue;
		s = (uint32_t)e - 1;
		if (s >= hwm || seen[s])
			goto out;
		seen[s] = 1;
		sl = &t->slots[s];
		if (sl->state != SLOT_LIVE || sl->key_len == 0 ||
		    (size_t)sl->key_len + sl->svc_len + sl->json_len > TABLE_SLOT_DATA)
			goto out;
		key = slot_key(t, s, kbuf);
		h32 = key_hash32(key, sl->key_len);
		if (sl->hash != h32 || (uint32_t)(e >> 32) != h32 ||
		    index_probe(t, h32, key, sl->key_len, NULL) != s)
			goto out;
	}
	good = 1;
out:
	free(seen);
	return good;
}

/* Frees live slots that no index entry points to: leftovers of cut-short writes. */
static void
index_prune(struct table *t, uint32_t hwm, uint8_t *act)
{
	struct table_slot *sl;
	char kbuf[TABLE_SLOT_DATA];
	uint32_t i;

	for (i = 0; i < hwm; i++) {
		sl = &t->slots[i];
		if (sl->state == SLOT_LIVE && index_probe(t, sl->hash, slot_key(t, i, kbuf),
		    sl->key_len, NULL) != i)
			slot_discard(t, i, act);
	}
}

/* Rebuilds the index from the live slots; of two slots with one key, the one
 * written by the later change wins. Leaves index_seq even. */
static void
index_rebuild(struct table *t, uint32_t hwm, uint8_t *act)
{
	struct table_slot *sl;
	uint32_t i, h32, other, pos = 0;
	const char *key;
	char kbuf[TABLE_SLOT_DATA];
	int32_t age;

	index_begin(t);
	for (i = 0; i <= t->imask; i++)
		atomic_store_explicit(&t->index[i], 0, memory_order_relaxed);
	for (i = 0; i < hwm; i++) {
		sl = &t->slots[i];
		if (sl->state != SLOT_LIVE)
			continue;
		if (sl->key_len == 0 ||
		    (size_t)sl->key_len + sl->svc_len + sl->json_len > TABLE_SLOT_DATA) {
			slot_discard(t, i, act);
			continue;
		}
		key = slot_key(t, i, kbuf);
		h32 = key_hash32(key, sl->key_len);
		sl->hash = h32;
		other = index_probe(t, h32, key, sl->key_len, &pos);
		if (other == NOT_FOUND) {
			index_insert(t, h32, i);
			continue;
		}
		age = (int32_t)(atomic_load(&sl->stamp) - atomic_load(&t->slots[other].stamp));
		if (age > 0) {
			atomic_store_explicit(&t->index[pos], index_entry(h32, i),
			    memory_order_relaxed);
			slot_discard(t, other, act);
		} else
			slot_discard(t, i, act);
	}
	index_end(t);
}

/* A record written whose change_seq store did not happen: publish it. */
static uint64_t
publish_pending(struct table *t)
{
	uint64_t cs = atomic_load(&t->hdr->change_seq);

	while (atomic_load(&t->journal[(cs + 1) & t->jmask].seq) == cs + 1)
		cs++;
	atomic_store_explicit(&t->hdr->change_seq, cs, memory_order_release);
	return cs;
}

/*
 * The full recovery: passes over every slot below hwm. Finish or discard whatever
 * the previous writer cut short, so that readers see a consistent table and a
 * gap-free journal.
 */
static int
full_recover(struct table *t, char *err, size_t errlen)
{
	struct table_header *h = t->hdr;
	struct table_slot *sl;
	uint32_t i, hwm, s, pending, live = 0, discarded = 0, journalled = 0;
	uint8_t *act;
	uint64_t n;
	int rebuilt = 0;

	pending = (uint32_t)(table_change_seq(t) + 1);
	hwm = table_hwm(t);
	if ((act = calloc(hwm + 1, 1)) == NULL) {
		seterr(err, errlen, "out of memory");
		return -1;
	}
	/* a crash from here on repeats these passes */
	atomic_store(&h->intent.op, INTENT_FULL);
	atomic_thread_fence(memory_order_seq_cst);
	/* half-written slots: never indexed, never journalled as live */
	for (i = 0; i < hwm; i++) {
		sl = &t->slots[i];
		s = atomic_load_explicit(&sl->seq, memory_order_relaxed);
		if (s & 1) {
			sl->state = SLOT_FREE;
			t->leases[i].creation_ms = 0;
			atomic_store_explicit(&sl->seq, s + 1, memory_order_release);
			act[i] = ACT_DELETE;
			discarded++;
		}
	}
	/* the index: rebuilt if the last writer died changing it, else checked */
	if ((atomic_load(&h->index_seq) & 1) || !index_consistent(t, hwm)) {
		index_rebuild(t, hwm, act);
		rebuilt = 1;
	} else
		index_prune(t, hwm, act);
	/* journal what reached the slots but not the journal */
	for (i = 0; i < hwm; i++) {
		sl = &t->slots[i];
		if (act[i] == ACT_NONE && atomic_load(&sl->stamp) == pending) {
			if (sl->state != SLOT_LIVE)
				act[i] = ACT_DELETE;
			else if (atomic_load(&t->leases[i].eviction_ms) != 0)
				act[i] = ACT_EVICT;
			else
				act[i] = ACT_UPSERT;
		}
		if (act[i] == ACT_NONE)
			continue;
		n = next_seq(t);
		atomic_store_explicit(&sl->stamp, (uint32_t)n, memory_order_relaxed);
		journal_append(t, n, act[i] == ACT_DELETE ? TC_DELETE :
		    act[i] == ACT_EVICT ? TC_EVICT : TC_UPSERT, ORIGIN_LOCAL, i,
		    sl->gen, 0);
		journalled++;
	}
	free(act);
	/* counts, free leases marked, and the whole free stack (lowest on top) */
	t->nfree = 0;
	for (i = hwm; i-- > 0; ) {
		if (t->slots[i].state == SLOT_LIVE) {
			live++;
			if (t->leases[i].creation_ms == 0)
				t->leases[i].creation_ms = 1;
			continue;
		}
		if (t->leases[i].creation_ms != 0)
			t->leases[i].creation_ms = 0;
		t->free_slots[t->nfree++] = i;
	}
	t->free_cursor = hwm;
	atomic_store(&h->live, live);
	atomic_thread_fence(memory_order_seq_cst);
	atomic_store(&h->intent.op, INTENT_NONE);
	if (discarded || rebuilt || journalled)
		log_warnx("%s: recovered after an interrupted writer: %u half-written "
		    "slots discarded, index %s, %u changes journalled", t->path,
		    discarded, rebuilt ? "rebuilt" : "intact", journalled);
	return 0;
}

/* 1 if slot holds a whole, plausible instance. */
static int
slot_whole(const struct table_slot *sl)
{
	return !(atomic_load(&sl->seq) & 1) && sl->state == SLOT_LIVE &&
	    sl->key_len != 0 &&
	    (size_t)sl->key_len + sl->svc_len + sl->json_len <= TABLE_SLOT_DATA;
}

/* The outcome of a repair: live count and journal record n, then no intent. */
static void
repair_done(struct table *t, uint32_t live, int kind, uint8_t origin, uint32_t slot,
    uint32_t old_slot)
{
	struct table_intent *in = &t->hdr->intent;

	atomic_store(&t->hdr->live, live);
	if (kind != 0) {
		atomic_store_explicit(&t->slots[slot].stamp, (uint32_t)in->seq,
		    memory_order_relaxed);
		journal_append(t, in->seq, (uint8_t)kind, origin, slot,
		    t->slots[slot].gen, old_slot);
	}
	intent_end(t);
}

/*
 * An upsert cut short: finished if its fresh slot is whole and indexed (the
 * replaced slot, if any, then freed), else undone (the fresh slot freed; the
 * index still names the previous version, which was never touched). The index
 * change is one entry store, so even an odd index_seq left a valid index.
 */
static int
repair_upsert(struct table *t, int *finished)
{
	struct table_intent *in = &t->hdr->intent;
	struct table_slot *sl = &t->slots[in->slot];
	uint32_t old = in->old_slot, h32, found = NOT_FOUND;
	const char *key;
	char kbuf[TABLE_SLOT_DATA];

	if (old > table_hwm(t) || old == in->slot + 1)
		return -1;
	if (slot_whole(sl) && atomic_load(&sl->stamp) == (uint32_t)in->seq) {
		key = slot_key(t, in->slot, kbuf);
		h32 = key_hash32(key, sl->key_len);
		found = index_probe(t, h32, key, sl->key_len, NULL);
	}
	if (atomic_load(&t->hdr->index_seq) & 1)
		index_end(t);
	if (found == in->slot) {
		*finished = 1;
		if (old != 0)
			slot_free(t, old - 1, in->seq);
		repair_done(t, atomic_load(&in->live_after), TC_UPSERT, in->origin,
		    in->slot, old);
		return 0;
	}
	*finished = 0;
	atomic_store(&in->live_after, in->live_before);
	/* the fresh slot, if the upsert got to it, goes; readers never saw it live
	 * under the key, but its record says "re-read this slot" all the same */
	if ((atomic_load(&sl->seq) & 1) || sl->state == SLOT_LIVE ||
	    atomic_load(&sl->stamp) == (uint32_t)in->seq) {
		slot_free(t, in->slot, in->seq);
		repair_done(t, in->live_before, TC_DELETE, ORIGIN_LOCAL, in->slot, 0);
	} else
		repair_done(t, in->live_before, 0, 0, 0, 0);
	return 0;
}

/*
 * A remove killed inside its backward shift (index_delete_at) left the cluster
 * around its entry's home with the same positions filled (only the shift's last
 * store empties one) but one entry copied twice, and its own entry gone or not.
 * The cluster's distinct entries are inserted again, the removed slot's left out.
 * The caller holds index_seq odd. -1 (nothing changed) if it cannot.
 */
static int
index_repair_cluster(struct table *t, uint32_t home, uint32_t drop)
{
	uint32_t start = home, n = 0, k, m;
	uint64_t *e, v;

	while (atomic_load(&t->index[(start - 1) & t->imask]) != 0) {
		start = (start - 1) & t->imask;
		if (start == home)
			return -1;	/* no empty entry at all: not an index */
	}
	while (n <= t->imask && atomic_load(&t->index[(start + n) & t->imask]) != 0)
		n++;
	if (n == 0 || n > t->imask)
		return n == 0 ? 0 : -1;
	if ((e = calloc(n, sizeof(*e))) == NULL)
		return -1;
	for (k = 0; k < n; k++) {
		e[k] = atomic_load(&t->index[(start + k) & t->imask]);
		atomic_store_explicit(&t->index[(start + k) & t->imask], 0,
		    memory_order_relaxed);
	}
	for (k = 0; k < n; k++) {
		v = e[k];
		for (m = 0; m < k && e[m] != v; m++)
			;
		if (m == k && (uint32_t)v != drop + 1)
			index_insert(t, (uint32_t)(v >> 32), (uint32_t)v - 1);
	}
	free(e);
	return 0;
}

/* A remove cut short: finished. */
static int
repair_remove(struct table *t)
{
	struct table_intent *in = &t->hdr->intent;
	struct table_slot *sl = &t->slots[in->slot];
	uint32_t pos;

	if (sl->gen != in->gen)
		return -1;
	if (atomic_load(&t->hdr->index_seq) & 1) {
		if (index_repair_cluster(t, sl->hash & t->imask, in->slot) == -1)
			return -1;
		index_end(t);
	}
	/* the hash is not changed by a remove: its entry, if still there, is in the
	 * cluster that starts at the hash's home */
	if ((pos = index_pos_of_slot(t, sl->hash, in->slot)) != NOT_FOUND) {
		index_begin(t);
		index_delete_at(t, pos);
		index_end(t);
	}
	slot_free(t, in->slot, in->seq);
	repair_done(t, atomic_load(&in->live_after), TC_DELETE, in->origin, in->slot, 0);
	return 0;
}

/* An evict cut short: journalled if its mark reached the lease. */
static int
repair_evict(struct table *t)
{
	struct table_intent *in = &t->hdr->intent;

	if (t->slots[in->slot].gen != in->gen)
		return -1;
	if (atomic_load(&t->leases[in->slot].eviction_ms) != 0)
		repair_done(t, in->live_before, TC_EVICT, in->origin, in->slot, 0);
	else
		repair_done(t, in->live_before, 0, 0, 0, 0);
	return 0;
}

static const char *
intent_name(uint32_t op)
{
	return op == INTENT_UPSERT ? "upsert" : op == INTENT_REMOVE ? "remove" :
	    op == INTENT_EVICT ? "evict" : "?";
}

/*
 * Repairs exactly what the operation named by the intent touched. -1 when the
 * intent cannot say (unknown, inconsistent with the journal, or a remove that
 * died in the middle of its index change): the caller runs the full recovery.
 */
static int
intent_repair(struct table *t, uint64_t cs)
{
	struct table_intent *in = &t->hdr->intent;
	uint32_t op = atomic_load(&in->op);
	int index_odd = atomic_load(&t->hdr->index_seq) & 1, finished = 1, rc;

	if (op < INTENT_UPSERT || op > INTENT_EVICT || in->slot >= t->nslots ||
	    in->slot >= table_hwm(t) || in->seq == 0 ||
	    atomic_load(&in->live_after) > t->hdr->capacity ||
	    in->live_before > t->hdr->capacity)
		return -1;
	if (cs == in->seq) {
		/* its record was published: everything before it was done */
		if (index_odd)
			return -1;
		repair_done(t, atomic_load(&in->live_after), 0, 0, 0, 0);
		log_warnx("%s: the interrupted %s of change %llu had completed", t->path,
		    intent_name(op), (unsigned long long)cs);
		return 0;
	}
	if (cs + 1 != in->seq || (index_odd && op == INTENT_EVICT))
		return -1;
	if (op == INTENT_UPSERT)
		rc = repair_upsert(t, &finished);
	else if (op == INTENT_REMOVE)
		rc = repair_remove(t);
	else
		rc = repair_evict(t);
	if (rc == 0)
		log_warnx("%s: the interrupted %s of change %llu was %s", t->path,
		    intent_name(op), (unsigned long long)cs + 1,
		    finished ? "finished" : "undone");
	return rc;
}

/*
 * A writer attaches. O(work in flight): nothing after a clean close or a crash
 * between operations, the slots an intent names after a crash in one; the full
 * passes only as the fallback (table.h, ATTACH).
 */
static int
writer_recover(struct table *t, char *err, size_t errlen)
{
	struct table_header *h = t->hdr;
	uint32_t op;
	uint64_t cs;
	int clean;

	clean = atomic_load(&h->clean) == TABLE_CLEAN;
	atomic_store(&h->clean, 0);		/* before our first change */
	atomic_store(&h->writer_pid, getpid());
	atomic_fetch_add(&h->writer_beat, 1);
	cs = publish_pending(t);
	op = atomic_load(&h->intent.op);

	t->nfree = 0;
	t->free_cursor = 0;
	if (op == INTENT_NONE && !(atomic_load(&h->index_seq) & 1)) {
		t->attach = clean ? TABLE_ATTACH_CLEAN : TABLE_ATTACH_BETWEEN;
		if (!clean)
			log_info("%s: the last writer stopped between two changes "
			    "without closing the table; nothing to repair", t->path);
	} else if (op != INTENT_FULL && intent_repair(t, cs) == 0)
		t->attach = TABLE_ATTACH_INTENT;
	else {
		log_warnx("%s: %s; checking every slot", t->path, op == INTENT_FULL ?
		    "an earlier recovery was interrupted" : op == INTENT_NONE ?
		    "the index was left half-changed" :
		    "the interrupted operation cannot be repaired on its own");
		t->attach = TABLE_ATTACH_FULL;
		return full_recover(t, err, errlen);
	}
	/* nothing below hwm is free when every slot there is live */
	if (table_live(t) >= table_hwm(t))
		t->free_cursor = table_hwm(t);
	return 0;
}

/* ------------------------------------------------------------------ open/close */

/*
 * A new, empty table under tmp, mapped read-write into t (fd in *fdp): sparse,
 * with disk blocks for header, journal, index and leases (the slots get theirs
 * as hwm rises, slots_back; extensions and overflows as long records land,
 * tail_back): a first store to a hole of a shared mapping on a full disk is a
 * SIGBUS, this is an error message. Its magic is written last.
 */
static int
table_build(struct table *t, const char *tmp, uint32_t capacity, int *fdp,
    char *err, size_t errlen)
{
	struct table_header *h;
	struct layout l;
	uint64_t id;
	int fd;

	if (capacity == 0 || capacity > MAX_CAPACITY) {
		seterr(err, errlen, "%s: capacity %u out of range 1..%u", t->path,
		    capacity, MAX_CAPACITY);
		return -1;
	}
	layout_for_capacity(&l, capacity);
	(void)unlink(tmp);	/* a leftover of an earlier process with our pid */
	if ((fd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644)) == -1) {
		seterr(err, errlen, "cannot create %s: %s", tmp, strerror(errno));
		return -1;
	}
	if (ftruncate(fd, (off_t)l.total) == -1) {
		seterr(err, errlen, "%s: ftruncate %zu: %s", tmp, l.total, strerror(errno));
		goto fail;
	}
	if (fallocate(fd, 0, 0, (off_t)l.slots_off) == -1 &&
	    !fallocate_unsupported(errno)) {
		seterr(err, errlen, "%s: cannot reserve %zu bytes: %s", tmp, l.slots_off,
		    strerror(errno));
		goto fail;
	}
	t->base = map_file(fd, l.total, l.ext_off, PROT_READ | PROT_WRITE);
	if (t->base == MAP_FAILED) {
		t->base = NULL;
		seterr(err, errlen, "%s: mmap %zu bytes: %s", tmp, l.total, strerror(errno));
		goto fail;
	}
	t->size = l.total;
	table_bind(t, &l);
	h = t->hdr;
	h->layout_version = TABLE_LAYOUT_VERSION;
	h->capacity = l.capacity;
	h->journal_size = l.journal_size;
	h->index_size = l.index_size;
	h->created_ms = (uint64_t)now_ms();
	if (getrandom(&id, sizeof(id), 0) != sizeof(id))
		id = (uint64_t)now_ms() ^ ((uint64_t)getpid() << 32);
	h->table_id = id;
	atomic_store_explicit(&h->clean, TABLE_CLEAN, memory_order_relaxed);
	atomic_thread_fence(memory_order_release);
	h->magic = TABLE_MAGIC;		/* last: only now does the file look valid */
	*fdp = fd;
	return 0;
fail:
	close(fd);
	(void)unlink(tmp);
	return -1;
}

static void
table_unmap(struct table *t)
{
	backer_stop(t);
	if (t->base != NULL)
		munmap(t->base, t->size);
	t->base = NULL;
}

static int
table_create(struct table *t, uint32_t capacity, char *err, size_t errlen)
{
	char *tmp = NULL;
	int fd = -1, saved;

	if (asprintf(&tmp, "%s.tmp.%d", t->path, (int)getpid()) == -1) {
		seterr(err, errlen, "out of memory");
		return -1;
	}
	if (table_build(t, tmp, capacity, &fd, err, errlen) == -1) {
		free(tmp);
		return -1;
	}
	/* link, not rename: an existing table is never replaced */
	if (link(tmp, t->path) == -1) {
		saved = errno;
		(void)unlink(tmp);
		table_unmap(t);
		close(fd);
		free(tmp);
		if (saved == EEXIST)
			return 1;
		seterr(err, errlen, "cannot create %s: %s", t->path, strerror(saved));
		return -1;
	}
	(void)unlink(tmp);
	free(tmp);
	t->fd = fd;
	return 0;
}

/* ------------------------------------------------------------------ migration */

/*
 * An old slot, of any layout before this one: the same 32-byte header as a
 * struct table_slot, then its data: 992 bytes in the slot (layouts 1 and 2),
 * or 608 there and 384 in its extension (layout 3). Records of 992 bytes at
 * most (OLD_DATA_MAX).
 */
struct old_slot {
	_Atomic uint32_t seq;
	uint32_t	 state;
	uint32_t	 gen;
	uint32_t	 hash;
	uint32_t	 ttl_ms;
	uint8_t		 flags;
	uint8_t		 origin;
	uint16_t	 key_len;
	uint16_t	 svc_len;
	uint16_t	 json_len;
	_Atomic uint32_t stamp;
};
_Static_assert(sizeof(struct old_slot) == offsetof(struct table_slot, data),
    "old slot header");

/* The old file mapped at ob, with its layout. */
struct old_file {
	const unsigned char		*ob;
	const struct layout		*l;
	const struct table_header	*h;
	const struct table_lease	*leases;
};

static const struct old_slot *
old_slot_at(const struct old_file *o, uint32_t i)
{
	return (const struct old_slot *)(o->ob + o->l->slots_off +
	    (size_t)i * o->l->slot_size);
}

/* Copies old slot i's key, serviceId and JSON (len bytes) into buf. */
static void
old_data(const struct old_file *o, uint32_t i, char *buf, size_t len)
{
	const char *p = (const char *)old_slot_at(o, i) + sizeof(struct old_slot);
	size_t in_slot = o->l->slot_size - sizeof(struct old_slot);

	if (len <= in_slot) {
		memcpy(buf, p, len);
		return;
	}
	memcpy(buf, p, in_slot);	/* layout 3: the rest in the extension */
	memcpy(buf + in_slot, o->ob + o->l->ext_off + (size_t)i * o->l->ext_size,
	    len - in_slot);
}

/* 1 if an old slot holds a whole instance to migrate. */
static int
old_slot_keep(const struct old_file *o, uint32_t i)
{
	const struct old_slot *sl = old_slot_at(o, i);
	const struct table_header *oh = o->h;

	if ((atomic_load(&sl->seq) & 1) || sl->state != SLOT_LIVE || sl->key_len == 0 ||
	    (size_t)sl->key_len + sl->svc_len + sl->json_len > OLD_DATA_MAX)
		return 0;
	/* a remove cut short: the slot was on its way out (layout 2 on) */
	return !(oh->layout_version >= 2 && atomic_load(&oh->intent.op) ==
	    INTENT_REMOVE && oh->intent.slot == i && oh->intent.gen == sl->gen);
}

/* Copies old slot i and its lease into t (a writer of the new file). src[s] is
 * the old slot whose copy new slot s holds: of two with one key, the later
 * stamp wins (a replacement whose writer died before freeing the old version). */
static int
old_copy(struct table *t, const struct old_file *o, uint32_t i, uint32_t *src,
    const uint32_t *ostamp)
{
	const struct old_slot *sl = old_slot_at(o, i);
	const struct table_lease *ol = &o->leases[i];
	char key[OLD_DATA_MAX];
	struct table_lease *l;
	size_t kl = sl->key_len, vl = sl->svc_len, jl = sl->json_len;
	uint32_t s;
	int rc;

	old_data(o, i, key, kl + vl + jl);
	s = index_probe(t, key_hash32(key, kl), key, kl, NULL);
	if (s != NOT_FOUND && (int32_t)(ostamp[src[s]] - atomic_load(&sl->stamp)) > 0)
		return 0;
	rc = table_upsert(t, key, kl, key + kl, vl, key + kl + vl, jl, ol->creation_ms,
	    sl->ttl_ms, sl->flags, sl->origin, NULL);
	if (rc != 0 || (s = index_probe(t, key_hash32(key, kl), key, kl, NULL)) ==
	    NOT_FOUND)
		return rc != 0 ? rc : -EIO;
	src[s] = i;
	l = &t->leases[s];
	l->creation_ms = ol->creation_ms != 0 ? ol->creation_ms : 1;
	atomic_store(&l->renewal_ms, atomic_load(&ol->renewal_ms));
	atomic_store(&l->local_renewal_ms, atomic_load(&ol->local_renewal_ms));
	atomic_store(&l->eviction_ms, atomic_load(&ol->eviction_ms));
	return 0;
}

/* Fills t, a writer of a new empty file, from the mapped old file at ob. */
static int
old_fill(struct table *t, const unsigned char *ob, const struct layout *ol,
    const struct table_header *oh, uint32_t *copied, char *err, size_t errlen)
{
	struct old_file o = { ob, ol, oh,
	    (const struct table_lease *)(ob + ol->leases_off) };
	uint32_t i, hwm = atomic_load(&oh->hwm), *src, *ostamp;
	int rc = 0;

	src = calloc(t->nslots, sizeof(*src));
	ostamp = calloc((size_t)hwm + 1, sizeof(*ostamp));
	if (src == NULL || ostamp == NULL) {
		free(src);
		free(ostamp);
		seterr(err, errlen, "out of memory");
		return -1;
	}
	for (i = 0; i < hwm; i++)
		ostamp[i] = atomic_load(&old_slot_at(&o, i)->stamp);
	*copied = 0;
	for (i = 0; i < hwm && rc == 0; i++)
		if (old_slot_keep(&o, i) &&
		    (rc = old_copy(t, &o, i, src, ostamp)) != 0)
			seterr(err, errlen, "%s: migrating slot %u: %s", t->path, i,
			    strerror(-rc));
	free(src);
	free(ostamp);
	*copied = table_live(t);
	return rc == 0 ? 0 : -1;
}

/*
 * The writer found a layout-1, -2 or -3 file (t->fd, flock held): builds a
 * layout-4 file with the same capacity from its live slots under the temporary name,
 * takes its flock and renames it over the old one (table.h, CREATION). Readers
 * of the old file see it replaced. On success t is the new file, mapped, not
 * yet recovered (clean: nothing to recover).
 */
static int
table_migrate(struct table *t, const struct table_header *oh, size_t fsize,
    char *err, size_t errlen)
{
	struct layout ol;
	struct stat st;
	unsigned char *ob;
	char *tmp = NULL;
	uint32_t copied = 0, version = oh->layout_version;
	int fd = -1, ofd = t->fd;

	if (geometry_check(t->path, oh, fsize, &ol, err, errlen) == -1)
		return -1;
	ob = mmap(NULL, ol.total, PROT_READ, MAP_SHARED, ofd, 0);
	if (ob == MAP_FAILED) {
		seterr(err, errlen, "%s: mmap %zu bytes: %s", t->path, ol.total,
		    strerror(errno));
		return -1;
	}
	if (asprintf(&tmp, "%s.tmp.%d", t->path, (int)getpid()) == -1) {
		tmp = NULL;
		seterr(err, errlen, "out of memory");
		goto fail;
	}
	if (table_build(t, tmp, oh->capacity, &fd, err, errlen) == -1)
		goto fail;
	t->fd = fd;
	if ((t->free_slots = calloc(t->nslots, sizeof(uint32_t))) == NULL ||
	    (t->ext_backed = calloc(t->nslots / EXT_CHUNK + 1, 1)) == NULL ||
	    (t->ovf_backed = calloc(t->nslots / OVF_CHUNK + 1, 1)) == NULL) {
		seterr(err, errlen, "out of memory");
		goto fail;
	}
	atomic_store(&t->hdr->clean, 0);
	memcpy(&t->hdr->reg, &oh->reg, sizeof(t->hdr->reg));
	if (old_fill(t, ob, &ol, oh, &copied, err, errlen) == -1)
		goto fail;
	atomic_store(&t->hdr->clean, TABLE_CLEAN);
	/* whole on disk before it replaces the old file */
	if (fsync(fd) == -1) {
		seterr(err, errlen, "%s: fsync: %s", tmp, strerror(errno));
		goto fail;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) == -1 || fstat(fd, &st) == -1) {
		seterr(err, errlen, "%s: flock: %s", tmp, strerror(errno));
		goto fail;
	}
	if (rename(tmp, t->path) == -1) {
		seterr(err, errlen, "cannot rename %s to %s: %s", tmp, t->path,
		    strerror(errno));
		goto fail;
	}
	t->dev = st.st_dev;
	t->ino = st.st_ino;
	munmap(ob, ol.total);
	close(ofd);		/* and its flock: nobody opens it by name any more */
	free(tmp);
	log_info("%s: migrated from table layout %u to %d: %u instances", t->path,
	    version, TABLE_LAYOUT_VERSION, copied);
	return 0;
fail:
	munmap(ob, ol.total);
	table_unmap(t);
	if (fd != -1) {
		close(fd);
		(void)unlink(tmp);
	}
	t->fd = ofd;
	free(tmp);
	return -1;
}

/* 1 if the file open at t->fd has an older layout (a migration), 0 if not. */
static int
needs_migration(struct table *t, struct table_header *h, size_t *fsize)
{
	struct stat st;

	memset(h, 0, sizeof(*h));
	if (fstat(t->fd, &st) == -1 || pread(t->fd, h, sizeof(*h), 0) !=
	    (ssize_t)sizeof(*h))
		return 0;	/* table_map says what is wrong */
	*fsize = (size_t)st.st_size;
	return h->magic == TABLE_MAGIC && h->layout_version >= OLDEST_LAYOUT &&
	    h->layout_version < TABLE_LAYOUT_VERSION;
}

struct table *
table_open_writer(const char *path, uint32_t capacity, char *err, size_t errlen)
{
	struct table_header oh;
	struct table *t;
	struct stat st;
	size_t fsize = 0;
	int r, attempt, created = 0, migrated = 0;

	if ((t = table_alloc(path, err, errlen)) == NULL)
		return NULL;
	t->writer = 1;
	for (attempt = 0; attempt < 3 && t->fd == -1; attempt++) {
		t->fd = open(path, O_RDWR | O_CLOEXEC);
		if (t->fd != -1)
			break;
		if (errno != ENOENT) {
			seterr(err, errlen, "cannot open %s: %s", path, strerror(errno));
			goto fail;
		}
		if ((r = table_create(t, capacity, err, errlen)) == -1)
			goto fail;
		if (r == 1)
			continue;	/* another process created it first: attach */
		created = 1;
		if (fstat(t->fd, &st) == -1) {
			seterr(err, errlen, "%s: fstat: %s", path, strerror(errno));
			goto fail;
		}
		t->dev = st.st_dev;
		t->ino = st.st_ino;
	}
	if (t->fd == -1) {
		seterr(err, errlen, "cannot open or create %s", path);
		goto fail;
	}
	if (flock(t->fd, LOCK_EX | LOCK_NB) == -1) {
		struct table_header h;

		memset(&h, 0, sizeof(h));
		if (pread(t->fd, &h, sizeof(h), 0) != (ssize_t)sizeof(h))
			h.writer_pid = 0;
		seterr(err, errlen, "%s is in use by another writer (pid %d)", path,
		    (int)atomic_load(&h.writer_pid));
		goto fail;
	}
	if (t->base == NULL && needs_migration(t, &oh, &fsize)) {
		if (table_migrate(t, &oh, fsize, err, errlen) == -1)
			goto fail;
		migrated = 1;
	}
	if (t->base == NULL && table_map(t, PROT_READ | PROT_WRITE, err, errlen) == -1)
		goto fail;
	if (t->hdr->capacity != capacity)
		log_warnx("%s: keeping the existing table's capacity %u (configured %u)",
		    path, t->hdr->capacity, capacity);
	if ((t->free_slots == NULL &&
	    (t->free_slots = calloc(t->nslots, sizeof(uint32_t))) == NULL) ||
	    (t->ext_backed == NULL &&
	    (t->ext_backed = calloc(t->nslots / EXT_CHUNK + 1, 1)) == NULL) ||
	    (t->ovf_backed == NULL &&
	    (t->ovf_backed = calloc(t->nslots / OVF_CHUNK + 1, 1)) == NULL)) {
		seterr(err, errlen, "out of memory");
		goto fail;
	}
	if (writer_recover(t, err, errlen) == -1)
		goto fail;
	t->backed = table_hwm(t);	/* slots in use are backed already */
	if (created)
		t->attach = TABLE_ATTACH_CREATED;
	if (migrated)
		t->attach = TABLE_ATTACH_MIGRATED;
	return t;
fail:
	t->writer = 0;
	table_free(t);
	return NULL;
}

struct table *
table_open_reader(const char *path, char *err, size_t errlen)
{
	struct table *t;

	if ((t = table_alloc(path, err, errlen)) == NULL)
		return NULL;
	if ((t->fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		seterr(err, errlen, "cannot open %s: %s", path, strerror(errno));
		goto fail;
	}
	if (table_map(t, PROT_READ, err, errlen) == -1)
		goto fail;
	return t;
fail:
	table_free(t);
	return NULL;
}

void
table_close(struct table *t)
{
	if (t == NULL)
		return;
	if (t->writer && t->hdr != NULL) {
		/* every change is complete: the next writer need not look */
		if (atomic_load(&t->hdr->intent.op) == INTENT_NONE &&
		    !(atomic_load(&t->hdr->index_seq) & 1)) {
			atomic_thread_fence(memory_order_seq_cst);
			atomic_store(&t->hdr->clean, TABLE_CLEAN);
		}
		atomic_store(&t->hdr->writer_pid, 0);	/* a clean stop, not a death */
	}
	table_free(t);
}
