"""The field-mapping files LeadSync ships (data, found with ``importlib.resources``)."""
