/* strongswan.conf-style settings text (swanctl.conf) into a tree of
 * sections and key = value pairs, includes expanded, same-named sections
 * merged, repeated keys overridden; syntax in conf/swanctl_conf.h.
 * Nothing is validated beyond the syntax. Internal to conf/. */
#ifndef CYGNET_SWANCTL_LEX_H
#define CYGNET_SWANCTL_LEX_H

#include <stdbool.h>
#include <stddef.h>

struct sw_node {
	char *name;
	char *value;                /* NULL: a section; "" for "key =" */
	const char *file;           /* into sw_tree.files: where it was (last) written */
	int line;
	struct sw_node *kids;       /* a section's keys and sections, in order written */
	int n_kids, cap_kids;
};

struct sw_tree {
	struct sw_node root;        /* the top level (name "") */
	char **files; int n_files;  /* every file read, the main one first */
	/* "file:line: ..." lines (an include naming no file), no duplicates */
	char **warnings; int n_warnings;
};

/* Reads path (and its includes) into an empty tree t. 0, or -1 with one
 * "file:line: ..." line in err; t is freed with sw_tree_free either way. */
int sw_lex_file(struct sw_tree *t, const char *path, char *err, size_t errlen);
/* Same for text in memory; name is used in messages and for includes. */
int sw_lex_text(struct sw_tree *t, const char *name, const char *text,
                char *err, size_t errlen);
/* Frees everything; values are wiped (they hold secrets). NULL-safe. */
void sw_tree_free(struct sw_tree *t);

/* the kid of sec called name (key or section), NULL if none */
const struct sw_node *sw_find(const struct sw_node *sec, const char *name);

/* Adds "file:line: message" to t's warnings unless the same line is there
 * already (a file included by several sections warns once). 0 or -1. */
int sw_warn(struct sw_tree *t, const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif
