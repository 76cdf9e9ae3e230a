"""Nothing under a folder is skipped in silence: every entry is indexed, unchanged, failed
or skipped with its reason, and special files are never opened."""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest

from indexer.ingest import discovery
from indexer.ingest.discovery import find_files, skip_reason
from indexer.names import one_line

from helpers import FAZHI, ROOT, short_seeds

REAL = ROOT.parent / "shared" / "corpora" / "real-files"
LOCK = discovery.LOCK_FILE


def fazhi(*args, timeout=120):
    """``fazhi`` in a child process with a time limit: a special file opened by mistake
    would block it, and the test must fail rather than hang."""
    return subprocess.run(
        [*FAZHI, *map(str, args)],
        capture_output=True,
        text=True,
        errors="surrogateescape",
        timeout=timeout,
        cwd=ROOT,
        check=False,
    )


def test_lock_hidden_and_unsupported_files_are_listed_as_skipped(tmp_path):
    corpus = short_seeds(tmp_path / "c")
    (corpus / "~$报告.docx").write_bytes(b"\x0bowner")
    (corpus / ".~报告.docx").write_bytes(b"wps lock")
    (corpus / ".~lock.报告.docx#").write_text("libreoffice lock", encoding="utf-8")
    (corpus / ".DS_Store").write_bytes(b"\0\0\0\1")
    (corpus / "台账.xlsx").write_bytes(b"PK\3\4")
    (corpus / "README").write_text("notes", encoding="utf-8")
    (corpus / ".git").mkdir()
    (corpus / ".git" / "config").write_text("[core]", encoding="utf-8")
    ix = tmp_path / "ix"
    res = fazhi("index", corpus, "--index", ix)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == f"5 indexed, 0 unchanged, 0 failed, 7 skipped (5 reports in {ix})"
    assert sorted(line for line in res.stderr.splitlines() if line.startswith("skipped: ")) == [
        f"skipped: {corpus / '.DS_Store'}: hidden file",
        f"skipped: {corpus / '.git'}: hidden directory (not searched)",
        f"skipped: {corpus / '.~lock.报告.docx#'}: {LOCK}",
        f"skipped: {corpus / '.~报告.docx'}: {LOCK}",
        f"skipped: {corpus / 'README'}: unsupported file type (no extension)",
        f"skipped: {corpus / '~$报告.docx'}: {LOCK}",
        f"skipped: {corpus / '台账.xlsx'}: unsupported file type '.xlsx'",
    ]
    res = fazhi("index", corpus, "--index", ix, "--json")
    summary = json.loads(res.stdout)
    assert len(summary["unchanged"]) == 5 and summary["failed"] == []
    assert {"file": str(corpus / "台账.xlsx"), "reason": "unsupported file type '.xlsx'"} in (
        summary["skipped"]
    )
    assert len(summary["skipped"]) == 7


@pytest.mark.skipif(not REAL.is_dir(), reason="the real files are not there")
def test_the_real_wps_lock_file_is_skipped_and_counted(tmp_path):
    corpus = tmp_path / "c"
    corpus.mkdir()
    shutil.copy(REAL / "docx" / ".~禁毒法.docx", corpus)
    shutil.copy(REAL / "docx" / "zh_docx_jindufa.docx", corpus)
    res = fazhi("index", corpus, "--index", tmp_path / "ix")
    assert res.returncode == 0, res.stderr
    assert res.stdout.startswith("1 indexed, 0 unchanged, 0 failed, 1 skipped ")
    assert f"skipped: {corpus / '.~禁毒法.docx'}: {LOCK}" in res.stderr


