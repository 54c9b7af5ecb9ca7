/*
 * store.c — the SQLite backend of store.h.
 *
 * Durability: WAL with synchronous=FULL. In WAL mode NORMAL already survives a
 * process crash (SIGKILL): a commit is in the WAL file, i.e. in the kernel, before
 * sqlite3_step() returns, and the next open replays it. FULL adds an fsync of the
 * WAL at every commit so an acknowledged write also survives power loss; management
 * writes are rare, so the cost does not matter.
 *
 * Every write endpoint runs inside store_begin()/store_commit(): one BEGIN
 * IMMEDIATE transaction, which also bumps mgmt_version so readers (discoveryd's
 * mgmt_view) can tell that something changed.
 */
#include <sys/types.h>

#include <ctype.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "sbuf.h"
#include "store.h"

#define SCHEMA_VERSION	1

struct store {
	sqlite3		*db;
	pthread_mutex_t	 mu;
	char		 err[256];
};

static const char schema_v1[];

static int
blank(const char *s)
{
	if (s == NULL)
		return 1;
	for (; *s; s++)
		if (!isspace((unsigned char)*s))
			return 0;
	return 1;
}

static void
set_err(struct store *s, const char *what)
{
	snprintf(s->err, sizeof(s->err), "%s: %s", what, sqlite3_errmsg(s->db));
}

const char *
store_error(struct store *s)
{
	return s->err[0] ? s->err : "database error";
}

const char *
store_schema_sql(void)
{
	return schema_v1;
}

static int
exec(struct store *s, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		snprintf(s->err, sizeof(s->err), "%s", msg ? msg : "exec failed");
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

/* ---- prepared statements: prepare, bind by a tiny format, step ---- */

static sqlite3_stmt *
prep(struct store *s, const char *sql)
{
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
		set_err(s, "prepare");
		log_warnx("store: %s (%s)", s->err, sql);
		return NULL;
	}
	return st;
}

static void
bind_text(sqlite3_stmt *st, int i, const char *v)
{
	sqlite3_bind_text(st, i, v ? v : "", -1, SQLITE_TRANSIENT);
}

static void
bind_text_null(sqlite3_stmt *st, int i, const char *v)
{
	if (v == NULL)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT);
}

/* Run a statement that returns no rows; returns sqlite3_changes() or -1. */
static int
run(struct store *s, sqlite3_stmt *st)
{
	int rc;

	if (st == NULL)
		return -1;
	rc = sqlite3_step(st);
	if (rc != SQLITE_DONE) {
		set_err(s, "step");
		sqlite3_finalize(st);
		return -1;
	}
	sqlite3_finalize(st);
	return sqlite3_changes(s->db);
}

static const char *
col_text(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	return t ? (const char *)t : "";
}

static const char *
col_text_null(sqlite3_stmt *st, int i)
{
	if (sqlite3_column_type(st, i) == SQLITE_NULL)
		return NULL;
	return col_text(st, i);
}

/* Step through rows calling fn(st, arg) until it returns non-zero. */
static int
each(struct store *s, sqlite3_stmt *st, int (*fn)(sqlite3_stmt *, void *), void *arg)
{
	int rc;

	if (st == NULL)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (fn(st, arg) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	if (rc != SQLITE_DONE) {
		set_err(s, "step");
		sqlite3_finalize(st);
		return -1;
	}
	sqlite3_finalize(st);
	return 0;
}

/* A WHERE clause built from optional conditions, with its bindings. */
struct where {
	struct sbuf	 sql;
	const char	*text[16];
	int64_t		 num[16];
	int		 is_num[16];
	int		 n;
};

static void
where_init(struct where *w, const char *base)
{
	memset(w, 0, sizeof(*w));
	sbuf_adds(&w->sql, base);
}

static void
where_add(struct where *w, const char *cond)
{
	sbuf_adds(&w->sql, w->n == 0 && strstr(w->sql.s, " WHERE ") == NULL ?
	    " WHERE " : " AND ");
	sbuf_adds(&w->sql, cond);
}

static void
where_text(struct where *w, const char *col, const char *v)
{
	char cond[96];

	if (blank(v) || w->n >= 16)
		return;
	snprintf(cond, sizeof(cond), "%s = ?", col);
	where_add(w, cond);
	w->text[w->n] = v;
	w->is_num[w->n++] = 0;
}

static void
where_num(struct where *w, const char *col, int64_t v)
{
	char cond[96];

	if (w->n >= 16)
		return;
	snprintf(cond, sizeof(cond), "%s = ?", col);
	where_add(w, cond);
	w->num[w->n] = v;
	w->is_num[w->n++] = 1;
}

static sqlite3_stmt *
where_prep(struct store *s, struct where *w, const char *tail)
{
	sqlite3_stmt *st;
	int i;

	if (tail)
		sbuf_adds(&w->sql, tail);
	st = prep(s, w->sql.s);
	sbuf_free(&w->sql);
	if (st == NULL)
		return NULL;
	for (i = 0; i < w->n; i++) {
		if (w->is_num[i])
			sqlite3_bind_int64(st, i + 1, w->num[i]);
		else
			bind_text(st, i + 1, w->text[i]);
	}
	return st;
}

/* ---- open, migrate, transactions ---- */

static int
migrate(struct store *s)
{
	sqlite3_stmt *st;
	int have = 0;
	char sql[128];

	if (exec(s, "CREATE TABLE IF NOT EXISTS schema_version_probe (x)") == -1 ||
	    exec(s, "DROP TABLE schema_version_probe") == -1)
		return -1;
	st = prep(s, "SELECT count(*) FROM sqlite_master WHERE name = 'schema_version'");
	if (st == NULL)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0) == 1) {
		sqlite3_finalize(st);
		st = prep(s, "SELECT coalesce(max(version), 0) FROM schema_version");
		if (st == NULL)
			return -1;
		if (sqlite3_step(st) == SQLITE_ROW)
			have = sqlite3_column_int(st, 0);
	}
	sqlite3_finalize(st);
	if (have > SCHEMA_VERSION) {
		snprintf(s->err, sizeof(s->err), "database schema version %d is newer "
		    "than this program (%d)", have, SCHEMA_VERSION);
		return -1;
	}
	if (have == SCHEMA_VERSION)
		return 0;
	/* Migrations, each in its own transaction. Only one so far. */
	if (exec(s, "BEGIN IMMEDIATE") == -1)
		return -1;
	if (exec(s, schema_v1) == -1)
		goto fail;
	snprintf(sql, sizeof(sql), "INSERT INTO schema_version VALUES (%d, "
	    "CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER))", 1);
	if (exec(s, sql) == -1 || exec(s, "COMMIT") == -1)
		goto fail;
	log_info("management database: schema version %d created", SCHEMA_VERSION);
	return 0;
fail:
	{
		char keep[sizeof(s->err)];

		strlcpy(keep, s->err, sizeof(keep));
		(void)exec(s, "ROLLBACK");
		strlcpy(s->err, keep, sizeof(s->err));
	}
	return -1;
}

struct store *
store_open(const char *path, char *err, size_t errlen)
{
	struct store *s;

	if ((s = calloc(1, sizeof(*s))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	pthread_mutex_init(&s->mu, NULL);
	if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
	    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path,
		    s->db ? sqlite3_errmsg(s->db) : "cannot open");
		goto fail;
	}
	sqlite3_busy_timeout(s->db, 5000);
	if (exec(s, "PRAGMA journal_mode=WAL") == -1 ||
	    exec(s, "PRAGMA synchronous=FULL") == -1 ||
	    exec(s, "PRAGMA foreign_keys=OFF") == -1 ||
	    migrate(s) == -1) {
		snprintf(err, errlen, "%s: %s", path, s->err);
		goto fail;
	}
	return s;
fail:
	if (s->db)
		sqlite3_close(s->db);
	pthread_mutex_destroy(&s->mu);
	free(s);
	return NULL;
}

void
store_close(struct store *s)
{
	if (s == NULL)
		return;
	sqlite3_close(s->db);
	pthread_mutex_destroy(&s->mu);
	free(s);
}

