/*
 * cmdtab.c — the command table and its matcher (relayctl's parser in spirit: every
 * word may be abbreviated to an unambiguous prefix; a word that matches nothing or
 * several things is answered with the list of valid words).
 */
#include <stdio.h>
#include <string.h>

#include "artemis.h"

const struct command commands[] = {
	{ "canary", "set", cmd_manage,
	  "SERVICE --app-id ID [IP ...] [--operator O] [--reason T]",
	  "set the canary IPs of a service (none: clear them)" },
	{ "config", "convert", cmd_config_convert,
	  "--from FILE [--app FILE] [--env ENV] [--ip IP] [-D key=value ...] [--to FILE]",
	  "convert a Java artemis.properties into artemis.conf" },
	{ "config", "url", cmd_config_url, "registryd|discoveryd|mgmtd|replicator",
	  "print the URL a daemon listens on (for scripts and readiness checks)" },
	{ "config", "validate", cmd_config_validate, "[--file FILE]",
	  "check a configuration file like the daemons' -n" },
	{ "group", "pull-in", cmd_manage, "--group-id N [--operation OP] [--operator O]",
	  "put a group back into traffic" },
	{ "group", "pull-out", cmd_manage,
	  "--group-id N [--operation OP] [--operator O] [--reason T]",
	  "take a whole group out of traffic" },
	{ "help", NULL, cmd_help, "[COMMAND]", "show the commands, or one command's usage" },
	{ "instance", "list", cmd_instance_list,
	  "[SERVICE] [--region R] [--zone Z] [--local]",
	  "list instances (--local: from the state directory, no daemon needed)" },
	{ "instance", "pull-in", cmd_manage,
	  "--service-id S --instance-id I [--region R] [--operation OP] [--operator O]",
	  "put an instance back into traffic" },
	{ "instance", "pull-out", cmd_manage,
	  "--service-id S --instance-id I [--region R] [--operation OP] [--operator O]",
	  "take an instance out of traffic" },
	{ "log", "group", cmd_log, "[--group-id N] [--operation OP] [--operator O] "
	  "[--complete true|false]", "group operation history" },
	{ "log", "instance", cmd_log, "[--region R] [--service-id S] [--instance-id I] "
	  "[--operation OP] [--operator O] [--complete true|false]",
	  "instance operation history" },
	{ "log", "server", cmd_log, "[--region R] [--ip IP] [--operation OP] "
	  "[--operator O] [--complete true|false]", "server operation history" },
	{ "log", "zone", cmd_log, "[--region R] [--service-id S] [--zone Z] "
	  "[--operation OP] [--operator O] [--complete true|false]",
	  "zone operation history" },
	{ "register", NULL, cmd_register,
	  "--service-id S --url URL [--instance-id I] [--port P] [--ip IP] "
	  "[--metadata k=v ...] [--interval 5s] [--registry URL] [-- CMD [ARG ...]]",
	  "register an instance and keep it alive (while CMD runs)" },
	{ "route", "create", cmd_manage,
	  "--service-id S --name RULE --app-id ID --group NAME:WEIGHT ... "
	  "[--strategy S] [--region R] [--zone Z]",
	  "create a route rule with its groups (weights staged, not released)" },
	{ "route", "release", cmd_manage, "--route-id R --group-id G",
	  "publish the staged weight of a rule's group" },
	{ "route", "weight", cmd_manage, "--route-id R --group-id G WEIGHT",
	  "stage a new weight for a rule's group" },
	{ "server", "pull-in", cmd_manage,
	  "--ip IP [--region R] [--operation OP] [--operator O]",
	  "put every instance on a machine back into traffic" },
	{ "server", "pull-out", cmd_manage,
	  "--ip IP [--region R] [--operation OP] [--operator O]",
	  "take every instance on a machine out of traffic" },
	{ "service", "get", cmd_service_get, "SERVICE [--region R] [--zone Z]",
	  "one service and its instances, as discovery serves it" },
	{ "service", "list", cmd_service_list, "[--region R]",
	  "every service with instances" },
	{ "status", NULL, cmd_status, "",
	  "node, cluster, lease protection (self-preservation) and counts" },
	{ "up", NULL, cmd_up, "",
	  "run every configured daemon in the foreground (a development node)" },
	{ "watch", NULL, cmd_watch, "[SERVICE ...]",
	  "print instance changes as they happen, one JSON per line" },
	{ "zone", "pull-in", cmd_manage,
	  "--service-id S --zone Z [--region R] [--operation OP] [--operator O]",
	  "put a service's instances in a zone back into traffic" },
	{ "zone", "pull-out", cmd_manage,
	  "--service-id S --zone Z [--region R] [--operation OP] [--operator O]",
	  "take a service's instances in a zone out of traffic" },
};
const size_t ncommands = sizeof(commands) / sizeof(commands[0]);

