"""A till process that claims another till's order at the central, then waits as a cashier
counting cash would, so a test can kill it with SIGKILL between the claim and the payment.

``python tests/sync/claim_and_wait.py CONFIG NUMBER``: the claim is made as the till makes
it (``[central]`` of CONFIG, its ``claim_lease_seconds`` included); once the central has
answered, one line ``claimed CLAIM_ID`` is printed, then the process blocks on stdin.
"""

from __future__ import annotations

import sys
from pathlib import Path

from o2pos.config import load
from o2pos.sync.orders import StoreOrders


def main(config_path: str, number: str) -> None:
    lookup = StoreOrders.from_config(load(Path(config_path)).central)
    claimed = lookup.claim(lookup.find(number))
    print(f"claimed {claimed.claim_id}", flush=True)
    sys.stdin.read()  # the cashier counts cash; only a kill ends this


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