int
store_schema_version(struct store *s)
{
	sqlite3_stmt *st;
	int v = -1;

	pthread_mutex_lock(&s->mu);
	if ((st = prep(s, "SELECT max(version) FROM schema_version")) != NULL) {
		if (sqlite3_step(st) == SQLITE_ROW)
			v = sqlite3_column_int(st, 0);
		sqlite3_finalize(st);
	}
	pthread_mutex_unlock(&s->mu);
	return v;
}

int
store_begin(struct store *s)
{
	pthread_mutex_lock(&s->mu);
	s->err[0] = '\0';
	if (exec(s, "BEGIN IMMEDIATE") == -1) {
		pthread_mutex_unlock(&s->mu);
		return -1;
	}
	return 0;
}

int
store_commit(struct store *s, uint64_t *version)
{
	sqlite3_stmt *st;
	int64_t v = 0;

	if (run(s, prep(s, "UPDATE mgmt_version SET version = version + 1")) != 1)
		goto fail;
	if ((st = prep(s, "SELECT version FROM mgmt_version")) == NULL)
		goto fail;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (exec(s, "COMMIT") == -1)
		goto fail;
	if (version)
		*version = (uint64_t)v;
	pthread_mutex_unlock(&s->mu);
	return 0;
fail:
	(void)exec(s, "ROLLBACK");
	pthread_mutex_unlock(&s->mu);
	return -1;
}

void
store_rollback(struct store *s)
{
	char keep[sizeof(s->err)];

	strlcpy(keep, s->err, sizeof(keep));
	if (sqlite3_get_autocommit(s->db) == 0)
		(void)exec(s, "ROLLBACK");
	strlcpy(s->err, keep, sizeof(s->err));
	pthread_mutex_unlock(&s->mu);
}

int
store_read_begin(struct store *s)
{
	pthread_mutex_lock(&s->mu);
	s->err[0] = '\0';
	if (exec(s, "BEGIN") == -1) {
		pthread_mutex_unlock(&s->mu);
		return -1;
	}
	return 0;
}

void
store_read_end(struct store *s)
{
	if (sqlite3_get_autocommit(s->db) == 0)
		(void)exec(s, "COMMIT");
	pthread_mutex_unlock(&s->mu);
}

/* ---- instance, server and zone operations ---- */

struct op_table {
	const char	*table;
	size_t		 nkey;
	const char	*key[OP_KEY_MAX];	/* columns of key[] */
	int		 has_operator;
};

static const struct op_table op_tables[] = {
	[OPK_INSTANCE] = { "instance", 3, { "region_id", "service_id", "instance_id" }, 1 },
	[OPK_SERVER] = { "server", 2, { "region_id", "server_id", NULL }, 1 },
	[OPK_ZONE] = { "service_zone", 3, { "region_id", "service_id", "zone_id" }, 0 },
};

size_t
store_op_nkey(enum op_kind k)
{
	return op_tables[k].nkey;
}

int
store_op_start(struct store *s, enum op_kind k, const char *const *key,
    const char *operation, const char *operator_id, const char *token)
{
	const struct op_table *t = &op_tables[k];
	struct sbuf q = SBUF_INIT;
	sqlite3_stmt *st;
	size_t i;
	int n;

	sbuf_addf(&q, "INSERT INTO %s (", t->table);
	for (i = 0; i < t->nkey; i++)
		sbuf_addf(&q, "%s, ", t->key[i]);
	sbuf_adds(&q, "operation");
	if (t->has_operator)
		sbuf_adds(&q, ", operator_id, token");
	sbuf_adds(&q, ") VALUES (");
	for (i = 0; i < t->nkey; i++)
		sbuf_adds(&q, "?, ");
	sbuf_adds(&q, t->has_operator ? "?, ?, ?)" : "?)");
	if (t->has_operator) {
		sbuf_adds(&q, " ON CONFLICT (");
		for (i = 0; i < t->nkey; i++)
			sbuf_addf(&q, "%s, ", t->key[i]);
		sbuf_adds(&q, "operation) DO UPDATE SET operator_id = excluded.operator_id, "
		    "token = excluded.token");
	} else
		sbuf_adds(&q, " ON CONFLICT DO NOTHING");
	st = prep(s, q.s);
	sbuf_free(&q);
	if (st == NULL)
		return -1;
	for (i = 0; i < t->nkey; i++)
		bind_text(st, (int)i + 1, key[i]);
	bind_text(st, (int)i + 1, operation);
	if (t->has_operator) {
		bind_text(st, (int)i + 2, operator_id);
		bind_text(st, (int)i + 3, token);
	}
	n = run(s, st);
	return n < 0 ? -1 : 0;
}

int
store_op_end(struct store *s, enum op_kind k, const char *const *key,
    const char *operation)
{
	const struct op_table *t = &op_tables[k];
	struct sbuf q = SBUF_INIT;
	sqlite3_stmt *st;
	size_t i;

	sbuf_addf(&q, "DELETE FROM %s WHERE ", t->table);
	for (i = 0; i < t->nkey; i++)
		sbuf_addf(&q, "%s = ? AND ", t->key[i]);
	sbuf_adds(&q, "operation = ?");
	st = prep(s, q.s);
	sbuf_free(&q);
	if (st == NULL)
		return -1;
	for (i = 0; i < t->nkey; i++)
		bind_text(st, (int)i + 1, key[i]);
	bind_text(st, (int)i + 1, operation);
	return run(s, st) < 0 ? -1 : 0;
}

struct op_each {
	size_t	 nkey;
	op_cb	 fn;
	void	*arg;
};

static int
op_row_cb(sqlite3_stmt *st, void *arg)
{
	struct op_each *e = arg;
	struct op_row r;
	size_t i;

	memset(&r, 0, sizeof(r));
	for (i = 0; i < e->nkey; i++)
		r.key[i] = col_text(st, (int)i);
	r.operation = col_text(st, (int)e->nkey);
	return e->fn(&r, e->arg);
}

int
store_op_list(struct store *s, enum op_kind k, const char *const *key,
    int exact_region, op_cb fn, void *arg)
{
	const struct op_table *t = &op_tables[k];
	struct op_each e = { t->nkey, fn, arg };
	struct where w;
	struct sbuf q = SBUF_INIT;
	size_t i;

	sbuf_adds(&q, "SELECT ");
	for (i = 0; i < t->nkey; i++)
		sbuf_addf(&q, "%s, ", t->key[i]);
	sbuf_addf(&q, "operation FROM %s WHERE trim(operation) <> ''", t->table);
	where_init(&w, q.s);
	sbuf_free(&q);
	for (i = 0; key != NULL && i < t->nkey; i++) {
		char col[64];

		snprintf(col, sizeof(col), i == 0 && exact_region ?
		    "%s COLLATE BINARY" : "%s", t->key[i]);
		where_text(&w, col, key[i]);
	}
	sbuf_adds(&w.sql, " ORDER BY ");
	for (i = 0; i < t->nkey; i++)
		sbuf_addf(&w.sql, "%s, ", t->key[i]);
	return each(s, where_prep(s, &w, "id"), op_row_cb, &e);
}

/* ---- logs ---- */

struct log_col {
	const char	*col;
	int		 is_num;
	int		 field;		/* enum log_str or enum log_num */
};

struct log_table {
	const char	*table;
	struct log_col	 cols[20];
};

