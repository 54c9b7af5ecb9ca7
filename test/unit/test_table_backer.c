/*
 * test_table_backer.c — the writer's backer thread (table.c, THE BACKER), which
 * backs the next chunks of slots while the writer fills the current one: a
 * small table never starts it, table_close joins it, a full disk met by the
 * backer is -ENOSPC on the upsert that needs the chunk (the writer never uses
 * a slot past what has disk blocks) and upserts go on once space is back, and
 * a forked child writer backs its chunks itself instead of waiting for a
 * thread it does not have.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "table.h"
#include "tap.h"

#define CHUNK	4096	/* SLOT_CHUNK in table.c */
#define HUGE	(2 << 20)	/* HUGE_ALIGN in table.c: chunks end on such
				 * boundaries of the file */
#define CAP	40000
#define TTL	30000

static char dir[64];
static char err[512];

/* The reservation hook: records the first offset asked for (the first chunk of
 * slots of a fresh table: its slot array's start) and fails every one that
 * reaches fail_at with ENOSPC. */
static _Atomic int64_t first_off = -1;
static _Atomic int64_t fail_at = INT64_MAX;
static _Atomic int calls;

static int
hook(int64_t off, int64_t len)
{
	int64_t none = -1;

	atomic_fetch_add(&calls, 1);
	atomic_compare_exchange_strong(&first_off, &none, off);
	return off + len > atomic_load(&fail_at) ? ENOSPC : 0;
}

static void
path_in_dir(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", dir, name);
}

