"""scripts/loadtest.py works: a small load on loopback, with a re-index meanwhile."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from helpers import ROOT


@pytest.mark.slow
def test_small_load_while_reindexing_has_no_5xx(seed_index, tmp_path):
    out = tmp_path / "load.json"
    proc = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "loadtest.py"), str(seed_index),
         "--requests", "150", "--concurrency", "3", "--max-seconds", "60", "--json", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    result = json.loads(out.read_text(encoding="utf-8"))
    assert result["requests"] == 150
    assert "5xx" not in result["status"] and result["unexpected"] == []
    assert result["status"]["4xx"] > 0  # the bad queries were refused, not served
    assert result["reports"] == 5
    assert result["commits"] > 0 and result["reindex_failures"] == []
    assert proc.stdout.splitlines()[1].startswith("status: 2xx ")
    # the server answered 150 requests and the re-index runs loaded jieba: both took time
    cpu = result["cpu_seconds"]
    assert cpu["server"] > 0 and cpu["reindex"] > 0.5 and cpu["clients"] > 0 and cpu["cores"] >= 1
    assert "processor seconds while loaded: server " in proc.stdout


@pytest.mark.slow
def test_load_at_a_rate_over_two_worker_processes(seed_index, tmp_path):
    out = tmp_path / "load.json"
    proc = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "loadtest.py"), str(seed_index),
         "--requests", "60", "--concurrency", "2", "--rate", "30", "--workers", "2",
         "--no-reindex", "--max-seconds", "60", "--json", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    result = json.loads(out.read_text(encoding="utf-8"))
    assert (result["requests"], result["rate"]) == (60, 30)
    assert "5xx" not in result["status"] and result["unexpected"] == []
    # due at 30 a second: the 60 requests take about two seconds, not as long as they can
    assert result["seconds"] >= 1.0
    assert proc.stdout.splitlines()[0].startswith("60 requests in ")
    assert " 2 clients at 30 requests/s due, 5 reports" in proc.stdout.splitlines()[0]