static int
is_prefix(const char *word, const char *name)
{
	return word[0] != '\0' && strncmp(word, name, strlen(word)) == 0;
}

/* Distinct verbs (or objects of one verb) matching word: exact match wins. */
static int
match_word(const char *word, const char *verb, const char **found)
{
	const char *cand, *last = NULL;
	size_t i;
	int n = 0;

	for (i = 0; i < ncommands; i++) {
		cand = verb ? commands[i].object : commands[i].verb;
		if (verb && strcmp(commands[i].verb, verb) != 0)
			continue;
		if (cand == NULL)
			continue;
		if (strcmp(word, cand) == 0) {
			*found = cand;
			return 1;
		}
		if (is_prefix(word, cand) && (last == NULL || strcmp(last, cand) != 0)) {
			last = cand;
			n++;
		}
	}
	*found = last;
	return n;
}

static void
valid_words(char *err, size_t errlen, const char *verb)
{
	const char *prev = NULL, *w;
	size_t i, len;

	for (i = 0; i < ncommands; i++) {
		if (verb && strcmp(commands[i].verb, verb) != 0)
			continue;
		w = verb ? commands[i].object : commands[i].verb;
		if (w == NULL || (prev && strcmp(prev, w) == 0))
			continue;
		len = strlen(err);
		snprintf(err + len, errlen - len, " %s", w);
		prev = w;
	}
}

const struct command *
command_find(int argc, char **argv, int *used, char *err, size_t errlen)
{
	const char *verb, *object;
	size_t i;
	int n;

	err[0] = '\0';
	if (argc < 1) {
		snprintf(err, errlen, "missing command; valid commands:");
		valid_words(err, errlen, NULL);
		return NULL;
	}
	n = match_word(argv[0], NULL, &verb);
	if (n != 1) {
		snprintf(err, errlen, "%s command '%s'; valid commands:",
		    n == 0 ? "unknown" : "ambiguous", argv[0]);
		valid_words(err, errlen, NULL);
		return NULL;
	}
	for (i = 0; i < ncommands; i++)
		if (strcmp(commands[i].verb, verb) == 0 && commands[i].object == NULL) {
			*used = 1;
			return &commands[i];
		}
	if (argc < 2 || argv[1][0] == '-') {
		snprintf(err, errlen, "'%s' needs one of:", verb);
		valid_words(err, errlen, verb);
		return NULL;
	}
	n = match_word(argv[1], verb, &object);
	if (n != 1) {
		snprintf(err, errlen, "%s argument '%s' to '%s'; valid arguments:",
		    n == 0 ? "unknown" : "ambiguous", argv[1], verb);
		valid_words(err, errlen, verb);
		return NULL;
	}
	for (i = 0; i < ncommands; i++)
		if (strcmp(commands[i].verb, verb) == 0 &&
		    strcmp(commands[i].object, object) == 0) {
			*used = 2;
			return &commands[i];
		}
	return NULL;
}

void
command_list(FILE *fp, const char *verb)
{
	size_t i;
	char left[96];

	for (i = 0; i < ncommands; i++) {
		if (verb && strcmp(commands[i].verb, verb) != 0)
			continue;
		snprintf(left, sizeof(left), "%s%s%s", commands[i].verb,
		    commands[i].object ? " " : "",
		    commands[i].object ? commands[i].object : "");
		fprintf(fp, "  %-22s %s\n", left, commands[i].help);
	}
}
