/* report_svg.c - inline SVG charts for the HTML report (report_svg.h). */
#include "report_svg.h"

#include <math.h>
#include <string.h>
#include <time.h>

/* Geometry of a time chart in viewBox units; the page scales it. */
#define SVG_W       720
#define SVG_H       280
#define SVG_LEFT    64
#define SVG_RIGHT   24
#define SVG_TOP     52
#define SVG_BOTTOM  36
#define SVG_Y_TICKS 4
/* The legend's row, above the unit label; its width is estimated from an
 * average character width of the 14px legend font. */
#define SVG_LEGEND_Y 16
#define SVG_CHAR_W   8.0
#define SVG_X_TICKS  6
#define NS_PER_S     1000000000ull

void report_html_escape(FILE *out, const char *s)
{
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		switch (ch) {
		case '&':
			fputs("&amp;", out);
			break;
		case '<':
			fputs("&lt;", out);
			break;
		case '>':
			fputs("&gt;", out);
			break;
		case '"':
			fputs("&quot;", out);
			break;
		case '\'':
			fputs("&#39;", out);
			break;
		default:
			if (ch < 0x20 || ch == 0x7f)
				fputs("&#xFFFD;", out);
			else
				fputc(ch, out);
		}
	}
}

/* A tick step of 1, 2 or 5 times a power of ten giving about `ticks`
 * ticks up to max. */
static double nice_step(double max, int ticks)
{
	if (max <= 0)
		return 1;
	double raw = max / ticks, mag = pow(10, floor(log10(raw))), f = raw / mag;
	double step = f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10;
	step *= mag;
	return step < 1 ? 1 : step; /* counts: no fractional ticks */
}

static void format_tick(double v, char *buf, size_t len)
{
	if (v >= 1e6)
		snprintf(buf, len, "%gM", v / 1e6);
	else if (v >= 1e4)
		snprintf(buf, len, "%gk", v / 1e3);
	else
		snprintf(buf, len, "%g", v);
}

static void format_time(uint64_t ns, uint64_t span_ns, char *buf, size_t len)
{
	time_t t = (time_t)(ns / NS_PER_S);
	struct tm tm;
	gmtime_r(&t, &tm);
	const char *fmt = span_ns > 2 * 86400 * NS_PER_S ? "%m-%d %H:%M"
	                  : span_ns > 600 * NS_PER_S     ? "%H:%M"
	                                                 : "%H:%M:%S";
	strftime(buf, len, fmt, &tm);
}

struct frame {
	double x0, x1, y0, y1; /* plot area */
	uint64_t t0, t1;
	double ymax;
};

static double px(const struct frame *f, uint64_t t)
{
	if (f->t1 <= f->t0)
		return f->x0;
	return f->x0 + (f->x1 - f->x0) * (double)(t - f->t0) / (double)(f->t1 - f->t0);
}

static double py(const struct frame *f, double v)
{
	return f->y1 - (f->y1 - f->y0) * (v / f->ymax);
}

static void axes(FILE *out, const struct frame *f, const struct svg_chart *c)
{
	double step = nice_step(f->ymax, SVG_Y_TICKS);
	for (double v = 0; v <= f->ymax + step / 1e6; v += step) {
		char lab[32];
		format_tick(v, lab, sizeof(lab));
		fprintf(
		    out,
		    "<line class=\"grid\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>"
		    "<text class=\"tick\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n",
		    f->x0, py(f, v), f->x1, py(f, v), f->x0 - 6, py(f, v) + 4, lab);
	}
	uint64_t span = f->t1 - f->t0;
	for (int i = 0; i <= SVG_X_TICKS && span > 0; i++) {
		uint64_t t = f->t0 + span / SVG_X_TICKS * (uint64_t)i;
		char lab[32];
		format_time(t, span, lab, sizeof(lab));
		fprintf(out,
		        "<line class=\"axis\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>"
		        "<text class=\"tick\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\">%s</text>\n",
		        px(f, t), f->y1, px(f, t), f->y1 + 5, px(f, t), f->y1 + 18,
		        i == SVG_X_TICKS ? "end"
		        : i == 0         ? "start"
		                         : "middle",
		        lab);
	}
	fprintf(out,
	        "<line class=\"axis\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>"
	        "<line class=\"axis\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n",
	        f->x0, f->y1, f->x1, f->y1, f->x0, f->y0, f->x0, f->y1);
	fprintf(out, "<text class=\"unit\" x=\"%.1f\" y=\"%d\">", f->x0 - 6, SVG_TOP - 12);
	report_html_escape(out, c->y_label ? c->y_label : "");
	fprintf(out, "</text>\n");
}

static void legend(FILE *out, const struct svg_chart *c)
{
	double x = SVG_W - SVG_RIGHT;
	/* right-aligned, last entry first */
	for (int i = (int)c->nseries + (c->has_limit ? 0 : -1); i >= 0; i--) {
		const char *label = i == (int)c->nseries ? c->limit_label : c->series[i].label;
		const char *cls = i == (int)c->nseries ? "c-limit" : c->series[i].css_class;
		if (label == NULL)
			label = "";
		x -= SVG_CHAR_W * (double)strlen(label) + 12;
		fprintf(out, "<text class=\"legend\" x=\"%.1f\" y=\"%d\">", x, SVG_LEGEND_Y);
		report_html_escape(out, label);
		fprintf(
		    out,
		    "</text><rect class=\"%s\" x=\"%.1f\" y=\"%d\" width=\"10\" height=\"10\"/>\n",
		    cls, x - 14, SVG_LEGEND_Y - 10);
		x -= 22;
	}
}

