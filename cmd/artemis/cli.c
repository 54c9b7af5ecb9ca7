/*
 * cli.c — what every command shares: usage and help, common options, messages,
 * the configuration and the daemons' URLs.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "artemis.h"
#include "log.h"

void
main_usage(int code)
{
	FILE *fp = code ? stderr : stdout;

	fprintf(fp, "usage: artemis [-v] [-f file] [--url URL] [--json] command "
	    "[argument ...]\n\ncommands (any unambiguous prefix will do):\n");
	command_list(fp, NULL);
	fprintf(fp, "\n'artemis COMMAND --help' shows a command's options. "
	    "See artemis(1).\n");
	exit(code);
}

void
command_name(const struct command *cmd, char *buf, size_t len)
{
	snprintf(buf, len, "artemis %s%s%s%s%s", cmd->verb, cmd->object ? " " : "",
	    cmd->object ? cmd->object : "", cmd->action ? " " : "",
	    cmd->action ? cmd->action : "");
}

void
cli_usage(const struct command *cmd, int code)
{
	char name[128];

	command_name(cmd, name, sizeof(name));
	fprintf(code ? stderr : stdout, "usage: %s %s\n", name, cmd->args);
	if (code)
		fprintf(stderr, "'%s --help' for more\n", name);
	exit(code);
}

void
cli_help(const struct command *cmd)
{
	char name[128];

	command_name(cmd, name, sizeof(name));
	printf("usage: %s %s\n\n%s.\n\ncommon options:\n"
	    "  -f, --config FILE  configuration file (default %s)\n"
	    "      --url URL      talk to this daemon instead of the configured one\n"
	    "      --json         JSON output even on a terminal\n"
	    "  -v, --verbose      more messages\n"
	    "  -h, --help         this help\n\nSee artemis(1).\n",
	    name, cmd->args, cmd->help, CONFIG_DEFAULT_PATH);
	exit(0);
}

int
cli_common_opt(struct cli *cli, const struct command *cmd, int ch)
{
	switch (ch) {
	case 'f':
		cli->conf_file = optarg;
		cli->conf_explicit = 1;
		cli->conf_state = 0;
		return 0;
	case OPT_URL:
		cli->url = optarg;
		return 0;
	case OPT_JSON:
		cli->json = 1;
		return 0;
	case 'v':
		cli->verbose++;
		log_init(cli->name, cli->verbose);
		return 0;
	case 'h':
		cli_help(cmd);
	default:
		cli_usage(cmd, EXIT_USAGE);
	}
}

void
cli_err(struct cli *cli, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", cli->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int
cli_config(struct cli *cli, int required)
{
	char err[2048];

	if (cli->conf_state != 0)
		return cli->conf_state == 1 ? 0 : -1;
	/* Without -f, a missing default file is fine for client commands: the
	 * defaults of config.md (and --url) apply. */
	if (!cli->conf_explicit && !required && access(cli->conf_file, F_OK) == -1 &&
	    errno == ENOENT) {
		config_defaults(&cli->conf);
		cli->conf_state = 1;
		return 0;
	}
	if (config_load(&cli->conf, cli->conf_file, err, sizeof(err)) == -1) {
		cli_err(cli, "%s", err);
		cli->conf_state = -1;
		return -1;
	}
	cli->conf_state = 1;
	return 0;
}

static void
url_from_listen(const struct listen_addr *l, char *buf, size_t len)
{
	const char *host = l->host;

	/* A wildcard listen address is reached on loopback. */
	if (strcmp(host, "0.0.0.0") == 0 || strcmp(host, "*") == 0 || host[0] == '\0')
		host = "127.0.0.1";
	else if (strcmp(host, "::") == 0 || strcmp(host, "[::]") == 0)
		host = "[::1]";
	snprintf(buf, len, "http://%s:%d", host, l->port);
}

const char *
cli_base_url(struct cli *cli, const char *which, char *buf, size_t len)
{
	const char *url = NULL;
	const struct listen_addr *l = NULL;
	int port = 8080;

	if (cli->url != NULL) {
		strlcpy(buf, cli->url, len);
		return buf;
	}
	if (cli_config(cli, 0) == -1)
		return NULL;
	if (strcmp(which, "registry") == 0) {
		url = cli->conf.registry_url;
		l = &cli->conf.registryd_listen;
	} else if (strcmp(which, "discovery") == 0) {
		url = cli->conf.discovery_url;
		l = &cli->conf.discoveryd_listen;
		port = 8081;
	} else {
		url = cli->conf.management_url;
		l = &cli->conf.mgmtd_listen;
		port = 8082;
	}
	if (url[0] != '\0')
		strlcpy(buf, url, len);
	else if (l->set)
		url_from_listen(l, buf, len);
	else
		snprintf(buf, len, "http://127.0.0.1:%d", port);
	return buf;
}

int
cli_want_json(struct cli *cli)
{
	return cli->json || !isatty(STDOUT_FILENO);
}

int
cmd_help(struct cli *cli, const struct command *cmd, int argc, char **argv)
{
	static const struct option longopts[] = { COMMON_LONGOPTS, { NULL, 0, NULL, 0 } };
	const struct command *c;
	char err[1024];
	int ch, used;

	while ((ch = getopt_long(argc, argv, COMMON_SHORTOPTS, longopts, NULL)) != -1)
		cli_common_opt(cli, cmd, ch);
	argc -= optind;
	argv += optind;
	if (argc == 0)
		main_usage(0);
	if ((c = command_find(argc, argv, &used, err, sizeof(err))) == NULL) {
		/* "help service", "help group tags": the list of the valid next
		 * words is the answer */
		if (argc <= 2 && strstr(err, "needs one of") != NULL) {
			printf("%s\n", err);
			return 0;
		}
		cli_err(cli, "%s", err);
		return EXIT_USAGE;
	}
	cli_help(c);
}

