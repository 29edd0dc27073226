"""``scan --jobs``: documents scanned by worker processes come out as one job gives them, in input order;
a page the scanner fails on, a worker killed and a page too large for a worker are each handled as said.

The worker cases run in a fresh interpreter of their own: a pytest process may hold threads (and a
threaded process is never forked), so there the parallel path could not be told from the serial one.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from resolver.scan.stream import KILLED

FIXTURES = Path(__file__).parent / "fixtures"
ARTICLES = sorted(p for p in FIXTURES.iterdir() if p.suffix in {".html", ".htm", ".md", ".txt"})

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="workers are forked on Linux only")


def scan(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "resolver", "scan", *args], capture_output=True, text=True,
                          timeout=300)  # fmt: skip


def article_copies(tmp_path: Path, times: int) -> Path:
    """A folder of every fixture article ``times`` over (NN-name), in that order."""
    articles = tmp_path / "articles"
    articles.mkdir()
    for copy in range(times):
        for article in ARTICLES:
            (articles / f"{copy:02d}-{article.name}").write_bytes(article.read_bytes())
    return articles


def test_workers_give_the_records_one_job_gives_in_the_same_order(tmp_path: Path) -> None:
    # every fixture article 30 times over (1.3 MB): past what the parent scans alone before starting workers
    articles = article_copies(tmp_path, 30)
    assert sum(p.stat().st_size for p in articles.iterdir()) > 1_000_000
    one, four = tmp_path / "one.jsonl", tmp_path / "four.jsonl"
    first = scan(str(articles), "-q", "--format", "jsonl", "-j", "1", "-o", str(one))
    second = scan(str(articles), "-q", "--format", "jsonl", "-j", "4", "-o", str(four))
    assert (first.returncode, second.returncode) == (0, 0), first.stderr + second.stderr
    records = one.read_text().splitlines()
    assert len(records) > 3000
    assert four.read_text().splitlines() == records
    assert len({json.loads(r)["source"] for r in records}) > 300  # many documents, so many went to workers


def run_workers(tmp_path: Path, body: str = "", names: str = "abcdef") -> dict[str, object]:
    """Run scan_each with jobs=2 over documents a..f in a fresh interpreter, ``iter_scan`` replaced by
    ``fake`` (each document's name and pid, unless ``body`` defines another): what came out, in order, and
    whether the parent produced it (with workers, it scans none itself)."""
    code = textwrap.dedent(
        """
        import json, os, signal, sys
        from resolver.models import Document
        from resolver.scan import stream

        PARENT = os.getpid()
        stream.SERIAL_FIRST_CHARS = 1  # "a" (10 characters) is enough to start workers
        def fake(doc, links, whole_page):  # what each document gives: its name and who scanned it
            yield (doc.source, os.getpid())
        {body}
        stream.iter_scan = fake
        docs = [Document(name, name * 10, "text") for name in {names!r}]
        errors = []
        out = list(stream.scan_each(docs, on_error=lambda d, e: errors.append([d.source, str(e)]), jobs=2))
        print(json.dumps({{"out": [[s, pid == PARENT] for s, pid in out], "errors": errors}}))
        """
    ).format(body=textwrap.indent(textwrap.dedent(body), "").strip(), names=names)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    result: dict[str, object] = json.loads(proc.stdout)
    return result


def test_each_document_is_scanned_in_a_worker_and_comes_out_in_order(tmp_path: Path) -> None:
    result = run_workers(tmp_path)
    assert result == {"out": [[name, False] for name in "abcdef"], "errors": []}


def test_a_small_input_is_scanned_by_the_parent_alone(tmp_path: Path) -> None:
    result = run_workers(
        tmp_path,
        """
        stream.SERIAL_FIRST_CHARS = 1_000  # 60 characters in all: workers would cost more than they save
        """,
    )
    assert result == {"out": [[name, True] for name in "abcdef"], "errors": []}


def test_one_document_however_large_is_scanned_by_the_parent_alone(tmp_path: Path) -> None:
    # past the size that starts workers (1 character), but alone: a worker would only add its start
    # and the trip of the findings back
    result = run_workers(tmp_path, names="a")
    assert result == {"out": [["a", True]], "errors": []}
    result = run_workers(tmp_path, names="ab")
    assert result == {"out": [["a", False], ["b", False]], "errors": []}


def test_a_page_the_scanner_fails_on_is_one_error_and_the_others_go_on(tmp_path: Path) -> None:
    result = run_workers(
        tmp_path,
        """
        def fake(doc, links, whole_page):
            if doc.source == "c":
                raise ValueError("no such shape")
            yield (doc.source, os.getpid())
        """,
    )
    assert result["out"] == [[name, False] for name in "abdef"]
    assert result["errors"] == [["c", "ValueError: no such shape"]]


def test_a_killed_worker_fails_only_the_document_that_kills_it(tmp_path: Path) -> None:
    result = run_workers(
        tmp_path,
        """
        def fake(doc, links, whole_page):
            if doc.source == "c":
                os.kill(os.getpid(), signal.SIGKILL)
            yield (doc.source, os.getpid())
        """,
    )
    # the documents the broken pool held are scanned again one by one: only "c" kills its worker again
    assert result == {"out": [[name, False] for name in "abdef"], "errors": [["c", "worker died: " + KILLED]]}


def test_a_document_too_large_for_a_worker_is_scanned_by_the_parent_in_its_turn(tmp_path: Path) -> None:
    result = run_workers(
        tmp_path,
        """
        stream.PARENT_ONLY_CHARS = 15  # "dd..." is 10 characters: make d alone too large
        docs_text = {"d": 20}
        _doc = Document
        def Document(name, text, kind):
            return _doc(name, name * docs_text.get(name, 10), kind)
        """,
    )
    assert result == {"out": [[n, n == "d"] for n in "abcdef"], "errors": []}


def test_a_bound_on_the_text_out_keeps_the_order(tmp_path: Path) -> None:
    result = run_workers(
        tmp_path,
        """
        stream.IN_FLIGHT_CHARS = 15  # each document is 10 characters: one out at a time beside the next
        """,
    )
    assert result == {"out": [[name, False] for name in "abcdef"], "errors": []}


def test_a_parent_running_another_thread_is_never_forked_and_scans_alone(tmp_path: Path) -> None:
    result = run_workers(
        tmp_path,
        """
        import threading
        waiting = threading.Event()
        threading.Thread(target=waiting.wait, daemon=True).start()  # e.g. a DNS library's helper thread
        """,
    )
    assert result == {"out": [[name, True] for name in "abcdef"], "errors": []}


def test_no_worker_can_be_forked_and_the_parent_scans_everything(tmp_path: Path) -> None:
    result = run_workers(
        tmp_path,
        """
        def no_fork():
            raise BlockingIOError(11, "Resource temporarily unavailable")  # a process limit reached
        os.fork = no_fork
        """,
    )
    assert result == {"out": [[name, True] for name in "abcdef"], "errors": []}


def test_workers_start_warm_the_parent_builds_what_a_first_scan_builds(tmp_path: Path) -> None:
    # in a fresh interpreter, so that nothing of the scanner is built yet: after the warm-up, the modules
    # and patterns of both scanners exist, and a first page of each kind builds nothing more
    code = textwrap.dedent(
        """
        import json, sys
        from resolver.models import Document
        from resolver.scan import iter_scan, links, stream

        before = {"html": "resolver.scan.html" in sys.modules, "text": "resolver.scan.text" in sys.modules,
                  "tlds": links._known_tlds.cache_info().currsize}
        stream.warm_scanner()
        after = {"html": "resolver.scan.html" in sys.modules, "text": "resolver.scan.text" in sys.modules,
                 "tlds": links._known_tlds.cache_info().currsize}
        modules = set(sys.modules)
        page = Document("p.html", '<p>Read <a href="https://bit.ly/x">it</a> at news.example.com/y.</p>', "html")
        text = Document("t.txt", "Read it at news.example.com/y.\\n", "text")
        found = [f.url for doc in (page, text) for f in iter_scan(doc)]
        print(json.dumps({"before": before, "after": after, "found": found,
                          "new_modules": sorted(set(sys.modules) - modules)}))
        """
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["before"] == {"html": False, "text": False, "tlds": 0}
    assert result["after"] == {"html": True, "text": True, "tlds": 1}
    assert result["found"] == ["https://bit.ly/x", "https://news.example.com/y", "https://news.example.com/y"]
    assert result["new_modules"] == []


def test_one_document_starts_no_worker(tmp_path: Path) -> None:
    page = tmp_path / "one.html"
    page.write_text('<p><a href="https://t.co/abc">x</a></p>')
    proc = scan(str(page), "-q", "--format", "jsonl", "-j", "8")
    assert proc.returncode == 0, proc.stderr
    assert [json.loads(r)["url"] for r in proc.stdout.splitlines()] == ["https://t.co/abc"]


def test_jobs_comes_from_the_environment_and_is_checked() -> None:
    env = {**os.environ, "RESOLVER_JOBS": "-3"}
    proc = subprocess.run([sys.executable, "-m", "resolver", "scan", str(ARTICLES[0]), "-q"], capture_output=True,
                          text=True, env=env, timeout=120)  # fmt: skip
    assert proc.returncode == 2
    assert "RESOLVER_JOBS" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


def run_unread_files(tmp_path: Path) -> dict[str, object]:
    """scan_each with jobs=2 over files a..f given unread, e an unreadable FIFO, in a fresh interpreter:
    what came out and who scanned it, what failed to read, and which process read each file."""
    folder = tmp_path / "files"
    folder.mkdir()
    for name in "abcdf":
        (folder / f"{name}.txt").write_text(name * 10)
    os.mkfifo(folder / "e.txt")  # a reader would wait for a writer for ever: refused unread
    code = textwrap.dedent(
        f"""
        import json, os, sys
        from resolver.read.files import UnreadFile, unread_file
        from resolver.scan import stream

        PARENT = os.getpid()
        stream.SERIAL_FIRST_CHARS = 1  # the size "a" is listed with is enough to start workers
        def fake(doc, links, whole_page):
            yield (os.path.basename(doc.source)[0], os.getpid())
        stream.iter_scan = fake
        reading = UnreadFile.read
        def read(self):  # who reads each file, written where every process can add to it
            with open({str(tmp_path / "readers")!r}, "a") as log:
                log.write(os.path.basename(self.source)[0] + " " + str(os.getpid() == PARENT) + "\\n")
            return reading(self)
        UnreadFile.read = read
        items = [unread_file(os.path.join({str(folder)!r}, name + ".txt")) for name in "abcdef"]
        unreadable, errors = [], []
        out = list(stream.scan_each(items, on_error=lambda d, e: errors.append(str(e)),
                                    on_unreadable=lambda e: unreadable.append(e.reason), jobs=2))
        print(json.dumps({{"out": [[s, pid == PARENT] for s, pid in out], "unreadable": unreadable,
                          "errors": errors}}))
        """
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    result: dict[str, object] = json.loads(proc.stdout)
    result["readers"] = sorted((tmp_path / "readers").read_text().split("\n")[:-1])
    return result


def test_files_given_unread_are_read_by_the_workers_that_scan_them(tmp_path: Path) -> None:
    result = run_unread_files(tmp_path)
    assert result["out"] == [[name, False] for name in "abcdf"]  # in input order, e left out
    # every file, e included, was read in a worker: the parent only listed them
    assert result["readers"] == ["a False", "b False", "c False", "d False", "e False", "f False"]
    assert result["unreadable"] == ["not a regular file (a FIFO); refused"]  # a source's failure,
    assert result["errors"] == []  # not a scanner's


def test_an_unreadable_file_fails_as_one_source_and_the_exit_code_says_so(tmp_path: Path) -> None:
    articles = article_copies(tmp_path, 12)
    os.mkfifo(articles / "06-zz.html")  # in the middle of the input, past what the parent scans alone
    one, two = tmp_path / "one.jsonl", tmp_path / "two.jsonl"
    first = scan(str(articles), "-q", "--format", "jsonl", "-j", "1", "-o", str(one))
    second = scan(str(articles), "-q", "--format", "jsonl", "-j", "2", "-o", str(two))
    assert (first.returncode, second.returncode) == (2, 2)
    assert first.stderr == second.stderr
    fifo = articles / "06-zz.html"
    assert first.stderr.strip().splitlines() == [f"resolver: error: {fifo}: not a regular file (a FIFO); refused"]
    assert two.read_text() == one.read_text()
    assert len(one.read_text().splitlines()) > 1000


@pytest.mark.parametrize("jobs", [1, 2])
def test_on_done_follows_each_documents_last_finding_failed_ones_too(tmp_path: Path, jobs: int) -> None:
    """The CLI flushes its output at ``on_done``: it must come after a document's findings, once per document."""
    code = textwrap.dedent(
        f"""
        import json
        from resolver.models import Document
        from resolver.scan import stream

        stream.SERIAL_FIRST_CHARS = 1
        def fake(doc, links, whole_page):
            if doc.source == "c":
                raise ValueError("boom")
            yield doc.source + "1"
            yield doc.source + "2"
        stream.iter_scan = fake
        docs = [Document(name, name * 10, "text") for name in "abcd"]
        events = []
        for found in stream.scan_each(docs, on_error=lambda d, e: events.append("error " + d.source),
                                      on_done=lambda: events.append("done"), jobs={jobs}):
            events.append(found)
        print(json.dumps(events))
        """
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == ["a1", "a2", "done", "b1", "b2", "done", "error c", "done", "d1", "d2", "done"]
