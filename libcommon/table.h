/*
 * table.h — the shared instance table: one file in the state directory, mmap'd
 * MAP_SHARED; artemis-registryd maps it read-write (the only writer), every other
 * program read-only. Modelled on Varnish's shared-memory discipline (vsm_int.h).
 *
 * FILE LAYOUT (all offsets from the start of the file, little-endian, 4 KiB aligned)
 *
 *   header        4096 bytes    struct table_header
 *   journal       J * 32 bytes  change-journal ring (J = power of two)
 *   index         I * 8 bytes   open-addressing hash index (I = pow2 >= 2*S, >= 1024)
 *   leases        S * 32 bytes  struct table_lease per slot (dense: expiry scans
 *                               and renewals touch only this array)
 *   slots         S * 640       struct table_slot: a 32-byte header and the
 *                               PRIMARY data area, 608 bytes of instance key, raw
 *                               serviceId and canonical wire JSON, in that order
 *   extensions    S * 384       bytes 608-991 of slot i's key + serviceId + JSON,
 *                               at ext_off + i * 384 (table_slot_ext)
 *   overflows     S * 3072      bytes 992-4063 of them, at ovf_off + i * 3072
 *                               (table_slot_ovf; layout 4)
 *
 * C (header.capacity) is the most live instances; S = C + 1 slots, the spare one
 * so that a re-registration at full capacity still has a fresh slot to write.
 * Each section starts on a 4 KiB boundary; a slot (640 = 10 cache lines), an
 * extension (384 = 6) and an overflow (3072 = 48) are cache-line aligned; 32
 * extensions and 4 overflows make whole pages (12 KiB). J = max(4096, min(2^20,
 * pow2(C))). A record is at most TABLE_SLOT_DATA = 4064 bytes (992 in layouts
 * 1-3): with its 32-byte slot header, one 4 KiB page, so a Java client's
 * instance with a few KB of metadata is stored (the Java server has no bound).
 * The record is split in three tiers rather than one long extension so that
 * each size pays only for the bytes it has: a typical record (key + serviceId +
 * JSON ~530 bytes) fits the primary area, so a full table of them touches the
 * slot array only (610 MiB for 1 M slots); a longer one up to 992 bytes adds
 * its extension (384 bytes of a shared page, as in layout 3: a table of such
 * records costs 1 KiB a slot, not the 4 KiB one 3456-byte extension a slot
 * would make it); only a record beyond 992 bytes touches its overflow. The
 * extension and overflow pages of a slot are touched only when such a record
 * lands there.
 * The file is created sparse (ftruncate): untouched slots cost no memory or disk.
 * Disk blocks are reserved (fallocate) for header, journal, index and leases at
 * creation, and by the writer for the slots in chunks of 4096 (2.5 MiB) and on to
 * the next 2 MiB boundary of the file before hwm reaches them; then the chunk's
 * pages are written with zeros (pwritev: the pages were never written), which
 * puts them in the page cache as 2 MiB folios, and mapped writable
 * (MADV_POPULATE_WRITE, Linux 5.14) with those of its leases, instead of two
 * page faults per page. Every mapping asks for transparent huge pages
 * (MADV_HUGEPAGE) up to the extension array, so 2 MiB folios are mapped with
 * one TLB entry (FilePmdMapped in smaps) and pages read back after a restart
 * come in such folios; the extension and overflow arrays keep 4 KiB pages.
 * Once a table grows past its first chunk, a thread of the writer's process (the
 * backer, table.c) does this up to 16 chunks ahead of hwm while the writer fills
 * the current one; the writer waits for it only when it is behind. The
 * extension array is reserved lazily, 32 extensions (12 KiB, 3 pages) at a time,
 * by the first long record written in that range since the writer attached (no
 * populate: such pages are faulted in by the write), and the overflow array
 * likewise, 4 overflows (12 KiB) at a time. So a full disk makes
 * creation fail, or an upsert return -ENOSPC (logged), never a SIGBUS at the
 * first store to a hole. File systems without fallocate get no reservation.
 *
 * CREATION: the writer builds a new file under "<path>.tmp.<pid>", fills the header
 * last (magic written after everything else) and link(2)s it into place (like a
 * rename, but never replacing an existing table), so a reader never maps a
 * half-initialised table. An existing file is re-attached and
 * validated (magic, layout version, sizes); a different layout version is refused
 * with a clear message, except layouts 1 and 2 (1 KiB slots, no extensions)
 * and 3 (no overflows; records of 992 bytes at most in all three): the writer
 * MIGRATES such a file. Under the old file's flock it builds a
 * layout-4 file under the temporary name from the old file's whole live slots
 * (key, serviceId, JSON, ttl, flags, origin and all four lease times; of two
 * slots with one key, the later stamp wins; an odd slot, and the slot of a remove
 * cut short, are left out), takes the flock of the new file and rename(2)s it
 * over the old path, logging one line. Readers refuse layouts 1 to 3 with a
 * message saying so (they retry until registryd has migrated the file), and
 * readers attached to the old file see it replaced (table_replaced) and rescan.
 *
 * "ALL-ZERO BYTES NEVER LOOK VALID": magic is non-zero; a slot is live only with
 * state == SLOT_LIVE (non-zero) and an even, non-zero sequence; a journal record is
 * valid only when its seq (>= 1) equals the sequence the reader expects.
 *
 * SLOTS are guarded by a sequence lock: the writer makes seq odd, writes, makes it
 * even again (release). Readers copy the slot and retry if seq was odd or changed.
 * The lock of slot i covers its extension and overflow too (the writer never
 * rewrites a live slot in place, so they belong to slot i only): readers copy the
 * primary area, then the extension, then the overflow, inside one pass of the
 * retry loop, and only the record's own bytes (a struct table_rec has room for
 * the longest; a lookup copies what the record holds).
 * A re-registration never rewrites a live slot in place: it writes a fresh slot,
 * switches the index to it and frees the old one, so a crash mid-write leaves the
 * previous version intact (an odd slot found at attach time, by the intent repair
 * or the full recovery, is discarded).
 * A reader that finds a slot odd for long checks writer_pid; if the writer is dead
 * the slot is treated as free.
 *
 * STAMPS: every slot the writer touches for change n (write, free, evict) gets
 * stamp = (uint32)n before the journal record n is written. A full recovery
 * (ATTACH below) journals every slot stamped change_seq + 1 (the change that was
 * cut short) and every slot it discards (as TC_DELETE, origin local, old_slot 0),
 * so a reader following the journal never misses a change that reached the slots.
 * Readers treat a record as "slot changed, re-read it and compare gen".
 *
 * LEASES: renewal is one atomic store of renewal_ms (plus local_renewal_ms for
 * renewals from clients, which the replicator forwards). No lock, no copy.
 *
 * INDEX entries are (hash32 << 32 | slot + 1); 0 = empty. Linear probing with
 * backward-shift deletion. index_seq in the header is a sequence lock over the
 * whole index: readers that look up by key retry when it moved; a writer that dies
 * with index_seq odd leaves a flag that makes the next writer repair the index
 * (from the intent, or by rebuilding it from the slots). The probe position is hash32 & (I - 1). A full recovery
 * with an even index_seq verifies the index against the slots (and rebuilds it if
 * it does not match); a live slot the index does not point to is the leftover of
 * a cut-short write and is freed.
 *
 * JOURNAL: every change of an instance's data writes record n = change_seq + 1 at
 * ring position n % J (rec.seq zeroed, fields, rec.seq = n with release), then
 * stores change_seq = n (release). A reader expecting s: s > change_seq means not
 * written yet; otherwise the record was complete once, so rec.seq != s before or
 * after copying means overrun (the reader fell behind the ring and must rescan
 * the slots). Renewals are not journalled. A writer that attaches publishes a
 * record its predecessor completed but did not publish.
 *
 * ATTACH: the writer's recovery is O(work in flight), not O(capacity), because the
 * header says what was in flight:
 *   clean    table_close of the writer stores TABLE_CLEAN after its last change;
 *            the next writer clears it before its first. Clean: nothing to repair.
 *   intent   every multi-step writer operation (upsert, with or without a
 *            replacement; remove; evict) first writes an intent record naming its
 *            change number n, its slots, its origin and the live count before and
 *            after, then makes its changes, journals record n and clears the
 *            intent (op = 0). Fields are written before op (release), so op != 0
 *            always comes with whole fields. A writer that finds an intent after a
 *            crash looks only at the slots it names: an operation whose record n
 *            was published is complete; otherwise an upsert whose fresh slot is
 *            whole and indexed is finished (the replaced slot freed), any other
 *            upsert is undone (the fresh slot freed), a remove is finished and an
 *            evict is journalled if its eviction_ms was stored. Record n then
 *            journals the outcome and the intent is cleared. A repair cut short
 *            by another crash is repeated: intent.live_after is set to the
 *            outcome's count before anything else is changed.
 *            An upsert changes the index with one entry store, so an odd
 *            index_seq still leaves a valid index; a remove killed inside its
 *            backward shift left one cluster with an entry copied twice: that
 *            cluster's distinct entries are inserted again.
 *   full     the passes over every slot below (half-written slots, index check
 *            or rebuild, orphan slots, stamps) run only when the intent is not
 *            understood, or when index_seq is odd with no intent. While they run the
 *            intent says INTENT_FULL, so a crash in the middle repeats them.
 * No clean flag and no intent: the last writer died between operations, and the
 * table is consistent as it is.
 *
 * FREE SLOTS: a free slot's lease has creation_ms 0 (a live one never has:
 * creation_ms 0 is stored as 1); a slot is freed under its sequence lock together
 * with its lease's creation_ms. So the writer finds free slots in the dense lease
 * array, lazily: its free stack holds the free slots below a scan cursor, and an
 * allocation that finds the stack empty scans the next leases (32 bytes each,
 * never the slots) before it raises hwm. When live == hwm at attach nothing
 * below hwm is free and the cursor starts at hwm.
 *
 * WRITER LIVENESS: writer_pid and writer_beat (incremented by the writer's cleaner
 * at least once per second); readers use it to report a dead registryd. A writer
 * holds flock(LOCK_EX) on the file, so a second writer is refused; a clean
 * table_close sets writer_pid to 0 (and clean, ATTACH above).
 *
 * RENEWAL RACES: table_renew runs in any thread of the writer process, concurrently
 * with upsert/evict/remove. It validates its index lookup with index_seq and the
 * slot's seq, stores renewal_ms if it is older than now, then re-checks the slot's
 * seq and starts over if the slot changed meanwhile. A renewal racing with the
 * removal of its instance may land on the slot's next occupant, as a renewal to
 * about that occupant's creation time: harmless.
 */
