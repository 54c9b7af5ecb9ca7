/*
 * show.c — management answers for people: aligned tables and "key value" lines
 * over json-c objects, every value flattened to one line of text.
 */
#include <json.h>
#include <stdio.h>
#include <string.h>

#include "mgmt.h"

#define SHOW_CELL	512	/* a longer value is cut, a table stays a table */

static void
append(char *buf, size_t len, const char *s)
{
	size_t used = strlen(buf);

	if (used < len)
		strlcpy(buf + used, s, len - used);
}

const char *
show_value(struct json_object *v, char *buf, size_t len)
{
	char inner[SHOW_CELL];
	size_t i, n;

	buf[0] = '\0';
	switch (v ? json_object_get_type(v) : json_type_null) {
	case json_type_null:
		strlcpy(buf, "-", len);
		break;
	case json_type_string:
		strlcpy(buf, json_object_get_string(v), len);
		break;
	case json_type_array:
		n = json_object_array_length(v);
		for (i = 0; i < n; i++) {
			if (i)
				append(buf, len, ",");
			append(buf, len, show_value(json_object_array_get_idx(v, i),
			    inner, sizeof(inner)));
		}
		if (n == 0)
			strlcpy(buf, "-", len);
		break;
	case json_type_object: {
		int first = 1;

		json_object_object_foreach(v, key, val) {
			if (!first)
				append(buf, len, ",");
			first = 0;
			append(buf, len, key);
			append(buf, len, "=");
			append(buf, len, show_value(val, inner, sizeof(inner)));
		}
		if (first)
			strlcpy(buf, "-", len);
		break;
	}
	default:	/* numbers and booleans */
		strlcpy(buf, json_object_get_string(v), len);
	}
	return buf;
}

/* The last cell of a line is not padded (no trailing blanks). */
static void
show_cell(const char *s, int width, int last)
{
	if (last)
		printf("%s\n", s);
	else
		printf("%-*s  ", width, s);
}

void
show_table(struct json_object *arr, const struct column *cols, size_t ncols)
{
	size_t i, c, n = arr && json_object_is_type(arr, json_type_array) ?
	    json_object_array_length(arr) : 0;
	char cell[SHOW_CELL];
	int width[16];

	if (ncols > sizeof(width) / sizeof(width[0]))
		ncols = sizeof(width) / sizeof(width[0]);
	for (c = 0; c < ncols; c++)
		width[c] = (int)strlen(cols[c].title);
	for (i = 0; i < n; i++)
		for (c = 0; c < ncols; c++) {
			int w = (int)strlen(show_value(api_get(
			    json_object_array_get_idx(arr, i), cols[c].key), cell,
			    sizeof(cell)));

			if (w > width[c])
				width[c] = w;
		}
	for (c = 0; c < ncols; c++)
		show_cell(cols[c].title, width[c], c + 1 == ncols);
	for (i = 0; i < n; i++)
		for (c = 0; c < ncols; c++)
			show_cell(show_value(api_get(json_object_array_get_idx(arr, i),
			    cols[c].key), cell, sizeof(cell)), width[c], c + 1 == ncols);
}

void
show_fields(struct json_object *obj)
{
	char cell[SHOW_CELL];
	int w = 0;

	json_object_object_foreach(obj, k0, v0) {
		(void)v0;
		if ((int)strlen(k0) > w)
			w = (int)strlen(k0);
	}
	json_object_object_foreach(obj, key, val)
		printf("%-*s  %s\n", w, key, show_value(val, cell, sizeof(cell)));
}
