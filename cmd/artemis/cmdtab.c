/*
 * cmdtab.c — the command table and its matcher (relayctl's parser in spirit: every
 * word may be abbreviated to an unambiguous prefix; a word that matches nothing or
 * several things is answered with the list of valid words).
 */
#include <stdio.h>
#include <string.h>

#include "artemis.h"

const struct command commands[] = {
	{ "config", "convert", cmd_config_convert,
	  "--from FILE [--app FILE] [--env ENV] [--ip IP] [-D key=value ...] [--to FILE]",
	  "convert a Java artemis.properties into artemis.conf" },
	{ "config", "validate", cmd_config_validate, "[--file FILE]",
	  "check a configuration file like the daemons' -n" },
	{ "help", NULL, cmd_help, "[COMMAND]", "show the commands, or one command's usage" },
	{ "up", NULL, cmd_up, "",
	  "run every configured daemon in the foreground (a development node)" },
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
