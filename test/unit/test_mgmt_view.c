/* test_mgmt_view.c — the management read side on a temporary SQLite DB. */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mgmt_view.h"
#include "sbuf.h"
#include "tap.h"

static sqlite3 *db;

static void
sql(const char *q)
{
	char *err = NULL;

	if (sqlite3_exec(db, q, NULL, NULL, &err) != SQLITE_OK) {
		printf("# SQL failed: %s: %s\n", q, err);
		exit(2);
	}
}

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

static struct mgmt_view *
snap(struct mgmt_reader *r)
{
	char err[256];
	struct mgmt_view *v = mgmt_reader_snapshot(r, err, sizeof(err));

	if (v == NULL)
		printf("# snapshot: %s\n", err);
	return v;
}

static struct mgmt_inst
inst(const char *svc, const char *zone, const char *group, const char *id,
    const char *ip)
{
	struct mgmt_inst i = { "sha", zone, svc, group, id, ip, NULL, 0 };

	return i;
}

static int nreload;
static char reloaded[256];

static void
on_reload(const char *svc, void *arg)
{
	(void)arg;
	nreload++;
	strlcat(reloaded, svc, sizeof(reloaded));
	strlcat(reloaded, ";", sizeof(reloaded));
}

static char servers_seen[256];

static void
on_server(const char *ip, void *arg)
{
	(void)arg;
	strlcat(servers_seen, ip, sizeof(servers_seen));
	strlcat(servers_seen, ";", sizeof(servers_seen));
}

