/*
 * main.c — artemis(1): global options and command dispatch.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "artemis.h"
#include "log.h"

int
main(int argc, char **argv)
{
	static const struct option longopts[] = { COMMON_LONGOPTS, { NULL, 0, NULL, 0 } };
	static const struct command top = { "", NULL, NULL, NULL, "", "" };
	struct cli cli;
	const struct command *cmd;
	char err[1024];
	int ch, used;

	signal(SIGPIPE, SIG_IGN);
	memset(&cli, 0, sizeof(cli));
	cli.conf_file = CONFIG_DEFAULT_PATH;
	strlcpy(cli.name, "artemis", sizeof(cli.name));
	log_init("artemis", 0);

	while ((ch = getopt_long(argc, argv, "+" COMMON_SHORTOPTS, longopts,
	    NULL)) != -1) {
		if (ch == 'h')
			main_usage(0);
		if (ch == '?')
			main_usage(EXIT_USAGE);
		cli_common_opt(&cli, &top, ch);
	}
	argc -= optind;
	argv += optind;
	if (argc == 0)
		main_usage(EXIT_USAGE);
	if ((cmd = command_find(argc, argv, &used, err, sizeof(err))) == NULL) {
		fprintf(stderr, "artemis: %s\n", err);
		return EXIT_USAGE;
	}
	command_name(cmd, cli.name, sizeof(cli.name));
	log_init(cli.name, cli.verbose);
	/* The command sees argv[0] = its last word, so getopt starts after it. */
	argc -= used - 1;
	argv += used - 1;
	argv[0] = cli.name;	/* getopt's messages name the command */
	optind = 0;	/* re-initialise getopt for the command's own options */
	return cmd->run(&cli, cmd, argc, argv);
}