#define S(c, f)	{ c, 0, f }
#define N(c, f)	{ c, 1, f }
static const struct log_table log_tables[LOG_NKINDS] = {
	[LOG_INSTANCE] = { "instance_log", { S("region_id", LS_REGION),
	    S("service_id", LS_SERVICE), S("instance_id", LS_INSTANCE),
	    S("operation", LS_OPERATION), S("operator_id", LS_OPERATOR),
	    S("token", LS_TOKEN), S("extensions", LS_EXTENSIONS),
	    N("complete", LN_COMPLETE) } },
	[LOG_SERVER] = { "server_log", { S("region_id", LS_REGION),
	    S("server_id", LS_SERVER), S("operation", LS_OPERATION),
	    S("operator_id", LS_OPERATOR), S("token", LS_TOKEN),
	    S("extensions", LS_EXTENSIONS), N("complete", LN_COMPLETE) } },
	[LOG_ZONE] = { "service_zone_log", { S("region_id", LS_REGION),
	    S("service_id", LS_SERVICE), S("zone_id", LS_ZONE),
	    S("operation", LS_OPERATION), S("operator_id", LS_OPERATOR),
	    S("token", LS_TOKEN), N("complete", LN_COMPLETE) } },
	[LOG_GROUP_OP] = { "service_group_operation_log", { N("group_id", LN_GROUP_ID),
	    S("operation", LS_OPERATION), S("operator_id", LS_OPERATOR),
	    S("token", LS_TOKEN), N("complete", LN_COMPLETE),
	    S("extensions", LS_EXTENSIONS), S("reason", LS_REASON) } },
	[LOG_GROUP] = { "service_group_log", { S("service_id", LS_SERVICE),
	    S("region_id", LS_REGION), S("zone_id", LS_ZONE), S("name", LS_NAME),
	    S("app_id", LS_APP), S("status", LS_STATUS), S("operation", LS_OPERATION),
	    S("operator_id", LS_OPERATOR), S("token", LS_TOKEN),
	    S("extensions", LS_EXTENSIONS), S("reason", LS_REASON) } },
	[LOG_ROUTE_RULE] = { "service_route_rule_log", { S("service_id", LS_SERVICE),
	    S("name", LS_NAME), S("status", LS_STATUS), S("operation", LS_OPERATION),
	    S("operator_id", LS_OPERATOR), S("token", LS_TOKEN),
	    S("extensions", LS_EXTENSIONS), S("reason", LS_REASON) } },
	[LOG_ROUTE_RULE_GROUP] = { "service_route_rule_group_log", {
	    N("route_rule_id", LN_ROUTE_RULE_ID), N("group_id", LN_GROUP_ID),
	    N("weight", LN_WEIGHT), S("operation", LS_OPERATION),
	    S("operator_id", LS_OPERATOR), S("token", LS_TOKEN),
	    S("extensions", LS_EXTENSIONS), S("reason", LS_REASON) } },
	[LOG_GROUP_INSTANCE] = { "service_group_instance_log", {
	    N("group_id", LN_GROUP_ID), S("instance_id", LS_INSTANCE),
	    S("operation", LS_OPERATION), S("operator_id", LS_OPERATOR),
	    S("token", LS_TOKEN), S("reason", LS_REASON) } },
	[LOG_SERVICE_INSTANCE] = { "service_instance_log", {
	    S("service_id", LS_SERVICE), S("instance_id", LS_INSTANCE), S("ip", LS_IP),
	    S("machine_name", LS_MACHINE), S("metadata", LS_METADATA),
	    N("port", LN_PORT), S("protocol", LS_PROTOCOL), S("region_id", LS_REGION),
	    S("zone_id", LS_ZONE), S("group_id", LS_GROUP_LABEL),
	    S("healthy_check_url", LS_HCURL), S("url", LS_URL),
	    S("operation", LS_OPERATION), S("operator_id", LS_OPERATOR),
	    S("token", LS_TOKEN) } },
};
#undef S
#undef N

int
store_log_has_str(enum log_kind k, enum log_str f)
{
	const struct log_col *c;

	for (c = log_tables[k].cols; c->col; c++)
		if (!c->is_num && c->field == (int)f)
			return 1;
	return 0;
}

int
store_log_has_num(enum log_kind k, enum log_num f)
{
	const struct log_col *c;

	for (c = log_tables[k].cols; c->col; c++)
		if (c->is_num && c->field == (int)f)
			return 1;
	return 0;
}

int
store_log_insert(struct store *s, enum log_kind k, const struct log_row *r)
{
	const struct log_table *t = &log_tables[k];
	const struct log_col *c;
	struct sbuf q = SBUF_INIT;
	sqlite3_stmt *st;
	int i, n = 0;

	sbuf_addf(&q, "INSERT INTO %s (", t->table);
	for (c = t->cols; c->col; c++, n++)
		sbuf_addf(&q, "%s%s", n ? ", " : "", c->col);
	sbuf_adds(&q, ") VALUES (");
	for (i = 0; i < n; i++)
		sbuf_adds(&q, i ? ", ?" : "?");
	sbuf_adds(&q, ")");
	st = prep(s, q.s);
	sbuf_free(&q);
	if (st == NULL)
		return -1;
	for (i = 0, c = t->cols; c->col; c++, i++) {
		if (c->is_num) {
			if (r->has_n & (1u << c->field))
				sqlite3_bind_int64(st, i + 1, r->n[c->field]);
			else if (c->field == LN_WEIGHT)
				sqlite3_bind_null(st, i + 1);
			else
				sqlite3_bind_int64(st, i + 1, 0);
		} else if (c->field == LS_EXTENSIONS && r->s[c->field] == NULL)
			bind_text(st, i + 1, "{}");
		else
			bind_text(st, i + 1, r->s[c->field]);
	}
	return run(s, st) < 0 ? -1 : 0;
}

struct log_each {
	const struct log_table	*t;
	log_cb			 fn;
	void			*arg;
};

static int
log_row_cb(sqlite3_stmt *st, void *arg)
{
	struct log_each *e = arg;
	const struct log_col *c;
	struct log_row r;
	int i;

	memset(&r, 0, sizeof(r));
	r.id = sqlite3_column_int64(st, 0);
	r.create_time = sqlite3_column_int64(st, 1);
	r.update_time = sqlite3_column_int64(st, 2);
	for (i = 3, c = e->t->cols; c->col; c++, i++) {
		if (!c->is_num)
			r.s[c->field] = col_text_null(st, i);
		else if (sqlite3_column_type(st, i) != SQLITE_NULL) {
			r.n[c->field] = sqlite3_column_int64(st, i);
			r.has_n |= 1u << c->field;
		}
	}
	return e->fn(&r, e->arg);
}

int
store_log_query(struct store *s, enum log_kind k, const struct log_row *f,
    log_cb fn, void *arg)
{
	const struct log_table *t = &log_tables[k];
	struct log_each e = { t, fn, arg };
	const struct log_col *c;
	struct sbuf q = SBUF_INIT;
	struct where w;

	sbuf_adds(&q, "SELECT id, create_time, datachange_lasttime");
	for (c = t->cols; c->col; c++)
		sbuf_addf(&q, ", %s", c->col);
	sbuf_addf(&q, " FROM %s", t->table);
	where_init(&w, q.s);
	sbuf_free(&q);
	for (c = t->cols; c->col; c++) {
		if (!c->is_num)
			where_text(&w, c->col, f->s[c->field]);
		else if (f->has_n & (1u << c->field))
			where_num(&w, c->col, f->n[c->field]);
	}
	return each(s, where_prep(s, &w, " ORDER BY id"), log_row_cb, &e);
}

/* ---- one statement, bound by a tiny format ---- */

/* Prepare sql and bind the arguments fmt describes, one letter each:
 * 'i' int64_t, 'd' int, 'w' int has + int value (NULL unless has),
 * 't' text (NULL bound as ''), 'n' text (NULL bound as NULL). */
static sqlite3_stmt *
prep_bound(struct store *s, const char *sql, const char *fmt, ...)
{
	sqlite3_stmt *st;
	va_list ap;
	int i, has;

	if ((st = prep(s, sql)) == NULL)
		return NULL;
	va_start(ap, fmt);
	for (i = 1; fmt[i - 1] != '\0'; i++) {
		switch (fmt[i - 1]) {
		case 'i':
			sqlite3_bind_int64(st, i, va_arg(ap, int64_t));
			break;
		case 'd':
			sqlite3_bind_int(st, i, va_arg(ap, int));
			break;
		case 'w':
			has = va_arg(ap, int);
			if (has)
				sqlite3_bind_int(st, i, va_arg(ap, int));
			else {
				(void)va_arg(ap, int);
				sqlite3_bind_null(st, i);
			}
			break;
		case 't':
			bind_text(st, i, va_arg(ap, const char *));
			break;
		case 'n':
			bind_text_null(st, i, va_arg(ap, const char *));
			break;
		default:
			fatalx("store: bad bind format %s", fmt);
		}
	}
	va_end(ap);
	return st;
}

/* run() on sql bound by the one int64 argument of many statements, e.g. an id. */
static int
run_id(struct store *s, const char *sql, int64_t id)
{
	return run(s, prep_bound(s, sql, "i", id));
}

