"""Files and folders that are never half-written: atomic writes (temp file or folder, rename), JSONL, hashes."""
from __future__ import annotations

import contextlib
import fcntl
import glob
import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Iterable, Iterator


_UMASK = os.umask(0)
os.umask(_UMASK)


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it replaces ``path`` in one rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(tmp)
    try:
        yield tmp
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp creates 0600; give the file the mode open() would
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _claim(folder: Path) -> int:
    """Hold an exclusive flock on ``folder``: its fd, or -1 when a live process holds it."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return -1
    return fd


def _private_dir(path: Path) -> tuple[Path, int]:
    """A new ``.NAME.tmp-*`` folder beside ``path``, claimed by this process until its fd is closed."""
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.tmp-", dir=path.parent))
    return tmp, _claim(tmp)


def clean_stale(path: str | Path) -> None:
    """Remove the ``.NAME.tmp-*`` folders that a killed ``atomic_dir(path)`` left beside ``path``.

    A folder in use is flock-ed by its writer and the kernel drops the lock when the writer dies,
    so a concurrent writer's folder is left alone and a dead one's is removed.
    """
    path = Path(path)
    for tmp in path.parent.glob(f".{glob.escape(path.name)}.tmp-*"):
        if not tmp.is_dir() or tmp.is_symlink():
            continue
        fd = _claim(tmp)
        if fd >= 0:
            try:
                shutil.rmtree(tmp, ignore_errors=True)
            finally:
                os.close(fd)


@contextlib.contextmanager
def atomic_dir(path: str | Path) -> Iterator[Path]:
    """Yield a new empty folder beside ``path``; on success it replaces ``path`` in one rename.

    On an exception the temporary folder is removed and ``path`` is as it was. A kill leaves only
    ``.NAME.tmp-*`` folders (never a half-written ``path``), which the next call removes; a kill
    between the two renames of a replacement leaves ``path`` absent, to be written again.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    clean_stale(path)
    tmp, fd = _private_dir(path)
    try:
        os.chmod(tmp, 0o777 & ~_UMASK)  # mkdtemp makes it private; give the folder the mode mkdir would
        yield tmp
        if path.exists():
            old, old_fd = _private_dir(path)
            try:
                os.rename(path, old / path.name)
                try:
                    os.rename(tmp, path)
                except OSError:
                    os.rename(old / path.name, path)
                    raise
                shutil.rmtree(old, ignore_errors=True)
            finally:
                os.close(old_fd)
        else:
            os.rename(tmp, path)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        os.close(fd)


def write_text(path: str | Path, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_json(path: str | Path, obj) -> None:
    write_text(path, json.dumps(obj, ensure_ascii=False, indent=2, sort_keys=False) + "\n")


def read_json(path: str | Path):
    return json.loads(Path(path).read_text(encoding="utf-8"))


def write_jsonl(path: str | Path, rows: Iterable[dict]) -> int:
    n = 0
    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
            n += 1
    return n


class BadLine(ValueError):
    """A JSONL line that does not parse: names the file and line."""

    def __init__(self, path, lineno: int, reason: str):
        super().__init__(f"{path}:{lineno}: not a JSON line: {reason}")
        self.where, self.reason = f"{path}:{lineno}", reason


def read_jsonl(path: str | Path) -> list[dict]:
    rows = []
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            if line.strip():
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError as e:
                    raise BadLine(path, lineno, str(e)) from None
    return rows


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def sha256_file(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()
