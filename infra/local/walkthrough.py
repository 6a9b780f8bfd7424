"""`make run`: the whole cloud path on the local stack, the way a client app drives it.

Starts the stack, installs the demo session, creates an admin, a sub_admin and a lifter,
uploads the bundled sample lift through the real multipart endpoint with the admin's ID
token on behalf of the lifter, and follows the session through queued -> processing ->
done (started by the storage event, not by a direct call). Then it prints the session
details and the endpoints to try, and stays up until Ctrl-C (`--once` exits instead).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time

import requests

from infra.local.accounts import PASSWORD, create_user, id_token
from infra.local.stack import ROOT, Stack, serve
from shared import demo
from shared.adapters.repository import Repository
from shared.adapters.storage import Storage

SAMPLE = ROOT / "tests" / "data" / "sample_snatch.mp4"


def follow(api: str, token: str, session_id: str, timeout_s: float = 600) -> dict:
    """Poll the session details, printing each status and progress change."""
    seen, deadline = None, time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        r = requests.get(
            f"{api}/weightlifting/sessions/{session_id}/", headers={"Authorization": f"Bearer {token}"}, timeout=30
        )
        r.raise_for_status()
        details = r.json()
        now = (details["status"], details.get("progress"), details.get("stage"))
        if now != seen:
            print(f"  status {now[0]:<10} progress {now[1]:>5}%  {now[2] or ''}", flush=True)
            seen = now
        if details["status"] in ("done", "failed"):
            return details
        time.sleep(0.5)
    raise TimeoutError(f"session {session_id} not finished after {timeout_s:.0f} s")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="make run", description=__doc__)
    ap.add_argument("--once", action="store_true", help="exit after the walkthrough instead of staying up")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(message)s")
    return serve(walkthrough, stay_up=not args.once)


def walkthrough(stack: Stack) -> int:
    api = stack.api_url
    print(f"local stack up: API {api} (logs in {stack.run_dir})")
    demo.install(Repository(), Storage())
    create_user("admin", role="admin", profile={"display_name": "Admin"})
    create_user("coach", role="sub_admin", org_id="club-north", profile={"display_name": "Club Coach"})
    create_user(
        "lifter",
        org_id="club-north",
        profile={
            "display_name": "Lena Lifter",
            "age": 26,
            "weight_kg": 80.0,
            "height_cm": 175.0,
            "timezone": "Europe/Amsterdam",
        },
    )
    admin_token = id_token("admin")
    print("users: admin (admin), coach (sub_admin of club-north), lifter (club-north, plan 'pro', 80 kg)")
    with SAMPLE.open("rb") as video:
        r = requests.post(
            f"{api}/weightlifting/sessions/",
            headers={"Authorization": f"Bearer {admin_token}"},
            data={
                "user_id": "lifter",
                "exercise_name": "snatch",
                "barbell_mass": "100",
                "body_joint_angles": "knee,hip",
            },
            files={"video": (SAMPLE.name, video, "video/mp4")},
            timeout=120,
        )
    print(f"POST /weightlifting/sessions/ -> {r.status_code} {r.text}")
    r.raise_for_status()
    session_id = r.json()["session_id"]
    details = follow(api, admin_token, session_id)
    summary = {
        k: details[k]
        for k in (
            "session_id",
            "title",
            "status",
            "exercise",
            "user_name",
            "created_at",
            "metrics",
            "video_url",
            "analyzed_video_url",
        )
    }
    summary["series"] = {
        "frames": len(details["all_timestamps"]),
        "angles": sorted(details["angles"]),
        "report_metrics": sorted(details["report_metrics"]),
    }
    print(json.dumps(summary, indent=2))
    print("\ntokens (valid ~1 h; `make token USER=<uid>` prints a fresh one):")
    for uid in ("admin", "coach", "lifter"):
        print(f"  export {uid.upper()}_TOKEN={admin_token if uid == 'admin' else id_token(uid)}")
    print(f"\nweb viewer: {api}/app/  (sign in as admin, coach or lifter @liftlab.test, password {PASSWORD})")
    print("\ntry it:\n  TOKEN=$ADMIN_TOKEN")
    print(f'  curl -H "Authorization: Bearer $TOKEN" {api}/weightlifting/sessions/{session_id}/')
    print(f"  curl -H \"Authorization: Bearer $TOKEN\" '{api}/weightlifting/sessions/?user_id=lifter'")
    print(
        f"  curl -H \"Authorization: Bearer $TOKEN\" '{api}/weightlifting/users/demo-lifter/progress/?exercise=snatch'"
    )
    for suffix in ("export/", "export/?format=csv", "analysis/", "summary/"):
        print(f"  curl -H \"Authorization: Bearer $TOKEN\" '{api}/weightlifting/sessions/{session_id}/{suffix}'")
    for suffix in ("summary/", "recommendation/?measurement_system=imperial"):
        print(
            f"  curl -X POST -H \"Authorization: Bearer $TOKEN\" '{api}/weightlifting/sessions/{session_id}/{suffix}'"
        )
    print(
        f'  curl -H "Authorization: Bearer $TOKEN" \'{api}/weightlifting/sessions/{session_id}/recommendation/'
        "?measurement_system=imperial'"
    )
    print(f"  curl -H \"Authorization: Bearer $TOKEN\" '{api}/weightlifting/sessions/x/analysis/?demo=true'")
    print(
        f'  curl -H "Authorization: Bearer $TOKEN" -F user_id=lifter -F exercise_name=clean '
        f"-F video=@{SAMPLE.relative_to(ROOT)} {api}/weightlifting/sessions/"
    )
    return 0 if details["status"] == "done" else 1


if __name__ == "__main__":
    sys.exit(main())