/* 0 if a run() went well. */
static int
ran(int changes)
{
	return changes < 0 ? -1 : 0;
}

/* The callback of a list or a delete, whatever its row type. */
struct row_each {
	union {
		group_cb	 group;
		rule_cb		 rule;
		rrg_cb		 rrg;
		tag_cb		 tag;
		group_op_cb	 group_op;
		gi_cb		 gi;
		si_cb		 si;
	}		 fn;
	void		*arg;
};

/* Show the row with that id to its callback, then delete it (or flag it
 * deleted): 1 deleted, 0 missing (or already deleted), -1 error. */
static int
delete_shown(struct store *s, const char *select_sql,
    int (*row)(sqlite3_stmt *, void *), struct row_each *e,
    const char *delete_sql, int64_t id)
{
	int n;

	if (each(s, prep_bound(s, select_sql, "i", id), row, e) == -1)
		return -1;
	n = run_id(s, delete_sql, id);
	return n < 0 ? -1 : n > 0;
}

static int
first_id(sqlite3_stmt *st, void *arg)
{
	*(int64_t *)arg = sqlite3_column_int64(st, 0);
	return 1;
}

/* 1 if the statement (bound to id) returns a row, 0 if not, -1 error. */
static int
exists(struct store *s, const char *sql, int64_t id)
{
	int64_t found = -1;

	if (each(s, prep_bound(s, sql, "i", id), first_id, &found) == -1)
		return -1;
	return found >= 0;
}

/* ---- groups ---- */

#define GROUP_INSERT "INSERT INTO service_group (service_id, region_id, zone_id, " \
	"name, app_id, description, status, deleted) VALUES (?, ?, ?, ?, ?, ?, ?, 0) " \
	"ON CONFLICT (service_id, region_id, zone_id, name) DO UPDATE SET "
#define GROUP_COLS "SELECT id, service_id, region_id, zone_id, name, app_id, " \
	"description, status, deleted FROM service_group"

int
store_group_put(struct store *s, const struct group_row *g, int revive_only,
    int64_t *id)
{
	const char *sql = revive_only ? GROUP_INSERT "deleted = 0" :
	    GROUP_INSERT "app_id = excluded.app_id, description = excluded.description, "
	    "status = excluded.status, deleted = 0";

	if (run(s, prep_bound(s, sql, "tttttnt", g->service_id, g->region_id,
	    g->zone_id, g->name, g->app_id, g->description, g->status)) < 0)
		return -1;
	return store_group_find(s, g, id) == 1 ? 0 : -1;
}

int
store_group_find(struct store *s, const struct group_row *g, int64_t *id)
{
	struct where w;
	int64_t found = -1;

	/* soft-deleted groups are not found (Java's GroupDao.select): the caller's
	 * insert revives them */
	where_init(&w, "SELECT id FROM service_group WHERE deleted = 0");
	where_text(&w, "service_id", g->service_id);
	where_text(&w, "region_id", g->region_id);
	where_text(&w, "zone_id", g->zone_id);
	where_text(&w, "name", g->name);
	if (w.n == 0) {
		sbuf_free(&w.sql);
		return 0;
	}
	if (each(s, where_prep(s, &w, " ORDER BY id LIMIT 1"), first_id, &found) == -1)
		return -1;
	if (found < 0)
		return 0;
	*id = found;
	return 1;
}

static int
group_row_cb(sqlite3_stmt *st, void *arg)
{
	struct row_each *e = arg;
	struct group_row g;

	g.id = sqlite3_column_int64(st, 0);
	g.service_id = col_text(st, 1);
	g.region_id = col_text(st, 2);
	g.zone_id = col_text(st, 3);
	g.name = col_text(st, 4);
	g.app_id = col_text(st, 5);
	g.description = col_text_null(st, 6);
	g.status = col_text(st, 7);
	g.deleted = sqlite3_column_int(st, 8);
	return e->fn.group ? e->fn.group(&g, e->arg) : 0;
}

int
store_group_delete(struct store *s, int64_t id, group_cb fn, void *arg)
{
	struct row_each e = { .fn.group = fn, .arg = arg };

	return delete_shown(s, GROUP_COLS " WHERE deleted = 0 AND id = ?",
	    group_row_cb, &e,
	    "UPDATE service_group SET deleted = 1 WHERE id = ? AND deleted = 0", id);
}

int
store_group_exists(struct store *s, int64_t id)
{
	return exists(s, "SELECT id FROM service_group WHERE id = ?", id);
}

int
store_group_list(struct store *s, const struct group_row *f, int has_id,
    group_cb fn, void *arg)
{
	struct row_each e = { .fn.group = fn, .arg = arg };
	struct where w;

	where_init(&w, GROUP_COLS " WHERE deleted = 0");
	if (has_id)
		where_num(&w, "id", f->id);
	where_text(&w, "service_id", f->service_id);
	where_text(&w, "region_id", f->region_id);
	where_text(&w, "zone_id", f->zone_id);
	where_text(&w, "name", f->name);
	where_text(&w, "app_id", f->app_id);
	where_text(&w, "status", f->status);
	return each(s, where_prep(s, &w, " ORDER BY id"), group_row_cb, &e);
}

/* ---- route rules ---- */

#define RULE_INSERT "INSERT INTO service_route_rule (service_id, name, " \
	"description, status, strategy, deleted) VALUES (?, ?, ?, ?, ?, 0) " \
	"ON CONFLICT (service_id, name) DO UPDATE SET "
#define RULE_COLS "SELECT id, service_id, name, description, status, strategy, " \
	"deleted FROM service_route_rule"

static int
rule_row_cb(sqlite3_stmt *st, void *arg)
{
	struct row_each *e = arg;
	struct rule_row r;

	r.id = sqlite3_column_int64(st, 0);
	r.service_id = col_text(st, 1);
	r.name = col_text(st, 2);
	r.description = col_text_null(st, 3);
	r.status = col_text(st, 4);
	r.strategy = col_text(st, 5);
	r.deleted = sqlite3_column_int(st, 6);
	return e->fn.rule ? e->fn.rule(&r, e->arg) : 0;
}

int
store_rule_put(struct store *s, const struct rule_row *r, int revive_only,
    int64_t *id)
{
	const char *sql = revive_only ? RULE_INSERT "deleted = 0" :
	    RULE_INSERT "description = excluded.description, status = excluded.status, "
	    "strategy = excluded.strategy, deleted = 0";
	int64_t found = -1;

	if (run(s, prep_bound(s, sql, "ttntt", r->service_id, r->name,
	    r->description, r->status, r->strategy)) < 0)
		return -1;
	if (each(s, prep_bound(s, "SELECT id FROM service_route_rule WHERE "
	    "service_id = ? AND name = ?", "tt", r->service_id, r->name), first_id,
	    &found) == -1 || found < 0)
		return -1;
	*id = found;
	return 0;
}

int
store_rule_delete(struct store *s, int64_t id, rule_cb fn, void *arg)
{
	struct row_each e = { .fn.rule = fn, .arg = arg };

	return delete_shown(s, RULE_COLS " WHERE deleted = 0 AND id = ?",
	    rule_row_cb, &e,
	    "UPDATE service_route_rule SET deleted = 1 WHERE id = ? AND deleted = 0",
	    id);
}

int
store_rule_exists(struct store *s, int64_t id)
{
	return exists(s, "SELECT id FROM service_route_rule WHERE id = ?", id);
}

int
store_rule_list(struct store *s, const struct rule_row *f, int has_id, rule_cb fn,
    void *arg)
{
	struct row_each e = { .fn.rule = fn, .arg = arg };
	struct where w;

	where_init(&w, RULE_COLS " WHERE deleted = 0");
	if (has_id)
		where_num(&w, "id", f->id);
	where_text(&w, "service_id", f->service_id);
	where_text(&w, "name", f->name);
	where_text(&w, "status", f->status);
	return each(s, where_prep(s, &w, " ORDER BY id"), rule_row_cb, &e);
}

/* ---- route-rule groups ---- */

#define RRG_COLS "SELECT id, route_rule_id, group_id, weight, unreleased_weight " \
	"FROM service_route_rule_group"

