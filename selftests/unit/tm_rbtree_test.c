// SPDX-License-Identifier: GPL-2.0
/*
 * tm_rbtree_test.c - the userspace red-black tree (tools/tcpmon/
 * rbtree_user.c) keeps the red-black properties and the order
 *
 * Random inserts, erases and replacements of 20,000 keys; every few
 * thousand steps the whole tree is checked against the definition of a
 * red-black tree (Cormen et al., ch. 13): keys in order, parent links
 * right, the root black, no red node with a red child, as many black
 * nodes on every path to a leaf; then walked both ways.
 */
#include "tcpmon.h"
#include "kselftest_harness.h"

struct ent {
	struct rb_node node;
	int key;
};

#define NKEYS	20000

static struct ent ents[NKEYS];
static bool in[NKEYS];

static bool red(const struct rb_node *n)
{
	return n && !(n->__rb_parent_color & 1);
}

/* Black height of @n's subtree, or -1 if it is no red-black tree */
static int check(const struct rb_node *n, const struct rb_node *parent,
		 int lo, int hi)
{
	const struct ent *e;
	int l, r;

	if (!n)
		return 1;
	e = rb_entry(n, const struct ent, node);
	if (rb_parent(n) != parent || e->key <= lo || e->key >= hi)
		return -1;
	if (red(n) && (red(n->rb_left) || red(n->rb_right)))
		return -1;
	l = check(n->rb_left, n, lo, e->key);
	r = check(n->rb_right, n, e->key, hi);
	if (l < 0 || l != r)
		return -1;
	return l + !red(n);
}

static void insert(struct rb_root *root, int key)
{
	struct rb_node **link = &root->rb_node, *parent = NULL;

	ents[key].key = key;
	while (*link) {
		parent = *link;
		if (key < rb_entry(parent, struct ent, node)->key)
			link = &parent->rb_left;
		else
			link = &parent->rb_right;
	}
	rb_link_node(&ents[key].node, parent, link);
	rb_insert_color(&ents[key].node, root);
}

TEST(random_operations)
{
	struct rb_root root = RB_ROOT;
	struct rb_node *n;
	struct ent spare;
	unsigned int seed = 1, step;
	int count = 0, key, prev, walked;

	for (step = 0; step < 400000; step++) {
		seed = seed * 1103515245 + 12345;
		key = (seed >> 8) % NKEYS;
		if (!in[key]) {
			insert(&root, key);
			in[key] = true;
			count++;
		} else if ((seed >> 4) % 3 == 0) {
			/* a node moves, as a piece that grows does */
			rb_replace_node(&ents[key].node, &spare.node, &root);
			spare.key = key;
			rb_replace_node(&spare.node, &ents[key].node, &root);
		} else {
			rb_erase(&ents[key].node, &root);
			in[key] = false;
			count--;
		}
		if (step % 4999 == 0) {
			ASSERT_FALSE(red(root.rb_node));
			ASSERT_LT(0, check(root.rb_node, NULL, -1, NKEYS));
		}
	}
	ASSERT_LT(0, check(root.rb_node, NULL, -1, NKEYS));
	prev = -1;
	walked = 0;
	for (n = rb_first(&root); n; n = rb_next(n), walked++) {
		key = rb_entry(n, struct ent, node)->key;
		ASSERT_LT(prev, key);
		ASSERT_TRUE(in[key]);
		prev = key;
	}
	EXPECT_EQ(count, walked);
	prev = NKEYS;
	walked = 0;
	for (n = rb_last(&root); n; n = rb_prev(n), walked++) {
		key = rb_entry(n, struct ent, node)->key;
		ASSERT_GT(prev, key);
		prev = key;
	}
	EXPECT_EQ(count, walked);
	while ((n = rb_first(&root)))
		rb_erase(n, &root);
	EXPECT_TRUE(RB_EMPTY_ROOT(&root));
}

TEST_HARNESS_MAIN
