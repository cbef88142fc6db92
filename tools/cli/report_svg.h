/*
 * report_svg.h - small inline SVG charts for the HTML report: a time chart
 * (bars and lines over time, with axes, ticks, a legend and an optional
 * horizontal limit line) and a horizontal bar chart of fractions. Colours
 * come from CSS classes the page defines (report_html.c); no script.
 */
#ifndef DCV_REPORT_SVG_H
#define DCV_REPORT_SVG_H

#include <stdint.h>
#include <stdio.h>

enum svg_kind {
	SVG_BARS, /* one bar per point, from zero; later series drawn over earlier ones */
	SVG_LINE, /* a polyline through the points */
};

/* One series: n points (x in ns since the epoch, y >= 0). */
struct svg_series {
	const char *label;     /* legend text (escaped) */
	const char *css_class; /* "c-ok", "c-fail", "c-line", "c-line2" */
	enum svg_kind kind;
	const uint64_t *x;
	const double *y;
	unsigned n;
};

struct svg_chart {
	const char *title;   /* accessible title (escaped) */
	const char *y_label; /* unit of the y axis ("queries per step") */
	uint64_t x_min, x_max;
	uint64_t bar_ns; /* width of one bar in x units (the step) */
	const struct svg_series *series;
	unsigned nseries;
	int has_limit;
	double limit;            /* the horizontal line, e.g. an inferred cap */
	const char *limit_label; /* its legend text */
};

/* svg_time_chart() writes one <svg> element for the chart (viewBox scaled
 * to the page's width). With no point at all it writes a short note. */
void svg_time_chart(FILE *out, const struct svg_chart *c);

/* svg_fraction_bars() writes one <svg> with a horizontal bar per label,
 * its length the fraction value[i] (0..1) of the largest, labelled with the
 * percentage; bars at or above alert are drawn in the failure colour. */
void svg_fraction_bars(FILE *out, const char *title, const char *const *labels, const double *value,
                       unsigned n, double alert);

/* report_html_escape() writes s with &, <, >, " and ' as entities and
 * control characters as U+FFFD: safe in HTML text, attribute values and
 * SVG <text>. */
void report_html_escape(FILE *out, const char *s);

#endif