static int
rrg_row_cb(sqlite3_stmt *st, void *arg)
{
	struct row_each *e = arg;
	struct rrg_row r;

	memset(&r, 0, sizeof(r));
	r.id = sqlite3_column_int64(st, 0);
	r.route_rule_id = sqlite3_column_int64(st, 1);
	r.group_id = sqlite3_column_int64(st, 2);
	if (sqlite3_column_type(st, 3) != SQLITE_NULL) {
		r.has_weight = 1;
		r.weight = sqlite3_column_int(st, 3);
	}
	if (sqlite3_column_type(st, 4) != SQLITE_NULL) {
		r.has_unreleased = 1;
		r.unreleased = sqlite3_column_int(st, 4);
	}
	return e->fn.rrg ? e->fn.rrg(&r, e->arg) : 0;
}

int
store_rrg_put(struct store *s, int64_t rule, int64_t group, int has_unreleased,
    int unreleased)
{
	return ran(run(s, prep_bound(s, "INSERT INTO service_route_rule_group "
	    "(route_rule_id, group_id, unreleased_weight) VALUES (?, ?, ?) "
	    "ON CONFLICT (route_rule_id, group_id) DO UPDATE SET "
	    "unreleased_weight = excluded.unreleased_weight", "iiw", rule, group,
	    has_unreleased, unreleased)));
}

int
store_rrg_insert_ignore(struct store *s, int64_t rule, int64_t group, int unreleased)
{
	return ran(run(s, prep_bound(s, "INSERT OR IGNORE INTO "
	    "service_route_rule_group (route_rule_id, group_id, unreleased_weight) "
	    "VALUES (?, ?, ?)", "iid", rule, group, unreleased)));
}

int
store_rrg_release(struct store *s, int64_t rule, int64_t group)
{
	return ran(run(s, prep_bound(s, "UPDATE service_route_rule_group SET "
	    "weight = unreleased_weight WHERE route_rule_id = ? AND group_id = ?",
	    "ii", rule, group)));
}

int
store_rrg_delete(struct store *s, int64_t id, rrg_cb fn, void *arg)
{
	struct row_each e = { .fn.rrg = fn, .arg = arg };

	return delete_shown(s, RRG_COLS " WHERE id = ?", rrg_row_cb, &e,
	    "DELETE FROM service_route_rule_group WHERE id = ?", id);
}

int
store_rrg_list(struct store *s, int has_id, int64_t id, int has_rule, int64_t rule,
    int has_group, int64_t group, rrg_cb fn, void *arg)
{
	struct row_each e = { .fn.rrg = fn, .arg = arg };
	struct where w;

	where_init(&w, RRG_COLS);
	if (has_id)
		where_num(&w, "id", id);
	if (has_rule)
		where_num(&w, "route_rule_id", rule);
	if (has_group)
		where_num(&w, "group_id", group);
	return each(s, where_prep(s, &w, " ORDER BY id"), rrg_row_cb, &e);
}

/* ---- group tags ---- */

int
store_tag_put(struct store *s, int64_t group_id, const char *tag, const char *value)
{
	return ran(run(s, prep_bound(s, "INSERT INTO service_group_tag (group_id, "
	    "tag, value) VALUES (?, ?, ?) ON CONFLICT (group_id, tag) DO UPDATE SET "
	    "value = excluded.value", "itt", group_id, tag, value)));
}

int
store_tag_delete(struct store *s, int has_group, int64_t group_id, const char *tag,
    const char *value, int *n)
{
	struct where w;
	int c;

	where_init(&w, "DELETE FROM service_group_tag");
	if (has_group)
		where_num(&w, "group_id", group_id);
	where_text(&w, "tag", tag);
	where_text(&w, "value", value);
	if (w.n == 0) {		/* "forbidden operation." in Java */
		sbuf_free(&w.sql);
		snprintf(s->err, sizeof(s->err), "forbidden operation.");
		return -1;
	}
	if ((c = run(s, where_prep(s, &w, NULL))) < 0)
		return -1;
	if (n)
		*n = c;
	return 0;
}

static int
tag_row_cb(sqlite3_stmt *st, void *arg)
{
	struct row_each *e = arg;

	return e->fn.tag(sqlite3_column_int64(st, 0), col_text(st, 1),
	    col_text(st, 2), e->arg);
}

/* Rows of a table keyed by group id, all or one group's, by group id then id. */
static int
by_group(struct store *s, const char *select, int has_group, int64_t group_id,
    int (*row)(sqlite3_stmt *, void *), struct row_each *e)
{
	struct where w;

	where_init(&w, select);
	if (has_group)
		where_num(&w, "group_id", group_id);
	return each(s, where_prep(s, &w, " ORDER BY group_id, id"), row, e);
}

int
store_tag_list(struct store *s, int has_group, int64_t group_id, tag_cb fn, void *arg)
{
	struct row_each e = { .fn.tag = fn, .arg = arg };

	return by_group(s, "SELECT group_id, tag, value FROM service_group_tag",
	    has_group, group_id, tag_row_cb, &e);
}

/* ---- group operations ---- */

int
store_group_op_add(struct store *s, int64_t group_id, const char *operation)
{
	return ran(run(s, prep_bound(s, "INSERT OR IGNORE INTO "
	    "service_group_operation (group_id, operation) VALUES (?, ?)", "it",
	    group_id, operation)));
}

int
store_group_op_del(struct store *s, int64_t group_id, const char *operation)
{
	return ran(run(s, prep_bound(s, "DELETE FROM service_group_operation WHERE "
	    "group_id = ? AND operation = ?", "it", group_id, operation)));
}

static int
group_op_row_cb(sqlite3_stmt *st, void *arg)
{
	struct row_each *e = arg;

	return e->fn.group_op(sqlite3_column_int64(st, 0), col_text(st, 1), e->arg);
}

int
store_group_op_list(struct store *s, int has_group, int64_t group_id,
    group_op_cb fn, void *arg)
{
	struct row_each e = { .fn.group_op = fn, .arg = arg };

	return by_group(s, "SELECT group_id, operation FROM service_group_operation",
	    has_group, group_id, group_op_row_cb, &e);
}

/* ---- group instances ---- */

#define GI_COLS "SELECT id, group_id, instance_id FROM service_group_instance"

int
store_gi_insert(struct store *s, int64_t group_id, const char *instance_id)
{
	return ran(run(s, prep_bound(s, "INSERT OR IGNORE INTO "
	    "service_group_instance (group_id, instance_id) VALUES (?, ?)", "it",
	    group_id, instance_id)));
}

static int
gi_row_cb(sqlite3_stmt *st, void *arg)
{
	struct row_each *e = arg;

	return e->fn.gi ? e->fn.gi(sqlite3_column_int64(st, 0),
	    sqlite3_column_int64(st, 1), col_text(st, 2), e->arg) : 0;
}

int
store_gi_delete(struct store *s, int64_t id, gi_cb fn, void *arg)
{
	struct row_each e = { .fn.gi = fn, .arg = arg };

	return delete_shown(s, GI_COLS " WHERE id = ?", gi_row_cb, &e,
	    "DELETE FROM service_group_instance WHERE id = ?", id);
}

int
store_gi_delete_pair(struct store *s, int64_t group_id, const char *instance_id)
{
	int n;

	n = run(s, prep_bound(s, "DELETE FROM service_group_instance WHERE "
	    "group_id = ? AND instance_id = ?", "it", group_id, instance_id));
	return n < 0 ? -1 : n > 0;
}

int
store_gi_list(struct store *s, int has_group, int64_t group_id,
    const char *instance_id, gi_cb fn, void *arg)
{
	struct row_each e = { .fn.gi = fn, .arg = arg };
	struct where w;

	where_init(&w, GI_COLS);
	if (has_group)
		where_num(&w, "group_id", group_id);
	where_text(&w, "instance_id", instance_id);
	return each(s, where_prep(s, &w, " ORDER BY id"), gi_row_cb, &e);
}

/* ---- service instances ---- */

#define SI_COLS "SELECT id, service_id, instance_id, ip, machine_name, metadata, " \
	"port, protocol, region_id, zone_id, group_id, healthy_check_url, url, " \
	"description FROM service_instance"