#ifndef ARTEMIS_TABLE_H
#define ARTEMIS_TABLE_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define TABLE_MAGIC		0x314c425453524141ULL	/* "AARSTBL1" */
#define TABLE_LAYOUT_VERSION	4	/* 2: clean flag, intent, free = creation_ms 0;
					 * 3: 640-byte slots + 384-byte extensions;
					 * 4: + 3072-byte overflows */
#define TABLE_CLEAN		0x4e41454cU	/* "LEAN": closed cleanly */
#define TABLE_SLOT_SIZE		640	/* header + primary data area */
#define TABLE_SLOT_PRIMARY	(TABLE_SLOT_SIZE - 32)	/* data in the slot itself */
#define TABLE_EXT_SIZE		384	/* more, in the extension array */
#define TABLE_EXT_END		(TABLE_SLOT_PRIMARY + TABLE_EXT_SIZE)	/* 992 */
#define TABLE_OVF_SIZE		3072	/* the rest, in the overflow array */
#define TABLE_SLOT_DATA		(TABLE_EXT_END + TABLE_OVF_SIZE)	/* the most
					 * key + serviceId + JSON: 4064 bytes */
#define TABLE_FILE		"instances.table"

/* Journal record kinds. */
enum table_change {
	TC_UPSERT = 1,	/* slot now holds an instance (new registration or replacement) */
	TC_DELETE = 2,	/* instance removed by the cleaner (expired or unregistered) */
	TC_EVICT = 3,	/* unregister: lease marked evicted; readers treat it as gone,
			 * the slot stays a TTL as a tombstone (registryd lease.c) */
};

