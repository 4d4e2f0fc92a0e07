// SPDX-License-Identifier: GPL-2.0
/*
 * dump.c - write each flow's reassembled streams to files (--dump-streams)
 *
 * DOC: Theory of Operation
 *
 * Each flow gets two files in the directory, created at the flow's first
 * event, even if they stay empty:
 *
 *   CLIENT.CPORT-SERVER.SPORT.c2s    what the client sent (the server's
 *                                    receive stream, side %TM_SVR)
 *   CLIENT.CPORT-SERVER.SPORT.s2c    what the server sent (%TM_CLI)
 *
 * Addresses are in inet_ntop() form (IPv6 keeps its colons).  When a later
 * flow of the same run has the same 4-tuple, its files are
 * CLIENT.CPORT-SERVER.SPORT.N.c2s and .N.s2c, N = 1, 2, ...  Files of
 * earlier runs with the same names are overwritten.
 *
 * A file holds exactly the bytes the core delivered through tm_ops.data,
 * in order.  Where the core skipped bytes (a %TM_ERR_GAP), nothing is
 * written in their place: the file is shorter than the stream offset by
 * the gap bytes.  Delivery that goes backwards (an offset before what was
 * already written) breaks the core's contract: it is reported on stderr
 * and the bytes already written are kept.
 *
 * Storage: the flow's private area (mos_tm_flow_priv()) holds what must
 * live as long as the flow: the name's N, the stream offsets, which sides
 * started and ended, and a pointer to a &struct stream.  A stream holds
 * the open files and their paths; it is freed when every side of the flow
 * that started has ended, and at exit.  Nothing points from a stream back
 * into a flow, so a flow the core frees without a CONN_END for every
 * started side (a contract breach) leaves only a stream that is closed at
 * exit.
 *
 * Limits: open files.  The soft RLIMIT_NOFILE is raised to the hard one.
 * When fopen() still fails with EMFILE or ENFILE, the files of the least
 * recently written stream are closed and reopened later, in append mode,
 * when bytes arrive for them.
 *
 * Errors: a failed create, write or close is fatal: reported once on
 * stderr, and mr_dump_failed() tells the caller to stop.
 */

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include "mosreplay.h"

#define COPY_CHUNK	65536

/* Bit of a side in &struct fpriv's masks */
#define SIDE_BIT(side)	(1u << (side))

/**
 * struct link - a node of a circular doubly linked list
 * @prev: previous node
 * @next: next node
 */
struct link {
	struct link *prev, *next;
};

/**
 * struct stream - the files of one flow
 * @node: in &struct mr_dump.open (most recently written first) or .idle
 * @fp: open files, indexed by the receiving side (%TM_SVR: .c2s); NULL
 *	when closed
 * @path: their paths
 */
struct stream {
	struct link node;
	FILE *fp[2];
	char *path[2];
};

/**
 * struct fpriv - mosreplay's part of a flow, after &struct tm_flow
 * @s: the flow's files, NULL before the first event and after the end
 * @next_off: stream offset after the last byte delivered, by side
 * @written: bytes written to the file, by side
 * @gen: N of the file names, 0 for the first flow of a 4-tuple
 * @created: the files were created
 * @started: sides that had CONN_START (%SIDE_BIT)
 * @ended: sides that had CONN_END
 */
struct fpriv {
	struct stream *s;
	u64 next_off[2];
	u64 written[2];
	u32 gen;
	bool created;
	u8 started;
	u8 ended;
};

/**
 * struct name - a base name used in this run
 * @next: next in the hash chain
 * @used: flows that used it so far
 * @key: the base name
 */
struct name {
	struct name *next;
	u32 used;
	char key[];
};

/**
 * struct mr_dump - the stream writer
 * @dir: the directory
 * @open: streams with an open file, most recently written first
 * @idle: streams with no open file
 * @names: base names used, hashed; @nnames of them in @nbuckets chains
 * @nnames: names stored
 * @nbuckets: size of @names, a power of two
 * @buf: copy buffer, %COPY_CHUNK bytes
 * @failed: a fatal error was reported
 * @gaps: offset jumps seen in delivery
 * @gap_bytes: bytes they skipped
 * @backwards: deliveries before the already written offset
 * @reopens: files reopened after being closed for the file limit
 */
struct mr_dump {
	char *dir;
	struct link open;
	struct link idle;
	struct name **names;
	size_t nnames;
	size_t nbuckets;
	u8 *buf;
	bool failed;
	u64 gaps;
	u64 gap_bytes;
	u64 backwards;
	u64 reopens;
};

