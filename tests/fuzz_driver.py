"""Runs the fuzz corpus (tests/fuzz_corpus.py) and sorts every input into one outcome.

    python tests/fuzz_driver.py [--slow]      print the table (inputs tried | clean errors | ...)

The corpus runs in a child process under limits: an address-space cap (``resource.setrlimit``
in ``preexec_fn``), a per-input timer inside the child and a watchdog in the parent. Each input
gets a fresh folder; command lines go through ``main.main`` with the work itself replaced by a
sentinel (a scenario that passes every check would start simulating: that counts as accepted,
and proves the checks come before the work). Outcomes:

clean_error       exit status 2 / InputError: one line, naming the file and the expected field
clean_accept      accepted, and the case allows it
dangerous_accept  accepted although the case must be refused, or a file changed
unclear_error     refused, but not in one clean line (other exit status, several lines, no field)
traceback         a traceback or an exception other than InputError reached the user
hang              over the time limit
crash             the child died (signal, out of memory)

If the child dies or hangs, the parent records the input it was on and starts a new child
after it.
"""
from __future__ import annotations

import argparse
import contextlib
import hashlib
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CASE_LIMIT_S = 30.0            # per input: everything is refused or accepted long before this
MEMORY_LIMIT_BYTES = 6 * 1024 ** 3   # address space of the child (numba and the engine need ~2 GiB)
OUTCOMES = ("clean_error", "clean_accept", "traceback", "hang", "crash", "dangerous_accept", "unclear_error")
COLUMNS = ("inputs tried", "clean errors", "clean accepts", "tracebacks", "hangs", "crashes", "dangerous-accepted",
           "unclear errors")


# ------------------------------------------------------------------ child side

class _CaseTimeout(BaseException):
    pass


class _WouldStartWork(BaseException):
    """Raised where the real work (a simulation, a study, a validation) would begin."""


def _install_sentinels() -> None:
    import engine.simulation
    import analysis.runner as runner_module
    import validation

    def would_simulate(self, *a, **k):
        raise _WouldStartWork("simulation")

    engine.simulation.Simulation.__init__ = would_simulate
    originals = {id(runner_module.run_tasks): "study", id(getattr(validation, "run_validation", None)): "validate"}

    def make(what):
        def stop(*a, **k):
            raise _WouldStartWork(what)
        return stop

    import importlib

    for name in ("studies.ensemble", "studies.sweep", "validation", "cli.validate"):
        try:
            importlib.import_module(name)
        except ImportError:
            pass
    for mod in list(sys.modules.values()):
        if not getattr(mod, "__name__", "").startswith(("studies", "analysis", "validation", "cli")):
            continue
        for attr, val in list(vars(mod).items()):
            if id(val) in originals and val is not None:
                setattr(mod, attr, make(originals[id(val)]))


def _make_files(folder: Path, files: dict) -> dict[str, Path]:
    from tests.fuzz_corpus import DEVZERO, FIFO, FOLDER, MISSING, SYMLOOP

    paths = {}
    for name, content in files.items():
        p = folder / name
        paths[name] = p
        if content == FIFO:
            os.mkfifo(p)
        elif content == FOLDER:
            p.mkdir()
        elif content == DEVZERO:
            p.symlink_to("/dev/zero")
        elif content == SYMLOOP:
            p.symlink_to(p.name)
        elif content == MISSING:
            pass
        elif isinstance(content, tuple) and content[0] == "BIG":
            with open(p, "wb") as fh:
                fh.truncate(int(content[1]))
        else:
            p.write_bytes(content if isinstance(content, bytes) else str(content).encode("utf-8"))
    return paths


def _snapshot(folder: Path) -> dict:
    state = {}
    for dirpath, dirnames, filenames in os.walk(folder):
        for name in dirnames + filenames:
            p = Path(dirpath) / name
            st = p.lstat()
            digest = ""
            if p.is_file() and not p.is_symlink() and st.st_size < 4 * 1024 * 1024:
                digest = hashlib.sha1(p.read_bytes()).hexdigest()
            state[str(p.relative_to(folder))] = (st.st_mode, st.st_size, st.st_mtime_ns, digest)
    return state


def _judge_message(text: str, case, names_file: str | None) -> str | None:
    """Why ``text`` is not a clean one-line error for ``case`` (None when it is)."""
    lines = [ln for ln in text.splitlines() if ln.strip()]
    if len(lines) != 1:
        return f"{len(lines)} lines"
    line = lines[0]
    if len(line) > 1500:
        return f"a line of {len(line)} characters"
    if case.field and case.field not in line:
        return f"does not name {case.field!r}"
    if names_file and names_file not in line:
        return "does not name the file"
    return None


