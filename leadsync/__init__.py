"""LeadSync: the lead-handoff connector."""

from importlib.metadata import version

__version__ = version("leadsync")
