"""The example lead definition LeadSync ships (data, found with ``importlib.resources``)."""
