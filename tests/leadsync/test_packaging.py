"""What ``pip install .`` ships: every package folder of the project is in the wheel.

``pyproject.toml`` lists the packages one by one (each folder installs under ``leadsync.``), so
a new subpackage left off the list installs nothing: its imports fail only for users of the
wheel, never in an editable checkout. This test reads the list and the folders.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_package_folder_is_listed_for_the_wheel() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(config["packages"])
    folders = {name: ROOT / path for name, path in config["package-dir"].items()}
    found = set()
    for name, folder in folders.items():
        for init in folder.rglob("__init__.py"):
            parts = init.parent.relative_to(folder).parts
            found.add(".".join((name, *parts)))
    assert found - listed == set(), "add these to [tool.setuptools] packages"
    assert listed - found == set(), "listed packages with no folder"
