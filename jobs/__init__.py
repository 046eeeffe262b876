"""Jobs: wiring only. A job loads the config, builds the adapters from the registry, reads,
asks a planner in ``leadsync.connector`` what to do, applies it through the ports, and records
the run. No decision is made here."""
