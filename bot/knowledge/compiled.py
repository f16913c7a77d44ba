"""A compiled copy of the knowledge base and its matcher, so the command line starts fast.

Reading the YAML, validating it (pydantic) and indexing it for the matcher (stemming every alias)
costs several times the interpreter's own start-up, on every `eo-bot ask`. :func:`load_matcher`
does that work once and keeps the result, a pickled :class:`Matcher`, in the user's cache
directory (``$XDG_CACHE_HOME/eo-bot``, by default ``~/.cache/eo-bot``). The copy is used only
while its key still matches: a hash of the name and content of every knowledge file read, of the
modules whose objects it holds or whose code built it, and of the Python and eo-bot versions.
Contents are hashed, not dates, so an edit is always seen on the next run.

The copy is only a speed-up. When it cannot be read or written (no home directory, a read-only
file system, a file owned by someone else or writable by others), the knowledge base is loaded and
validated as usual. Invalid knowledge is never cached: its problems are reported on every run.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path

import bot
from bot.knowledge import loader, matcher, models, text
from bot.knowledge.loader import directories_to_load, knowledge_files, load
from bot.knowledge.matcher import Matcher

FILE_NAME = "knowledge.pickle"
_MAGIC = b"eo-bot compiled knowledge 1\n"
# The objects in the copy come from these modules, and the index is built by their code.
_SOURCES = (models, loader, matcher, text)


def cache_dir(environ: Mapping[str, str] | None = None) -> Path | None:
    """Where the compiled copy lives, or None when there is no home to put it in."""
    env = os.environ if environ is None else environ
    base = env.get("XDG_CACHE_HOME", "").strip()
    if base and os.path.isabs(base):
        return Path(base) / "eo-bot"
    try:
        return Path.home() / ".cache" / "eo-bot"
    except RuntimeError:  # no HOME and no passwd entry
        return None


def load_matcher(
    dirs: Iterable[Path] | None = None,
    *,
    with_env: bool = True,
    cache: Path | None = None,
) -> Matcher:
    """A matcher over what :func:`load` would load, from the compiled copy when it is current.

    ``cache`` is the directory of the copy (default: :func:`cache_dir`). Raises KnowledgeError
    exactly as :func:`load` does.
    """
    directories = directories_to_load(dirs, with_env=with_env)
    folder = cache if cache is not None else cache_dir()
    key = _key(directories)
    if folder is not None and key is not None:
        found = _read(folder / FILE_NAME, key)
        if found is not None:
            return found
    compiled = Matcher(load(directories, with_env=False))
    # Written only if no file changed while it was read: the copy must hold what the key says.
    if folder is not None and key is not None and _key(directories) == key:
        _write(folder / FILE_NAME, key, compiled)
    return compiled


def _key(directories: list[Path]) -> bytes | None:
    """A hash of everything the compiled copy depends on; None if something cannot be read."""
    digest = hashlib.sha256()
    digest.update(f"{bot.__version__}\0{sys.version}\0".encode())
    try:
        for module in _SOURCES:
            if module.__file__ is None:
                return None
            digest.update(Path(module.__file__).read_bytes())
        for directory in directories:
            digest.update(b"\0dir\0" + os.fsencode(directory) + b"\0")
            digest.update(os.fsencode(os.path.abspath(directory)) + b"\0")
            if not directory.is_dir():
                return None
            for path in knowledge_files(directory):
                content = path.read_bytes()
                digest.update(os.fsencode(path.name) + b"\0%d\0" % len(content) + content)
    except OSError:
        return None
    return digest.digest()


def _read(path: Path, key: bytes) -> Matcher | None:
    try:
        with path.open("rb") as file:
            info = os.fstat(file.fileno())
            # Unpickling runs code named in the file: only trust a file nobody else could write.
            if info.st_uid != os.geteuid() or info.st_mode & 0o022:
                return None
            if file.read(len(_MAGIC) + len(key)) != _MAGIC + key:
                return None
            found = pickle.load(file)
    except FileNotFoundError:
        return None
    except Exception:  # a copy that cannot be read is rebuilt, whatever went wrong with it
        return None
    return found if isinstance(found, Matcher) else None


def _write(path: Path, key: bytes, compiled: Matcher) -> None:
    import tempfile  # only when the copy is rebuilt

    tmp: str | None = None
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".knowledge-", suffix=".tmp")  # 0600
        with os.fdopen(fd, "wb") as file:
            file.write(_MAGIC + key)
            pickle.dump(compiled, file, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)  # readers see the old copy or the new one, never half of one
        tmp = None
    except OSError:
        pass  # a speed-up only: the next run validates the files again
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
