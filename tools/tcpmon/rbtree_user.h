/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rbtree_user.h - the red-black tree calls of the kernel's <linux/rbtree.h>
 * that the tcpmon core uses, for its userspace build
 *
 * Same names and semantics: the caller finds the place of a new node by
 * walking the tree, links it with rb_link_node() and rebalances with
 * rb_insert_color().  A node is as large as the kernel's (three words: the
 * parent pointer with the colour in its low bit, the two children), so
 * that the store's charges are the same in both builds.  The
 * implementation is in rbtree_user.c.
 */
#ifndef _MOS_RBTREE_USER_H
#define _MOS_RBTREE_USER_H

#include <stddef.h>

struct rb_node {
	unsigned long __rb_parent_color;
	struct rb_node *rb_right;
	struct rb_node *rb_left;
} __attribute__((aligned(sizeof(long))));

struct rb_root {
	struct rb_node *rb_node;
};

#define RB_ROOT			((struct rb_root) { NULL })
#define RB_EMPTY_ROOT(root)	((root)->rb_node == NULL)
#define rb_entry(ptr, type, member)	container_of(ptr, type, member)
#define rb_parent(r)	((struct rb_node *)((r)->__rb_parent_color & ~3UL))

static inline void rb_link_node(struct rb_node *node, struct rb_node *parent,
				struct rb_node **rb_link)
{
	node->__rb_parent_color = (unsigned long)parent;	/* red */
	node->rb_left = NULL;
	node->rb_right = NULL;
	*rb_link = node;
}

void rb_insert_color(struct rb_node *node, struct rb_root *root);
void rb_erase(struct rb_node *node, struct rb_root *root);
void rb_replace_node(struct rb_node *victim, struct rb_node *new,
		     struct rb_root *root);
struct rb_node *rb_first(const struct rb_root *root);
struct rb_node *rb_last(const struct rb_root *root);
struct rb_node *rb_next(const struct rb_node *node);
struct rb_node *rb_prev(const struct rb_node *node);

#endif /* _MOS_RBTREE_USER_H */
