"""``.ci/typecheck`` lays the folders out as the package installs them."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_the_typecheck_tree_links_every_folder_the_package_installs() -> None:
    setuptools = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]
    installed = {folder for name, folder in setuptools["package-dir"].items()
                 if name != "leadsync"}
    script = (REPO / ".ci" / "typecheck").read_text()
    linked = re.search(r"for folder in ([a-z ]+); do", script)

    assert linked is not None
    assert set(linked[1].split()) == installed
