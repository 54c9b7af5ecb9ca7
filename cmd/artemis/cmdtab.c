/*
 * cmdtab.c — the command table and its matcher (relayctl's parser in spirit: every
 * word may be abbreviated to an unambiguous prefix; a word that matches nothing or
 * several things is answered with the list of valid words).
 */
#include <stdio.h>
#include <string.h>

#include "artemis.h"

const struct command commands[] = {
	{ "canary", "set", NULL, cmd_canary,
	  "SERVICE [IP ...] [--app-id ID] [--operator O] [--reason T]",
	  "set the canary IPs of a service (none: clear them)" },
	{ "config", "convert", NULL, cmd_config_convert,
	  "--from FILE [--app FILE] [--env ENV] [--ip IP] [-D key=value ...] [--to FILE]",
	  "convert a Java artemis.properties into artemis.conf" },
	{ "config", "url", NULL, cmd_config_url, "registryd|discoveryd|mgmtd|replicator",
	  "print the URL a daemon listens on (for scripts and readiness checks)" },
	{ "config", "validate", NULL, cmd_config_validate, "[--file FILE]",
	  "check a configuration file like the daemons' -n" },
	{ "group", "create", NULL, cmd_group,
	  "--service-id S --name NAME [--app-id ID] [--region R] [--zone Z] "
	  "[--status active|inactive] [--description T]",
	  "create a group of a service's instances in one zone (or update it)" },
	{ "group", "delete", NULL, cmd_group, "GROUP-ID ... [--operator O] [--reason T]",
	  "delete groups" },
	{ "group", "get", NULL, cmd_group, "GROUP-ID",
	  "one group with its tags, member instances and operations" },
	{ "group", "instances", "add", cmd_group,
	  "GROUP-ID INSTANCE-ID ... [--operator O] [--reason T]",
	  "make instances members of a group, by instance id" },
	{ "group", "instances", "list", cmd_group, "[GROUP-ID] [--instance-id I]",
	  "the member instances of a group (or of every group)" },
	{ "group", "instances", "remove", cmd_group,
	  "GROUP-ID INSTANCE-ID ... [--operator O] [--reason T]",
	  "take instances out of a group" },
	{ "group", "list", NULL, cmd_group, "[--service-id S] [--region R] [--zone Z] "
	  "[--name NAME] [--app-id ID] [--status S]",
	  "groups, all or those matching every filter given" },
	{ "group", "pull-in", NULL, cmd_manage,
	  "--group-id N [--operation OP] [--operator O] [--reason T]",
	  "put a group back into traffic" },
	{ "group", "pull-out", NULL, cmd_manage,
	  "--group-id N [--operation OP] [--operator O] [--reason T]",
	  "take a whole group out of traffic" },
	{ "group", "tags", "delete", cmd_group, "GROUP-ID KEY ...",
	  "remove tags from a group" },
	{ "group", "tags", "list", cmd_group, "GROUP-ID", "the tags of a group" },
	{ "group", "tags", "set", cmd_group, "GROUP-ID KEY=VALUE ...",
	  "set tags of a group (other tags are kept)" },
	{ "help", NULL, NULL, cmd_help, "[COMMAND]",
	  "show the commands, or one command's usage" },
	{ "instance", "list", NULL, cmd_instance_list,
	  "[SERVICE] [--region R] [--zone Z] [--local]",
	  "list instances (--local: from the state directory, no daemon needed)" },
	{ "instance", "pull-in", NULL, cmd_manage,
	  "--service-id S --instance-id I [--region R] [--operation OP] [--operator O]",
	  "put an instance back into traffic" },
	{ "instance", "pull-out", NULL, cmd_manage,
	  "--service-id S --instance-id I [--region R] [--operation OP] [--operator O]",
	  "take an instance out of traffic" },
	{ "log", "group", NULL, cmd_log, "[--group-id N] [--operation OP] [--operator O] "
	  "[--complete true|false]", "group operation history" },
	{ "log", "instance", NULL, cmd_log, "[--region R] [--service-id S] "
	  "[--instance-id I] [--operation OP] [--operator O] [--complete true|false]",
	  "instance operation history" },
	{ "log", "server", NULL, cmd_log, "[--region R] [--ip IP] [--operation OP] "
	  "[--operator O] [--complete true|false]", "server operation history" },
	{ "log", "zone", NULL, cmd_log, "[--region R] [--service-id S] [--zone Z] "
	  "[--operation OP] [--operator O] [--complete true|false]",
	  "zone operation history" },
	{ "logic", "add", NULL, cmd_logic,
	  "--service-id S --instance-id I --url URL --ip IP [--port P] [--region R] "
	  "[--zone Z] [--machine-name M] [--protocol P] [--health-check-url U] "
	  "[--group LABEL] [--metadata k=v ...] [--description T] [--management URL]",
	  "add (or replace) a logic instance: a static endpoint discovery always serves" },
	{ "logic", "delete", NULL, cmd_logic, "ID ... [--operator O] [--reason T]",
	  "delete logic instances by id" },
	{ "logic", "list", NULL, cmd_logic, "[--service-id S] [--instance-id I]",
	  "logic instances, all or those of a service / instance id" },
	{ "register", NULL, NULL, cmd_register,
	  "--service-id S --url URL [--instance-id I] [--port P] [--ip IP] "
	  "[--metadata k=v ...] [--interval 5s] [--registry URL] [-- CMD [ARG ...]]",
	  "register an instance and keep it alive (while CMD runs)" },
	{ "route", "create", NULL, cmd_route,
	  "--service-id S --name RULE --group NAME:WEIGHT ... [--app-id ID] "
	  "[--strategy S] [--region R] [--zone Z]",
	  "create a route rule with its groups (weights staged, not released)" },
	{ "route", "delete", NULL, cmd_route, "ROUTE-ID ... [--operator O] [--reason T]",
	  "delete route rules" },
	{ "route", "get", NULL, cmd_route, "ROUTE-ID",
	  "one route rule with its groups, released and staged weights" },
	{ "route", "list", NULL, cmd_route, "[--service-id S] [--name RULE] [--status S]",
	  "route rules, all or those matching every filter given" },
	{ "route", "release", NULL, cmd_route, "--route-id R [--group-id G]",
	  "publish the staged weights of a rule (or of one of its groups)" },
	{ "route", "weight", NULL, cmd_route, "--route-id R --group-id G WEIGHT",
	  "stage a weight for a group of a rule (adding the group to the rule)" },
	{ "server", "pull-in", NULL, cmd_manage,
	  "--ip IP [--region R] [--operation OP] [--operator O]",
	  "put every instance on a machine back into traffic" },
	{ "server", "pull-out", NULL, cmd_manage,
	  "--ip IP [--region R] [--operation OP] [--operator O]",
	  "take every instance on a machine out of traffic" },
	{ "service", "get", NULL, cmd_service_get, "SERVICE [--region R] [--zone Z]",
	  "one service and its instances, as discovery serves it" },
	{ "service", "list", NULL, cmd_service_list, "[--region R]",
	  "every service with instances" },
	{ "status", NULL, NULL, cmd_status, "",
	  "node, cluster, lease protection (self-preservation) and counts" },
	{ "up", NULL, NULL, cmd_up, "",
	  "run every configured daemon in the foreground (a development node)" },
	{ "watch", NULL, NULL, cmd_watch, "[SERVICE ...]",
	  "print instance changes as they happen, one JSON per line" },
	{ "zone", "pull-in", NULL, cmd_manage,
	  "--service-id S --zone Z [--region R] [--operation OP] [--operator O]",
	  "put a service's instances in a zone back into traffic" },
	{ "zone", "pull-out", NULL, cmd_manage,
	  "--service-id S --zone Z [--region R] [--operation OP] [--operator O]",
	  "take a service's instances in a zone out of traffic" },
};
const size_t ncommands = sizeof(commands) / sizeof(commands[0]);

