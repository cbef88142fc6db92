/* report_render.c - the section order every report format follows, and
 * text cleaning shared by the text renderers (report_render.h). */
#include "report_render.h"

void report_put_clean(FILE *out, const char *s)
{
	for (; *s; s++)
		fputc(((unsigned char)*s < 0x20 || *s == 0x7f) ? '?' : *s, out);
}

int report_render_sections(FILE *out, const struct report *r, const struct report_format *f)
{
	typedef void (*section_fn)(FILE * out, const struct report *r);
	const section_fn empty[] = {f->top, f->empty, f->coverage, f->bottom};
	const section_fn before[] = {f->top, f->coverage, f->findings, f->charts};
	const section_fn after[] = {f->depth, f->attempts, f->names, f->change, f->bottom};
	if (report_is_empty(r)) {
		for (size_t i = 0; i < sizeof(empty) / sizeof(empty[0]); i++)
			if (empty[i] != NULL)
				empty[i](out, r);
		return ferror(out) ? -1 : 0;
	}
	for (size_t i = 0; i < sizeof(before) / sizeof(before[0]); i++)
		if (before[i] != NULL)
			before[i](out, r);
	f->groups(out, "cas", "Certificate authorities", "CA", &r->cur.cas, &r->prev.cas);
	f->groups(out, "regions", "Regions", "Region", &r->cur.regions, &r->prev.regions);
	for (size_t i = 0; i < sizeof(after) / sizeof(after[0]); i++)
		if (after[i] != NULL)
			after[i](out, r);
	return ferror(out) ? -1 : 0;
}
