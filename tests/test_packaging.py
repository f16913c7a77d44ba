"""The package as people install it: built from an sdist, installed from its wheel, run elsewhere.

A fresh venv gets the wheel (no editable install, no checkout on sys.path) and borrows the
dependencies already installed in the dev venv through a .pth file, so nothing is downloaded. A
directory added by a .pth file does not have its own .pth files processed, so the dev venv's
editable install of eo-bot does not leak in: ``bot`` must come from the wheel.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import tomllib
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.knowledge.loader import default_dir

ROOT = Path(__file__).resolve().parent.parent
KNOWLEDGE_FILES = sorted(p.name for p in (ROOT / "knowledge").glob("*.yaml"))
_COPY_IGNORE = shutil.ignore_patterns(
    ".venv", ".git", "__pycache__", "*.egg-info", "build", "dist", ".*_cache", ".hypothesis"
)


@dataclass(frozen=True, slots=True)
class Installed:
    sdist: Path
    wheel: Path
    build_log: str
    venv: Path
    site_packages: Path
    workdir: Path  # an empty directory outside the checkout

    def run(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in ("PYTHONPATH", "EO_KNOWLEDGE_DIRS", "VIRTUAL_ENV", "PYTHONHOME")
            and not k.startswith("SLACK_")
        }
        env["NO_COLOR"] = "1"
        env["XDG_CACHE_HOME"] = str(self.workdir / "cache")
        return subprocess.run(
            [str(self.venv / "bin" / "eo-bot"), *args],
            input=stdin,
            capture_output=True,
            text=True,
            cwd=self.workdir,
            env=env,
            timeout=60,
            check=False,
        )


def _run(*cmd: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [str(c) for c in cmd],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, f"{cmd} failed:\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    base = tmp_path_factory.mktemp("packaging")
    # Build from a copy so the checkout gets no build/ or egg-info; `python -m build` makes the
    # sdist, then the wheel from the unpacked sdist: the wheel proves the sdist is complete too.
    src = base / "src"
    shutil.copytree(ROOT, src, ignore=_COPY_IGNORE)
    dist = base / "dist"
    built = _run(sys.executable, "-m", "build", "--no-isolation", "--outdir", dist, src, cwd=base)
    (sdist,) = dist.glob("*.tar.gz")
    (wheel,) = dist.glob("*.whl")

    venv = base / "venv"
    _run(sys.executable, "-m", "venv", "--without-pip", venv, cwd=base)
    python = venv / "bin" / "python"
    purelib = _run(
        python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])", cwd=base
    )
    site_packages = Path(purelib.stdout.strip())
    _run(
        sys.executable, "-m", "pip", "--python", python, "install", "--quiet", "--no-index",
        "--no-deps", "--disable-pip-version-check", wheel, cwd=base,
    )  # fmt: skip
    (site_packages / "_eo_dev_dependencies.pth").write_text(
        sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8"
    )
    workdir = base / "elsewhere"
    workdir.mkdir()
    return Installed(sdist, wheel, built.stdout + built.stderr, venv, site_packages, workdir)


def test_package_list_names_every_package_under_bot() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]
    listed = set(config["setuptools"]["packages"])
    on_disk = {
        ".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "bot").rglob("__init__.py")
    }
    assert listed == on_disk | {"bot._knowledge"}
    assert config["setuptools"]["package-dir"] == {"bot._knowledge": "knowledge"}


def test_editable_install_reads_the_checkout_knowledge() -> None:
    # Editing knowledge/*.yaml in a checkout must take effect without reinstalling.
    assert default_dir().resolve() == (ROOT / "knowledge").resolve()


def test_build_has_no_deprecation_warnings(installed: Installed) -> None:
    assert "deprecat" not in installed.build_log.lower(), installed.build_log


def test_sdist_and_wheel_carry_the_knowledge(installed: Installed) -> None:
    with tarfile.open(installed.sdist) as sdist:
        in_sdist = {Path(n).relative_to(Path(n).parts[0]).as_posix() for n in sdist.getnames()}
    assert {f"knowledge/{name}" for name in KNOWLEDGE_FILES} <= in_sdist
    assert "LICENSE" in in_sdist
    with zipfile.ZipFile(installed.wheel) as wheel:
        in_wheel = set(wheel.namelist())
    assert {f"bot/_knowledge/{name}" for name in KNOWLEDGE_FILES} <= in_wheel
    assert "bot/probe/edgeone.yaml" in in_wheel
    assert not any(n.startswith("knowledge/") for n in in_wheel)
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in in_wheel)


def test_installed_ask_runs_outside_the_checkout(installed: Installed) -> None:
    result = installed.run("ask", "524")
    assert result.returncode == 0, result.stderr
    assert "524" in result.stdout
    assert "Who answers" in result.stdout
    # No folder named knowledge was created or needed next to the installed packages.
    assert not (installed.site_packages / "knowledge").exists()


def test_installed_kb_check_reads_the_package_data(installed: Installed) -> None:
    result = installed.run("kb", "check")
    assert result.returncode == 0, result.stderr
    data_dir = installed.site_packages / "bot" / "_knowledge"
    for name in KNOWLEDGE_FILES:
        assert str(data_dir / name) in result.stdout
    assert str(ROOT) not in result.stdout


def test_installed_probe_help_and_console(installed: Installed) -> None:
    probe = installed.run("probe", "--help")
    assert probe.returncode == 0, probe.stderr
    assert "--origin" in probe.stdout
    console = installed.run("console", stdin="/eo 524\n")
    assert console.returncode == 0, console.stderr
    assert "524" in console.stdout
    assert "not found" not in console.stderr


def test_installed_bot_comes_from_the_wheel(installed: Installed) -> None:
    # The check has teeth only if the dev venv's editable install did not leak in.
    result = subprocess.run(
        [str(installed.venv / "bin" / "python"), "-c", "import bot; print(bot.__file__)"],
        capture_output=True,
        text=True,
        cwd=installed.workdir,
        env={"PATH": os.environ.get("PATH", "")},
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert Path(result.stdout.strip()).is_relative_to(installed.site_packages)
