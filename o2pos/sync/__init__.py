"""The till's link to the central: push the journal exactly once, pull master data back.

No Textual here: the TUI runs this in a worker thread, ``o2pos sync daemon`` in a loop, and
``o2pos sync push|pull`` once, all through ``engine.SyncEngine``.
"""
