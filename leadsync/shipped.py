"""The files LeadSync ships as package data, found where the package is installed.

``pip install .`` puts them inside the package (``leadsync/mappings/``,
``leadsync/definitions/``, ``leadsync/config.example.toml``), so they are found the same way
from a wheel, an editable install or a source checkout, whatever the working folder.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path


def _path(package: str, name: str) -> Path:
    return Path(str(files(package).joinpath(name)))


def mapping(name: str = "hubspot_salesforce") -> Path:
    """A shipped field-mapping file, by its name without ``.toml``."""
    return _path("leadsync.mappings", f"{name}.toml")


def definition(name: str = "example") -> Path:
    """A shipped lead definition, by its name without ``.toml``."""
    return _path("leadsync.definitions", f"{name}.toml")


def example_config() -> str:
    """The documented example config, as text."""
    return files("leadsync").joinpath("config.example.toml").read_text(encoding="utf-8")