def _run_cli(argv: list[str], case, names_file: str | None) -> tuple[str, str]:
    import main

    out, err = io.StringIO(), io.StringIO()
    started = False
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            rc = main.main(argv)
    except _WouldStartWork:
        started = True
        rc = None
    except SystemExit as exc:           # what a user sees: the exit status and the printed text
        rc = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except (_CaseTimeout, MemoryError):
        raise
    except BaseException as exc:  # noqa: BLE001 - anything escaping main.main is a traceback for the user
        return "traceback", f"{type(exc).__name__}: {str(exc)[:200]}"
    text = err.getvalue()
    if "Traceback" in text or "internal error" in text:
        return "traceback", text[-300:]
    if started or rc == 0:
        return ("dangerous_accept" if case.expect == "reject" else "clean_accept"), ("started work" if started else
                                                                                   "exit 0")
    if rc == 2:
        why = _judge_message(text, case, names_file)
        if why:
            return "unclear_error", f"{why}: {text[:300]!r}"
        return ("clean_error" if case.expect != "accept" else "unclear_error"), text.strip()[:300]
    return "unclear_error", f"exit status {rc}: {text[:300]!r}"


def _run_inprocess(fn, case, names_file: str | None) -> tuple[str, str]:
    from engine.errors import InputError

    try:
        fn()
    except InputError as exc:
        why = _judge_message(str(exc), case, names_file)
        if why:
            return "unclear_error", f"{why}: {str(exc)[:300]!r}"
        return ("clean_error" if case.expect != "accept" else "unclear_error"), str(exc)[:300]
    except (_CaseTimeout, MemoryError):
        raise
    except BaseException as exc:  # noqa: BLE001
        return "traceback", f"{type(exc).__name__}: {str(exc)[:200]}"
    return ("dangerous_accept" if case.expect == "reject" else "clean_accept"), "loaded"


def run_case(case, folder: Path) -> tuple[str, str]:
    paths = _make_files(folder, case.files)
    first = str(next(iter(paths.values()))) if paths else None
    before = _snapshot(folder)
    if case.kind == "scenario":
        outcome = _run_cli(["run", "--scenario", first, "--quiet"], case, first)
    elif case.kind == "cli":
        argv = [a.replace("{dir}", str(folder)) for a in case.argv]
        outcome = _run_cli(argv, case, None)
    elif case.kind == "session":
        from studies.session import load_session

        outcome = _run_inprocess(lambda: load_session(first).prepare(first), case, first)
    elif case.kind == "lesson":
        from studies.lessons import load_lesson

        outcome = _run_inprocess(lambda: load_lesson(first), case, first)
    elif case.kind == "lesson_ref":
        from studies.lessons import load_lesson

        outcome = _run_inprocess(lambda: load_lesson(case.ref), case, None)
    else:
        raise ValueError(case.kind)
    if _snapshot(folder) != before:
        return "dangerous_accept", f"a file changed ({outcome[0]}: {outcome[1][:200]})"
    return outcome


def child(slow: bool, start: int, results: Path) -> None:
    os.environ.setdefault("NICHELAB_HOME", tempfile.mkdtemp(prefix="nichelab-fuzz-home-"))
    sys.path.insert(0, str(ROOT))
    from tests.fuzz_corpus import cases

    all_cases = cases(slow=slow)
    _install_sentinels()

    def on_alarm(signum, frame):
        raise _CaseTimeout()

    signal.signal(signal.SIGALRM, on_alarm)
    with open(results, "a", encoding="utf-8") as out:
        for i in range(start, len(all_cases)):
            case = all_cases[i]
            out.write(json.dumps({"start": i}) + "\n")
            out.flush()
            folder = Path(tempfile.mkdtemp(prefix="fuzz-"))
            cwd = os.getcwd()
            os.chdir(folder)
            signal.setitimer(signal.ITIMER_REAL, CASE_LIMIT_S)
            try:
                outcome, detail = run_case(case, folder)
            except _CaseTimeout:
                outcome, detail = "hang", f"over {CASE_LIMIT_S:g} s"
            except MemoryError:
                outcome, detail = "crash", "out of memory (address-space limit)"
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
                os.chdir(cwd)
            shutil.rmtree(folder, ignore_errors=True)
            out.write(json.dumps({"index": i, "id": case.id, "outcome": outcome, "detail": detail}) + "\n")
            out.flush()


# ------------------------------------------------------------------ parent side

