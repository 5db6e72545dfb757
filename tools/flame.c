/*
 * flame.c - `maxprocs report --svg FILE` and `--top N`: a self-contained
 * flame graph of stalls.folded (root at the bottom, each frame as wide as
 * its share of the time blocked, a tooltip with its time), and the N
 * heaviest stacks as text.  Reads the folded files only, so it works on
 * any profile directory.
 */
#include "tools/profile.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct node {
	char *name;
	double value;              /* microseconds, this frame and above */
	struct node *child, *next; /* first child; next sibling */
};

static struct node *child_of(struct node *parent, const char *name)
{
	for (struct node *c = parent->child; c; c = c->next)
		if (!strcmp(c->name, name))
			return c;
	struct node *c = calloc(1, sizeof *c);
	if (!c || !(c->name = strdup(name))) {
		perror("maxprocs: report");
		exit(MP_TOOL_EXIT_LAUNCHER);
	}
	c->next = parent->child;
	parent->child = c;
	return c;
}

/* Add one folded line ("a;b;c 123") to the tree; false if it is not one. */
static bool add_folded(struct node *root, char *line)
{
	char *sp = strrchr(line, ' ');
	if (!sp)
		return false;
	*sp = 0;
	double w = strtod(sp + 1, NULL);
	if (w <= 0)
		return true;
	root->value += w;
	struct node *at = root;
	char *save = NULL;
	for (char *f = strtok_r(line, ";", &save); f; f = strtok_r(NULL, ";", &save)) {
		at = child_of(at, f);
		at->value += w;
	}
	return true;
}

static int depth_of(const struct node *n)
{
	int d = 0;
	for (const struct node *c = n->child; c; c = c->next) {
		int cd = depth_of(c);
		if (cd > d)
			d = cd;
	}
	return d + 1;
}

/* Frame colours: warm, from a hash of the name, so a function keeps its
 * colour across pictures. */
static void colour(const char *name, int *r, int *g, int *b)
{
	uint32_t h = 2166136261u;
	for (const char *p = name; *p; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	*r = 205 + (int)(h % 50);
	*g = 80 + (int)((h >> 8) % 130);
	*b = 40 + (int)((h >> 16) % 40);
}

static void xml_text(FILE *out, const char *s)
{
	for (; *s; s++)
		switch (*s) {
		case '<': fputs("&lt;", out); break;
		case '>': fputs("&gt;", out); break;
		case '&': fputs("&amp;", out); break;
		case '"': fputs("&quot;", out); break;
		default: fputc(*s, out);
		}
}

#define WIDTH 1200.0
#define FRAME_H 17
#define MARGIN 10

static void draw(FILE *out, const struct node *n, double x, int level, int levels, double total)
{
	double w = n->value / total * (WIDTH - 2 * MARGIN);
	if (w < 0.3)
		return;
	int y = 40 + (levels - 1 - level) * FRAME_H;
	if (level > 0) {
		int r, g, b;
		colour(n->name, &r, &g, &b);
		fprintf(out, "<g><title>");
		xml_text(out, n->name);
		fprintf(out, " (%.3f ms, %.2f%%)</title><rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" "
		        "fill=\"rgb(%d,%d,%d)\" rx=\"2\"/>", n->value / 1000, 100 * n->value / total, x, y, w,
		        FRAME_H - 1, r, g, b);
		int fit = (int)(w / 7);
		if (fit >= 3) {
			fprintf(out, "<text x=\"%.1f\" y=\"%d\">", x + 3, y + 12);
			char shown[256];
			snprintf(shown, sizeof shown, "%s", n->name);
			if ((int)strlen(shown) > fit)
				snprintf(shown + (fit > 2 ? fit - 2 : 0), 3, "..");
			xml_text(out, shown);
			fputs("</text>", out);
		}
		fputs("</g>\n", out);
	}
	for (const struct node *c = n->child; c; c = c->next) {
		draw(out, c, x, level + 1, levels, total);
		x += c->value / total * (WIDTH - 2 * MARGIN);
	}
}

int mp_tool_flame_svg(const char *const *folded, int nfiles, const char *svg, const char *title)
{
	struct node root = { (char *)"all", 0, NULL, NULL };
	static char line[65536];
	for (int i = 0; i < nfiles; i++) {
		FILE *in = fopen(folded[i], "r");
		if (!in)
			return -errno;
		while (fgets(line, sizeof line, in)) {
			line[strcspn(line, "\n")] = 0;
			add_folded(&root, line);
		}
		fclose(in);
	}
	FILE *out = fopen(svg, "w");
	if (!out)
		return -errno;
	int levels = depth_of(&root);
	int height = 40 + levels * FRAME_H + 30;
	fprintf(out, "<?xml version=\"1.0\" standalone=\"no\"?>\n"
	        "<svg version=\"1.1\" width=\"%d\" height=\"%d\" xmlns=\"http://www.w3.org/2000/svg\" "
	        "font-family=\"Verdana,sans-serif\" font-size=\"11\">\n"
	        "<rect width=\"100%%\" height=\"100%%\" fill=\"#fdfaf3\"/>\n"
	        "<text x=\"%d\" y=\"24\" font-size=\"16\">", (int)WIDTH, height, MARGIN);
	xml_text(out, title);
	fprintf(out, " (%.3f ms blocked in all)</text>\n", root.value / 1000);
	if (root.value > 0)
		draw(out, &root, MARGIN, 0, levels, root.value);
	fprintf(out, "<text x=\"%d\" y=\"%d\" fill=\"#555\">maxprocs report --svg: time blocked in "
	        "intercepted calls, by stack (leaf: the call); width is time</text>\n</svg>\n", MARGIN,
	        height - 10);
	return fclose(out) == 0 ? 0 : -EIO;
}

struct heavy { char *stack; double w; };

static int by_weight(const void *a, const void *b)
{
	const struct heavy *x = a, *y = b;
	return x->w < y->w ? 1 : x->w > y->w ? -1 : 0;
}

int mp_tool_top(const char *const *folded, int nfiles, int n, FILE *out)
{
	struct heavy *h = NULL;
	size_t nh = 0, cap = 0;
	static char line[65536];
	double total = 0;
	for (int fi = 0; fi < nfiles; fi++) {
		FILE *in = fopen(folded[fi], "r");
		if (!in)
			return -errno;
		while (fgets(line, sizeof line, in)) {
			line[strcspn(line, "\n")] = 0;
			char *sp = strrchr(line, ' ');
			if (!sp)
				continue;
			*sp = 0;
			if (nh == cap) {
				size_t ncap = cap ? 2 * cap : 64;
				struct heavy *nhv = realloc(h, ncap * sizeof *h);
				if (!nhv) {
					fclose(in);
					return -ENOMEM;   /* the launcher exits: h is not worth freeing */
				}
				h = nhv;
				cap = ncap;
			}
			h[nh].stack = strdup(line);
			h[nh].w = strtod(sp + 1, NULL);
			total += h[nh].w;
			nh++;
		}
		fclose(in);
	}
	if (nh)
		qsort(h, nh, sizeof *h, by_weight);
	for (size_t i = 0; i < nh && (int)i < n; i++)
		fprintf(out, "%10.3f ms %5.1f%%  %s\n", h[i].w / 1000, total > 0 ? 100 * h[i].w / total : 0.0,
		        h[i].stack);
	return 0;
}
