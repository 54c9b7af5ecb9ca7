/*
 * artemis.h — the command line program: shared declarations.
 *
 * Grammar (relayctl-like): artemis [global options] VERB [OBJECT [ACTION]]
 * [options] [args] ("artemis group tags set 1 env=blue"). Every word may be
 * abbreviated to any unambiguous prefix. Exit codes follow
 * curl/s6: distinct non-zero codes for usage errors, connection failures,
 * server-reported failures and "not found" (artemis(1), EXIT STATUS).
 */
#ifndef ARTEMIS_CLI_H
#define ARTEMIS_CLI_H

#include <getopt.h>
#include <stddef.h>

#include "config.h"

enum {
	EXIT_FAIL = 1,		/* server reported failure, or a local input is bad */
	EXIT_USAGE = 2,		/* unknown command or option, missing argument */
	EXIT_CONNECT = 3,	/* daemon not reachable (or answered nonsense) */
	EXIT_NOTFOUND = 4,	/* the service / instance / object does not exist */
};

/* Long-only option codes shared by every command. */
enum {
	OPT_URL = 1000,
	OPT_JSON,
	OPT_LOCAL,
	OPT_REGION,
	OPT_ZONE,
	OPT_SERVICE_ID,
	OPT_INSTANCE_ID,
	OPT_OPERATOR,
	OPT_REASON,
	OPT_IP,
	OPT_PORT,
	OPT_METADATA,
	OPT_FROM,
	OPT_APP,
	OPT_TO,
	OPT_FILE,
	OPT_GROUP_ID,
	OPT_ROUTE_ID,
	OPT_WEIGHT,
	OPT_STRATEGY,
	OPT_STATUS,
	OPT_TOKEN,
	OPT_TTL,
	OPT_INTERVAL,
	OPT_COUNT,
	OPT_TABLE,
	OPT_ZONE_ID,
	OPT_GROUP_KEY,
	OPT_COMPLETE,
	OPT_TAG,
	OPT_DESCRIPTION,
	OPT_APP_ID,
	OPT_ENV,
	OPT_OPERATION,
	OPT_NAME,
	OPT_STATE_DIR,
};

#define COMMON_SHORTOPTS	"f:hv"
#define COMMON_LONGOPTS						\
	{ "config", required_argument, NULL, 'f' },		\
	{ "url", required_argument, NULL, OPT_URL },		\
	{ "json", no_argument, NULL, OPT_JSON },		\
	{ "help", no_argument, NULL, 'h' },			\
	{ "verbose", no_argument, NULL, 'v' }

struct cli;
struct command;

typedef int (*command_fn)(struct cli *, const struct command *, int, char **);

struct command {
	const char	*verb;		/* "group" */
	const char	*object;	/* "tags", or NULL for one-word commands */
	const char	*action;	/* "set", or NULL for commands of two words */
	command_fn	 run;
	const char	*args;		/* "[--region R]" */
	const char	*help;		/* one sentence */
};

struct cli {
	const char	*conf_file;	/* -f */
	int		 conf_explicit;
	const char	*url;		/* --url: overrides the configured URL */
	int		 json;		/* --json */
	int		 verbose;
	char		 name[128];	/* "artemis service list", for messages */
	struct config	 conf;
	int		 conf_state;	/* 0 not tried, 1 loaded, -1 unusable */
};

/* cmdtab.c: the command table and its prefix matcher. */
extern const struct command commands[];
extern const size_t ncommands;
/* Match argv[0] (verb) and, if the verb has objects, argv[1] (and, if that object
 * has actions, argv[2]). Returns the command and sets *used to the words
 * consumed; NULL with a message in err otherwise. */
const struct command *command_find(int argc, char **argv, int *used, char *err,
	    size_t errlen);
void	command_list(FILE *, const char *verb);

/* cli.c: helpers used by every command. */
/* Handle an option common to all commands (-f, --url, --json, -h, -v). Returns 0
 * if handled; exits on -h (0) and on unknown options (EXIT_USAGE). */
int	cli_common_opt(struct cli *, const struct command *, int ch);
void	cli_usage(const struct command *, int code) __attribute__((noreturn));
void	main_usage(int code) __attribute__((noreturn));
void	command_name(const struct command *, char *buf, size_t len);
void	cli_help(const struct command *) __attribute__((noreturn));
/* Print "artemis VERB OBJECT: message" to stderr. */
void	cli_err(struct cli *, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Load the configuration once (-f FILE, default file if it exists). 0 or -1. */
int	cli_config(struct cli *, int required);
/* Base URL for a daemon: --url, else [node] NAME-url, else the listen address of
 * its section, else the default port. which = "registry" | "discovery" |
 * "management". */
const char *cli_base_url(struct cli *, const char *which, char *buf, size_t len);
/* Whether output should be JSON (--json or stdout not a terminal). */
int	cli_want_json(struct cli *);

/* Commands (one file per concern). */
int	cmd_help(struct cli *, const struct command *, int, char **);
int	cmd_up(struct cli *, const struct command *, int, char **);
int	cmd_config_validate(struct cli *, const struct command *, int, char **);
int	cmd_config_url(struct cli *, const struct command *, int, char **);
int	cmd_config_convert(struct cli *, const struct command *, int, char **);
int	cmd_service_list(struct cli *, const struct command *, int, char **);
int	cmd_service_get(struct cli *, const struct command *, int, char **);
int	cmd_instance_list(struct cli *, const struct command *, int, char **);
int	cmd_status(struct cli *, const struct command *, int, char **);
int	cmd_register(struct cli *, const struct command *, int, char **);
int	cmd_watch(struct cli *, const struct command *, int, char **);
int	cmd_manage(struct cli *, const struct command *, int, char **);
int	cmd_group(struct cli *, const struct command *, int, char **);
int	cmd_route(struct cli *, const struct command *, int, char **);
int	cmd_canary(struct cli *, const struct command *, int, char **);
int	cmd_log(struct cli *, const struct command *, int, char **);
int	cmd_logic(struct cli *, const struct command *, int, char **);

#endif