static const char *const suffix[2] = {
	[TM_CLI] = "s2c",
	[TM_SVR] = "c2s",
};

static void list_init(struct link *h)
{
	h->prev = h;
	h->next = h;
}

static void list_del(struct link *n)
{
	n->prev->next = n->next;
	n->next->prev = n->prev;
	list_init(n);
}

/* Insert @n right after @h: the front of the list. */
static void list_add(struct link *h, struct link *n)
{
	n->next = h->next;
	n->prev = h;
	h->next->prev = n;
	h->next = n;
}

static struct stream *stream_of(struct link *n)
{
	return (struct stream *)((char *)n - offsetof(struct stream, node));
}

/**
 * fail() - report a fatal error once and remember it
 * @d:		the writer
 * @path:	file concerned
 * @what:	what failed
 * @err:	errno value
 */
static void fail(struct mr_dump *d, const char *path, const char *what,
		 int err)
{
	if (!d->failed)
		fprintf(stderr, "mosreplay: %s: %s: %s\n", path, what,
			strerror(err));
	d->failed = true;
}

/**
 * stream_close_files() - close a stream's files and move it to the idle
 * list
 * @d:	the writer
 * @s:	the stream
 */
static void stream_close_files(struct mr_dump *d, struct stream *s)
{
	int i;

	for (i = 0; i < 2; i++) {
		if (s->fp[i] && fclose(s->fp[i]))
			fail(d, s->path[i], "close", errno);
		s->fp[i] = NULL;
	}
	list_del(&s->node);
	list_add(&d->idle, &s->node);
}

/**
 * stream_free() - close a stream's files and free it
 * @d:	the writer
 * @s:	the stream
 */
static void stream_free(struct mr_dump *d, struct stream *s)
{
	stream_close_files(d, s);
	list_del(&s->node);
	free(s->path[0]);
	free(s->path[1]);
	free(s);
}

/**
 * open_file() - fopen(), making room when the process is out of files
 * @d:		the writer
 * @s:		the stream the file is for (never closed to make room)
 * @side:	which of its files
 * @mode:	"w" to create, "a" to reopen
 *
 * Return: true if @s->fp[@side] is open.
 */
static bool open_file(struct mr_dump *d, struct stream *s, int side,
		      const char *mode)
{
	for (;;) {
		struct link *victim;

		s->fp[side] = fopen(s->path[side], mode);
		if (s->fp[side])
			break;
		if (errno != EMFILE && errno != ENFILE) {
			fail(d, s->path[side], "cannot open", errno);
			return false;
		}
		/* The oldest stream with open files that is not @s */
		victim = d->open.prev;
		if (victim == &s->node)
			victim = victim->prev;
		if (victim == &d->open) {
			fail(d, s->path[side], "cannot open", EMFILE);
			return false;
		}
		stream_close_files(d, stream_of(victim));
		if (d->failed)
			return false;
	}
	/* @s has an open file: it is the most recently used. */
	list_del(&s->node);
	list_add(&d->open, &s->node);
	return true;
}

/* FNV-1a: the names are short and not chosen by an adversary's hash. */
static size_t name_hash(const char *s)
{
	u64 h = 0xcbf29ce484222325ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return h;
}

/**
 * name_use() - count a use of a base name
 * @d:		the writer
 * @key:	the base name
 * @used:	set to the number of earlier uses
 *
 * Return: 0, or -ENOMEM.
 */
static int name_use(struct mr_dump *d, const char *key, u32 *used)
{
	struct name *n, **tab;
	size_t i, h;

	if (d->nnames >= d->nbuckets) {
		size_t size = d->nbuckets ? d->nbuckets * 2 : 256;

		tab = calloc(size, sizeof(*tab));
		if (!tab)
			return -ENOMEM;
		for (i = 0; i < d->nbuckets; i++) {
			while ((n = d->names[i])) {
				d->names[i] = n->next;
				h = name_hash(n->key) & (size - 1);
				n->next = tab[h];
				tab[h] = n;
			}
		}
		free(d->names);
		d->names = tab;
		d->nbuckets = size;
	}

	h = name_hash(key) & (d->nbuckets - 1);
	for (n = d->names[h]; n; n = n->next) {
		if (!strcmp(n->key, key)) {
			*used = n->used++;
			return 0;
		}
	}
	n = malloc(sizeof(*n) + strlen(key) + 1);
	if (!n)
		return -ENOMEM;
	strcpy(n->key, key);
	n->used = 1;
	n->next = d->names[h];
	d->names[h] = n;
	d->nnames++;
	*used = 0;
	return 0;
}