static int
si_row_cb(sqlite3_stmt *st, void *arg)
{
	struct row_each *e = arg;
	struct si_row r;

	r.id = sqlite3_column_int64(st, 0);
	r.service_id = col_text(st, 1);
	r.instance_id = col_text(st, 2);
	r.ip = col_text(st, 3);
	r.machine_name = col_text(st, 4);
	r.metadata = col_text(st, 5);
	r.port = sqlite3_column_int64(st, 6);
	r.protocol = col_text(st, 7);
	r.region_id = col_text(st, 8);
	r.zone_id = col_text(st, 9);
	r.group_id = col_text(st, 10);
	r.health_check_url = col_text(st, 11);
	r.url = col_text(st, 12);
	r.description = col_text_null(st, 13);
	return e->fn.si ? e->fn.si(&r, e->arg) : 0;
}

int
store_si_put(struct store *s, const struct si_row *r)
{
	return ran(run(s, prep_bound(s, "INSERT INTO service_instance (service_id, "
	    "instance_id, ip, machine_name, metadata, port, protocol, region_id, "
	    "zone_id, group_id, healthy_check_url, url, description) VALUES (?, ?, ?, "
	    "?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (service_id, instance_id) DO "
	    "UPDATE SET ip = excluded.ip, machine_name = excluded.machine_name, "
	    "metadata = excluded.metadata, port = excluded.port, "
	    "protocol = excluded.protocol, region_id = excluded.region_id, "
	    "zone_id = excluded.zone_id, group_id = excluded.group_id, "
	    "healthy_check_url = excluded.healthy_check_url, url = excluded.url, "
	    "description = excluded.description", "tttttittttttn", r->service_id,
	    r->instance_id, r->ip, r->machine_name, r->metadata, r->port, r->protocol,
	    r->region_id, r->zone_id, r->group_id, r->health_check_url, r->url,
	    r->description)));
}

int
store_si_delete(struct store *s, int64_t id, si_cb fn, void *arg)
{
	struct row_each e = { .fn.si = fn, .arg = arg };

	return delete_shown(s, SI_COLS " WHERE id = ?", si_row_cb, &e,
	    "DELETE FROM service_instance WHERE id = ?", id);
}

int
store_si_list(struct store *s, const char *service_id, const char *instance_id,
    si_cb fn, void *arg)
{
	struct row_each e = { .fn.si = fn, .arg = arg };
	struct where w;

	where_init(&w, SI_COLS);
	where_text(&w, "service_id", service_id);
	where_text(&w, "instance_id", instance_id);
	return each(s, where_prep(s, &w, " ORDER BY id"), si_row_cb, &e);
}

/* ---- migration 1: share/management.sql, verbatim ---- */

