/*
 * confcmd.c — `artemis config validate` (the daemons' -n) and
 * `artemis config convert` (Java properties to artemis.conf, see convert.c).
 */
#include <ctype.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "artemis.h"
#include "convert.h"

int
cmd_config_validate(struct cli *cli, const struct command *cmd, int argc, char **argv)
{
	static const struct option longopts[] = {
		COMMON_LONGOPTS,
		{ "file", required_argument, NULL, OPT_FILE },
		{ NULL, 0, NULL, 0 },
	};
	char err[2048];
	int ch;

	while ((ch = getopt_long(argc, argv, COMMON_SHORTOPTS, longopts, NULL)) != -1) {
		if (ch == OPT_FILE)
			cli->conf_file = optarg;
		else
			cli_common_opt(cli, cmd, ch);
	}
	if (optind != argc)
		cli_usage(cmd, EXIT_USAGE);
	if (config_load(&cli->conf, cli->conf_file, err, sizeof(err)) == -1) {
		fprintf(stderr, "%s\n", err);
		return EXIT_FAIL;
	}
	printf("configuration OK\n");
	return 0;
}

/* A file next to another one: dir(of)/name. */
static void
sibling(const char *of, const char *name, char *out, size_t len)
{
	char copy[PATH_MAX];

	strlcpy(copy, of, sizeof(copy));
	snprintf(out, len, "%s/%s", dirname(copy), name);
}

/* Load an optional -<env> variant; a missing one is fine (as on a classpath). */
static int
load_optional(struct cli *cli, struct props *p, const char *path)
{
	char err[1024];

	if (access(path, F_OK) == -1) {
		memset(p, 0, sizeof(*p));
		return 0;
	}
	if (props_load(p, path, err, sizeof(err)) == -1) {
		cli_err(cli, "%s", err);
		return -1;
	}
	return 0;
}

static int
add_sysprop(struct props *sys, const char *arg)
{
	char key[512];
	const char *eq = strchr(arg, '=');
	size_t n = eq ? (size_t)(eq - arg) : strlen(arg);

	if (n == 0 || n >= sizeof(key))
		return -1;
	memcpy(key, arg, n);
	key[n] = '\0';
	props_add(sys, key, eq ? eq + 1 : "", (int)sys->n + 1);
	return 0;
}

