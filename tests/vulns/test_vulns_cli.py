"""`iotbaseline db import|status` through the real CLI entry point."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from iotbaseline.cli import main


def test_import_then_status(nvd_dir: Path, tmp_path: Path) -> None:
    db = tmp_path / "cli.sqlite"
    runner = CliRunner()
    result = runner.invoke(main, ["db", "import", "--db", str(db), "--json",
                                  str(nvd_dir / "embedded-cves.jsonl.gz")])
    assert result.exit_code == 0, result.output
    counts = json.loads(result.output)
    assert counts["new"] == 755 and counts["by_source"] == {"nvd": 755}  # README: 755 records
    again = runner.invoke(main, ["db", "import", "--db", str(db), str(nvd_dir / "embedded-cves.jsonl.gz")])
    assert "0 new, 0 updated, 755 unchanged" in again.output
    assert "not endorsed or certified by the NVD" in again.output
    status = runner.invoke(main, ["db", "status", "--db", str(db), "--json"])
    info = json.loads(status.output)
    assert info["records"] == 755 and info["sources"]["nvd"]["records"] == 755
    assert info["warning"] and "days old" in info["warning"]  # 2024 data is far older than 7 days


def test_env_variable_selects_database(tmp_path: Path) -> None:
    db = tmp_path / "env.sqlite"
    # a status query names the missing database and exits 2; it never creates one
    missing = CliRunner().invoke(main, ["db", "status"], env={"IOTBASELINE_DB": str(db)})
    assert missing.exit_code == 2 and not db.exists()
    assert str(db) in missing.output
    bad = tmp_path / "empty.json"
    bad.write_text("{}")
    CliRunner().invoke(main, ["db", "import", str(bad)], env={"IOTBASELINE_DB": str(db)})
    result = CliRunner().invoke(main, ["db", "status"], env={"IOTBASELINE_DB": str(db)})
    assert result.exit_code == 0 and db.exists()
    assert "empty" in result.output


def test_unreadable_file_is_an_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{\"hello\": 1}")
    result = CliRunner().invoke(main, ["db", "import", "--db", str(tmp_path / "d.sqlite"), str(bad)])
    assert result.exit_code == 2 and "unknown JSON format" in result.output


def test_update_kev_from_local_server(tmp_path: Path) -> None:
    """`db update --source kev` with the URL from the environment, served on 127.0.0.1."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    body = json.dumps({"catalogVersion": "2024.10.25", "vulnerabilities": [
        {"cveID": "CVE-2014-0160", "dateAdded": "2022-05-04"}]}).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{httpd.server_address[1]}/kev.json"
        db = tmp_path / "kev.sqlite"
        result = CliRunner().invoke(main, ["db", "update", "--db", str(db), "--source", "kev"],
                                    env={"IOTBASELINE_KEV_URL": url})
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert result.exit_code == 0, result.output
    assert "kev (1 request(s)): 1 new" in result.output
    status = json.loads(CliRunner().invoke(main, ["db", "status", "--db", str(db), "--json"]).output)
    assert status["sources"]["kev"]["records"] == 1
    assert status["sources"]["kev"]["catalog_version"] == "2024.10.25"
