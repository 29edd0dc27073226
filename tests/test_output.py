"""Writing output: atomic for regular files, direct for everything else, and every failure a non-zero exit."""

from __future__ import annotations

import json
import os
import resource
import signal
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from resolver.cli import app
from resolver.errors import OutputError
from resolver.write import open_output, write_bytes

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "article.html"
EXAMPLE_CASSETTE = ROOT / "cassettes" / "scenarios" / "example-article.yaml"
runner = CliRunner()


def _device(tmp_path: Path) -> Path:
    """A private character device with /dev/null's numbers (1, 3); skip where mknod is not permitted."""
    node = tmp_path / "null"
    try:
        os.mknod(node, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    except (PermissionError, OSError) as exc:
        pytest.skip(f"mknod is not permitted here: {exc}")
    return node


@pytest.mark.parametrize("command", ["scan", "rewrite"])
def test_a_device_node_given_as_output_survives(tmp_path: Path, fixtures: Path, command: str) -> None:
    node = _device(tmp_path)
    if command == "scan":
        args = ["scan", str(fixtures / "copied.md"), "-o", str(node)]
    else:
        args = ["rewrite", str(EXAMPLE), "--cassette", str(EXAMPLE_CASSETTE), "--no-cache", "-o", str(node)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    mode = os.lstat(node).st_mode
    assert stat.S_ISCHR(mode) and os.major(os.lstat(node).st_rdev) == 1  # still the device, not a regular file
    assert [p.name for p in tmp_path.iterdir()] == ["null"]  # no temporary file beside it


def test_a_symlink_to_a_device_is_written_through(tmp_path: Path, fixtures: Path) -> None:
    node = _device(tmp_path)
    link = tmp_path / "out.jsonl"
    link.symlink_to(node)
    assert runner.invoke(app, ["scan", str(fixtures / "copied.md"), "-o", str(link)]).exit_code == 0
    assert link.is_symlink() and stat.S_ISCHR(os.stat(link).st_mode)


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full here")
@pytest.mark.parametrize("command", ["scan", "rewrite"])
def test_a_full_device_is_exit_2_and_one_line(fixtures: Path, command: str) -> None:
    if command == "scan":
        args = ["scan", str(fixtures / "copied.md"), "-o", "/dev/full"]
    else:
        args = ["rewrite", str(EXAMPLE), "--cassette", str(EXAMPLE_CASSETTE), "--no-cache", "-o", "/dev/full"]
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert result.stderr.splitlines() == ["resolver: error: cannot write /dev/full: No space left on device"]
    assert stat.S_ISCHR(os.stat("/dev/full").st_mode)


def test_a_fifo_is_written_to_when_read_and_refused_when_nobody_reads(tmp_path: Path, fixtures: Path) -> None:
    fifo = tmp_path / "out.fifo"
    os.mkfifo(fifo)
    refused = runner.invoke(app, ["scan", str(fixtures / "copied.md"), "-o", str(fifo), "-f", "jsonl"])
    assert refused.exit_code == 2  # no reader: an error at once, not a hang
    assert refused.stderr.strip() == f"resolver: error: cannot write {fifo}: a FIFO that nobody reads"

    received: list[bytes] = []
    ready = threading.Event()

    def read() -> None:
        fd = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)  # a reader from now on
        ready.set()
        data = b""
        for _ in range(2000):  # bounded: until the writer has come and gone
            try:
                chunk = os.read(fd, 65536)
            except BlockingIOError:  # a writer, nothing written yet
                chunk = None
            if chunk == b"" and data:
                break
            data += chunk or b""
            if not chunk:
                time.sleep(0.005)
        os.close(fd)
        received.append(data)

    reader = threading.Thread(target=read)
    reader.start()
    ready.wait(10)
    written = runner.invoke(app, ["scan", str(fixtures / "copied.md"), "-o", str(fifo), "-f", "jsonl"])
    reader.join(10)
    assert written.exit_code == 0 and received
    assert [json.loads(line)["kind"] for line in received[0].splitlines()][:1] == ["link"]
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_new_files_get_the_users_umask_and_replaced_files_keep_their_mode(tmp_path: Path, fixtures: Path) -> None:
    old = os.umask(0o027)
    try:
        fresh = tmp_path / "fresh.jsonl"
        assert runner.invoke(app, ["scan", str(fixtures / "copied.md"), "-o", str(fresh)]).exit_code == 0
        assert stat.S_IMODE(os.stat(fresh).st_mode) == 0o640
        kept = tmp_path / "kept.jsonl"
        kept.write_text("old\n")
        kept.chmod(0o604)
        assert runner.invoke(app, ["scan", str(fixtures / "copied.md"), "-o", str(kept)]).exit_code == 0
        assert stat.S_IMODE(os.stat(kept).st_mode) == 0o604 and kept.read_text() != "old\n"
        rewritten = tmp_path / "post.html"
        args = ["rewrite", str(EXAMPLE), "--cassette", str(EXAMPLE_CASSETTE), "--no-cache", "-o", str(rewritten)]
        assert runner.invoke(app, args).exit_code == 0
        assert stat.S_IMODE(os.stat(rewritten).st_mode) == 0o640
    finally:
        os.umask(old)


def test_a_symlinked_output_keeps_its_link_and_replaces_its_target(tmp_path: Path, fixtures: Path) -> None:
    target = tmp_path / "2025-01-01.jsonl"
    target.write_text("yesterday\n")
    link = tmp_path / "latest.jsonl"
    link.symlink_to(target.name)
    assert runner.invoke(app, ["scan", str(fixtures / "copied.md"), "-o", str(link)]).exit_code == 0
    assert link.is_symlink() and '"kind"' in target.read_text()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["2025-01-01.jsonl", "latest.jsonl"]


def test_a_vanished_directory_is_an_error_and_the_target_untouched(tmp_path: Path) -> None:
    out = tmp_path / "gone" / "out.jsonl"
    with pytest.raises(OutputError, match=r"cannot write .*out\.jsonl: No such file or directory"):  # noqa: SIM117
        with open_output(str(out)) as stream:
            stream.write("record\n")
            for leftover in out.parent.iterdir():  # the directory disappears mid-run, temporary file and all
                leftover.unlink()
            out.parent.rmdir()
    assert not out.parent.exists()


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    out = tmp_path / "out.txt"
    out.write_bytes(b"the previous run's output\n")

    def limit() -> None:  # a file-size limit stands in for a full disk: writes past it fail with EFBIG
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))

    code = f"from resolver.write import write_bytes; write_bytes({str(out)!r}, b'x' * 100_000)"
    done = subprocess.run([sys.executable, "-c", code], preexec_fn=limit, capture_output=True, text=True, timeout=60)
    assert done.returncode != 0 and "OutputError: cannot write" in done.stderr and "File too large" in done.stderr
    assert out.read_bytes() == b"the previous run's output\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]


