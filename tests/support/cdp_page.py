#!/usr/bin/env python3
"""cdp_page.py - load one page in headless Chromium and report what happened.

Drives Chromium over the DevTools protocol on a pipe (--remote-debugging-pipe:
commands on fd 3, replies and events on fd 4, each a JSON text ended by NUL),
with the Python standard library only. It collects every console message of
level error, every uncaught exception and every browser log entry of level
error (failed loads, Content-Security-Policy violations), queries the
rendered DOM, and saves a full-page screenshot.

usage: cdp_page.py --chromium PATH --url URL --user-data-dir DIR
                   [--screenshot FILE.png] [--width PX] [--timeout S]

Prints one JSON object: {"errors": [...], "dom": {...}}. Exit status: 0 the
page loaded without errors, 1 it logged errors, 2 the browser could not be
driven (did not start, timed out).
"""
import argparse
import base64
import fcntl
import json
import os
import signal
import subprocess
import sys
import time

# What the test wants to know about the rendered page.
DOM_QUERY = """JSON.stringify({
  title: document.title,
  svg: document.querySelectorAll('svg').length,
  svg_with_shapes: [...document.querySelectorAll('svg')].filter(
      s => s.querySelector('rect, polyline, line')).length,
  svg_rendered: [...document.querySelectorAll('svg')].filter(
      s => s.getBoundingClientRect().width > 100).length,
  tables: document.querySelectorAll('table').length,
  table_rows: document.querySelectorAll('tr').length,
  sections: [...document.querySelectorAll('section[id]')].map(s => s.id),
  findings: document.querySelectorAll('.finding').length,
  scripts: document.querySelectorAll('script').length,
  viewport: !!document.querySelector('meta[name=viewport]'),
  width: document.documentElement.scrollWidth,
  viewport_width: window.innerWidth,
  height: document.documentElement.scrollHeight
})"""


class Browser:
    def __init__(self, chromium, user_data_dir, width):
        # the browser reads our commands from its fd 3 and writes to its fd 4
        cmd_r, self.cmd_w = os.pipe()
        self.res_r, res_w = os.pipe()
        args = [chromium, "--headless=new", "--no-sandbox", "--disable-gpu",
                "--no-first-run", "--no-default-browser-check", "--disable-extensions",
                "--remote-debugging-pipe", "--user-data-dir=" + user_data_dir,
                "--window-size=%d,900" % width, "about:blank"]

        def child_fds():
            # move both ends above 3 and 4 first: either may sit on 3 or 4
            hi_r = fcntl.fcntl(cmd_r, fcntl.F_DUPFD, 10)
            hi_w = fcntl.fcntl(res_w, fcntl.F_DUPFD, 10)
            os.dup2(hi_r, 3)
            os.dup2(hi_w, 4)

        # close_fds=False: closing would run after preexec_fn and take 3 and 4
        # too; every other descriptor of this process is close-on-exec
        self.proc = subprocess.Popen(args, preexec_fn=child_fds, close_fds=False,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(cmd_r)
        os.close(res_w)
        self.buf = b""
        self.next_id = 0
        self.events = []

    def send(self, method, params=None, session=None):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self.cmd_w, json.dumps(msg).encode() + b"\0")
        return self.next_id

    def read_message(self):
        while b"\0" not in self.buf:
            chunk = os.read(self.res_r, 1 << 16)
            if not chunk:
                raise RuntimeError("the browser closed the DevTools pipe")
            self.buf += chunk
        raw, self.buf = self.buf.split(b"\0", 1)
        return json.loads(raw)

    def call(self, method, params=None, session=None):
        want = self.send(method, params, session)
        while True:
            msg = self.read_message()
            if msg.get("id") == want:
                if "error" in msg:
                    raise RuntimeError("%s: %s" % (method, msg["error"]))
                return msg.get("result", {})
            if "method" in msg:
                self.events.append(msg)

    def wait_event(self, name):
        for i, ev in enumerate(self.events):
            if ev["method"] == name:
                return self.events.pop(i)
        while True:
            msg = self.read_message()
            if msg.get("method") == name:
                return msg
            if "method" in msg:
                self.events.append(msg)

    def drain(self, seconds):
        """Reads events for a short while (late console messages)."""
        import select
        end = time.monotonic() + seconds
        while True:
            left = end - time.monotonic()
            if left <= 0 or b"\0" in self.buf:
                if b"\0" in self.buf:
                    self.events.append(self.read_message())
                    continue
                return
            ready, _, _ = select.select([self.res_r], [], [], left)
            if not ready:
                return
            chunk = os.read(self.res_r, 1 << 16)
            if not chunk:
                return
            self.buf += chunk

    def close(self):
        try:
            self.call("Browser.close")
        except Exception:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def errors_of(events):
    out = []
    for ev in events:
        m, p = ev["method"], ev.get("params", {})
        if m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
            text = " ".join(str(a.get("value", a.get("description", ""))) for a in p.get("args", []))
            out.append("console.%s: %s" % (p["type"], text))
        elif m == "Runtime.exceptionThrown":
            d = p.get("exceptionDetails", {})
            out.append("exception: %s" % d.get("exception", {}).get("description", d.get("text")))
        elif m == "Log.entryAdded" and p.get("entry", {}).get("level") == "error":
            e = p["entry"]
            out.append("log (%s): %s %s" % (e.get("source"), e.get("text"), e.get("url", "")))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--chromium", required=True)
    ap.add_argument("--url", required=True)
    ap.add_argument("--user-data-dir", required=True)
    ap.add_argument("--screenshot")
    ap.add_argument("--width", type=int, default=1200)
    ap.add_argument("--timeout", type=float, default=60)
    a = ap.parse_args()

    def on_alarm(signum, frame):
        raise TimeoutError("no answer from the browser within %g s" % a.timeout)

    signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, a.timeout)
    b = None
    try:
        b = Browser(a.chromium, a.user_data_dir, a.width)
        target = b.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        s = b.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Runtime.enable", "Log.enable", "Page.enable"):
            b.call(domain, session=s)
        # the page is laid out at exactly this width (a phone below 600 px)
        b.call("Emulation.setDeviceMetricsOverride",
               {"width": a.width, "height": 900, "deviceScaleFactor": 1,
                "mobile": a.width < 600}, session=s)
        b.call("Page.navigate", {"url": a.url}, session=s)
        b.wait_event("Page.loadEventFired")
        b.drain(0.5)
        dom = json.loads(b.call("Runtime.evaluate", {"expression": DOM_QUERY, "returnByValue": True},
                                session=s)["result"]["value"])
        if a.screenshot:
            b.call("Emulation.setDeviceMetricsOverride",
                   {"width": a.width, "height": min(int(dom["height"]), 16000),
                    "deviceScaleFactor": 1, "mobile": a.width < 600}, session=s)
            shot = b.call("Page.captureScreenshot", {"format": "png"}, session=s)
            with open(a.screenshot, "wb") as f:
                f.write(base64.b64decode(shot["data"]))
        b.drain(0.2)
        errors = errors_of(b.events)
    except (RuntimeError, TimeoutError, OSError, KeyError, ValueError) as e:
        print(json.dumps({"failure": str(e)}))
        return 2
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        if b is not None:
            b.close()
    print(json.dumps({"errors": errors, "dom": dom}))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
