// SPDX-License-Identifier: GPL-2.0
/*
 * out.c - one print path for text and JSON, iproute2-style
 *
 * Each value is printed once, with its JSON key and its text format: the
 * JSON output uses the key and ignores the format, the text output uses
 * the format (NULL: the value is not part of the text) and ignores the
 * key.  Objects and arrays exist in JSON only; out_text() prints text
 * only.  A command prints one top-level object between out_begin() and
 * out_end(); monitor prints one per event, one per line.
 */

#include <stdarg.h>
#include <stdio.h>
#include "mosctl.h"

#define OUT_DEPTH_MAX	8

static int depth;
static bool first[OUT_DEPTH_MAX + 1];

static void indent(void)
{
	int i;

	putchar('\n');
	for (i = 0; i < depth; i++)
		fputs("  ", stdout);
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

/* A JSON string: quotes, escapes; invalid UTF-8 becomes U+FFFD. */
static void json_string(const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t n;

	putchar('"');
	while (*s) {
		switch (*s) {
		case '"':
			fputs("\\\"", stdout);
			break;
		case '\\':
			fputs("\\\\", stdout);
			break;
		case '\n':
			fputs("\\n", stdout);
			break;
		case '\r':
			fputs("\\r", stdout);
			break;
		case '\t':
			fputs("\\t", stdout);
			break;
		default:
			if (*s < 0x20 || *s == 0x7f) {
				printf("\\u%04x", *s);
				break;
			}
			n = utf8_len(s);
			if (!n) {
				fputs("\\ufffd", stdout);
				break;
			}
			fwrite(s, 1, n, stdout);
			s += n - 1;
		}
		s++;
	}
	putchar('"');
}

/* Before a member of an object (@key) or an element of an array (NULL) */
static void json_member(const char *key)
{
	if (!first[depth])
		putchar(',');
	first[depth] = false;
	if (opt.pretty)
		indent();
	if (key) {
		json_string(key);
		fputs(opt.pretty ? ": " : ":", stdout);
	}
}

static void json_open(const char *key, char bracket)
{
	json_member(key);
	putchar(bracket);
	if (depth < OUT_DEPTH_MAX)
		depth++;
	first[depth] = true;
}

static void json_close(char bracket)
{
	bool empty = first[depth];

	if (depth > 0)
		depth--;
	if (opt.pretty && !empty)
		indent();
	putchar(bracket);
}

/**
 * out_begin() - start a command's output: the top-level JSON object
 */
void out_begin(void)
{
	if (!opt.json)
		return;
	depth = 1;
	first[1] = true;
	putchar('{');
}

/**
 * out_end() - end a command's output, with a newline in JSON
 */
void out_end(void)
{
	if (!opt.json)
		return;
	json_close('}');
	putchar('\n');
	depth = 0;
}

/**
 * out_obj_begin() - open a JSON object
 * @key: its key in the enclosing object; NULL in an array
 */
void out_obj_begin(const char *key)
{
	if (opt.json)
		json_open(key, '{');
}

/**
 * out_obj_end() - close the JSON object out_obj_begin() opened
 */
void out_obj_end(void)
{
	if (opt.json)
		json_close('}');
}

/**
 * out_arr_begin() - open a JSON array
 * @key: its key in the enclosing object
 */
void out_arr_begin(const char *key)
{
	if (opt.json)
		json_open(key, '[');
}

/**
 * out_arr_end() - close the JSON array out_arr_begin() opened
 */
void out_arr_end(void)
{
	if (opt.json)
		json_close(']');
}

/**
 * out_u64() - an unsigned number
 * @key: its JSON key
 * @fmt: its text format, with one %llu; NULL: not in the text
 * @v: the number
 */
void out_u64(const char *key, const char *fmt, unsigned long long v)
{
	if (opt.json) {
		json_member(key);
		printf("%llu", v);
	} else if (fmt) {
		printf(fmt, v);
	}
}

/**
 * out_str() - a string
 * @key: its JSON key
 * @fmt: its text format, with one %s; NULL: not in the text
 * @v: the string, printed verbatim in the text, escaped in JSON
 */
void out_str(const char *key, const char *fmt, const char *v)
{
	if (opt.json) {
		json_member(key);
		json_string(v);
	} else if (fmt) {
		printf(fmt, v);
	}
}

/**
 * out_bool() - a boolean
 * @key: its JSON key
 * @text_yes: the text printed when @v is true; NULL: nothing
 * @text_no: the text printed when @v is false; NULL: nothing
 * @v: the value
 */
void out_bool(const char *key, const char *text_yes, const char *text_no,
	      bool v)
{
	const char *text = v ? text_yes : text_no;

	if (opt.json) {
		json_member(key);
		fputs(v ? "true" : "false", stdout);
	} else if (text) {
		fputs(text, stdout);
	}
}

/**
 * out_kv_u64() - a number as the text line "KEY VALUE"
 * @key: its JSON key, and the first word of its line
 * @v: the number
 */
void out_kv_u64(const char *key, unsigned long long v)
{
	out_text("%s ", key);
	out_u64(key, "%llu\n", v);
}

/**
 * out_kv_str() - a string as the text line "KEY VALUE"
 * @key: its JSON key, and the first word of its line
 * @v: the string
 */
void out_kv_str(const char *key, const char *v)
{
	out_text("%s ", key);
	out_str(key, "%s\n", v);
}

/**
 * out_text() - text that only the text output has
 * @fmt: printf() format
 */
void out_text(const char *fmt, ...)
{
	va_list ap;

	if (opt.json)
		return;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
}
