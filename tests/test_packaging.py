"""The wheel holds every package directory of the tree: an editable install would hide a missing one."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
# where each shipped tree lands in the wheel
SHIPPED = {"archive": "archive", "crawler": "crawler", "migrations": "migrations", "tests/site": "newsarchive_site"}
DATA_FILES = ("crawler/sites/morningstar.toml", "archive/replay/templates/front.html", "migrations/script.py.mako")


def _tracked_files() -> list[str]:
    done = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"], capture_output=True, text=True, cwd=REPO, check=True)
    return done.stdout.splitlines()


def test_the_wheel_holds_every_package_directory(tmp_path: Path) -> None:
    source = tmp_path / "source"
    for name in _tracked_files():  # a clean copy: no build/ or egg-info of the working tree
        if (REPO / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, source / name)
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", str(tmp_path / "dist"), str(source)],
        check=True, capture_output=True, text=True,
    )
    (wheel,) = (tmp_path / "dist").glob("newsarchive-*.whl")
    shipped = set(zipfile.ZipFile(wheel).namelist())

    expected = set()
    for tree, installed_as in SHIPPED.items():
        for init in (REPO / tree).rglob("__init__.py"):
            relative = init.relative_to(REPO / tree).as_posix()
            expected.add(f"{installed_as}/{relative}")
    assert len(expected) > 10
    missing = sorted(expected - shipped)
    assert not missing, f"package directories missing from the wheel: {missing}"
    for data_file in DATA_FILES:
        assert data_file in shipped, f"{data_file} is missing from the wheel"
    assert "newsarchive_site/clarion.toml" in shipped
    assert not any(name.startswith("tests/") for name in shipped), "the test suite itself is not shipped"