/* Check what we generate with the daemons' own parser before handing it out. */
static int
write_checked(struct cli *cli, const struct sbuf *text, const char *to)
{
	char tmp[PATH_MAX], dir[PATH_MAX], err[2048];
	struct config conf;
	FILE *fp;
	int fd;

	if (to) {
		strlcpy(dir, to, sizeof(dir));
		snprintf(tmp, sizeof(tmp), "%s/.artemis.conf.XXXXXX", dirname(dir));
	} else
		snprintf(tmp, sizeof(tmp), "%s/artemis.conf.XXXXXX",
		    getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if ((fd = mkstemp(tmp)) == -1 || (fp = fdopen(fd, "w")) == NULL) {
		cli_err(cli, "%s: %s", tmp, strerror(errno));
		return EXIT_FAIL;
	}
	if (fwrite(text->s, 1, text->len, fp) != text->len || fclose(fp) == EOF) {
		cli_err(cli, "%s: %s", tmp, strerror(errno));
		unlink(tmp);
		return EXIT_FAIL;
	}
	if (config_load(&conf, tmp, err, sizeof(err)) == -1) {
		/* kept for the bug report */
		cli_err(cli, "BUG: the generated file does not load: %s", err);
		return EXIT_FAIL;
	}
	if (to == NULL) {
		unlink(tmp);
		if (fwrite(text->s, 1, text->len, stdout) != text->len ||
		    fflush(stdout) == EOF) {
			cli_err(cli, "stdout: %s", strerror(errno));
			return EXIT_FAIL;
		}
		return 0;
	}
	if (rename(tmp, to) == -1) {
		cli_err(cli, "%s: %s", to, strerror(errno));
		unlink(tmp);
		return EXIT_FAIL;
	}
	return 0;
}

static void
convert_free(struct convert *c)
{
	props_free(&c->sys);
	props_free(&c->env);
	props_free(&c->main);
	props_free(&c->app);
	props_free(&c->appenv);
}

int
cmd_config_convert(struct cli *cli, const struct command *cmd, int argc, char **argv)
{
	static const struct option longopts[] = {
		COMMON_LONGOPTS,
		{ "from", required_argument, NULL, OPT_FROM },
		{ "app", required_argument, NULL, OPT_APP },
		{ "env", required_argument, NULL, OPT_ENV },
		{ "ip", required_argument, NULL, OPT_IP },
		{ "to", required_argument, NULL, OPT_TO },
		{ "state-dir", required_argument, NULL, OPT_STATE_DIR },
		{ NULL, 0, NULL, 0 },
	};
	const char *from = NULL, *app = NULL, *to = NULL, *ip = NULL, *envopt = NULL;
	struct convert c;
	struct sbuf out = SBUF_INIT;
	const struct prop *p;
	char err[1024], env[128] = "", path[PATH_MAX], name[200];
	int ch, rc = EXIT_FAIL;
	size_t i;

	memset(&c, 0, sizeof(c));
	strlcpy(c.state_dir, "/var/lib/artemis", sizeof(c.state_dir));
	while ((ch = getopt_long(argc, argv, COMMON_SHORTOPTS "D:", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case OPT_FROM: from = optarg; break;
		case OPT_APP: app = optarg; break;
		case OPT_ENV: envopt = optarg; break;
		case OPT_IP: ip = optarg; break;
		case OPT_TO: to = optarg; break;
		case OPT_STATE_DIR:
			strlcpy(c.state_dir, optarg, sizeof(c.state_dir));
			break;
		case 'D':
			if (add_sysprop(&c.sys, optarg) == -1) {
				cli_err(cli, "-D wants key=value, not '%s'", optarg);
				cli_usage(cmd, EXIT_USAGE);
			}
			break;
		default:
			cli_common_opt(cli, cmd, ch);
		}
	}
	if (optind != argc || from == NULL) {
		if (from == NULL)
			cli_err(cli, "--from FILE is required");
		cli_usage(cmd, EXIT_USAGE);
	}
	strlcpy(c.sys.file, "-D", sizeof(c.sys.file));
	/* deployment-env: --env, else the system property; trimmed, lower case */
	if (envopt == NULL && (p = props_get(&c.sys, "deployment-env")) != NULL)
		envopt = p->value;
	if (envopt) {
		for (i = 0; envopt[i] && i < sizeof(env) - 1; i++)
			env[i] = (char)tolower((unsigned char)envopt[i]);
		env[i] = '\0';
		for (i = strlen(env); i > 0 && isspace((unsigned char)env[i - 1]); i--)
			env[i - 1] = '\0';
	}
	if (ip)
		strlcpy(c.ip, ip, sizeof(c.ip));
	else if (convert_local_ip(c.ip, sizeof(c.ip)) == -1)
		c.ip[0] = '\0';
	c.report = stderr;
	c.verbose = cli->verbose;

	if (props_load(&c.main, from, err, sizeof(err)) == -1) {
		cli_err(cli, "%s", err);
		goto done;
	}
	if (env[0]) {
		snprintf(name, sizeof(name), "artemis-%s.properties", env);
		sibling(from, name, path, sizeof(path));
		if (load_optional(cli, &c.env, path) == -1)
			goto done;
	}
	if (app) {
		if (props_load(&c.app, app, err, sizeof(err)) == -1) {
			cli_err(cli, "%s", err);
			goto done;
		}
		if (env[0]) {
			snprintf(name, sizeof(name), "app-%s.properties", env);
			sibling(app, name, path, sizeof(path));
			if (load_optional(cli, &c.appenv, path) == -1)
				goto done;
		}
	}
	convert_run(&c, &out);
	rc = write_checked(cli, &out, to);
done:
	sbuf_free(&out);
	convert_free(&c);
	return rc;
}

/* `artemis config url DAEMON`: the base URL a daemon listens on, for scripts
 * and readiness probes (contrib/systemd). */
int
cmd_config_url(struct cli *cli, const struct command *cmd, int argc, char **argv)
{
	static const struct option longopts[] = { COMMON_LONGOPTS, { NULL, 0, NULL, 0 } };
	static const char *const names[] = { "registryd", "discoveryd", "mgmtd",
	    "replicator" };
	const struct listen_addr *l[4];
	const char *host;
	size_t i;
	int ch;

	while ((ch = getopt_long(argc, argv, COMMON_SHORTOPTS, longopts, NULL)) != -1)
		cli_common_opt(cli, cmd, ch);
	if (optind + 1 != argc)
		cli_usage(cmd, EXIT_USAGE);
	if (cli_config(cli, 1) == -1)
		return EXIT_FAIL;
	l[0] = &cli->conf.registryd_listen;
	l[1] = &cli->conf.discoveryd_listen;
	l[2] = &cli->conf.mgmtd_listen;
	l[3] = &cli->conf.replicator_listen;
	if (strncmp(argv[optind], "artemis-", 8) == 0)
		argv[optind] += 8;
	for (i = 0; i < 4; i++) {
		if (strcmp(argv[optind], names[i]) != 0)
			continue;
		if (!l[i]->set) {
			cli_err(cli, "[%s] has no listen key", names[i]);
			return EXIT_NOTFOUND;
		}
		host = l[i]->host;
		if (strcmp(host, "0.0.0.0") == 0 || strcmp(host, "*") == 0)
			host = "127.0.0.1";
		else if (strcmp(host, "::") == 0 || strcmp(host, "[::]") == 0)
			host = "[::1]";
		printf("http://%s:%d\n", host, l[i]->port);
		return 0;
	}
	cli_err(cli, "unknown daemon '%s'; valid: registryd discoveryd mgmtd replicator",
	    argv[optind]);
	return EXIT_USAGE;
}
