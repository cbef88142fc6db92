/*
 * report_render.h - the nightly report's renderers: one per format, each
 * writing a struct report (report_data.h) to a stream. Every string that
 * comes from the data (names, subjects, evidence) is escaped for the format
 * (HTML, Markdown); the text format strips control characters.
 * Each returns 0, or -1 when writing failed.
 */
#ifndef DCV_REPORT_RENDER_H
#define DCV_REPORT_RENDER_H

#include <stdio.h>

#include "report_data.h"

/* report_render_text() writes the terminal report. */
int report_render_text(FILE *out, const struct report *r);

/* report_render_markdown() writes GitHub-flavoured Markdown (tables). */
int report_render_markdown(FILE *out, const struct report *r);

/* report_render_json() writes one JSON object; keys are only ever added. */
int report_render_json(FILE *out, const struct report *r);

/* report_render_html() writes one self-contained HTML page: inline CSS and
 * SVG, no script, no external asset. */
int report_render_html(FILE *out, const struct report *r);

/* The sections of the report in the order every format shows them; a
 * renderer gives one function per section (NULL: the format has none). */
struct report_format {
	void (*top)(FILE *out, const struct report *r);   /* title; headline unless empty */
	void (*empty)(FILE *out, const struct report *r); /* the note of an empty period */
	void (*coverage)(FILE *out, const struct report *r);
	void (*findings)(FILE *out, const struct report *r);
	void (*charts)(FILE *out, const struct report *r);
	/* the per-CA and the per-region table: id "cas" or "regions", its
	 * title, the first column's header, this and the previous period's rows */
	void (*groups)(FILE *out, const char *id, const char *title, const char *first,
	               const struct report_groups *gs, const struct report_groups *prev);
	/* DNSSEC per name, CAA decisions, failing EDNS checks; one short line
	 * when the period has none */
	void (*depth)(FILE *out, const struct report *r);
	void (*attempts)(FILE *out, const struct report *r);
	void (*names)(FILE *out, const struct report *r);
	void (*change)(FILE *out, const struct report *r);
	void (*bottom)(FILE *out, const struct report *r);
};

/* report_render_sections() writes r's sections through f: an empty period
 * gets top, empty, coverage and bottom only. Returns 0, or -1 when writing
 * failed. */
int report_render_sections(FILE *out, const struct report *r, const struct report_format *f);

/* report_put_clean() writes s with control characters (and DEL) replaced
 * by '?': text from the data never moves a terminal's cursor. */
void report_put_clean(FILE *out, const char *s);

/* report_md_escape() writes text from the data as Markdown that shows it
 * literally: every punctuation mark Markdown gives a meaning to is
 * backslash-escaped, the characters HTML would take as markup become
 * entities (a table cell may hold "<script>"), and line breaks and control
 * characters, which would end a table row or a list item, become spaces
 * and '?'. */
void report_md_escape(FILE *out, const char *s);

#endif