enum table_origin { ORIGIN_LOCAL = 1, ORIGIN_PEER = 2 };

#define TABLE_F_LEGACY	0x01	/* metadata.java_registry set: legacy lease manager */

/* Registry status published by registryd for every reader (leases.json etc.). */
struct table_registry_status {
	_Atomic int64_t	 started_ms;		/* registryd start, epoch ms */
	_Atomic int32_t	 is_safe[2];		/* [0] normal, [1] legacy lease manager */
	_Atomic int32_t	 safe_enabled;
	_Atomic int64_t	 update_count_window[2];
	_Atomic int64_t	 update_max_count[2];
	_Atomic int64_t	 update_max_count_time[2];
	_Atomic int64_t	 unsafe_since_ms[2];	/* 0 while safe */
	_Atomic int64_t	 held_expired[2];	/* expired leases kept by protection */
};

/* The writer operation in flight (see ATTACH above). */
enum table_intent_op {
	INTENT_NONE = 0,
	INTENT_UPSERT = 1,	/* slot: the fresh slot; old_slot: replaced slot + 1 */
	INTENT_REMOVE = 2,	/* slot, gen: the slot removed */
	INTENT_EVICT = 3,	/* slot, gen: the slot whose lease is marked evicted */
	INTENT_FULL = 4,	/* the full recovery passes are running */
};