def test_special_files_are_skipped_without_being_opened(tmp_path):
    corpus = short_seeds(tmp_path / "c")
    os.mkfifo(corpus / "pipe.txt")  # opening it for reading would block
    os.symlink(corpus / "pipe.txt", corpus / "to-pipe.pdf")
    os.symlink(tmp_path / "nowhere.txt", corpus / "dangling.txt")
    os.symlink(corpus, corpus / "loop")  # a link to a directory is not followed
    os.symlink("/dev/zero", corpus / "zero.txt")  # endless if read
    ix = tmp_path / "ix"
    res = fazhi("index", corpus, "--index", ix)
    assert res.returncode == 0, res.stderr
    assert res.stdout.startswith("5 indexed, 0 unchanged, 0 failed, 5 skipped ")
    skipped = sorted(line for line in res.stderr.splitlines() if line.startswith("skipped: "))
    assert skipped == [
        f"skipped: {corpus / 'dangling.txt'}: broken symbolic link",
        f"skipped: {corpus / 'loop'}: symbolic link to a directory (not followed)",
        f"skipped: {corpus / 'pipe.txt'}: not a regular file (FIFO)",
        f"skipped: {corpus / 'to-pipe.pdf'}: not a regular file (symbolic link to a FIFO)",
        f"skipped: {corpus / 'zero.txt'}: not a regular file (symbolic link to a character device)",
    ]
    # named on the command line too
    res = fazhi("index", corpus / "pipe.txt", "--index", ix)
    assert res.returncode == 0, res.stderr
    assert f"skipped: {corpus / 'pipe.txt'}: not a regular file (FIFO)" in res.stderr


def test_an_unreadable_directory_is_reported(tmp_path, monkeypatch):
    corpus = short_seeds(tmp_path / "c")
    (corpus / "locked").mkdir()
    (corpus / "locked" / "x.txt").write_text("报告。", encoding="utf-8")
    real_scandir = os.scandir

    def scandir(path):  # tests run as root, whom chmod does not stop
        if os.path.basename(path) == "locked":
            raise PermissionError(13, "Permission denied")
        return real_scandir(path)

    monkeypatch.setattr(discovery.os, "scandir", scandir)
    found = find_files([corpus])
    assert len(found.files) == 5
    assert found.failed == [(str(corpus / "locked"), "cannot read directory (Permission denied)")]


def test_file_names_with_control_characters_are_shown_escaped(tmp_path):
    corpus = short_seeds(tmp_path / "c")
    (corpus / "a\x1b[2Jb\n.txt").write_bytes(b"")  # an empty file: it fails, naming itself
    (corpus / "x\u202egpj.exe").write_bytes(b"MZ")
    bad = os.fsencode(str(corpus)) + b"/caf\xe9.txt"
    with open(bad, "wb") as f:
        f.write("依法行政。".encode())
    ix = tmp_path / "ix"
    res = fazhi("index", corpus, "--index", ix)
    assert res.returncode == 1
    lines = res.stderr.splitlines()
    assert f"failed: {corpus}/a\\x1b[2Jb\\n.txt: file is empty " in "\n".join(lines)
    assert f"skipped: {corpus}/x\\u202egpj.exe: unsupported file type '.exe'" in lines
    assert all("\x1b" not in line and "\u202e" not in line for line in lines)
    # a name that is not UTF-8 is read like any other (shown with a replacement character)
    assert res.stdout.startswith("6 indexed, 0 unchanged, 1 failed, 1 skipped ")
    res = fazhi("reports", "--index", ix, "--json")
    assert f"{corpus}/caf\ufffd.txt" in {r["source"] for r in json.loads(res.stdout)}
    # JSON keeps the other names whole, escaped the JSON way
    res = fazhi("index", corpus, "--index", ix, "--json")
    summary = json.loads(res.stdout)
    assert {f["file"] for f in summary["failed"]} == {str(corpus / "a\x1b[2Jb\n.txt")}


def test_an_empty_file_after_another_is_empty_not_a_duplicate(tmp_path):
    corpus = short_seeds(tmp_path / "c")
    for name in ("a.txt", "b.txt", "c.pdf"):
        (corpus / name).write_bytes(b"")
    res = fazhi("index", corpus, "--index", tmp_path / "ix", "--json")
    summary = json.loads(res.stdout)
    assert summary["duplicates"] == []
    assert sorted((os.path.basename(f["file"]), f["reason"]) for f in summary["failed"]) == [
        (name, "file is empty (check that the download or copy finished)")
        for name in ("a.txt", "b.txt", "c.pdf")
    ]


def test_skip_reasons_and_one_line_names():
    assert skip_reason("~$x.docx") == skip_reason(".~x.docx") == LOCK
    assert skip_reason(".x.pdf") == "hidden file"
    assert skip_reason("x.PDF") is None and skip_reason("x.jpg") == "unsupported file type '.jpg'"
    assert one_line("a\tb\x00\u2028\u200b\udcff") == "a\\tb\\x00\\u2028\\u200b\ufffd"
    assert one_line("美湖镇（2023）　报告.pdf") == "美湖镇（2023）　报告.pdf"
