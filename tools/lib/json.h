/* SPDX-License-Identifier: GPL-2.0 */
/*
 * json.h - one JSON writer for mosctl and mosreplay
 *
 * A writer prints values to a stream as they come: members of objects
 * (with a key) and elements of arrays (key NULL), the separators and,
 * when pretty, the indentation.  Values at depth 0 (a top-level object,
 * one per line as mosreplay and mosctl monitor print them) get no
 * separator.  Strings are escaped (json_string()), invalid UTF-8 becomes
 * U+FFFD.  mosctl's out.c and mosreplay's print.c put their text-or-JSON
 * print calls on top of it.
 */
#ifndef _TOOLS_JSON_H
#define _TOOLS_JSON_H

#include <stdbool.h>
#include <stdio.h>

#define JSON_DEPTH_MAX	8

/**
 * struct json - a JSON writer
 * @f:		its stream
 * @pretty:	indent by two spaces per level, ": " after keys
 * @depth:	objects and arrays open
 * @first:	per depth, whether nothing was printed in it yet
 */
struct json {
	FILE *f;
	bool pretty;
	int depth;
	bool first[JSON_DEPTH_MAX + 1];
};

void json_init(struct json *j, FILE *f, bool pretty);
void json_string(FILE *f, const char *s);
void json_key(struct json *j, const char *key);
void json_obj_begin(struct json *j, const char *key);
void json_obj_end(struct json *j);
void json_arr_begin(struct json *j, const char *key);
void json_arr_end(struct json *j);
void json_u64(struct json *j, const char *key, unsigned long long v);
void json_str(struct json *j, const char *key, const char *v);
void json_bool(struct json *j, const char *key, bool v);
void json_null(struct json *j, const char *key);

#endif /* _TOOLS_JSON_H */
