"""The coaching task: python -m shared.coach --session-id ID --kind summary|recommendation --units metric|imperial

Writes the session's queued threads of that kind and units. Run by the task queue (the
local dispatcher here), at least once: a thread already written is skipped.
"""

from __future__ import annotations

import argparse
import logging
import sys

from shared.coach.facts import units_from
from shared.coach.threads import KEYS, Coaching
from shared.config import check_environment, execution_owner


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    ap = argparse.ArgumentParser(prog="python -m shared.coach", description=__doc__)
    ap.add_argument("--session-id", required=True)
    ap.add_argument("--kind", required=True, choices=sorted(KEYS))
    ap.add_argument("--units", default="metric")
    args = ap.parse_args(argv)
    check_environment()
    owner = execution_owner()
    done = Coaching().write(args.session_id, args.kind, units_from(args.units), owner)
    logging.getLogger("liftlab.coach").info("session %s %s: %s", args.session_id, args.kind, done)
    return 0


if __name__ == "__main__":
    sys.exit(main())