static const char schema_v1[] =
    "-- Artemis management database, SQLite (schema version 1).\n"
    "--\n"
    "-- Derived from the Java server's artemis-managment.sql (20 MySQL tables). MySQL's\n"
    "-- utf8_general_ci made every key and filter case-insensitive; here the text columns\n"
    "-- are declared COLLATE NOCASE so UNIQUE keys and WHERE matches behave the same way\n"
    "-- (trailing spaces are not ignored, unlike MySQL). VARCHAR(n) limits are CHECKed, so\n"
    "-- an oversized value fails the statement (MySQL strict mode) and the transaction\n"
    "-- rolls back. Times are epoch milliseconds. mgmt_version is bumped by every write\n"
    "-- transaction of artemis-mgmtd; readers (artemis-discoveryd) compare it.\n"
    "--\n"
    "-- artemis-mgmtd applies this file (embedded in cmd/artemis-mgmtd/store.c, checked\n"
    "-- identical by test/unit/test_artemis-mgmtd_store.c) as migration 1.\n"
    "\n"
    "CREATE TABLE schema_version (\n"
    "  version     INTEGER PRIMARY KEY,\n"
    "  applied_ms  INTEGER NOT NULL\n"
    ");\n"
    "\n"
    "CREATE TABLE mgmt_version (\n"
    "  id          INTEGER PRIMARY KEY CHECK (id = 1),\n"
    "  version     INTEGER NOT NULL\n"
    ");\n"
    "INSERT INTO mgmt_version (id, version) VALUES (1, 1);\n"
    "\n"
    "CREATE TABLE instance (\n"
    "  id                   INTEGER PRIMARY KEY AUTOINCREMENT,\n"
    "  instance_id          TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(instance_id) <= 255),\n"
    "  service_id           TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(service_id) <= 255),\n"
    "  region_id            TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(region_id) <= 255),\n"
    "  operation            TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(operation) <= 255),\n"
    "  operator_id          TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(operator_id) <= 255),\n"
    "  token                TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(token) <= 255),\n"
    "  create_time          INTEGER NOT NULL DEFAULT (CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)),\n"
    "  datachange_lasttime  INTEGER NOT NULL DEFAULT (CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)),\n"
    "  UNIQUE (instance_id, service_id, region_id, operation)\n"
    ");\n"
    "\n"
    "CREATE TABLE instance_log (\n"
    "  id                   INTEGER PRIMARY KEY AUTOINCREMENT,\n"
    "  instance_id          TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(instance_id) <= 255),\n"
    "  service_id           TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(service_id) <= 255),\n"
    "  region_id            TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(region_id) <= 255),\n"
    "  operation            TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(operation) <= 255),\n"
    "  operator_id          TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(operator_id) <= 255),\n"
    "  token                TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(token) <= 255),\n"
    "  complete             INTEGER NOT NULL DEFAULT 0,\n"
    "  extensions           TEXT NOT NULL DEFAULT '{}' CHECK (length(extensions) <= 2048),\n"
    "  create_time          INTEGER NOT NULL DEFAULT (CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)),\n"
    "  datachange_lasttime  INTEGER NOT NULL DEFAULT (CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER))\n"
    ");\n"
    "CREATE INDEX instance_log_key ON instance_log (instance_id, service_id, region_id, operation);\n"
    "\n"
    "CREATE TABLE server (\n"
    "  id                   INTEGER PRIMARY KEY AUTOINCREMENT,\n"
    "  server_id            TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(server_id) <= 255),\n"
    "  region_id            TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(region_id) <= 255),\n"
    "  operation            TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(operation) <= 255),\n"
    "  operator_id          TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(operator_id) <= 255),\n"
    "  token                TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(token) <= 255),\n"
    "  create_time          INTEGER NOT NULL DEFAULT (CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)),\n"
    "  datachange_lasttime  INTEGER NOT NULL DEFAULT (CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)),\n"
    "  UNIQUE (server_id, region_id, operation)\n"
    ");\n"
    "\n"
    "CREATE TABLE server_log (\n"
    "  id                   INTEGER PRIMARY KEY AUTOINCREMENT,\n"
    "  server_id            TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(server_id) <= 255),\n"
    "  region_id            TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(region_id) <= 255),\n"
    "  operation            TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(operation) <= 255),\n"
    "  operator_id          TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(operator_id) <= 255),\n"
    "  token                TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(token) <= 255),\n"
    "  complete             INTEGER NOT NULL DEFAULT 0,\n"
    "  extensions           TEXT NOT NULL DEFAULT '{}' CHECK (length(extensions) <= 2048),\n"
    "  create_time          INTEGER NOT NULL DEFAULT (CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)),\n"
    "  datachange_lasttime  INTEGER NOT NULL DEFAULT (CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER))\n"
    ");\n"
    "CREATE INDEX server_log_key ON server_log (server_id, region_id, operation);\n"
    "\n"
    "CREATE TABLE service_group (\n"
    "  id                   INTEGER PRIMARY KEY AUTOINCREMENT,\n"
    "  service_id           TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(service_id) <= 255),\n"
    "  region_id            TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(region_id) <= 255),\n"
    "  zone_id              TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(zone_id) <= 255),\n"
    "  name                 TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(name) <= 255),\n"
    "  app_id               TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(app_id) <= 255),\n"
    "  description          TEXT DEFAULT NULL CHECK (length(description) <= 1024),\n"
    "  status               TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(status) <= 255),\n"
    "  deleted              INTEGER NOT NULL DEFAULT 0,\n"
    "  type                 TEXT NOT NULL DEFAULT 'physical' COLLATE NOCASE CHECK (length(type) <= 64),\n"
    "  create_time          INTEGER NOT NULL DEFAULT (CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)),\n"
    "  datachange_lasttime  INTEGER NOT NULL DEFAULT (CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)),\n"
    "  UNIQUE (service_id, region_id, zone_id, name)\n"
    ");\n"
    "CREATE INDEX service_group_service ON service_group (service_id);\n"
    "\n"
    "CREATE TABLE service_group_instance (\n"
    "  id                   INTEGER PRIMARY KEY AUTOINCREMENT,\n"
    "  group_id             INTEGER NOT NULL DEFAULT 0,\n"
    "  instance_id          TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(instance_id) <= 255),\n"
    "  create_time          INTEGER NOT NULL DEFAULT (CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)),\n"
    "  datachange_lasttime  INTEGER NOT NULL DEFAULT (CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)),\n"
    "  UNIQUE (group_id, instance_id)\n"
    ");\n"
    "\n"
    "CREATE TABLE service_group_instance_log (\n"
    "  id                   INTEGER PRIMARY KEY AUTOINCREMENT,\n"
    "  group_id             INTEGER NOT NULL DEFAULT 0,\n"
    "  instance_id          TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(instance_id) <= 255),\n"
    "  operation            TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(operation) <= 255),\n"
    "  operator_id          TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(operator_id) <= 255),\n"
    "  token                TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(token) <= 255),\n"
    "  reason               TEXT DEFAULT '' CHECK (length(reason) <= 128),\n"
    "  create_time          INTEGER NOT NULL DEFAULT (CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)),\n"
    "  datachange_lasttime  INTEGER NOT NULL DEFAULT (CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER))\n"
    ");\n"
    "CREATE INDEX service_group_instance_log_key ON service_group_instance_log (group_id, instance_id);\n"
    "\n"
    "CREATE TABLE service_group_log (\n"
    "  id                   INTEGER PRIMARY KEY AUTOINCREMENT,\n"
    "  group_id             INTEGER NOT NULL DEFAULT 0,\n"
    "  parent_id            INTEGER NOT NULL DEFAULT 0,\n"
    "  name                 TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(name) <= 255),\n"
    "  status               TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(status) <= 255),\n"
    "  weight               INTEGER DEFAULT NULL,\n"
    "  type                 TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(type) <= 255),\n"
    "  operation            TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(operation) <= 255),\n"
    "  operator_id          TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(operator_id) <= 255),\n"
    "  description          TEXT DEFAULT NULL CHECK (length(description) <= 1024),\n"
    "  token                TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(token) <= 255),\n"
    "  extensions           TEXT NOT NULL DEFAULT '{}' CHECK (length(extensions) <= 2048),\n"
    "  service_id           TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(service_id) <= 255),\n"
    "  region_id            TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(region_id) <= 255),\n"
    "  zone_id              TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(zone_id) <= 255),\n"
    "  app_id               TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(app_id) <= 255),\n"
    "  reason               TEXT DEFAULT '' CHECK (length(reason) <= 128),\n"
    "  create_time          INTEGER NOT NULL DEFAULT (CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)),\n"
    "  datachange_lasttime  INTEGER NOT NULL DEFAULT (CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER))\n"
    ");\n"
    "CREATE INDEX service_group_log_name ON service_group_log (name, parent_id);\n"
    "\n"
    "CREATE TABLE service_group_operation (\n"
    "  id                   INTEGER PRIMARY KEY AUTOINCREMENT,\n"
    "  group_id             INTEGER NOT NULL DEFAULT 0,\n"
    "  operation            TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(operation) <= 255),\n"
    "  create_time          INTEGER NOT NULL DEFAULT (CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)),\n"
    "  datachange_lasttime  INTEGER NOT NULL DEFAULT (CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)),\n"
    "  UNIQUE (group_id, operation)\n"
    ");\n"
    "\n"
    "CREATE TABLE service_group_operation_log (\n"
    "  id                   INTEGER PRIMARY KEY AUTOINCREMENT,\n"
    "  group_id             INTEGER NOT NULL DEFAULT 0,\n"
    "  operation            TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(operation) <= 255),\n"
    "  operator_id          TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(operator_id) <= 255),\n"
    "  token                TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(token) <= 255),\n"
    "  complete             INTEGER NOT NULL DEFAULT 0,\n"
    "  extensions           TEXT NOT NULL DEFAULT '{}' CHECK (length(extensions) <= 2048),\n"
    "  reason               TEXT DEFAULT '' CHECK (length(reason) <= 128),\n"
    "  create_time          INTEGER NOT NULL DEFAULT (CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)),\n"
    "  datachange_lasttime  INTEGER NOT NULL DEFAULT (CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER))\n"
    ");\n"
    "CREATE INDEX service_group_operation_log_key ON service_group_operation_log (group_id, operation);\n"
    "\n"
    "CREATE TABLE service_group_tag (\n"
    "  id                   INTEGER PRIMARY KEY AUTOINCREMENT,\n"
    "  group_id             INTEGER NOT NULL DEFAULT 0,\n"
    "  tag                  TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(tag) <= 255),\n"
    "  value                TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(value) <= 255),\n"
    "  create_time          INTEGER NOT NULL DEFAULT (CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)),\n"
    "  datachange_lasttime  INTEGER NOT NULL DEFAULT (CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)),\n"
    "  UNIQUE (group_id, tag)\n"
    ");\n"
    "\n"
    "CREATE TABLE service_group_tag_log (\n"
    "  id                   INTEGER PRIMARY KEY AUTOINCREMENT,\n"
    "  group_id             INTEGER NOT NULL DEFAULT 0,\n"
    "  tag                  TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(tag) <= 255),\n"
    "  value                TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(value) <= 255),\n"
    "  operation            TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(operation) <= 255),\n"
    "  operator_id          TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(operator_id) <= 255),\n"
    "  token                TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(token) <= 255),\n"
    "  extensions           TEXT NOT NULL DEFAULT '{}' CHECK (length(extensions) <= 2048),\n"
    "  create_time          INTEGER NOT NULL DEFAULT (CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)),\n"
    "  datachange_lasttime  INTEGER NOT NULL DEFAULT (CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER))\n"
    ");\n"
    "\n"
    "CREATE TABLE service_instance (\n"
    "  id                   INTEGER PRIMARY KEY AUTOINCREMENT,\n"
    "  service_id           TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(service_id) <= 255),\n"
    "  instance_id          TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(instance_id) <= 255),\n"
    "  ip                   TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(ip) <= 255),\n"
    "  machine_name         TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(machine_name) <= 255),\n"
    "  metadata             TEXT NOT NULL DEFAULT '' CHECK (length(metadata) <= 1024),\n"
    "  port                 INTEGER NOT NULL DEFAULT 80,\n"
    "  protocol             TEXT NOT NULL DEFAULT 'http' COLLATE NOCASE CHECK (length(protocol) <= 16),\n"
    "  region_id            TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(region_id) <= 16),\n"
    "  zone_id              TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(zone_id) <= 128),\n"
    "  group_id             TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(group_id) <= 255),\n"
    "  healthy_check_url    TEXT NOT NULL DEFAULT '' CHECK (length(healthy_check_url) <= 512),\n"
    "  url                  TEXT NOT NULL DEFAULT '' CHECK (length(url) <= 512),\n"
    "  description          TEXT DEFAULT NULL CHECK (length(description) <= 1024),\n"
    "  create_time          INTEGER NOT NULL DEFAULT (CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)),\n"
    "  datachange_lasttime  INTEGER NOT NULL DEFAULT (CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)),\n"
    "  UNIQUE (service_id, instance_id)\n"
    ");\n"
    "\n"
    "CREATE TABLE service_instance_log (\n"
    "  id                   INTEGER PRIMARY KEY AUTOINCREMENT,\n"
    "  service_id           TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(service_id) <= 255),\n"
    "  instance_id          TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(instance_id) <= 255),\n"
    "  ip                   TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(ip) <= 255),\n"
    "  machine_name         TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(machine_name) <= 255),\n"
    "  metadata             TEXT NOT NULL DEFAULT '' CHECK (length(metadata) <= 1024),\n"
    "  port                 INTEGER NOT NULL DEFAULT 80,\n"
    "  protocol             TEXT NOT NULL DEFAULT 'http' COLLATE NOCASE CHECK (length(protocol) <= 16),\n"
    "  region_id            TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(region_id) <= 16),\n"
    "  zone_id              TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(zone_id) <= 128),\n"
    "  group_id             TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(group_id) <= 255),\n"
    "  healthy_check_url    TEXT NOT NULL DEFAULT '' CHECK (length(healthy_check_url) <= 512),\n"
    "  url                  TEXT NOT NULL DEFAULT '' CHECK (length(url) <= 512),\n"
    "  operation            TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(operation) <= 255),\n"
    "  operator_id          TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(operator_id) <= 255),\n"
    "  token                TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(token) <= 255),\n"
    "  create_time          INTEGER NOT NULL DEFAULT (CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)),\n"
    "  datachange_lasttime  INTEGER NOT NULL DEFAULT (CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER))\n"
    ");\n"
    "CREATE INDEX service_instance_log_key ON service_instance_log (service_id, instance_id);\n"
    "\n"
    "CREATE TABLE service_route_rule (\n"
    "  id                   INTEGER PRIMARY KEY AUTOINCREMENT,\n"
    "  service_id           TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(service_id) <= 255),\n"
    "  name                 TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(name) <= 255),\n"
    "  description          TEXT DEFAULT NULL CHECK (length(description) <= 1024),\n"
    "  status               TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(status) <= 255),\n"
    "  deleted              INTEGER NOT NULL DEFAULT 0,\n"
    "  strategy             TEXT NOT NULL DEFAULT 'weighted-round-robin' COLLATE NOCASE CHECK (length(strategy) <= 64),\n"
    "  create_time          INTEGER NOT NULL DEFAULT (CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)),\n"
    "  datachange_lasttime  INTEGER NOT NULL DEFAULT (CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)),\n"
    "  UNIQUE (service_id, name)\n"
    ");\n"
    "\n"
    "CREATE TABLE service_route_rule_group (\n"
    "  id                   INTEGER PRIMARY KEY AUTOINCREMENT,\n"
    "  route_rule_id        INTEGER NOT NULL DEFAULT 0,\n"
    "  group_id             INTEGER NOT NULL DEFAULT 0,\n"
    "  weight               INTEGER DEFAULT NULL,\n"
    "  unreleased_weight    INTEGER DEFAULT NULL,\n"
    "  create_time          INTEGER NOT NULL DEFAULT (CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)),\n"
    "  datachange_lasttime  INTEGER NOT NULL DEFAULT (CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)),\n"
    "  UNIQUE (route_rule_id, group_id)\n"
    ");\n"
    "\n"
    "CREATE TABLE service_route_rule_group_log (\n"
    "  id                   INTEGER PRIMARY KEY AUTOINCREMENT,\n"
    "  route_rule_id        INTEGER NOT NULL DEFAULT 0,\n"
    "  group_id             INTEGER NOT NULL DEFAULT 0,\n"
    "  weight               INTEGER DEFAULT NULL,\n"
    "  operation            TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(operation) <= 255),\n"
    "  operator_id          TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(operator_id) <= 255),\n"
    "  token                TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(token) <= 255),\n"
    "  extensions           TEXT NOT NULL DEFAULT '{}' CHECK (length(extensions) <= 2048),\n"
    "  reason               TEXT DEFAULT '' CHECK (length(reason) <= 128),\n"
    "  create_time          INTEGER NOT NULL DEFAULT (CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)),\n"
    "  datachange_lasttime  INTEGER NOT NULL DEFAULT (CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER))\n"
    ");\n"
    "CREATE INDEX service_route_rule_group_log_key ON service_route_rule_group_log (route_rule_id, group_id);\n"
    "\n"
    "CREATE TABLE service_route_rule_log (\n"
    "  id                   INTEGER PRIMARY KEY AUTOINCREMENT,\n"
    "  service_id           TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(service_id) <= 255),\n"
    "  name                 TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(name) <= 255),\n"
    "  status               TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(status) <= 255),\n"
    "  operation            TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(operation) <= 255),\n"
    "  operator_id          TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(operator_id) <= 255),\n"
    "  token                TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(token) <= 255),\n"
    "  extensions           TEXT NOT NULL DEFAULT '{}' CHECK (length(extensions) <= 2048),\n"
    "  reason               TEXT DEFAULT '' CHECK (length(reason) <= 128),\n"
    "  create_time          INTEGER NOT NULL DEFAULT (CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)),\n"
    "  datachange_lasttime  INTEGER NOT NULL DEFAULT (CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER))\n"
    ");\n"
    "CREATE INDEX service_route_rule_log_key ON service_route_rule_log (name, service_id);\n"
    "\n"
    "CREATE TABLE service_zone (\n"
    "  id                   INTEGER PRIMARY KEY AUTOINCREMENT,\n"
    "  service_id           TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(service_id) <= 255),\n"
    "  zone_id              TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(zone_id) <= 255),\n"
    "  region_id            TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(region_id) <= 255),\n"
    "  operation            TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(operation) <= 255),\n"
    "  create_time          INTEGER NOT NULL DEFAULT (CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)),\n"
    "  datachange_lasttime  INTEGER NOT NULL DEFAULT (CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)),\n"
    "  UNIQUE (service_id, region_id, zone_id, operation)\n"
    ");\n"
    "\n"
    "CREATE TABLE service_zone_log (\n"
    "  id                   INTEGER PRIMARY KEY AUTOINCREMENT,\n"
    "  service_id           TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(service_id) <= 255),\n"
    "  zone_id              TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(zone_id) <= 255),\n"
    "  region_id            TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(region_id) <= 255),\n"
    "  operation            TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(operation) <= 255),\n"
    "  operator_id          TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(operator_id) <= 255),\n"
    "  token                TEXT NOT NULL DEFAULT '' COLLATE NOCASE CHECK (length(token) <= 255),\n"
    "  reason               TEXT DEFAULT '' CHECK (length(reason) <= 128),\n"
    "  complete             INTEGER NOT NULL DEFAULT 0,\n"
    "  create_time          INTEGER NOT NULL DEFAULT (CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)),\n"
    "  datachange_lasttime  INTEGER NOT NULL DEFAULT (CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER))\n"
    ");\n"
    "CREATE INDEX service_zone_log_key ON service_zone_log (service_id, region_id, zone_id, operation);\n"
    "\n"
    "-- DataChange_LastTime was ON UPDATE CURRENT_TIMESTAMP in MySQL.\n"
    "CREATE TRIGGER instance_touch AFTER UPDATE ON instance BEGIN\n"
    "  UPDATE instance SET datachange_lasttime = CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER) WHERE id = NEW.id; END;\n"
    "CREATE TRIGGER server_touch AFTER UPDATE ON server BEGIN\n"
    "  UPDATE server SET datachange_lasttime = CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER) WHERE id = NEW.id; END;\n"
    "CREATE TRIGGER service_group_touch AFTER UPDATE ON service_group BEGIN\n"
    "  UPDATE service_group SET datachange_lasttime = CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER) WHERE id = NEW.id; END;\n"
    "CREATE TRIGGER service_group_tag_touch AFTER UPDATE ON service_group_tag BEGIN\n"
    "  UPDATE service_group_tag SET datachange_lasttime = CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER) WHERE id = NEW.id; END;\n"
    "CREATE TRIGGER service_route_rule_touch AFTER UPDATE ON service_route_rule BEGIN\n"
    "  UPDATE service_route_rule SET datachange_lasttime = CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER) WHERE id = NEW.id; END;\n"
    "CREATE TRIGGER service_route_rule_group_touch AFTER UPDATE ON service_route_rule_group BEGIN\n"
    "  UPDATE service_route_rule_group SET datachange_lasttime = CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER) WHERE id = NEW.id; END;\n"
    "CREATE TRIGGER service_instance_touch AFTER UPDATE ON service_instance BEGIN\n"
    "  UPDATE service_instance SET datachange_lasttime = CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER) WHERE id = NEW.id; END;\n";