/* This process's threads. */
static int
threads(void)
{
	struct dirent *de;
	DIR *d;
	int n = 0;

	if ((d = opendir("/proc/self/task")) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		n += de->d_name[0] != '.';
	closedir(d);
	return n;
}

static int
put(struct table *t, int i)
{
	char key[32], json[64];
	int kl, jl;

	kl = snprintf(key, sizeof(key), "key-%d", i);
	jl = snprintf(json, sizeof(json), "{\"i\":%d}", i);
	return table_upsert(t, key, (size_t)kl, "SVC", 3, json, (size_t)jl, 1000, TTL,
	    0, ORIGIN_LOCAL, NULL);
}

static int
has(struct table *t, int i)
{
	static struct table_rec r;
	char key[32];
	int kl;

	kl = snprintf(key, sizeof(key), "key-%d", i);
	return table_find(t, key, (size_t)kl, &r);
}

/* Upserts keys [from, to); the first failure's code, 0 if none. */
static int
put_range(struct table *t, int from, int to)
{
	int i, rc;

	for (i = from; i < to; i++)
		if ((rc = put(t, i)) != 0)
			return rc;
	return 0;
}

static int
has_range(struct table *t, int from, int to)
{
	int i;

	for (i = from; i < to; i++)
		if (!has(t, i))
			return 0;
	return 1;
}

/* A table that stays within its first chunk has no backer; one that grows past
 * it has one, and table_close joins it. */
static void
test_lazy(void)
{
	char path[128];
	struct table *t;
	int base = threads();

	path_in_dir(path, sizeof(path), "lazy.table");
	if ((t = table_open_writer(path, CAP, err, sizeof(err))) == NULL) {
		ok(0, "open: %s", err);
		return;
	}
	ok(put_range(t, 0, CHUNK) == 0 && threads() == base,
	    "a first chunk of upserts starts no thread (%d)", threads());
	ok(put_range(t, CHUNK, 3 * CHUNK) == 0 && threads() == base + 1,
	    "growing past it starts the backer (%d threads)", threads());
	ok(has_range(t, 0, 3 * CHUNK), "every instance is there");
	table_close(t);
	ok(threads() == base, "table_close joins it (%d threads)", threads());
}

/* The backer meets a full disk: the upsert that needs the chunk is -ENOSPC
 * (never a store to a slot without disk blocks), the table goes on working,
 * and upserts succeed again once there is space. */
static void
test_full_disk(void)
{
	char path[128];
	struct table *t;
	int64_t slots_off = -1, full;
	int rc, room;

	path_in_dir(path, sizeof(path), "full.table");
	atomic_store(&first_off, -1);
	atomic_store(&fail_at, INT64_MAX);
	table_fallocate_hook = hook;
	if ((t = table_open_writer(path, CAP, err, sizeof(err))) == NULL) {
		ok(0, "open: %s", err);
		table_fallocate_hook = NULL;
		return;
	}
	rc = put(t, 0);
	slots_off = atomic_load(&first_off);
	ok(rc == 0 && slots_off > 0, "the first upsert reserves the first chunk at %lld",
	    (long long)slots_off);
	/* the disk is full from the first 2 MiB boundary past three chunks on
	 * (chunks end on such boundaries); the backer gets there first */
	full = (slots_off + (int64_t)3 * CHUNK * TABLE_SLOT_SIZE + HUGE - 1) &
	    ~(int64_t)(HUGE - 1);
	room = (int)((full - slots_off) / TABLE_SLOT_SIZE);
	atomic_store(&fail_at, full);
	ok(put_range(t, 1, room) == 0, "%d upserts, up to the full disk", room);
	rc = put(t, room);
	ok(rc == -ENOSPC, "the upsert that needs the next chunk: -ENOSPC (%d)", rc);
	ok(put(t, room + 1) == -ENOSPC, "and the next one");
	ok(table_hwm(t) == (uint32_t)room,
	    "no slot past the backed ones is used (hwm %u)", table_hwm(t));
	ok(has_range(t, 0, room) && !has(t, room),
	    "the instances stored are there, the refused one is not");
	ok(put(t, 7) == -ENOSPC, "a replacement needs a fresh slot too: -ENOSPC");
	ok(table_renew(t, "key-7", 5, 2000, ORIGIN_LOCAL) == 0, "renewals go on");
	atomic_store(&fail_at, INT64_MAX);	/* space again */
	rc = put_range(t, room, room + 3 * CHUNK);
	ok(rc == 0, "with space back, three more chunks of upserts (%d)", rc);
	ok(has_range(t, 0, room + 3 * CHUNK), "every instance is there");
	table_close(t);
	table_fallocate_hook = NULL;
}

/* A child forked from a process with a backer writes on without it. */
static void
test_fork(void)
{
	char path[128];
	struct table *t;
	int status;
	pid_t pid;

	path_in_dir(path, sizeof(path), "fork.table");
	if ((t = table_open_writer(path, CAP, err, sizeof(err))) == NULL) {
		ok(0, "open: %s", err);
		return;
	}
	ok(put_range(t, 0, 2 * CHUNK) == 0, "the parent starts its backer");
	if ((pid = fork()) == -1) {
		ok(0, "fork");
		table_close(t);
		return;
	}
	if (pid == 0) {
		alarm(30);	/* a wait for the parent's thread would hang */
		status = put_range(t, 2 * CHUNK, 5 * CHUNK) == 0 &&
		    has_range(t, 0, 5 * CHUNK);
		table_close(t);
		_exit(status ? 0 : 1);
	}
	ok(waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	    WEXITSTATUS(status) == 0, "the child upserts three more chunks (status %d)",
	    status);
	table_close(t);
	if ((t = table_open_writer(path, CAP, err, sizeof(err))) == NULL) {
		ok(0, "reopen: %s", err);
		return;
	}
	ok(has_range(t, 0, 5 * CHUNK), "its instances are in the file");
	table_close(t);
}

static void
cleanup(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	(void)!system(cmd);
}

int
main(void)
{
	log_init("test_table_backer", 0);
	snprintf(dir, sizeof(dir), "/tmp/test_table_backer.XXXXXX");
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	test_lazy();
	test_full_disk();
	test_fork();
	cleanup();
	return done_testing();
}
