// SPDX-License-Identifier: GPL-2.0
/*
 * rbtree_user.c - red-black tree for the tcpmon core's userspace build
 *
 * The calls of rbtree_user.h, written after the textbook algorithm
 * (Cormen et al., "Introduction to Algorithms", ch. 13) with NULL leaves:
 * every path from a node to a leaf holds as many black nodes, no red node
 * has a red child, so the height stays under 2 log2(n + 1).  The colour is
 * the low bit of &rb_node.__rb_parent_color, 1 for black, as the kernel
 * keeps it.
 */
#include <stdbool.h>
#include "tm_user.h"

#define RB_BLACK	1UL

static struct rb_node *rbu_parent(const struct rb_node *n)
{
	return (struct rb_node *)(n->__rb_parent_color & ~3UL);
}

static bool rbu_black(const struct rb_node *n)
{
	return !n || (n->__rb_parent_color & RB_BLACK);
}

static void rbu_set_parent(struct rb_node *n, struct rb_node *p)
{
	n->__rb_parent_color = (unsigned long)p |
			       (n->__rb_parent_color & RB_BLACK);
}

static void rbu_set_black(struct rb_node *n)
{
	n->__rb_parent_color |= RB_BLACK;
}

static void rbu_set_red(struct rb_node *n)
{
	n->__rb_parent_color &= ~RB_BLACK;
}

/* @parent's child @old (the root if @parent is NULL) becomes @new */
static void rbu_change_child(struct rb_root *root, struct rb_node *parent,
			     struct rb_node *old, struct rb_node *new)
{
	if (!parent)
		root->rb_node = new;
	else if (parent->rb_left == old)
		parent->rb_left = new;
	else
		parent->rb_right = new;
}

/* @n's child on side @dir: 0 left, 1 right */
static struct rb_node **rbu_child(struct rb_node *n, int dir)
{
	return dir ? &n->rb_right : &n->rb_left;
}

/* Turn @x down towards @dir: its child on the other side takes its place */
static void rbu_rotate(struct rb_root *root, struct rb_node *x, int dir)
{
	struct rb_node *y = *rbu_child(x, !dir), *p = rbu_parent(x);
	struct rb_node *m = *rbu_child(y, dir);

	*rbu_child(x, !dir) = m;
	if (m)
		rbu_set_parent(m, x);
	rbu_set_parent(y, p);
	rbu_change_child(root, p, x, y);
	*rbu_child(y, dir) = x;
	rbu_set_parent(x, y);
}

void rb_insert_color(struct rb_node *z, struct rb_root *root)
{
	struct rb_node *p, *g, *u;
	int dir;

	while ((p = rbu_parent(z)) && !rbu_black(p)) {
		g = rbu_parent(p);	/* a red node is not the root */
		dir = p == g->rb_right;
		u = *rbu_child(g, !dir);
		if (!rbu_black(u)) {
			rbu_set_black(p);
			rbu_set_black(u);
			rbu_set_red(g);
			z = g;
			continue;
		}
		if (z == *rbu_child(p, !dir)) {
			rbu_rotate(root, p, dir);
			z = p;
			p = rbu_parent(z);
		}
		rbu_set_black(p);
		rbu_set_red(g);
		rbu_rotate(root, g, !dir);
	}
	rbu_set_black(root->rb_node);
}

/* A black node left the place of @x (maybe NULL), child of @xp */
static void rbu_erase_fixup(struct rb_root *root, struct rb_node *x,
			    struct rb_node *xp)
{
	struct rb_node *w;
	int dir;

	while (x != root->rb_node && rbu_black(x)) {
		/* x's sibling is not NULL: its side is a black node short */
		dir = x != xp->rb_left;
		w = *rbu_child(xp, !dir);
		if (!rbu_black(w)) {
			rbu_set_black(w);
			rbu_set_red(xp);
			rbu_rotate(root, xp, dir);
			w = *rbu_child(xp, !dir);
		}
		if (rbu_black(w->rb_left) && rbu_black(w->rb_right)) {
			rbu_set_red(w);
			x = xp;
			xp = rbu_parent(x);
			continue;
		}
		if (rbu_black(*rbu_child(w, !dir))) {
			rbu_set_black(*rbu_child(w, dir));
			rbu_set_red(w);
			rbu_rotate(root, w, !dir);
			w = *rbu_child(xp, !dir);
		}
		w->__rb_parent_color = (w->__rb_parent_color & ~RB_BLACK) |
				       (xp->__rb_parent_color & RB_BLACK);
		rbu_set_black(xp);
		rbu_set_black(*rbu_child(w, !dir));
		rbu_rotate(root, xp, dir);
		x = root->rb_node;
	}
	if (x)
		rbu_set_black(x);
}

void rb_erase(struct rb_node *z, struct rb_root *root)
{
	struct rb_node *x, *xp, *y;
	bool black;

	if (!z->rb_left || !z->rb_right) {
		x = z->rb_left ? z->rb_left : z->rb_right;
		xp = rbu_parent(z);
		black = rbu_black(z);
		if (x)
			rbu_set_parent(x, xp);
		rbu_change_child(root, xp, z, x);
	} else {
		/* The successor, which has no left child, takes z's place */
		y = z->rb_right;
		while (y->rb_left)
			y = y->rb_left;
		black = rbu_black(y);
		x = y->rb_right;
		if (rbu_parent(y) == z) {
			xp = y;
		} else {
			xp = rbu_parent(y);
			xp->rb_left = x;
			if (x)
				rbu_set_parent(x, xp);
			y->rb_right = z->rb_right;
			rbu_set_parent(z->rb_right, y);
		}
		y->rb_left = z->rb_left;
		rbu_set_parent(z->rb_left, y);
		rbu_change_child(root, rbu_parent(z), z, y);
		y->__rb_parent_color = z->__rb_parent_color;
	}
	if (black)
		rbu_erase_fixup(root, x, xp);
}

void rb_replace_node(struct rb_node *victim, struct rb_node *new,
		     struct rb_root *root)
{
	*new = *victim;
	if (victim->rb_left)
		rbu_set_parent(victim->rb_left, new);
	if (victim->rb_right)
		rbu_set_parent(victim->rb_right, new);
	rbu_change_child(root, rbu_parent(victim), victim, new);
}

struct rb_node *rb_first(const struct rb_root *root)
{
	struct rb_node *n = root->rb_node;

	while (n && n->rb_left)
		n = n->rb_left;
	return n;
}

struct rb_node *rb_last(const struct rb_root *root)
{
	struct rb_node *n = root->rb_node;

	while (n && n->rb_right)
		n = n->rb_right;
	return n;
}

struct rb_node *rb_next(const struct rb_node *n)
{
	struct rb_node *p;

	if (n->rb_right) {
		n = n->rb_right;
		while (n->rb_left)
			n = n->rb_left;
		return (struct rb_node *)n;
	}
	while ((p = rbu_parent(n)) && n == p->rb_right)
		n = p;
	return p;
}

struct rb_node *rb_prev(const struct rb_node *n)
{
	struct rb_node *p;

	if (n->rb_left) {
		n = n->rb_left;
		while (n->rb_right)
			n = n->rb_right;
		return (struct rb_node *)n;
	}
	while ((p = rbu_parent(n)) && n == p->rb_left)
		n = p;
	return p;
}
