"""Read and validate ``knowledge/*.yaml`` into a :class:`KnowledgeBase`.

Every problem is reported as a :class:`KnowledgeError` whose message names the file and the entry,
never as a stack trace: the people editing these files are on-call engineers, not Python developers.

PyYAML and pydantic are imported when files are read, not with this module: the command line
answers from a compiled copy (``bot.knowledge.compiled``) and never needs them.
"""

from __future__ import annotations

import importlib.resources
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.knowledge.models import Entry

if TYPE_CHECKING:
    from pydantic import TypeAdapter, ValidationError

# The built-in knowledge is edited in the checkout's top-level knowledge/ folder, which the build
# maps to the data package bot._knowledge (pyproject.toml, package-dir): a wheel or sdist install
# carries the files inside bot/, an editable install points the package at the checkout's folder
# (so edits take effect). Found through the import system, never by guessing paths.
BUILTIN_PACKAGE = "bot._knowledge"
ENV_EXTRA_DIRS = "EO_KNOWLEDGE_DIRS"
MAX_FILE_BYTES = 2 * 1024 * 1024


class KnowledgeError(Exception):
    """One or more knowledge files are invalid. ``problems`` lists one line per problem."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


@dataclass(frozen=True, slots=True)
class KnowledgeBase:
    entries: tuple[Entry, ...]
    sources: dict[str, Path]  # entry id -> file it came from (the last one, for overrides)
    _by_id: dict[str, Entry] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Built once: the diagnosis and the Slack actions look entries up on every answer.
        object.__setattr__(self, "_by_id", {e.id: e for e in self.entries})

    def get(self, entry_id: str) -> Entry | None:
        return self._by_id.get(entry_id)

    def by_code(self, code: int) -> list[Entry]:
        return [e for e in self.entries if code in e.codes]


def default_dir() -> Path:
    """The directory of the built-in knowledge files (package data of ``bot._knowledge``)."""
    try:
        files = importlib.resources.files(BUILTIN_PACKAGE)
    except ModuleNotFoundError:
        raise KnowledgeError(
            [
                f"built-in knowledge not found: the package {BUILTIN_PACKAGE} is not installed "
                "(install eo-bot with pip, or `pip install -e .` in a checkout)"
            ]
        ) from None
    # The loader reads a real directory (and names its files in messages); a zip import would not
    # give one. Wheels are installed unpacked, so this only refuses unusual set-ups.
    if not isinstance(files, Path) or not files.is_dir():
        raise KnowledgeError(
            [f"built-in knowledge not found: {BUILTIN_PACKAGE} is not a directory ({files})"]
        )
    return files


def extra_dirs_from_env(environ: dict[str, str] | None = None) -> list[Path]:
    """Directories named in EO_KNOWLEDGE_DIRS (os.pathsep separated, like PATH)."""
    value = (environ if environ is not None else dict(os.environ)).get(ENV_EXTRA_DIRS, "")
    return [Path(p).expanduser() for p in value.split(os.pathsep) if p.strip()]


def directories_to_load(dirs: Iterable[Path] | None = None, *, with_env: bool = True) -> list[Path]:
    """The directories :func:`load` reads: ``dirs`` (default: the built-in), EO_KNOWLEDGE_DIRS."""
    directories = [default_dir()] if dirs is None else list(dirs)
    if with_env:
        directories += extra_dirs_from_env()
    return directories


def knowledge_files(directory: Path) -> list[Path]:
    """The files of one knowledge directory, in the order they are read."""
    return sorted([*directory.glob("*.yaml"), *directory.glob("*.yml")])


def load(dirs: Iterable[Path] | None = None, *, with_env: bool = True) -> KnowledgeBase:
    """Load the built-in knowledge, then each extra directory in order.

    Entries in a later directory with an id seen before replace the earlier entry (a team's own
    runbook overrides ours); a duplicate id inside one directory is an error. The built-in
    entries must carry their Chinese text (``zh``); a team's own entries may leave it out (they
    are then answered in English, and ``eo-bot kb check`` lists them).
    """
    directories = directories_to_load(dirs, with_env=with_env)
    problems: list[str] = []
    merged: dict[str, Entry] = {}
    origin: dict[str, Path] = {}
    builtin = default_dir()
    for directory in directories:
        seen_here: dict[str, Path] = {}
        for path, raw in _read_dir(directory, problems):
            for entry in _parse_entries(path, raw, problems):
                if entry.zh is None and directory == builtin:
                    problems.append(
                        f"{path}: entry '{entry.id}': missing field 'zh' (the Chinese text)"
                    )
                if entry.id in seen_here:
                    problems.append(
                        f"{path}: entry '{entry.id}': duplicate id (also in {seen_here[entry.id]})"
                    )
                    continue
                seen_here[entry.id] = path
                merged[entry.id] = entry
                origin[entry.id] = path
    for entry in merged.values():
        for rel in entry.related:
            if rel not in merged:
                problems.append(
                    f"{origin[entry.id]}: entry '{entry.id}': related id '{rel}' does not exist"
                )
    if problems:
        raise KnowledgeError(problems)
    if not merged:
        raise KnowledgeError([f"no knowledge entries found in {', '.join(map(str, directories))}"])
    return KnowledgeBase(entries=tuple(merged.values()), sources=origin)


def _read_dir(directory: Path, problems: list[str]) -> list[tuple[Path, Any]]:
    import yaml

    # The C loader is ~10x faster; both are safe loaders.
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    if not directory.is_dir():
        problems.append(f"{directory}: not a directory")
        return []
    out: list[tuple[Path, Any]] = []
    for path in knowledge_files(directory):
        try:
            if path.stat().st_size > MAX_FILE_BYTES:
                problems.append(f"{path}: larger than {MAX_FILE_BYTES // 1024} KiB")
                continue
            text = path.read_text(encoding="utf-8")
            out.append((path, yaml.load(text, Loader=loader)))  # a safe loader (above)
        except UnicodeDecodeError:
            problems.append(f"{path}: not UTF-8 text")
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" line {mark.line + 1}, column {mark.column + 1}" if mark else ""
            what = getattr(exc, "problem", None) or str(exc).splitlines()[0]
            problems.append(f"{path}:{where}: invalid YAML: {what}")
        except OSError as exc:
            problems.append(f"{path}: cannot read: {exc.strerror or exc}")
    return out


@cache
def _entry_adapter() -> TypeAdapter[Entry]:
    from pydantic import TypeAdapter

    return TypeAdapter(Entry)


def _parse_entries(path: Path, raw: Any, problems: list[str]) -> list[Entry]:
    from pydantic import ValidationError

    if not isinstance(raw, dict) or set(raw) != {"entries"}:
        problems.append(f"{path}: the file must hold one top-level key, 'entries', with a list")
        return []
    items = raw["entries"]
    if not isinstance(items, list):
        problems.append(f"{path}: 'entries' must be a list")
        return []
    entries: list[Entry] = []
    for index, item in enumerate(items, start=1):
        label = _label(item, index)
        if not isinstance(item, dict):
            problems.append(f"{path}: {label}: must be a mapping of fields")
            continue
        try:
            entries.append(_entry_adapter().validate_python(item))
        except ValidationError as exc:
            problems.extend(f"{path}: {label}: {line}" for line in _explain(exc))
    return entries


def _label(item: Any, index: int) -> str:
    if isinstance(item, dict) and isinstance(item.get("id"), str):
        return f"entry '{item['id']}'"
    return f"entry #{index} (no id)"


def _explain(exc: ValidationError) -> list[str]:
    lines = []
    for err in exc.errors(include_url=False):
        field = ".".join(str(p) for p in err["loc"]) or "(entry)"
        kind = err["type"]
        if kind in ("extra_forbidden", "unexpected_keyword_argument"):
            lines.append(f"unknown key '{field}'")
        elif kind == "missing":
            lines.append(f"missing field '{field}'")
        elif kind == "enum":
            expected = err.get("ctx", {}).get("expected", "")
            lines.append(f"'{field}': {err['input']!r} is not one of {expected}")
        else:
            msg = err["msg"].removeprefix("Value error, ")
            lines.append(f"'{field}': {msg}")
    return lines