struct table_intent {
	_Atomic uint32_t op;		/* enum table_intent_op, written last */
	uint32_t	 slot;
	uint32_t	 old_slot;
	uint32_t	 gen;
	uint64_t	 seq;		/* the operation's change number */
	uint32_t	 live_before;
	_Atomic uint32_t live_after;
	uint8_t		 origin;
	uint8_t		 pad[7];
};

struct table_header {
	uint64_t	 magic;
	uint32_t	 layout_version;
	uint32_t	 capacity;		/* live instances; capacity + 1 slots */
	uint32_t	 journal_size;		/* records, power of two */
	uint32_t	 index_size;		/* entries, power of two */
	uint64_t	 created_ms;
	uint64_t	 table_id;		/* random; a new file has a new id */
	_Atomic uint64_t change_seq;		/* last journalled sequence */
	_Atomic uint32_t index_seq;		/* seqlock over the index */
	_Atomic uint32_t hwm;			/* slots [0, hwm) have ever been used */
	_Atomic uint32_t live;			/* live instances */
	_Atomic int32_t	 writer_pid;
	_Atomic uint64_t writer_beat;
	struct table_registry_status reg;
	/* layout 2 */
	_Atomic uint32_t clean;			/* TABLE_CLEAN after a clean close */
	uint32_t	 pad;
	struct table_intent intent;
};

struct table_journal_rec {
	_Atomic uint64_t seq;
	uint8_t		 kind;		/* enum table_change */
	uint8_t		 origin;	/* enum table_origin */
	uint16_t	 pad;
	uint32_t	 slot;
	uint32_t	 gen;		/* slot generation at the time of the change */
	uint32_t	 old_slot;	/* TC_UPSERT replacing another slot: that slot + 1, else 0 */
	uint64_t	 pad2;
};

struct table_lease {
	_Atomic int64_t	 renewal_ms;
	_Atomic int64_t	 local_renewal_ms;	/* last renewal by a client of this node */
	_Atomic int64_t	 eviction_ms;		/* 0 = not evicted */
	int64_t		 creation_ms;
};

struct table_slot {
	_Atomic uint32_t seq;		/* sequence lock */
	uint32_t	 state;		/* SLOT_FREE / SLOT_LIVE */
	uint32_t	 gen;		/* bumped on every (re)use */
	uint32_t	 hash;
	uint32_t	 ttl_ms;
	uint8_t		 flags;		/* TABLE_F_* */
	uint8_t		 origin;
	uint16_t	 key_len;
	uint16_t	 svc_len;
	uint16_t	 json_len;
	_Atomic uint32_t stamp;		/* low 32 bits of the last change that touched it */
	char		 data[TABLE_SLOT_PRIMARY];	/* key, serviceId, json (no
					 * NULs); bytes from TABLE_SLOT_PRIMARY on
					 * are in the slot's extension, from
					 * TABLE_EXT_END on in its overflow */
};

#define SLOT_FREE	0
#define SLOT_LIVE	0x4c495645	/* "LIVE" */

/* A consistent copy of one live slot, as readers see it. Strings NUL-terminated. */
struct table_rec {
	uint32_t	 slot;
	uint32_t	 gen;
	uint32_t	 ttl_ms;
	uint8_t		 flags;
	uint8_t		 origin;
	int64_t		 creation_ms;
	int64_t		 renewal_ms;
	int64_t		 local_renewal_ms;
	int64_t		 eviction_ms;
	const char	*key;		/* point into buf */
	size_t		 key_len;
	const char	*service_id;
	size_t		 svc_len;
	const char	*json;
	size_t		 json_len;
	char		 buf[TABLE_SLOT_DATA + 3];
};

