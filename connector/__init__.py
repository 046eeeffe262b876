"""The engine and the domain: pure where it can be, and no vendor SDK.

Every decision has the shape of ``plan.py``: a pure planner takes what the systems hold and
returns actions; a job in ``leadsync.jobs`` applies them through the ports and records them.

- Ports (``ports.py``, ``store.py``): ``System``, ``Activities``, ``Lists``, ``Notifier`` and
  the state store, each a small ``Protocol``; ``budget.CallBudget`` for call budgets.
- The sync pass, a stage a module over pages: ``changes`` -> ``match`` -> ``judge`` ->
  ``plan`` -> ``deliver`` -> ``commit``, wired by ``sync.SyncEngine``.
- The lead definition: ``definition`` (the noun), ``rules`` (the condition language),
  ``definition_file`` and ``condition_tables`` (reading it), ``qualify`` (applying it to a lead
  in either system, the one path for the sync, ``explain`` and ``diff``).
- The SLA: ``calendar``/``durations`` (business time), ``policies`` and ``sla`` (clocks),
  ``routing`` (round robin), ``sweep_plan`` (the sweep, decided with no I/O) returning
  ``sweep_actions``, ``effects`` (each of its effects done once, by key), ``ghosts`` (leads
  nobody works).
- Config (``config`` the models, ``config_file`` the loader), errors, retry, logs; the
  dead-letter policy for refused records (``deadletter``) and the run lock (``lock``).
"""
