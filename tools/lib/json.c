// SPDX-License-Identifier: GPL-2.0
/*
 * json.c - one JSON writer for mosctl and mosreplay
 *
 * See json.h.  Nothing is buffered here: each call prints its part at
 * once, so text and JSON printed by the same calls come out in order.
 * Deeper than %JSON_DEPTH_MAX, the separators of the deepest level are
 * shared (the output stays JSON only up to that depth; no user goes
 * past four).
 */

#include "json.h"

/**
 * json_init() - start a writer
 * @j:		the writer
 * @f:		its stream
 * @pretty:	indented output
 */
void json_init(struct json *j, FILE *f, bool pretty)
{
	j->f = f;
	j->pretty = pretty;
	j->depth = 0;
	j->first[0] = true;
}

static void json_indent(struct json *j)
{
	int i;

	fputc('\n', j->f);
	for (i = 0; i < j->depth; i++)
		fputs("  ", j->f);
}

/* Length of the valid UTF-8 sequence at @s, 0 if there is none. */
static size_t utf8_len(const unsigned char *s)
{
	unsigned int cp;
	size_t n, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, cp = s[0] & 0x07;
	else
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	/* overlong, surrogates, past U+10FFFF */
	if ((n == 3 && cp < 0x800) || (cp >= 0xd800 && cp <= 0xdfff) ||
	    (n == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return n;
}

/**
 * json_string() - print a JSON string literal
 * @f:	the stream
 * @s:	the string
 *
 * Quotes and backslashes escaped; newline, carriage return and tab as
 * \n, \r, \t; other control characters and DEL as \u00XX; each byte
 * that does not start a valid UTF-8 sequence (overlong forms,
 * surrogates and code points past U+10FFFF are not valid) as \ufffd.
 */
void json_string(FILE *f, const char *s)
{
	static const char *const esc[0x80] = {
		['"'] = "\\\"", ['\\'] = "\\\\",
		['\n'] = "\\n", ['\r'] = "\\r", ['\t'] = "\\t",
	};
	const unsigned char *p = (const unsigned char *)s;
	size_t n;

	fputc('"', f);
	for (; *p; p += n) {
		n = utf8_len(p);
		if (!n) {
			fputs("\\ufffd", f);
			n = 1;
		} else if (*p < 0x80 && esc[*p]) {
			fputs(esc[*p], f);
		} else if (*p < 0x20 || *p == 0x7f) {
			fprintf(f, "\\u%04x", *p);
		} else {
			fwrite(p, 1, n, f);
		}
	}
	fputc('"', f);
}

/**
 * json_key() - start a value: the separator, the indentation, the key
 * @j:		the writer
 * @key:	the member's key; NULL for an array element or a top-level
 *		value
 *
 * The value itself follows, from the calls below or printed to @j->f
 * (a number in a format of the caller's).
 */
void json_key(struct json *j, const char *key)
{
	if (!j->depth)
		return;
	if (!j->first[j->depth])
		fputc(',', j->f);
	j->first[j->depth] = false;
	if (j->pretty)
		json_indent(j);
	if (key) {
		json_string(j->f, key);
		fputs(j->pretty ? ": " : ":", j->f);
	}
}

static void json_open(struct json *j, const char *key, char bracket)
{
	json_key(j, key);
	fputc(bracket, j->f);
	if (j->depth < JSON_DEPTH_MAX)
		j->depth++;
	j->first[j->depth] = true;
}

static void json_close(struct json *j, char bracket)
{
	bool empty = j->first[j->depth];

	if (j->depth > 0)
		j->depth--;
	if (j->pretty && !empty)
		json_indent(j);
	fputc(bracket, j->f);
}

/**
 * json_obj_begin() - open an object
 * @j:		the writer
 * @key:	its key in the enclosing object; NULL in an array or at the
 *		top level
 */
void json_obj_begin(struct json *j, const char *key)
{
	json_open(j, key, '{');
}

/**
 * json_obj_end() - close the object json_obj_begin() opened
 * @j:	the writer
 */
void json_obj_end(struct json *j)
{
	json_close(j, '}');
}

/**
 * json_arr_begin() - open an array
 * @j:		the writer
 * @key:	its key in the enclosing object; NULL in an array
 */
void json_arr_begin(struct json *j, const char *key)
{
	json_open(j, key, '[');
}

/**
 * json_arr_end() - close the array json_arr_begin() opened
 * @j:	the writer
 */
void json_arr_end(struct json *j)
{
	json_close(j, ']');
}

/**
 * json_u64() - an unsigned number
 * @j:		the writer
 * @key:	its key; NULL in an array
 * @v:		the number
 */
void json_u64(struct json *j, const char *key, unsigned long long v)
{
	json_key(j, key);
	fprintf(j->f, "%llu", v);
}

/**
 * json_str() - a string
 * @j:		the writer
 * @key:	its key; NULL in an array
 * @v:		the string, escaped by json_string()
 */
void json_str(struct json *j, const char *key, const char *v)
{
	json_key(j, key);
	json_string(j->f, v);
}

/**
 * json_bool() - true or false
 * @j:		the writer
 * @key:	its key; NULL in an array
 * @v:		the value
 */
void json_bool(struct json *j, const char *key, bool v)
{
	json_key(j, key);
	fputs(v ? "true" : "false", j->f);
}

/**
 * json_null() - null
 * @j:		the writer
 * @key:	its key; NULL in an array
 */
void json_null(struct json *j, const char *key)
{
	json_key(j, key);
	fputs("null", j->f);
}
