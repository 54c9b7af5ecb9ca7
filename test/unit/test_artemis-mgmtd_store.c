/* test_artemis-mgmtd_store.c — the SQLite store of artemis-mgmtd. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sbuf.h"
#include "../../cmd/artemis-mgmtd/mgmtd.h"
#include "../../cmd/artemis-mgmtd/store.h"
#include "tap.h"

struct mgmtd *mgmtd;	/* main.c is not linked into unit tests */

static char *
slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	struct sbuf b = SBUF_INIT;
	char buf[4096];
	size_t n;

	if (f == NULL)
		return NULL;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		sbuf_add(&b, buf, n);
	fclose(f);
	return sbuf_steal(&b, NULL);
}

static int
count_op(const struct op_row *r, void *arg)
{
	(void)r;
	(*(int *)arg)++;
	return 0;
}

static int
count_log(const struct log_row *r, void *arg)
{
	(void)r;
	(*(int *)arg)++;
	return 0;
}

static int
count_group(const struct group_row *g, void *arg)
{
	(void)g;
	(*(int *)arg)++;
	return 0;
}

int
main(void)
{
	char dir[] = "/tmp/test_store.XXXXXX", path[256], err[256], big[300];
	struct store *s;
	struct group_row g;
	struct log_row lr;
	const char *key[3] = { "SHA", "Demo.Service", "Inst-1" };
	const char *lkey[3] = { "sha", "demo.service", "inst-1" };
	uint64_t v1 = 0, v2 = 0;
	int64_t id1 = 0, id2 = 0;
	char *sql;
	int n;

	if (mkdtemp(dir) == NULL)
		return 2;
	snprintf(path, sizeof(path), "%s/m.db", dir);
	sql = slurp("share/management.sql");
	ok(sql != NULL && strcmp(sql, store_schema_sql()) == 0,
	    "share/management.sql is the embedded migration 1");
	free(sql);
	s = store_open(path, err, sizeof(err));
	ok(s != NULL, "store opens (%s)", s ? "" : err);
	if (s == NULL)
		return done_testing();
	ok(store_schema_version(s) == 1, "schema version 1");

	ok(store_begin(s) == 0 && store_op_start(s, OPK_INSTANCE, key, "pullout",
	    "alice", "t") == 0 && store_op_start(s, OPK_INSTANCE, lkey, "PULLOUT",
	    "bob", "t") == 0 && store_commit(s, &v1) == 0, "upsert twice, any case");
	n = 0;
	store_read_begin(s);
	store_op_list(s, OPK_INSTANCE, lkey, 0, count_op, &n);
	store_read_end(s);
	ok(n == 1, "one row: keys are case-insensitive (%d)", n);
	n = 0;
	store_read_begin(s);
	store_op_list(s, OPK_INSTANCE, lkey, 1, count_op, &n);
	store_read_end(s);
	ok(n == 0, "exact region filter is case-sensitive");

	/* a failing statement rolls the whole transaction back */
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memset(&lr, 0, sizeof(lr));
	lr.s[LS_OPERATION] = big;
	ok(store_begin(s) == 0 && store_op_end(s, OPK_INSTANCE, key, "pullout") == 0 &&
	    store_log_insert(s, LOG_INSTANCE, &lr) == -1,
	    "an oversized value is refused (%s)", store_error(s));
	store_rollback(s);
	n = 0;
	store_read_begin(s);
	store_op_list(s, OPK_INSTANCE, NULL, 0, count_op, &n);
	store_log_query(s, LOG_INSTANCE, &lr, count_log, &n);
	store_read_end(s);
	ok(n == 1, "rollback: the delete did not happen, no log row");

	memset(&g, 0, sizeof(g));
	g.service_id = "svc";
	g.region_id = "sha";
	g.zone_id = "z";
	g.name = "blue";
	g.app_id = "a";
	g.status = "active";
	ok(store_begin(s) == 0 && store_group_put(s, &g, 0, &id1) == 0 &&
	    store_group_delete(s, id1, NULL, NULL) == 1 &&
	    store_group_delete(s, id1, NULL, NULL) == 0 &&
	    store_group_delete(s, 999, NULL, NULL) == 0 &&
	    store_commit(s, &v2) == 0, "group insert, delete, delete again");
	ok(v2 == v1 + 1, "each commit bumps the version (%llu -> %llu)",
	    (unsigned long long)v1, (unsigned long long)v2);
	n = 0;
	memset(&lr, 0, sizeof(lr));
	store_read_begin(s);
	store_group_list(s, (struct group_row *)&(struct group_row){ 0 }, 0,
	    count_group, &n);
	store_read_end(s);
	ok(n == 0, "deleted groups are not listed");
	g.name = "BLUE";
	g.status = "inactive";
	ok(store_begin(s) == 0 && store_group_put(s, &g, 0, &id2) == 0 &&
	    store_commit(s, NULL) == 0 && id2 == id1, "upsert revives with the old id");
	ok(store_group_exists(s, id1) == 1 && store_group_exists(s, 4242) == 0,
	    "group_exists");
	store_close(s);

	s = store_open(path, err, sizeof(err));
	ok(s != NULL && store_schema_version(s) == 1, "reopen: no re-migration");
	n = 0;
	store_read_begin(s);
	store_op_list(s, OPK_INSTANCE, NULL, 0, count_op, &n);
	store_read_end(s);
	ok(n == 1, "data survives a reopen");
	store_close(s);
	snprintf(path, sizeof(path), "rm -rf '%s'", dir);
	if (system(path) != 0)
		ok(0, "cleanup");
	return done_testing();
}
