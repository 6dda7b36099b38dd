"""The zero-reports alert end to end: a replica column emptied between two scheduled runs."""
import json
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

from replica import Replica
from test_schedule_service import LOOPBACK, NIANBAO, portal_file, rows


class Hook(BaseHTTPRequestHandler):
    posts: list = []

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        Hook.posts.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


def test_a_column_changed_to_list_zero_reports_alerts_on_the_next_run(tmp_path):
    db = tmp_path / "nb.db"
    hook = HTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=hook.serve_forever, daemon=True).start()
    Hook.posts.clear()
    once = NIANBAO + ["schedule", "--once", "--db", str(db), "--webhook", f"http://127.0.0.1:{hook.server_port}/",
                      *LOOPBACK]
    try:
        with Replica(seed=2) as replica:
            portals = portal_file(tmp_path / "portals.toml", replica, {"gbk": "* * * * * *"})
            first = subprocess.run(once + ["--portals", str(portals)], capture_output=True, text=True, timeout=120)
            assert first.stdout.split() == ["gbk", "ok"], first.stderr[-2000:]
            replica.set_zero("gbk")
            time.sleep(1.1)                                   # the every-second cron fires again: due
            second = subprocess.run(once + ["--portals", str(portals)], capture_output=True, text=True, timeout=120)
            assert second.stdout.split() == ["gbk", "ok"], second.stderr[-2000:]
    finally:
        hook.shutdown()
        hook.server_close()
    alerts = rows(db, "select * from alerts where resolved = 0")
    assert [(a["portal"], a["kind"]) for a in alerts] == [("gbk", "zero_reports")]
    assert alerts[0]["run_id"] == rows(db, "select max(id) as id from crawl_runs")[0]["id"]
    assert [(p["portal"], p["kind"]) for p in Hook.posts] == [("gbk", "zero_reports")]
    status = subprocess.run(NIANBAO + ["status", "--db", str(db), "--portals", str(portals)],
                            capture_output=True, text=True, timeout=60)
    assert "Open alerts: 1" in status.stdout and "gbk zero_reports" in status.stdout
