// SPDX-License-Identifier: GPL-2.0
/*
 * out.c - one print path for text and JSON, iproute2-style, over the JSON
 * writer of tools/lib/json.c
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
#include "json.h"
#include "mosctl.h"

/* The JSON writer of the command's output, on stdout */
static struct json js;

/**
 * out_begin() - start a command's output: the top-level JSON object
 */
void out_begin(void)
{
	if (!opt.json)
		return;
	json_init(&js, stdout, opt.pretty);
	json_obj_begin(&js, NULL);
}

/**
 * out_end() - end a command's output, with a newline in JSON
 */
void out_end(void)
{
	if (!opt.json)
		return;
	json_obj_end(&js);
	putchar('\n');
}

/**
 * out_obj_begin() - open a JSON object
 * @key: its key in the enclosing object; NULL in an array
 */
void out_obj_begin(const char *key)
{
	if (opt.json)
		json_obj_begin(&js, key);
}

/**
 * out_obj_end() - close the JSON object out_obj_begin() opened
 */
void out_obj_end(void)
{
	if (opt.json)
		json_obj_end(&js);
}

/**
 * out_arr_begin() - open a JSON array
 * @key: its key in the enclosing object
 */
void out_arr_begin(const char *key)
{
	if (opt.json)
		json_arr_begin(&js, key);
}

/**
 * out_arr_end() - close the JSON array out_arr_begin() opened
 */
void out_arr_end(void)
{
	if (opt.json)
		json_arr_end(&js);
}

/**
 * out_u64() - an unsigned number
 * @key: its JSON key
 * @fmt: its text format, with one %llu; NULL: not in the text
 * @v: the number
 */
void out_u64(const char *key, const char *fmt, unsigned long long v)
{
	if (opt.json)
		json_u64(&js, key, v);
	else if (fmt)
		printf(fmt, v);
}

/**
 * out_str() - a string
 * @key: its JSON key
 * @fmt: its text format, with one %s; NULL: not in the text
 * @v: the string, printed verbatim in the text, escaped in JSON
 */
void out_str(const char *key, const char *fmt, const char *v)
{
	if (opt.json)
		json_str(&js, key, v);
	else if (fmt)
		printf(fmt, v);
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

	if (opt.json)
		json_bool(&js, key, v);
	else if (text)
		fputs(text, stdout);
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
