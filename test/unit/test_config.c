/* test_config.c — the INI file of spec/config.md: values, units, FILE:LINE errors. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "tap.h"

static char path[] = "/tmp/test_config.XXXXXX";

static const char base[] =
    "[node]\n"
    "region = sha\n"
    "zone = sha-z1\n"
    "state-dir = /tmp/st\n"
    "[registryd]\n"
    "listen = 127.0.0.1:8080\n";

/* write base + extra, load; returns config_load's result, err filled */
static int
load(const char *text, struct config *c, char *err, size_t errlen)
{
	FILE *fp = fopen(path, "w");

	if (fp == NULL || fputs(text, fp) == EOF || fclose(fp) == EOF)
		return -2;
	return config_load(c, path, err, errlen);
}

static int
load_extra(const char *extra, struct config *c, char *err, size_t errlen)
{
	char text[4096];

	snprintf(text, sizeof(text), "%s%s", base, extra);
	return load(text, c, err, errlen);
}

static int
err_is(const char *err, int line, const char *msg)
{
	char want[1024];

	snprintf(want, sizeof(want), "%s:%d: %s", path, line, msg);
	return strcmp(err, want) == 0;
}

int
main(void)
{
	struct config c;
	char err[2048];
	int64_t ms;
	size_t sz;
	int fd, b;

	if ((fd = mkstemp(path)) == -1)
		return 1;
	close(fd);

	ok(config_parse_duration("20s", &ms) == 0 && ms == 20000, "20s");
	ok(config_parse_duration("500ms", &ms) == 0 && ms == 500, "500ms");
	ok(config_parse_duration("2m", &ms) == 0 && ms == 120000, "2m");
	ok(config_parse_duration("1h", &ms) == 0 && ms == 3600000, "1h");
	ok(config_parse_duration("250", &ms) == 0 && ms == 250, "bare number is ms");
	ok(config_parse_duration("-1s", &ms) == -1, "negative refused");
	ok(config_parse_duration("5 days", &ms) == -1, "unknown unit refused");
	ok(config_parse_size("8m", &sz) == 0 && sz == 8 << 20, "8m");
	ok(config_parse_size("512k", &sz) == 0 && sz == 512 << 10, "512k");
	ok(config_parse_size("12x", &sz) == -1, "bad size unit");
	ok(config_parse_bool("TRUE", &b) == 0 && b == 1, "TRUE");
	ok(config_parse_bool("off", &b) == 0 && b == 0, "off");
	ok(config_parse_bool("maybe", &b) == -1, "maybe refused");
	ok(config_list_contains("10.0.0.1, 10.0.0.2", "10.0.0.2"), "list contains");
	ok(!config_list_contains("10.0.0.11", "10.0.0.1"), "no prefix match");

	ok(load(base, &c, err, sizeof(err)) == 0, "minimal file loads: %s", err);
	ok(strcmp(c.region, "sha") == 0 && c.registryd_listen.port == 8080 &&
	    strcmp(c.registryd_listen.host, "127.0.0.1") == 0, "values read");
	ok(c.ttl_ms == 20000 && c.clean_interval_ms == 1000 && c.capacity == 1000000 &&
	    c.force_up == 1, "defaults");
	ok(strcmp(c.database, "/tmp/st/management.db") == 0,
	    "relative database path is inside state-dir: %s", c.database);

	ok(load_extra("[lease]\nttl = 4s\nclean-interval = 100ms\n", &c, err,
	    sizeof(err)) == 0 && c.ttl_ms == 4000 && c.clean_interval_ms == 100,
	    "durations with units");

	ok(load_extra("[bogus]\nx = 1\n", &c, err, sizeof(err)) == -1 &&
	    err_is(err, 8, "unknown section [bogus]"), "unknown section: %s", err);
	ok(load_extra("[lease]\nttl = 4s\nbogus = 1\n", &c, err, sizeof(err)) == -1 &&
	    err_is(err, 9, "unknown key 'bogus' in section [lease]"), "unknown key: %s", err);
	ok(load_extra("[lease]\nttl = soon\n", &c, err, sizeof(err)) == -1 &&
	    err_is(err, 8, "[lease] ttl: bad duration 'soon' (use e.g. 500ms, 20s, 5m)"),
	    "bad duration: %s", err);
	ok(load_extra("[lease]\nttl = 1ms\n", &c, err, sizeof(err)) == -1 &&
	    strstr(err, ":8: [lease] ttl: duration '1ms' out of range") != NULL,
	    "duration out of range: %s", err);
	ok(load_extra("[table]\ncapacity = lots\n", &c, err, sizeof(err)) == -1 &&
	    strstr(err, ":8: [table] capacity: number 'lots' is invalid") != NULL,
	    "bad number: %s", err);
	ok(load_extra("[cluster]\nforce-up = perhaps\n", &c, err, sizeof(err)) == -1 &&
	    strstr(err, ":8: [cluster] force-up: bad boolean") != NULL, "bad bool: %s", err);
	ok(load_extra("[mgmtd]\nlisten = nowhere\n", &c, err, sizeof(err)) == -1 &&
	    strstr(err, ":8: [mgmtd] listen: bad listen address") != NULL,
	    "bad listen: %s", err);
	ok(load("[node]\nzone = z\n", &c, err, sizeof(err)) == -1 &&
	    strstr(err, "missing required key 'region' in section [node]") != NULL,
	    "missing required key: %s", err);
	ok(load_extra("this is not ini\n", &c, err, sizeof(err)) == -1 &&
	    err_is(err, 7, "syntax error"), "syntax error: %s", err);
	ok(config_load(&c, "/nonexistent/artemis.conf", err, sizeof(err)) == -1 &&
	    strstr(err, "/nonexistent/artemis.conf:0: cannot open") == err,
	    "missing file: %s", err);

	/* long lists continue on indented lines (inih reads 200 bytes a line) */
	ok(load_extra("[cluster]\npeers = z1:http://10.0.0.1:8080/a,\n"
	    "  http://10.0.0.2:8080/a;\n  z2:http://10.0.1.1:8080/a\n", &c, err,
	    sizeof(err)) == 0 && strcmp(c.peers, "z1:http://10.0.0.1:8080/a,"
	    "http://10.0.0.2:8080/a;z2:http://10.0.1.1:8080/a") == 0,
	    "peers continued over lines: %s", c.peers);
	ok(load_extra("[ratelimit]\nstatus-map = get-cluster:5\n", &c, err, sizeof(err)) == 0 &&
	    strcmp(c.rl_status_map, "get-cluster:5") == 0, "a set map replaces the default");

	unlink(path);
	return done_testing();
}
