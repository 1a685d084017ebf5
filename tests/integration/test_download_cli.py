"""`download`, `delete` and `clean` on the command line: subprocesses against the Hub simulator and a real
cache, a pseudo-terminal for the confirmation question."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from app.core import formatting
from tests.cachebuilder import CacheBuilder
from tests.hubsim import HubSim, SimModel

ROOT = Path(__file__).resolve().parents[2]
WEIGHTS = os.urandom(1_500_000)
FILES = {"config.json": b'{"model_type": "qwen3", "quantization": {"bits": 4, "group_size": 64}}',
         "tokenizer.json": b"{}", "model.safetensors": WEIGHTS, "pytorch_model.bin": b"not for mlx"}


def app(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "app", *args], env=env, cwd=ROOT, capture_output=True,
                          text=True, timeout=120, stdin=subprocess.DEVNULL)


@pytest.fixture
def env(hubsim: HubSim, hubsim_env: dict[str, str]) -> dict[str, str]:
    hubsim.add_model(SimModel(id="org/cli-4bit", files=FILES))
    hubsim.add_model(SimModel(id="meta-llama/Locked", files=FILES, gated="manual"))
    return hubsim_env


def cache_of(env: dict[str, str]) -> Path:
    return Path(env["HF_HUB_CACHE"])


def test_dry_run_lists_files_and_sizes_and_fetches_nothing(env: dict[str, str], hubsim: HubSim) -> None:
    done = app(env, "download", "org/cli-4bit", "--dry-run", "--json")
    assert done.returncode == 0, done.stderr
    plan = json.loads(done.stdout)
    assert {f["path"] for f in plan["files"]} == {"config.json", "tokenizer.json", "model.safetensors"}
    assert plan["total_bytes"] == sum(len(FILES[n]) for n in ("config.json", "tokenizer.json",
                                                              "model.safetensors"))
    assert plan["to_fetch_bytes"] == plan["total_bytes"] and plan["fits"] is True
    assert not [r for r in hubsim.requests(origin="cdn") if r.method == "GET"]
    assert not (cache_of(env) / "models--org--cli-4bit").exists()

    text = app(env, "download", "org/cli-4bit", "--dry-run")
    assert text.returncode == 0
    assert text.stdout.splitlines()[0].startswith("org/cli-4bit: 3 files, 1.5 MB (0 B already cached")
    assert "fetch" in text.stdout and "model.safetensors" in text.stdout


def test_download_prints_the_size_first_then_json_lines_to_done(env: dict[str, str]) -> None:
    done = app(env, "download", "org/cli-4bit", "--json")
    assert done.returncode == 0, done.stderr
    events = [json.loads(line) for line in done.stdout.splitlines()]
    assert events[0]["event"] == "plan" and events[0]["to_fetch_bytes"] > 1_500_000
    assert events[-1]["event"] == "done" and events[-1]["percent"] == 100
    snapshot = Path(events[-1]["snapshot_path"])
    assert (snapshot / "model.safetensors").read_bytes() == WEIGHTS
    assert not (snapshot / "pytorch_model.bin").exists()

    again = app(env, "download", "org/cli-4bit")
    assert again.returncode == 0, again.stderr
    first, last = again.stdout.splitlines()[0], again.stdout.splitlines()[-1]
    assert "1.5 MB already cached, 0 B to fetch" in first
    assert last.startswith("Downloaded org/cli-4bit (1.5 MB) to ")


@pytest.mark.parametrize("bad", ["../../etc/passwd", "/etc/passwd", "org/..", "org/name/x", "org/a b", "org"])
def test_ids_that_could_escape_the_cache_exit_2(env: dict[str, str], bad: str) -> None:
    for args in (["download", bad], ["delete", "--yes", bad], ["download", bad, "--dry-run"]):
        done = app(env, *args)
        assert done.returncode == 2, (args, done.stderr)
        assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr


def test_gated_download_exits_3_with_the_link(env: dict[str, str], hubsim: HubSim) -> None:
    done = app(env, "download", "meta-llama/Locked")
    assert done.returncode == 3
    line = done.stderr.strip()
    assert "gated" in line and f"{hubsim.url}/meta-llama/Locked" in line and "Traceback" not in line
    assert not (cache_of(env) / "models--meta-llama--Locked").exists()


@pytest.fixture
def filled(env: dict[str, str]) -> CacheBuilder:
    builder = CacheBuilder(cache_of(env))
    builder.add_model("org/a", {"config.json": {"model_type": "llama"}, "model.safetensors": b"A" * 4000})
    builder.add_revision("org/a", {"config.json": {"model_type": "llama", "v": 0}, "model.safetensors": b"A" * 4000})
    builder.add_model("org/b", {"config.json": {"model_type": "qwen3"}, "model.safetensors": b"B" * 9000})
    builder.add_incomplete("org/b", 1, size=5000)
    old = time.time() - 3600
    for partial in cache_of(env).rglob("*.incomplete"):
        os.utime(partial, (old, old))
    return builder


def repo_ids(env: dict[str, str]) -> set[str]:
    from huggingface_hub import scan_cache_dir

    return {r.repo_id for r in scan_cache_dir(cache_of(env)).repos}


def test_delete_refuses_without_a_terminal_and_goes_ahead_with_yes(env: dict[str, str],
                                                                   filled: CacheBuilder) -> None:
    refused = app(env, "delete", "org/a", "org/b")
    assert refused.returncode == 2 and "--yes" in refused.stderr
    assert repo_ids(env) == {"org/a", "org/b"}

    done = app(env, "delete", "org/a", "org/b", "org/missing", "--yes")
    assert done.returncode == 0, done.stderr
    assert "org/missing  not in the cache" in done.stdout
    freed = filled.repos[("model", "org/a")].blob_bytes + filled.repos[("model", "org/b")].blob_bytes
    assert f"Deleted 2 models; freed {formatting.size(freed)}." in done.stdout
    assert repo_ids(env) == set()

    nothing = app(env, "delete", "org/a", "--yes")
    assert nothing.returncode == 1 and "not in the cache" in nothing.stderr


def test_clean_refuses_without_a_terminal_then_cleans_with_yes(env: dict[str, str], filled: CacheBuilder) -> None:
    refused = app(env, "clean")
    assert refused.returncode == 2 and "--yes" in refused.stderr
    assert "detached revision" in refused.stdout and "partial download" in refused.stdout
    assert list(cache_of(env).rglob("*.incomplete"))

    done = app(env, "clean", "--yes")
    assert done.returncode == 0, done.stderr
    assert not list(cache_of(env).rglob("*.incomplete"))
    assert repo_ids(env) == {"org/a", "org/b"}
    assert app(env, "clean").stdout.startswith("Nothing to clean")


def ask_on_a_terminal(env: dict[str, str], answer: bytes, *args: str) -> tuple[int, str]:
    """Run the CLI on a pseudo-terminal, type `answer`, return the exit code and everything shown."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: the CLI, with the pty as its terminal
        os.chdir(ROOT)
        os.execve(sys.executable, [sys.executable, "-m", "app", *args], env)
    shown = b""
    answered = False
    while True:
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        shown += chunk
        if not answered and b"[y/N]" in shown:
            os.write(fd, answer)
            answered = True
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    return os.waitstatus_to_exitcode(status), shown.decode(errors="replace")