def _limit_memory() -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT_BYTES, MEMORY_LIMIT_BYTES))


def run_corpus(slow: bool = False, case_limit_s: float = CASE_LIMIT_S) -> list[dict]:
    """Run the whole corpus in limited child processes; one result dict per input."""
    from tests.fuzz_corpus import cases

    ids = [c.id for c in cases(slow=slow)]
    results: dict[int, dict] = {}
    start = 0
    with tempfile.TemporaryDirectory(prefix="nichelab-fuzz-") as tmp:
        env = dict(os.environ, NICHELAB_HOME=str(Path(tmp) / "home"), PYTHONPATH=str(ROOT),
                   NUMBA_NUM_THREADS=os.environ.get("NUMBA_NUM_THREADS", "2"))
        env.pop("DISPLAY", None)
        env.pop("WAYLAND_DISPLAY", None)
        while start < len(ids):
            log = Path(tmp) / f"results-{start}.jsonl"
            log.touch()
            proc = subprocess.Popen([sys.executable, str(Path(__file__).resolve()), "--child", "--start", str(start)]
                                    + (["--slow"] if slow else []) + ["--results", str(log)], cwd=tmp, env=env,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, preexec_fn=_limit_memory)
            current, since = None, time.monotonic()
            stderr_tail = b""
            while True:
                done = proc.poll() is not None
                for line in log.read_text(encoding="utf-8").splitlines():
                    rec = json.loads(line)
                    if "start" in rec:
                        if rec["start"] != current and rec["start"] not in results:
                            current, since = rec["start"], time.monotonic()
                    else:
                        results[rec["index"]] = rec
                if current is not None and current in results:
                    current = None
                if done:
                    break
                if current is not None and time.monotonic() - since > 2 * case_limit_s + 30:
                    proc.kill()
                    proc.wait()
                    results[current] = {"index": current, "id": ids[current], "outcome": "hang",
                                        "detail": "killed by the watchdog"}
                    break
                time.sleep(0.05)
            stderr_tail = proc.stderr.read()[-500:] if proc.stderr else b""
            proc.stderr.close()
            if current is not None and current not in results:
                results[current] = {"index": current, "id": ids[current], "outcome": "crash",
                                    "detail": f"child ended with status {proc.returncode}: "
                                              f"{stderr_tail.decode('utf-8', 'replace')[-300:]}"}
            nxt = max(results) + 1 if results else len(ids)
            if proc.returncode not in (0, None) and current is None and nxt <= start:
                raise RuntimeError(f"fuzz child failed before any case: {stderr_tail.decode('utf-8', 'replace')}")
            start = nxt
    return [results[i] for i in sorted(results)]


def table(results: list[dict]) -> dict[str, int]:
    counts = {k: 0 for k in OUTCOMES}
    for r in results:
        counts[r["outcome"]] += 1
    return {"inputs tried": len(results), "clean errors": counts["clean_error"],
            "clean accepts": counts["clean_accept"], "tracebacks": counts["traceback"], "hangs": counts["hang"],
            "crashes": counts["crash"], "dangerous-accepted": counts["dangerous_accept"],
            "unclear errors": counts["unclear_error"]}


def format_table(counts: dict[str, int]) -> str:
    head = " | ".join(COLUMNS)
    row = " | ".join(str(counts[c]).rjust(len(c)) for c in COLUMNS)
    return f"| {head} |\n|{'|'.join('-' * (len(c) + 2) for c in COLUMNS)}|\n| {row} |"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Run NicheLab's hostile-input corpus and print the outcome table.")
    ap.add_argument("--slow", action="store_true", help="add the random mutations (a few thousand inputs)")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--start", type=int, default=0, help=argparse.SUPPRESS)
    ap.add_argument("--results", help=argparse.SUPPRESS)
    ap.add_argument("--show", default="", help="also list the inputs with these outcomes (comma-separated)")
    args = ap.parse_args(argv)
    if args.child:
        child(args.slow, args.start, Path(args.results))
        return 0
    sys.path.insert(0, str(ROOT))
    results = run_corpus(slow=args.slow)
    show = {s.strip() for s in args.show.split(",") if s.strip()}
    for r in results:
        if r["outcome"] in show or (not show and r["outcome"] not in ("clean_error", "clean_accept")):
            print(f"{r['outcome']:>16}  {r['id']}: {r['detail']}")
    print(format_table(table(results)))
    bad = sum(table(results)[c] for c in ("tracebacks", "hangs", "crashes", "dangerous-accepted", "unclear errors"))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
