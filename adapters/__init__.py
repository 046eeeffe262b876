"""One package per system, each built on the vendor's own client.

Each package describes itself once in its ``descriptor.py`` (kind, settings model, the object it
syncs, its sales process, and factories for its ``System``, ``Activities`` and ``Lists``), and
``registry.py`` is the one place that goes from a configured kind to an adapter: nothing outside
``adapters/`` compares vendor names. Inside a package one call helper (``calls.py``: budget,
retry, counting, paging) serves every class, and ``errors.py`` maps the vendor's answers onto
``leadsync.connector.errors`` by table. ``webhook/`` is the ``Notifier`` for SLA events.
"""