/**
 * base_name() - CLIENT.CPORT-SERVER.SPORT of a flow
 * @f:		the flow
 * @buf:	at least 128 bytes
 */
static void base_name(const struct tm_flow *f, char *buf)
{
	char a[2][INET6_ADDRSTRLEN];
	int af = f->family == 6 ? AF_INET6 : AF_INET;
	int i;

	for (i = 0; i < 2; i++)
		if (!inet_ntop(af, &f->addr[i], a[i], sizeof(a[i])))
			snprintf(a[i], sizeof(a[i]), "unknown");
	snprintf(buf, 128, "%s.%u-%s.%u", a[TM_CLI], ntohs(f->port[TM_CLI]),
		 a[TM_SVR], ntohs(f->port[TM_SVR]));
}

/**
 * stream_new() - the stream of a flow, with both paths; files not open
 * @d:	the writer
 * @f:	the flow
 * @fp:	its private area; @fp->gen names the files
 *
 * Return: the stream, on the idle list; NULL after reporting a failure.
 */
static struct stream *stream_new(struct mr_dump *d, const struct tm_flow *f,
				 struct fpriv *fp)
{
	struct stream *s;
	char base[128];
	int i, n;

	s = calloc(1, sizeof(*s));
	if (!s) {
		fail(d, d->dir, "stream", ENOMEM);
		return NULL;
	}
	list_init(&s->node);
	list_add(&d->idle, &s->node);
	base_name(f, base);
	for (i = 0; i < 2; i++) {
		if (fp->gen)
			n = asprintf(&s->path[i], "%s/%s.%u.%s", d->dir, base,
				     fp->gen, suffix[i]);
		else
			n = asprintf(&s->path[i], "%s/%s.%s", d->dir, base,
				     suffix[i]);
		if (n < 0) {
			s->path[i] = NULL;
			fail(d, d->dir, "stream", ENOMEM);
			stream_free(d, s);
			return NULL;
		}
	}
	return s;
}

/**
 * flow_create() - name a new flow's files and create them, empty
 * @d:	the writer
 * @f:	the flow
 * @fp:	its private area
 */
static void flow_create(struct mr_dump *d, const struct tm_flow *f,
			struct fpriv *fp)
{
	char base[128];
	int i;

	fp->created = true;
	base_name(f, base);
	if (name_use(d, base, &fp->gen)) {
		fail(d, d->dir, "names", ENOMEM);
		return;
	}
	fp->s = stream_new(d, f, fp);
	if (!fp->s)
		return;
	for (i = 0; i < 2; i++)
		if (!open_file(d, fp->s, i, "w"))
			return;
}

/**
 * mr_dump_event() - follow a flow's life: create its files on its first
 * event, close them when every side that started has ended
 * @d:	the writer
 * @f:	the flow (not NULL)
 * @ev:	the event
 */
void mr_dump_event(struct mr_dump *d, struct tm_flow *f,
		   const struct tm_ev *ev)
{
	struct fpriv *fp = mos_tm_flow_priv(f);

	if (d->failed || ev->side > TM_SVR)
		return;
	if (!fp->created)
		flow_create(d, f, fp);
	if (ev->type == TM_EV_CONN_START)
		fp->started |= SIDE_BIT(ev->side);
	if (ev->type != TM_EV_CONN_END)
		return;
	fp->started |= SIDE_BIT(ev->side);
	fp->ended |= SIDE_BIT(ev->side);
	if (!(fp->started & ~fp->ended) && fp->s) {
		stream_free(d, fp->s);
		fp->s = NULL;
	}
}

/**
 * mr_dump_data() - append bytes the core delivered to a flow's file
 * @d:		the writer
 * @f:		the flow
 * @side:	the receiving side (%TM_SVR: client-to-server bytes)
 * @off:	stream offset of the first byte
 * @copy:	copier for @src
 * @src:	where the bytes are
 * @off_in_src:	offset of the first byte in @src
 * @len:	number of bytes
 */
