"""The system kinds LeadSync ships with.

The connector owns the registry (``connector.config.register_system_kind``) and imports no
adapter; each adapter's settings module registers its kind when imported. Call
``load_builtin_kinds()`` before ``load_config``.
"""

from __future__ import annotations

import importlib

BUILTIN_SETTINGS_MODULES = ("leadsync.adapters.hubspot.settings",
                            "leadsync.adapters.salesforce.settings")


def load_builtin_kinds() -> None:
    """Import the settings module of every built-in adapter, registering its kind."""
    for module in BUILTIN_SETTINGS_MODULES:
        importlib.import_module(module)
