/*
 * convert.h — `artemis config convert`: Java properties (core-contract §11) to
 * artemis.conf. Split from the command so unit tests can drive it.
 */
#ifndef ARTEMIS_CONVERT_H
#define ARTEMIS_CONVERT_H

#include <stdint.h>
#include <stdio.h>

#include "props.h"
#include "sbuf.h"

enum jtype { J_INT, J_MS, J_BOOL, J_LIST, J_MAP, J_NODES, J_STR };

#define F_DEAD		0x01	/* in shipped files, never read by Java */
#define F_TYPO		0x02	/* the "replicaton" keys */
#define F_LOCALIP	0x04	/* the real key is name + "." + local IP */
#define F_FLOOR1000	0x08	/* value floored to a multiple of 1000 */
#define F_DEPLOY	0x10	/* deployment config (app.properties) */
#define F_AUX		0x20	/* read by the key that follows it (enabled flags) */
#define F_RATE		0x40	/* rate limit: preceding enabled=false writes 0 */
#define F_QUIET		0x80	/* no C home, and nothing worth reporting */

struct jkey {
	const char	*name;
	enum jtype	 type;
	int64_t		 def, min, max;
	int		 flags;
	const char	*home;	/* "section.key" in artemis.conf, NULL = none */
	const char	*why;	/* why there is no home */
};

extern const struct jkey jkeys[];
extern const size_t njkeys;

struct convert {
	struct props	 sys;		/* -D key=value (Java system properties) */
	struct props	 env;		/* artemis-<env>.properties (may be empty) */
	struct props	 main;		/* artemis.properties */
	struct props	 app;		/* META-INF/app.properties (may be empty) */
	struct props	 appenv;	/* app-<env>.properties (may be empty) */
	char		 ip[64];	/* local IPv4 for the cascade */
	char		 state_dir[256];
	FILE		*report;	/* unmapped keys and notes (stderr) */
	int		 verbose;
	int		 warnings;	/* count of reported lines */
};

/* Write the artemis.conf text for the loaded sources into out. */
void	convert_run(struct convert *, struct sbuf *out);
/* The first non-loopback IPv4 address that is up (site-local preferred). */
int	convert_local_ip(char *buf, size_t len);
/* Durations: the largest exact unit ("20s", "6m", "150ms"). */
void	convert_fmt_ms(int64_t ms, char *buf, size_t len);

#endif