def test_a_full_disk_through_the_cli_is_exit_2_one_line(tmp_path: Path, fixtures: Path) -> None:
    out = tmp_path / "out.jsonl"

    def limit() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (512, 512))

    cmd = [sys.executable, "-m", "resolver", "scan", str(fixtures / "embeds.html"), "-o", str(out)]
    done = subprocess.run(cmd, preexec_fn=limit, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert done.stderr.splitlines() == [f"resolver: error: cannot write {out}: File too large"]
    assert list(tmp_path.iterdir()) == []


def test_a_closed_pipe_is_exit_2_one_line(fixtures: Path) -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before the first record
    cmd = [sys.executable, "-m", "resolver", "scan", str(fixtures / "embeds.html"), "-f", "jsonl"]
    try:
        done = subprocess.run(cmd, stdout=write_end, stderr=subprocess.PIPE, text=True, timeout=60)
    finally:
        os.close(write_end)
    assert done.returncode == 2
    assert done.stderr.splitlines() == ["resolver: error: cannot write stdout: the reader closed the pipe"]


def test_write_bytes_to_stdout(capfdbinary: pytest.CaptureFixture[bytes]) -> None:
    write_bytes(None, b"\xffbytes as they are\n")
    assert capfdbinary.readouterr().out == b"\xffbytes as they are\n"


@pytest.mark.skipif(not os.path.lexists("/dev/stdout"), reason="no /dev/stdout here")
def test_dev_stdout_writes_to_the_descriptor_the_shell_opened(tmp_path: Path, fixtures: Path) -> None:
    before = os.lstat("/dev/stdout").st_mode
    log = tmp_path / "all.jsonl"
    log.write_text('{"earlier": "records"}\n')
    cmd = [sys.executable, "-m", "resolver", "scan", str(fixtures / "copied.md"), "-f", "jsonl", "-o", "/dev/stdout"]
    with log.open("a") as appended:  # `resolver … -o /dev/stdout >> all.jsonl`
        done = subprocess.run(cmd, stdout=appended, stderr=subprocess.PIPE, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    lines = log.read_text().splitlines()
    assert lines[0] == '{"earlier": "records"}' and len(lines) > 1  # appended to, not replaced
    assert os.lstat("/dev/stdout").st_mode == before  # and /dev/stdout itself is as it was


def test_sigterm_mid_write_leaves_no_temporary_file(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    cmd = [sys.executable, "-m", "resolver", "scan", "-", "-o", str(out)]
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    while not any(tmp_path.iterdir()) and time.monotonic() < deadline:  # the temporary file is open
        time.sleep(0.01)
    assert any(tmp_path.iterdir())
    proc.send_signal(signal.SIGTERM)  # while it waits for standard input
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 143
    assert err.splitlines() == ["resolver: terminated (SIGTERM); nothing half-written was left in place"]
    assert list(tmp_path.iterdir()) == []


def test_json_lines_are_the_records_and_a_lone_surrogate_still_writes() -> None:
    from resolver.write.formats import json_line

    record = {"source": "a.txt", "text": "café — ok", "span": [0, 4], "post": None, "n": 2**70}
    assert json.loads(json_line(record)) == record and json_line(record).endswith(b"\n")
    odd = {"source": "b.txt", "raw": "http://x/\udcff"}  # what surrogateescape makes of an undecodable byte
    line = json_line(odd)
    assert line.endswith(b"\n") and json.loads(line.decode("utf-8", "surrogateescape")) == odd
