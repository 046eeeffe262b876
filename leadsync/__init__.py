"""LeadSync: the lead-handoff connector."""

__version__ = "0.1.0"