static int
is_prefix(const char *word, const char *name)
{
	return word[0] != '\0' && strncmp(word, name, strlen(word)) == 0;
}

/* The word of commands[i] at level 0 (verb), 1 (object) or 2 (action), or NULL
 * when the command has no such word or its earlier words are not verb and
 * object. */
static const char *
word_at(size_t i, int level, const char *verb, const char *object)
{
	const struct command *c = &commands[i];

	if (level == 0)
		return c->verb;
	if (strcmp(c->verb, verb) != 0)
		return NULL;
	if (level == 1)
		return c->object;
	if (c->object == NULL || strcmp(c->object, object) != 0)
		return NULL;
	return c->action;
}

/* Distinct words of a level matching word: an exact match wins. */
static int
match_word(const char *word, int level, const char *verb, const char *object,
    const char **found)
{
	const char *cand, *last = NULL;
	size_t i;
	int n = 0;

	for (i = 0; i < ncommands; i++) {
		if ((cand = word_at(i, level, verb, object)) == NULL)
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
valid_words(char *err, size_t errlen, int level, const char *verb,
    const char *object)
{
	const char *prev = NULL, *w;
	size_t i, len;

	for (i = 0; i < ncommands; i++) {
		w = word_at(i, level, verb, object);
		if (w == NULL || (prev && strcmp(prev, w) == 0))
			continue;
		len = strlen(err);
		snprintf(err + len, errlen - len, " %s", w);
		prev = w;
	}
}

/* The command of exactly these words (object, action NULL for fewer words). */
static const struct command *
command_of(const char *verb, const char *object, const char *action)
{
	size_t i;

	for (i = 0; i < ncommands; i++) {
		const struct command *c = &commands[i];

		if (strcmp(c->verb, verb) != 0)
			continue;
		if ((c->object == NULL) != (object == NULL) ||
		    (object && strcmp(c->object, object) != 0))
			continue;
		if ((c->action == NULL) != (action == NULL) ||
		    (action && strcmp(c->action, action) != 0))
			continue;
		return c;
	}
	return NULL;
}

/* Match argv[level] among the words of a level; 0, or -1 with err set. */
static int
match_level(int argc, char **argv, int level, const char *verb,
    const char *object, const char **found, char *err, size_t errlen)
{
	char what[128];
	int n;

	if (object)
		snprintf(what, sizeof(what), "%s %s", verb, object);
	else
		snprintf(what, sizeof(what), "%s", verb ? verb : "");
	if (argc <= level || (level > 0 && argv[level][0] == '-')) {
		if (level == 0)
			snprintf(err, errlen, "missing command; valid commands:");
		else
			snprintf(err, errlen, "'%s' needs one of:", what);
		valid_words(err, errlen, level, verb, object);
		return -1;
	}
	if ((n = match_word(argv[level], level, verb, object, found)) == 1)
		return 0;
	if (level == 0)
		snprintf(err, errlen, "%s command '%s'; valid commands:",
		    n == 0 ? "unknown" : "ambiguous", argv[0]);
	else
		snprintf(err, errlen, "%s argument '%s' to '%s'; valid arguments:",
		    n == 0 ? "unknown" : "ambiguous", argv[level], what);
	valid_words(err, errlen, level, verb, object);
	return -1;
}

const struct command *
command_find(int argc, char **argv, int *used, char *err, size_t errlen)
{
	const struct command *c;
	const char *verb, *object, *action;

	err[0] = '\0';
	if (match_level(argc, argv, 0, NULL, NULL, &verb, err, errlen) == -1)
		return NULL;
	if ((c = command_of(verb, NULL, NULL)) != NULL) {
		*used = 1;
		return c;
	}
	if (match_level(argc, argv, 1, verb, NULL, &object, err, errlen) == -1)
		return NULL;
	if ((c = command_of(verb, object, NULL)) != NULL) {
		*used = 2;
		return c;
	}
	if (match_level(argc, argv, 2, verb, object, &action, err, errlen) == -1)
		return NULL;
	*used = 3;
	return command_of(verb, object, action);
}

void
command_list(FILE *fp, const char *verb)
{
	size_t i;
	char left[96];

	for (i = 0; i < ncommands; i++) {
		const struct command *c = &commands[i];

		if (verb && strcmp(c->verb, verb) != 0)
			continue;
		snprintf(left, sizeof(left), "%s%s%s%s%s", c->verb,
		    c->object ? " " : "", c->object ? c->object : "",
		    c->action ? " " : "", c->action ? c->action : "");
		fprintf(fp, "  %-22s %s\n", left, c->help);
	}
}
