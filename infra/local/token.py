"""`make token USER=lifter`: a fresh ID token for a user of the running local stack (an
ID token lasts an hour; run it again for a new one).

The stack's Auth emulator is found on LIFTLAB_PORT_AUTH (8783 unless moved), as `make run`
started it. Seeded users: admin, coach, lifter.
"""

from __future__ import annotations

import os
import sys
import urllib.error

from infra.local.stack import Ports

SEEDED = ("admin", "coach", "lifter")


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        print(f"usage: make token USER=<uid>   (seeded: {', '.join(SEEDED)})", file=sys.stderr)
        return 2
    uid = argv[0]
    os.environ.setdefault("FIREBASE_AUTH_EMULATOR_HOST", f"127.0.0.1:{Ports.from_env().auth}")
    from infra.local.accounts import id_token

    try:
        print(id_token(uid))
    except urllib.error.HTTPError as exc:
        print(
            f"error: no user {uid!r} on the local stack (seeded: {', '.join(SEEDED)}): HTTP {exc.code}", file=sys.stderr
        )
        return 1
    except (urllib.error.URLError, OSError):
        print(
            f"error: no Auth emulator at {os.environ['FIREBASE_AUTH_EMULATOR_HOST']}; start the stack with "
            "`make run` (or set LIFTLAB_PORT_AUTH to the port it uses)",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