struct table;

/* Writer (registryd). Creates the file with the given capacity if it is missing;
 * otherwise re-attaches (capacity of the existing file wins, a mismatch is logged)
 * and repairs what the last writer cut short (ATTACH above; O(1) unless the full
 * recovery is needed). NULL with a message in err on failure. A writer's
 * table_close marks the table clean: call it only with every writer operation
 * and renewal finished. */
struct table	*table_open_writer(const char *path, uint32_t capacity, char *err,
		    size_t errlen);
/* Reader (everyone else): maps read-only; fails if the file does not exist yet. */
struct table	*table_open_reader(const char *path, char *err, size_t errlen);
void		 table_close(struct table *);

struct table_header *table_header(struct table *);
uint64_t	 table_change_seq(struct table *);
uint32_t	 table_capacity(struct table *);
uint32_t	 table_hwm(struct table *);
uint32_t	 table_live(struct table *);
/* 1 if the file at the table's path is no longer the one mapped (replaced). */
int		 table_replaced(struct table *);

/* ---- writer operations (single writer thread or caller-serialised) ---- */

/* Register: fresh lease (creation = renewal = now, not evicted), journals TC_UPSERT.
 * Returns 0, -E2BIG if key+serviceId+json do not fit a slot, -ENOSPC if full (or
 * the disk has no room for the next chunk of slots, logged). */
int	table_upsert(struct table *, const char *key, size_t key_len,
	    const char *service_id, size_t svc_len, const char *json, size_t json_len,
	    int64_t now_ms, uint32_t ttl_ms, uint8_t flags, uint8_t origin,
	    uint64_t *seq_out);
/* Heartbeat: 0 renewed; -ENOENT if unknown, evicted or expired (now > renewal+ttl;
 * an expired lease stays expired). Safe to call from several threads at once. */
int	table_renew(struct table *, const char *key, size_t key_len, int64_t now_ms,
	    uint8_t origin);
/* A batch of heartbeats: the same as table_renew for each key (results[i], if
 * results is not NULL), with the cache misses of neighbouring keys overlapped
 * (a software pipeline; its prefetches only guess, the checks are table_renew's).
 * Returns how many were renewed. */
struct table_key {
	const char	*key;
	size_t		 len;
};
size_t	table_renew_many(struct table *, const struct table_key *keys, size_t n,
	    int64_t now_ms, uint8_t origin, int *results);
/* Unregister: marks the lease evicted and journals TC_EVICT; -ENOENT if unknown. */
int	table_evict(struct table *, const char *key, size_t key_len, int64_t now_ms,
	    uint8_t origin);
/* Cleaner: remove a slot (TC_DELETE) if it still has generation gen. */
int	table_remove(struct table *, uint32_t slot, uint32_t gen, uint8_t origin);
/* Re-arm every lease with renewal = now (restart grace). */
void	table_rearm_all(struct table *, int64_t now_ms);
void	table_writer_beat(struct table *);
/* Readers: 1 when writer_beat has not moved for stall_ms (registryd dead, hung
 * or stopped); 0 for the writer itself. Needs calls, not a thread: the first
 * call after a quiet spell only records the beat. */
int	table_writer_stalled(struct table *, int64_t stall_ms);

/* How the writer attached: what its recovery had to do (table.h, ATTACH). */
enum table_attach {
	TABLE_ATTACH_CREATED = 1,	/* a new file */
	TABLE_ATTACH_CLEAN,		/* the last writer closed it: nothing to do */
	TABLE_ATTACH_BETWEEN,		/* it died between operations: nothing to do */
	TABLE_ATTACH_INTENT,		/* it died in one: that operation repaired */
	TABLE_ATTACH_FULL,		/* the passes over every slot */
	TABLE_ATTACH_MIGRATED,		/* a layout-1/2/3 file rebuilt as layout 4 */
};
enum table_attach table_attach_mode(struct table *);

/* Tests only: called at each step of a writer operation (a test SIGKILLs
 * itself there). NULL in every program. */
