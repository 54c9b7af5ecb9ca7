/*
 * props.h — java.util.Properties files (what the Java server reads), for
 * `artemis config convert`. Keys and values come out as UTF-8.
 */
#ifndef ARTEMIS_PROPS_H
#define ARTEMIS_PROPS_H

#include <stddef.h>

#define PROPS_MAX_FILE		(4 << 20)	/* bytes; a properties file is small */
#define PROPS_MAX_ENTRIES	20000

struct prop {
	char	*key;
	char	*value;		/* raw (escapes decoded), not trimmed */
	int	 line;		/* where the logical line starts */
};

struct props {
	char		 file[256];	/* as given, for messages */
	struct prop	*v;
	size_t		 n;
	size_t		 cap;
};

/* Parse a file. -1 with "FILE:LINE: message" in err when it cannot be read or
 * is malformed (bad \uXXXX escape, too large). An empty props with file set is
 * valid. */
int	props_load(struct props *, const char *path, char *err, size_t errlen);
/* Parse a buffer (tests); name is used in messages. */
int	props_parse(struct props *, const char *name, const char *buf, size_t len,
	    char *err, size_t errlen);
/* Add one key=value (system properties given on the command line). */
void	props_add(struct props *, const char *key, const char *value, int line);
/* The last entry for key (duplicates: last wins), or NULL. */
const struct prop *props_get(const struct props *, const char *key);
void	props_free(struct props *);

#endif