void svg_time_chart(FILE *out, const struct svg_chart *c)
{
	unsigned points = 0;
	double ymax = c->has_limit ? c->limit : 0;
	for (unsigned s = 0; s < c->nseries; s++)
		for (unsigned i = 0; i < c->series[s].n; i++) {
			points++;
			if (c->series[s].y[i] > ymax)
				ymax = c->series[s].y[i];
		}
	if (points == 0) {
		fprintf(out, "<p class=\"note\">No data for this chart in the period.</p>\n");
		return;
	}
	struct frame f = {SVG_LEFT, SVG_W - SVG_RIGHT,    SVG_TOP, SVG_H - SVG_BOTTOM,
	                  c->x_min, c->x_max + c->bar_ns, 0};
	double step = nice_step(ymax * 1.1, SVG_Y_TICKS);
	f.ymax = ceil(ymax * 1.1 / step) * step;
	if (f.ymax <= 0)
		f.ymax = 1;
	fprintf(out, "<svg class=\"chart\" viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"", SVG_W,
	        SVG_H);
	report_html_escape(out, c->title ? c->title : "");
	fprintf(out, "\"><title>");
	report_html_escape(out, c->title ? c->title : "");
	fprintf(out, "</title>\n");
	axes(out, &f, c);
	if (c->has_limit) {
		fprintf(
		    out,
		    "<line class=\"c-limit\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>"
		    "<text class=\"limit\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%g</text>\n",
		    f.x0, py(&f, c->limit), f.x1, py(&f, c->limit), f.x1 - 4, py(&f, c->limit) - 5,
		    c->limit);
	}
	double bw = px(&f, f.t0 + c->bar_ns) - f.x0;
	double gap = bw > 4 ? bw * 0.15 : 0;
	for (unsigned s = 0; s < c->nseries; s++) {
		const struct svg_series *se = &c->series[s];
		if (se->kind == SVG_BARS) {
			for (unsigned i = 0; i < se->n; i++) {
				if (se->y[i] <= 0)
					continue;
				double x = px(&f, se->x[i]) + gap / 2, y = py(&f, se->y[i]);
				fprintf(out,
				        "<rect class=\"%s\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
				        "height=\"%.1f\"/>\n",
				        se->css_class, x, y, bw - gap > 1 ? bw - gap : 1, f.y1 - y);
			}
		} else {
			fprintf(out, "<polyline class=\"%s\" points=\"", se->css_class);
			for (unsigned i = 0; i < se->n; i++)
				fprintf(out, "%s%.1f,%.1f", i ? " " : "",
				        px(&f, se->x[i] + c->bar_ns / 2), py(&f, se->y[i]));
			fprintf(out, "\"/>\n");
		}
	}
	legend(out, c);
	fprintf(out, "</svg>\n");
}

/* Geometry of the bar chart: one row per label. */
#define BAR_ROW   26
#define BAR_LABEL 150
#define BAR_W     720

void svg_fraction_bars(FILE *out, const char *title, const char *const *labels, const double *value,
                       unsigned n, double alert)
{
	if (n == 0) {
		fprintf(out, "<p class=\"note\">No data for this chart in the period.</p>\n");
		return;
	}
	double max = 0;
	for (unsigned i = 0; i < n; i++)
		if (value[i] > max)
			max = value[i];
	if (max <= 0)
		max = 1;
	int h = (int)n * BAR_ROW + 12;
	fprintf(out, "<svg class=\"chart bars\" viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"",
	        BAR_W, h);
	report_html_escape(out, title);
	fprintf(out, "\"><title>");
	report_html_escape(out, title);
	fprintf(out, "</title>\n");
	double room = BAR_W - BAR_LABEL - 80;
	for (unsigned i = 0; i < n; i++) {
		double y = 6 + (double)i * BAR_ROW, w = room * value[i] / max;
		fprintf(out, "<text class=\"tick\" x=\"%d\" y=\"%.1f\" text-anchor=\"end\">",
		        BAR_LABEL - 8, y + 15);
		report_html_escape(out, labels[i]);
		fprintf(
		    out,
		    "</text><rect class=\"%s\" x=\"%d\" y=\"%.1f\" width=\"%.1f\" height=\"18\"/>"
		    "<text class=\"tick\" x=\"%.1f\" y=\"%.1f\">%.2f%%</text>\n",
		    value[i] >= alert ? "c-fail" : "c-ok", BAR_LABEL, y + 2, w > 1 ? w : 1,
		    BAR_LABEL + (w > 1 ? w : 1) + 6, y + 15, 100 * value[i]);
	}
	fprintf(out, "<line class=\"axis\" x1=\"%d\" y1=\"2\" x2=\"%d\" y2=\"%d\"/></svg>\n",
	        BAR_LABEL, BAR_LABEL, h - 4);
}