enum table_step {
	STEP_INTENT = 1,	/* intent written, nothing changed yet */
	STEP_FILL,		/* fresh slot's sequence odd, fields not written */
	STEP_FILLED,		/* fresh slot whole, not indexed */
	STEP_INDEX,		/* index_seq odd, index not changed yet */
	STEP_SHIFT,		/* remove: one entry of the backward shift moved */
	STEP_INDEXED,		/* index changed, index_seq even */
	STEP_RELEASE,		/* freed slot's sequence odd, state unchanged */
	STEP_RELEASED,		/* slot freed / live counted, no record */
	STEP_EVICTED,		/* eviction_ms stored, no record */
	STEP_JOURNAL,		/* record written, change_seq not moved */
	STEP_JOURNALLED,	/* record published, intent not cleared */
};
extern void	(*table_step_hook)(enum table_step);
/* Tests only: called before the writer reserves disk blocks for [off, off +
 * len) of the file, from the writer's thread or its backer thread; a non-zero
 * errno fails the reservation as a full disk would. NULL in every program. */
extern int	(*table_fallocate_hook)(int64_t off, int64_t len);

/* Direct access for linear scans (no copy): lease, slot, extension and overflow
 * of i (the extension: TABLE_EXT_SIZE bytes, the data after the slot's own; the
 * overflow: TABLE_OVF_SIZE bytes, the data after the extension's). */
struct table_lease	*table_lease_at(struct table *, uint32_t slot);
const struct table_slot	*table_slot_at(struct table *, uint32_t slot);
const char		*table_slot_ext(struct table *, uint32_t slot);
const char		*table_slot_ovf(struct table *, uint32_t slot);

/* ---- reader operations (any process, any thread) ---- */

/* 1 and a consistent copy if slot is live, 0 if free (or out of range). */
int	table_read_slot(struct table *, uint32_t slot, struct table_rec *out);
/* 1 and a copy if key is present, 0 if not. */
int	table_find(struct table *, const char *key, size_t key_len, struct table_rec *out);
/* A batch of lookups: the same as table_find for each key, with the cache misses
 * of neighbouring keys overlapped. For each key present, found (if not NULL) is
 * called with its index in keys and its copy in out (one buffer, overwritten by
 * the next key found). Returns how many were found. */
typedef void	table_found_fn(void *arg, size_t i, const struct table_rec *rec);
size_t	table_find_many(struct table *, const struct table_key *keys, size_t n,
	    struct table_rec *out, table_found_fn *found, void *arg);
/*
 * Copy-free lookups: WHERE an instance is, without its bytes. "Present" means
 * what it means for table_find: the key's slot is live (state SLOT_LIVE, a
 * stable even sequence, the key stored there equal to key). An evicted lease
 * (eviction_ms != 0) or an expired one (now > renewal_ms + ttl_ms) is still
 * present until the cleaner removes its slot: judge those from the lease times
 * returned, as a table_find caller judges them from its copy. The answer is
 * taken under the same index_seq and slot sequence lock as table_find's, with
 * the same retries; the key is compared in the slot (and its extension and
 * overflow, for a key longer than the primary area), nothing is copied out but
 * these fields.
 * slot and gen name the version found: table_read_slot(slot) with a matching
 * gen is the same instance.
 */
#define TABLE_LOC_NONE	UINT32_MAX	/* table_locate_many: key not present */
struct table_loc {
	uint32_t	 slot;		/* TABLE_LOC_NONE if not present */
	uint32_t	 gen;
	uint32_t	 ttl_ms;
	uint8_t		 flags;
	uint8_t		 origin;
	int64_t		 creation_ms;
	int64_t		 renewal_ms;
	int64_t		 eviction_ms;	/* 0 = not evicted */
};
/* 1 and the location if key is present, 0 if not (out untouched). */
int	table_locate(struct table *, const char *key, size_t key_len,
	    struct table_loc *out);
/* A batch: out[i] is table_locate's answer for keys[i], with slot
 * TABLE_LOC_NONE for a key not present; the cache misses of neighbouring keys
 * overlapped (table_renew_many's pipeline). Returns how many were present. */
size_t	table_locate_many(struct table *, const struct table_key *keys, size_t n,
	    struct table_loc *out);
/* Journal record for sequence seq: 0 ok, 1 not yet written, -1 overrun (rescan). */
int	table_journal_get(struct table *, uint64_t seq, struct table_journal_rec *out);

#endif
