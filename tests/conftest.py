"""Shared fixtures: one tiny real run per test session, reused by the loop, report and inspect tests.

Tests that run a loop, train or load a model are marked ``slow``; ``pytest -m "not slow"`` is the fast loop
for development (README), and a test that uses the tiny run without the mark is refused at collection."""
from __future__ import annotations

import contextlib
import io
import os
from pathlib import Path

import pytest
import torch

# submitit binds its log handlers to sys.stdout/sys.stderr when it is first imported. Imported inside a
# test (the diversity package pulls it in through evaluate), they would hold that test's capture stream,
# closed after it, and a later sweep test would fail writing to it: import it once, at session start.
with contextlib.suppress(ImportError):
    import submitit  # noqa: F401  (imported for its side effect)

# Test models are tiny: one intra-op thread per process is as fast alone and avoids the spin-wait
# slowdown (10x and more) of several multi-threaded processes sharing a couple of cores. Subprocesses
# get the same through OMP_NUM_THREADS (see subprocess_env), so in- and out-of-process runs compute alike.
torch.set_num_threads(1)

ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT / "recipes" / "tiny.yaml"


def location_overrides(base: Path) -> list[str]:
    """Overrides that put a run's outputs and caches under ``base`` (caches are shared per session)."""
    return [f"output_dir={base / 'runs'}", f"corpus.prepared_dir={base.parent / 'prepared'}",
            f"model.cache_dir={base.parent / 'cache'}"]


def subprocess_env(**extra: str) -> dict:
    """The environment for a `textmad` subprocess: this checkout importable, one thread per process."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", **extra}
    env["PYTHONPATH"] = os.pathsep.join(p for p in [extra.get("PYTHONPATH", ""), str(ROOT),
                                                    os.environ.get("PYTHONPATH", "")] if p)
    return env


def run_textmad(*argv: str) -> tuple[int, str, str]:
    """`textmad ARGV` in this process: (exit status, stdout, stderr)."""
    from textmad.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(list(argv))
    return status, out.getvalue(), err.getvalue()


LOOP_FIXTURES = {"tiny_run", "tiny_run_bn"}  # session fixtures that run the loop: minutes of CPU


def pytest_collection_modifyitems(config, items):
    """A test that uses a loop fixture (even through another fixture) must be marked slow, so that
    `pytest -m "not slow"` never starts the session's tiny run."""
    unmarked = [item.nodeid for item in items
                if LOOP_FIXTURES & set(item.fixturenames) and item.get_closest_marker("slow") is None]
    if unmarked:
        raise pytest.UsageError(f"these tests use {' or '.join(sorted(LOOP_FIXTURES))}, which run the loop, but are "
                                f"not marked slow (pytestmark = pytest.mark.slow, or @pytest.mark.slow): "
                                f"{', '.join(unmarked[:10])}" + (f" and {len(unmarked) - 10} more" if len(unmarked) > 10 else ""))


@pytest.fixture(scope="session")
def session_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("textmad-session")


@pytest.fixture(scope="session")
def tiny_run(session_dir) -> Path:
    """The run directory of recipes/tiny.yaml, run once per session (replace and fresh, 2 generations)."""
    base = session_dir / "tiny"
    status, out, err = run_textmad("run", str(TINY), *location_overrides(base))
    assert status == 0, f"tiny run failed:\n{out}\n{err}"
    return base / "runs" / "tiny"


@pytest.fixture(scope="session")
def tiny_run_bn(session_dir) -> Path:
    """recipes/tiny.yaml on the Bengali quran-bn corpus, run once per session; skipped without the corpus."""
    from textmad.corpus import get_card, installed

    here, why = installed(get_card("quran-bn"))
    if not here:
        pytest.skip(f"quran-bn is not installed (scripts/install-debian-corpora.sh installs it): {why}")
    base = session_dir / "tiny-bn"
    status, out, err = run_textmad("run", str(TINY), *location_overrides(base), "corpus.name=quran-bn", "name=tiny-bn")
    assert status == 0, f"tiny Bengali run failed:\n{out}\n{err}"
    return base / "runs" / "tiny-bn"
