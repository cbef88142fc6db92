#!/bin/sh
# dcvscope-report-mail.sh - the nightly report: writes the last period of the
# dcvscope database as HTML, Markdown, text and JSON into a directory, and
# mails it (a text part, and the HTML page both as the alternative part and
# as an attachment) through the local MTA with `sendmail -t`.
#
# Environment (the systemd unit and the cron example set these):
#   DCVSCOPE      the dcvscope binary (default: dcvscope from PATH)
#   DCVSCOPE_DB   the database (default /var/lib/dcvscope/dcvscope.db)
#   REPORT_DIR    where reports go (default /var/lib/dcvscope/reports):
#                 report-YYYY-MM-DD.{html,md,txt,json} and report-latest.*
#   REPORT_SINCE  the period (default 24h)
#   REPORT_CONFIG an INI file with rule thresholds (optional)
#   MAILTO        recipients, comma separated; empty = write, do not mail
#   MAILFROM      sender (default dcvscope@$(hostname -f))
#   SENDMAIL      the MTA's sendmail (default /usr/sbin/sendmail)
#   KEEP_DAYS     delete reports older than this many days (default 90; 0 = keep)
# Exit status: 0 done; the report's own exit status when it failed (2 usage,
# 4 database); 6 mailing failed.
set -eu

DCVSCOPE=${DCVSCOPE:-dcvscope}
DCVSCOPE_DB=${DCVSCOPE_DB:-/var/lib/dcvscope/dcvscope.db}
REPORT_DIR=${REPORT_DIR:-/var/lib/dcvscope/reports}
REPORT_SINCE=${REPORT_SINCE:-24h}
MAILTO=${MAILTO:-}
MAILFROM=${MAILFROM:-dcvscope@$(hostname -f 2>/dev/null || hostname)}
SENDMAIL=${SENDMAIL:-/usr/sbin/sendmail}
KEEP_DAYS=${KEEP_DAYS:-90}

day=$(date -u +%Y-%m-%d)
mkdir -p "$REPORT_DIR"
set -- --db "$DCVSCOPE_DB" --since "$REPORT_SINCE"
if [ -n "${REPORT_CONFIG:-}" ]; then
	set -- "$@" --config "$REPORT_CONFIG"
fi
for fmt in html:html markdown:md text:txt json:json; do
	out="$REPORT_DIR/report-$day.${fmt#*:}"
	"$DCVSCOPE" report "$@" --format "${fmt%%:*}" -o "$out" || exit $?
	cp -f "$out" "$REPORT_DIR/report-latest.${fmt#*:}.tmp"
	mv -f "$REPORT_DIR/report-latest.${fmt#*:}.tmp" "$REPORT_DIR/report-latest.${fmt#*:}"
done
if [ "$KEEP_DAYS" -gt 0 ]; then
	find "$REPORT_DIR" -maxdepth 1 -name 'report-????-??-??.*' -mtime +"$KEEP_DAYS" -delete
fi
[ -n "$MAILTO" ] || exit 0

# The subject says at a glance whether there is anything to do: the summary
# line of the text report ("2 critical, 1 warning, 0 info finding(s); ...").
summary=$(sed -n '4p' "$REPORT_DIR/report-$day.txt" | cut -d';' -f1)
[ -n "$summary" ] || summary="no traffic stored"
boundary="dcvscope-$(date +%s)-$$"
alt="$boundary-alt"

{
	printf 'From: %s\n' "$MAILFROM"
	printf 'To: %s\n' "$MAILTO"
	printf 'Subject: dcvscope report %s: %s\n' "$day" "$summary"
	printf 'Date: %s\n' "$(LC_ALL=C date -R)"
	printf 'MIME-Version: 1.0\n'
	printf 'Auto-Submitted: auto-generated\n'
	printf 'Content-Type: multipart/mixed; boundary="%s"\n\n' "$boundary"
	printf 'This is a MIME message: the dcvscope report as text and HTML.\n\n'
	printf -- '--%s\n' "$boundary"
	printf 'Content-Type: multipart/alternative; boundary="%s"\n\n' "$alt"
	printf -- '--%s\n' "$alt"
	printf 'Content-Type: text/plain; charset=utf-8\n'
	printf 'Content-Transfer-Encoding: base64\n\n'
	base64 "$REPORT_DIR/report-$day.txt"
	printf -- '\n--%s\n' "$alt"
	printf 'Content-Type: text/html; charset=utf-8\n'
	printf 'Content-Transfer-Encoding: base64\n\n'
	base64 "$REPORT_DIR/report-$day.html"
	printf -- '\n--%s--\n\n' "$alt"
	printf -- '--%s\n' "$boundary"
	printf 'Content-Type: text/html; charset=utf-8; name="dcvscope-report-%s.html"\n' "$day"
	printf 'Content-Disposition: attachment; filename="dcvscope-report-%s.html"\n' "$day"
	printf 'Content-Transfer-Encoding: base64\n\n'
	base64 "$REPORT_DIR/report-$day.html"
	printf -- '\n--%s--\n' "$boundary"
} | "$SENDMAIL" -t -oi || exit 6
