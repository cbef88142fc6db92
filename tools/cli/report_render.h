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

/* report_put_clean() writes s with control characters (and DEL) replaced
 * by '?': text from the data never moves a terminal's cursor. */
void report_put_clean(FILE *out, const char *s);

#endif