void mr_dump_data(struct mr_dump *d, struct tm_flow *f, int side, u64 off,
		  tm_copy_t copy, const void *src, unsigned int off_in_src,
		  unsigned int len)
{
	struct fpriv *fp = mos_tm_flow_priv(f);
	struct stream *s;

	if (d->failed || side < 0 || side > TM_SVR)
		return;
	if (!fp->created)
		flow_create(d, f, fp);
	if (d->failed)
		return;

	if (off > fp->next_off[side]) {
		d->gaps++;
		d->gap_bytes += off - fp->next_off[side];
		fp->next_off[side] = off;
	} else if (off < fp->next_off[side]) {
		u64 dup = fp->next_off[side] - off;

		d->backwards++;
		fprintf(stderr,
			"mosreplay: flow %llu %s: delivery at offset %llu behind %llu (core bug); keeping the bytes written first\n",
			f->id, suffix[side], off, fp->next_off[side]);
		if (dup >= len)
			return;
		off_in_src += dup;
		len -= dup;
	}
	if (!len)
		return;

	/* Bytes after the end (or for a side that starts late): reopen. */
	if (!fp->s) {
		fp->s = stream_new(d, f, fp);
		if (!fp->s)
			return;
	}
	s = fp->s;
	if (!s->fp[side]) {
		d->reopens++;
		if (!open_file(d, s, side, "a"))
			return;
	} else {
		list_del(&s->node);
		list_add(&d->open, &s->node);
	}

	while (len) {
		unsigned int n = len < COPY_CHUNK ? len : COPY_CHUNK;
		int err = copy(src, off_in_src, d->buf, n);

		if (err) {
			fail(d, s->path[side], "copy from the core", -err);
			return;
		}
		if (fwrite(d->buf, 1, n, s->fp[side]) != n) {
			fail(d, s->path[side], "write", errno);
			return;
		}
		off_in_src += n;
		len -= n;
		fp->next_off[side] += n;
		fp->written[side] += n;
	}
}

/**
 * mr_dump_new() - start writing streams into a directory
 * @dir:	the directory; created if missing
 *
 * Return: the writer, or NULL after an error message.
 */
struct mr_dump *mr_dump_new(const char *dir)
{
	struct mr_dump *d;
	struct rlimit rl;
	struct stat st;

	if (mkdir(dir, 0777) && errno != EEXIST) {
		fprintf(stderr, "mosreplay: %s: %s\n", dir, strerror(errno));
		return NULL;
	}
	if (stat(dir, &st) || !S_ISDIR(st.st_mode)) {
		fprintf(stderr, "mosreplay: %s: not a directory\n", dir);
		return NULL;
	}
	/* As many files as allowed; beyond that, streams take turns. */
	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}

	d = calloc(1, sizeof(*d));
	if (!d)
		goto nomem;
	d->dir = strdup(dir);
	d->buf = malloc(COPY_CHUNK);
	if (!d->dir || !d->buf)
		goto nomem;
	list_init(&d->open);
	list_init(&d->idle);
	return d;

nomem:
	fprintf(stderr, "mosreplay: %s\n", strerror(ENOMEM));
	(void)mr_dump_free(d);
	return NULL;
}

/**
 * mr_dump_free() - close every file and free the writer
 * @d:	the writer, or NULL
 *
 * The flows' private areas still point to freed streams: call this after
 * the table is gone.
 *
 * Return: 0, or -1 if anything failed, now (a close) or earlier.
 */
int mr_dump_free(struct mr_dump *d)
{
	bool failed;
	size_t i;

	if (!d)
		return 0;
	if (d->open.next) {
		while (d->open.next != &d->open)
			stream_free(d, stream_of(d->open.next));
		while (d->idle.next != &d->idle)
			stream_free(d, stream_of(d->idle.next));
	}
	for (i = 0; i < d->nbuckets; i++) {
		struct name *n;

		while ((n = d->names[i])) {
			d->names[i] = n->next;
			free(n);
		}
	}
	failed = d->failed;
	free(d->names);
	free(d->buf);
	free(d->dir);
	free(d);
	return failed ? -1 : 0;
}

bool mr_dump_failed(const struct mr_dump *d)
{
	return d && d->failed;
}

size_t mr_dump_priv_size(void)
{
	return sizeof(struct fpriv);
}

/**
 * mr_dump_report() - say on stderr where the writer and the core disagree
 * @d:		the writer
 * @stats:	the table's counters
 *
 * Every jump the writer saw must have been a gap the core reported; it
 * may have reported more (gaps with no bytes after them).
 */
void mr_dump_report(const struct mr_dump *d, const u64 *stats)
{
	if (d->gaps > stats[TM_STAT_GAPS] ||
	    d->gap_bytes > stats[TM_STAT_GAP_BYTES])
		fprintf(stderr,
			"mosreplay: the streams have %llu gaps (%llu bytes) but the core reported %llu (%llu bytes)\n",
			d->gaps, d->gap_bytes, stats[TM_STAT_GAPS],
			stats[TM_STAT_GAP_BYTES]);
	if (d->backwards)
		fprintf(stderr,
			"mosreplay: %llu deliveries went backwards in their stream\n",
			d->backwards);
}