def test_delete_asks_on_a_terminal(env: dict[str, str], filled: CacheBuilder) -> None:
    size = formatting.size(filled.repos[("model", "org/b")].blob_bytes)
    code, shown = ask_on_a_terminal(env, b"n\n", "delete", "org/b")
    assert code == 0 and f"Delete 1 model and free {size}? [y/N]" in shown and "Nothing deleted." in shown
    assert repo_ids(env) == {"org/a", "org/b"}
    code, shown = ask_on_a_terminal(env, b"y\n", "delete", "org/b")
    assert code == 0 and f"Deleted 1 model; freed {size}." in shown
    assert repo_ids(env) == {"org/a"}


def test_the_commands_import_no_qt(env: dict[str, str], filled: CacheBuilder) -> None:
    code = textwrap.dedent("""
        import contextlib, io, sys
        from app.cli import main
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            main(["download", "org/cli-4bit", "--dry-run"])
            main(["clean"])
            main(["delete", "org/nothing"])
        print(sorted(m for m in sys.modules if m.split(".")[0] in ("PySide6", "qasync")))
    """)
    done = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True,
                          timeout=120, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_ctrl_c_cancels_at_once_and_keeps_no_partial_file(env: dict[str, str], hubsim: HubSim) -> None:
    import hashlib
    import signal

    from tests.hubsim import Fault

    hubsim.faults.add(Fault("slow_drip", origin="cdn", path=hashlib.sha256(WEIGHTS).hexdigest(), seconds=60))
    proc = subprocess.Popen([sys.executable, "-m", "app", "download", "org/cli-4bit"], env=env, cwd=ROOT,
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        hubsim.wait_for_request(origin="cdn", timeout=30)
        started = time.monotonic()
        proc.send_signal(signal.SIGINT)
        _out, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 130, err
    assert time.monotonic() - started < 15  # the drip would have taken a minute
    assert "cancelled; finished files are kept" in err and "Traceback" not in err
    assert not list(cache_of(env).rglob("*.incomplete"))


def test_a_disk_too_small_exits_4_before_anything_moves(env: dict[str, str], hubsim: HubSim,
                                                         tmp_path: Path) -> None:
    mount = tmp_path / "tiny"
    mount.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)], capture_output=True,
                      check=False).returncode != 0:
        pytest.skip("cannot mount a small tmpfs here (needs root)")
    try:
        done = app({**env, "HF_HUB_CACHE": str(mount / "hub")}, "download", "org/cli-4bit")
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)
    assert done.returncode == 4, done.stderr
    assert "needs 1.5 MB but only 1.0 MB is free" in done.stderr and "Clean Up" in done.stderr
    assert not [r for r in hubsim.requests(origin="cdn") if r.method == "GET"]
