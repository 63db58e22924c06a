"""Manual transfer for long outages: unsent journal entries to a file (a USB stick).

The file carries each entry with its hash, exactly as a push would, so the central imports it
through the same idempotent path: importing it and later pushing the same events over the
network stores each event once. Written to a temporary name, synced, then renamed, so a
pulled stick never holds half a file under the real name.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from o2pos.core import syncstate
from o2pos.core.context import Context
from o2pos.core.journal import iso

FORMAT = "o2pos-journal-export/1"


def export(ctx: Context, path: Path, *, everything: bool = False) -> int:
    """Write the entries not yet acknowledged (or all of them); returns how many."""
    after = 0 if everything else syncstate.acked(ctx)[0]
    events = syncstate.pending_events(ctx, limit=-1, after=after)
    document = {
        "format": FORMAT,
        "terminal_id": ctx.terminal_id,
        "exported_at": iso(ctx.now()),
        "from_seq": events[0]["seq"] if events else None,
        "to_seq": events[-1]["seq"] if events else None,
        "events": events,
    }
    temporary = path.with_name(path.name + ".part")
    with temporary.open("w", encoding="utf-8") as handle:
        json.dump(document, handle, ensure_ascii=False, separators=(",", ":"))
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)
    return len(events)