int
main(void)
{
	char dir[] = "/tmp/test_mgmt_view.XXXXXX", path[256], err[256];
	struct mgmt_reader *r;
	struct mgmt_view *v, *v2;
	struct mgmt_inst i, phys[2];
	struct sbuf b = SBUF_INIT;
	char *schema;
	const char *parts[5] = { " Demo.Service ", "SHA", "", "/Blue", "x" };

	if (mkdtemp(dir) == NULL)
		return 2;
	snprintf(path, sizeof(path), "%s/m.db", dir);
	ok(mgmt_reader_open(path, err, sizeof(err)) == NULL,
	    "opening a missing DB fails (%s)", err);

	mgmt_path(&b, parts, 5);
	ok(strcmp(b.s, "demo.service/sha/blue/x") == 0, "mgmt_path: %s", b.s);
	sbuf_free(&b);

	if ((schema = slurp("share/management.sql")) == NULL)
		schema = slurp("../../share/management.sql");
	ok(schema != NULL, "schema found");
	if (schema == NULL)
		return done_testing();
	if (sqlite3_open(path, &db) != SQLITE_OK)
		return 2;
	sql("PRAGMA journal_mode=WAL");
	sql(schema);
	free(schema);

	r = mgmt_reader_open(path, err, sizeof(err));
	ok(r != NULL, "reader opens");
	ok(mgmt_reader_changed(r), "changed before the first snapshot");
	v = snap(r);
	ok(v != NULL && mgmt_view_version(v) == 1, "empty snapshot, version 1");
	ok(!mgmt_reader_changed(r), "unchanged after the snapshot");
	i = inst("demo.service", "z1", NULL, "inst-1", "10.0.0.1");
	ok(!mgmt_view_is_down(v, &i), "nothing is down in an empty view");
	sbuf_reset(&b);
	mgmt_view_route_rules(v, "demo.service", NULL, 0, &b);
	ok(strcmp(b.s, "[]") == 0, "no route rules: []");

	/* operations of every kind */
	sql("INSERT INTO instance (region_id, service_id, instance_id, operation) "
	    "VALUES ('SHA', 'Demo.Service', 'INST-1', 'pullout');"
	    "INSERT INTO server (region_id, server_id, operation) VALUES "
	    "('sha', '10.0.0.9', 'maintain');"
	    "INSERT INTO service_zone (region_id, service_id, zone_id, operation) "
	    "VALUES ('sha', 'zoned.service', 'Z1', 'zone-down');"
	    "INSERT INTO service_group (service_id, region_id, zone_id, name, app_id, "
	    "status) VALUES ('demo.service', 'sha', 'z1', 'blue', 'a', 'inactive');"
	    "INSERT INTO service_group (service_id, region_id, zone_id, name, app_id, "
	    "status, deleted) VALUES ('demo.service', 'sha', 'z1', 'gone', 'a', "
	    "'active', 1);"
	    "INSERT INTO service_group_operation (group_id, operation) VALUES "
	    "(1, 'pullout'), (2, 'pullout'), (99, 'pullout');"
	    "UPDATE mgmt_version SET version = version + 1;");
	ok(mgmt_reader_changed(r), "a commit is noticed");
	v2 = snap(r);
	ok(v2 != NULL && mgmt_view_version(v2) == 2, "version 2");
	i = inst("demo.service", "z1", NULL, "inst-1", "10.0.0.1");
	ok(mgmt_view_is_down(v2, &i), "instance operation, keys ignore case");
	ok(!mgmt_view_has_down_ops(v) && mgmt_view_has_down_ops(v2),
	    "has_down_ops: empty view none, operations some");
	ok(mgmt_view_service_ops(v, "demo.service") == 0, "no ops in the empty view");
	ok(mgmt_view_service_ops(v2, "DEMO.service") ==
	    (MGMT_OPS_INSTANCE | MGMT_OPS_GROUP), "instance and group ops of "
	    "demo.service, any case (%d)", mgmt_view_service_ops(v2, "DEMO.service"));
	ok(mgmt_view_service_ops(v2, "Zoned.Service") == MGMT_OPS_ZONE,
	    "zone ops of zoned.service");
	ok(mgmt_view_service_ops(v2, "other") == 0, "no ops of other");
	ok(mgmt_view_service_ops(v2, " ") == MGMT_OPS_ALL, "blank id: anything");
	ok(mgmt_view_down_servers(v2) == 1 && mgmt_view_ip_down(v2, "10.0.0.9") &&
	    !mgmt_view_ip_down(v2, "10.0.0.1") && !mgmt_view_ip_down(v, "10.0.0.9"),
	    "down server IPs");
	ok(mgmt_view_any_ops_changed(v, v2) && !mgmt_view_any_ops_changed(v2, v2) &&
	    !mgmt_view_any_ops_changed(NULL, v), "any_ops_changed");
	ok(mgmt_view_ops_changed(v, v2, "Demo.Service") &&
	    mgmt_view_ops_changed(NULL, v2, "zoned.service") &&
	    !mgmt_view_ops_changed(v, v2, "other") &&
	    !mgmt_view_ops_changed(v2, v2, "demo.service"), "ops_changed per service");
	ok(mgmt_view_servers_diff(v, v2, on_server, NULL) == 1 &&
	    strcmp(servers_seen, "10.0.0.9;") == 0, "servers_diff: %s", servers_seen);
	ok(mgmt_view_servers_diff(v2, v2, on_server, NULL) == 0, "no server diff");
	i = inst("demo.service", "z1", NULL, "inst-2", "10.0.0.1");
	ok(!mgmt_view_is_down(v2, &i), "another instance is up");
	i = inst("other", "z7", NULL, "i", "10.0.0.9");
	ok(mgmt_view_is_down(v2, &i), "server operation takes any service down");
	ok(mgmt_view_server_down(v2, "SHA", "10.0.0.9"), "server-down");
	i = inst("zoned.service", "z1", NULL, "i", "1.1.1.1");
	ok(mgmt_view_is_down(v2, &i), "zone operation");
	i = inst("other.service", "z1", NULL, "i", "1.1.1.1");
	ok(!mgmt_view_is_down(v2, &i), "zone operation is per service");
	ok(mgmt_view_zone_down(v2, "SHA", "zoned.service", "z1"), "is-zone-down");
	i = inst("demo.service", "z1", "BLUE", "i", "1.1.1.1");
	ok(mgmt_view_is_down(v2, &i), "group operation by path prefix, status ignored");
	i = inst("demo.service", "z1", "default", "i", "1.1.1.1");
	ok(!mgmt_view_is_down(v2, &i), "default group not taken down");
	i = inst("demo.service", "z1", "gone", "i", "1.1.1.1");
	ok(!mgmt_view_is_down(v2, &i), "operations of deleted groups are ignored");
	nreload = 0;
	reloaded[0] = '\0';
	mgmt_view_diff(v, v2, on_reload, NULL);
	ok(nreload == 2 && strstr(reloaded, "zoned.service;") &&
	    strstr(reloaded, "demo.service;"), "diff: zone and group op services "
	    "reload (%s)", reloaded);
	mgmt_view_unref(v);
	v = v2;

	/* route rules, weights, logic instances, canary */
	sql("UPDATE service_group SET status = 'ACTIVE' WHERE id = 1;"
	    "INSERT INTO service_group (service_id, region_id, zone_id, name, app_id, "
	    "status) VALUES ('demo.service', 'sha', 'z1', 'red', 'a', 'inactive');"
	    "INSERT INTO service_group (service_id, region_id, zone_id, name, app_id, "
	    "status) VALUES ('demo.service', 'sha', 'canary', 'app1', 'app1', 'active');"
	    "INSERT INTO service_group_tag (group_id, tag, value) VALUES (1, 'env', 'b');"
	    "INSERT INTO service_group_instance (group_id, instance_id) VALUES "
	    "(1, 'inst-7'), (4, 'logic-1'), (4, 'inst-2');"
	    "INSERT INTO service_route_rule (service_id, name, status, strategy) VALUES "
	    "('demo.service', 'rule-a', 'Active', 'weighted-round-robin'),"
	    "('demo.service', 'rule-b', 'active', 'close-by-visit'),"
	    "('demo.service', 'rule-off', 'inactive', 'x'),"
	    "('demo.service', 'canary-route-rule', 'active', 'weighted-round-robin');"
	    "INSERT INTO service_route_rule_group (route_rule_id, group_id, weight) "
	    "VALUES (1, 1, NULL), (1, 3, 7), (2, 3, 9), (3, 1, 1), (4, 4, 20000);"
	    "INSERT INTO service_instance (service_id, instance_id, ip, machine_name, "
	    "metadata, port, protocol, region_id, zone_id, group_id, healthy_check_url, "
	    "url) VALUES ('demo.service', 'logic-1', '10.9.0.1', 'm', '{\"k\":\"v\"}', "
	    "80, 'http', 'sha', 'z1', 'default', 'h', 'u');"
	    "UPDATE mgmt_version SET version = version + 1;");
	v2 = snap(r);
	ok(v2 != NULL, "snapshot with rules");
	ok(mgmt_view_has_canary(v2, "demo.service"), "canary rule detected");
	ok(!mgmt_view_has_canary(v2, "Demo.Service"), "route rules are exact-case");
	sbuf_reset(&b);
	mgmt_view_route_rules(v2, "demo.service", NULL, 0, &b);
	ok(strstr(b.s, "{\"groups\":[{\"groupKey\":\"demo.service/sha/z1/blue\","
	    "\"instanceIds\":[\"inst-7\"],\"instances\":null,\"metadata\":{\"env\":"
	    "\"b\"},\"weight\":5}],\"routeId\":\"rule-a\",\"strategy\":"
	    "\"weighted-round-robin\"}") == b.s + 1, "rule-a: inactive group dropped, "
	    "null weight is 5: %s", b.s);
	ok(strstr(b.s, "rule-b") == NULL, "a rule without groups is dropped");
	ok(strstr(b.s, "rule-off") == NULL, "inactive rules are not published");
	ok(strstr(b.s, "\"weight\":10000") != NULL, "weight capped at 10000");
	phys[0] = inst("demo.service", "canary", "APP1", "inst-5", "1.1.1.5");
	phys[0].json = "{\"p\":5}";
	phys[0].json_len = 7;
	phys[1] = inst("demo.service", "z1", NULL, "inst-2", "1.1.1.2");
	phys[1].json = "{\"p\":2}";
	phys[1].json_len = 7;
	sbuf_reset(&b);
	mgmt_view_route_rules(v2, "demo.service", phys, 2, &b);
	ok(strstr(b.s, "\"instances\":[{\"groupId\":\"default\",\"healthCheckUrl\":"
	    "\"h\",\"instanceId\":\"logic-1\"") != NULL &&
	    strstr(b.s, "{\"p\":2},{\"p\":5}]") != NULL,
	    "canary instances: explicit ids (logic and physical), then group key "
	    "members: %s", b.s);
	sbuf_reset(&b);
	mgmt_view_logic_json(v2, "demo.service", 0, &b);
	ok(strcmp(b.s, "[{\"groupId\":\"default\",\"healthCheckUrl\":\"h\","
	    "\"instanceId\":\"logic-1\",\"ip\":\"10.9.0.1\",\"machineName\":\"m\","
	    "\"metadata\":{\"k\":\"v\"},\"port\":80,\"protocol\":\"http\","
	    "\"regionId\":\"sha\",\"serviceId\":\"demo.service\",\"status\":\"up\","
	    "\"url\":\"u\",\"zoneId\":\"z1\"}]") == 0, "logic instance JSON: %s", b.s);
	nreload = 0;
	reloaded[0] = '\0';
	mgmt_view_diff(v, v2, on_reload, NULL);
	ok(nreload == 1 && strcmp(reloaded, "demo.service;") == 0,
	    "diff: route rules and logic instances reload (%s)", reloaded);
	mgmt_view_unref(v);
	v = v2;

	sql("INSERT INTO instance (region_id, service_id, instance_id, operation) "
	    "VALUES ('sha', 'demo.service', 'logic-1', 'x');"
	    "UPDATE mgmt_version SET version = version + 1;");
	v2 = snap(r);
	sbuf_reset(&b);
	mgmt_view_logic_json(v2, "demo.service", 1, &b);
	ok(strcmp(b.s, "[]") == 0, "a pulled-out logic instance is dropped");
	sbuf_reset(&b);
	mgmt_view_logic_json(v2, "nothing", 1, &b);
	ok(strcmp(b.s, "[]") == 0, "unknown service: []");
	nreload = 0;
	mgmt_view_diff(v, v2, on_reload, NULL);
	ok(nreload == 0, "instance operations are not RELOADs");
	ok(mgmt_view_ops_changed(v, v2, "demo.service") &&
	    !mgmt_view_ops_changed(v, v2, "zoned.service"),
	    "an instance operation changes its service's ops only");
	ok(mgmt_view_servers_diff(v, v2, on_server, NULL) == 0, "servers unchanged");
	mgmt_view_unref(v);
	mgmt_view_unref(v2);
	mgmt_reader_close(r);
	sqlite3_close(db);
	sbuf_free(&b);
	snprintf(path, sizeof(path), "rm -rf '%s'", dir);
	if (system(path) != 0)
		ok(0, "cleanup");
	return done_testing();
}
