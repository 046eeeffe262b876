"""A starter config for a new installation, and the way to it when no config is found.

A new admin's first command fails for want of a config file; the message then says where
LeadSync looked and how to get one (``leadsync init``, or a copy of ``config.example.toml``).
``leadsync init`` writes the shipped example (the same text as the repository's
``config.example.toml``) with the mapping and lead definition it names, at the paths it names
them, so the new file loads as it is once the secrets are in the environment. It never
overwrites a file unless asked to, and then only the files it writes.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from leadsync import shipped
from leadsync.connector.config_file import CONFIG_ENV_VAR, DEFAULT_CONFIG_FILE

STATE_FOLDER = ".leadsync"  # the example's state store and the sandbox's CA live there
SECRETS = ("LEADSYNC_SYSTEMS__HUBSPOT__ACCESS_TOKEN", "LEADSYNC_SYSTEMS__SALESFORCE__SESSION_ID")


def config_path(path: Path | None) -> Path:
    """The config file a command reads: ``path``, else ``$LEADSYNC_CONFIG``, else
    ``leadsync.toml`` in the working folder (``connector.config_file``'s rule)."""
    return Path(path if path is not None else
                os.environ.get(CONFIG_ENV_VAR) or DEFAULT_CONFIG_FILE)


def missing_config_hint(path: Path | None) -> str | None:
    """What to do when the config file a command reads does not exist; None when it does."""
    file = config_path(path)
    if file.exists():
        return None
    looked = (f"{file}" if path is not None or os.environ.get(CONFIG_ENV_VAR)
              else f"{file} in {Path.cwd()} (no --config, no ${CONFIG_ENV_VAR})")
    return (f"no config file found: {looked}. Write a starter one with `leadsync init "
            f"{file}` (a copy of config.example.toml, with the mapping and lead definition it "
            f"names), or pass --config FILE")


@dataclass
class Starter:
    """The files ``leadsync init`` writes: the config, then the files it names, by path."""

    config: Path
    files: dict[Path, str] = field(default_factory=dict)

    def existing(self) -> list[Path]:
        return [path for path in self.files if path.exists()]

    def write(self) -> list[Path]:
        for path, text in self.files.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        (self.config.parent / STATE_FOLDER).mkdir(exist_ok=True)
        return list(self.files)


def starter(path: Path | None) -> Starter:
    """The starter files for a config at ``path`` (a file, or a folder to hold
    ``leadsync.toml``: one that exists, or a name without a suffix); the mapping and
    definition at the paths the example names, relative to the config's folder as every
    relative path in it is."""
    target = Path(path) if path is not None else Path(DEFAULT_CONFIG_FILE)
    if target.is_dir() or not target.suffix:
        target = target / DEFAULT_CONFIG_FILE
    example = shipped.example_config()
    named = tomllib.loads(example)
    folder = target.parent
    files = {target: example}
    mapping = Path(named["sync"]["mapping"])
    files[folder / mapping] = shipped.mapping(mapping.stem).read_text(encoding="utf-8")
    if "definition" in named:
        definition = Path(named["definition"]["file"])
        files[folder / definition] = shipped.definition(definition.stem).read_text(
            encoding="utf-8")
    return Starter(target, files)


def next_steps(config: Path) -> list[str]:
    """What an admin does after ``leadsync init``, in order."""
    shown = str(config)
    return [
        f"Edit {shown}: every key is documented there (hosts, ca_bundle, the state store, "
        f"SLA calendars and policies). As written it points at the local sandbox orgs: start "
        f"them as its first lines say (that also writes the CA bundle it names).",
        "Put the secrets in environment variables, never in the file: "
        + ", ".join(f"{name}=..." for name in SECRETS)
        + " (or the ones your auth mode names in the file).",
        f"Check it: leadsync config check {shown} (then --live, to check it against the "
        f"systems by read calls only).",
        f"Create the fields LeadSync needs: leadsync install --config {shown} --apply",
        f"Try a pass that writes nothing: leadsync sync --config {shown} --dry-run",
    ]
