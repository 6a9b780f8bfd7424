"""Bad input: malformed requests to every HTTP endpoint in functions/routes.json, each
answered with the status functions/openapi.yaml documents and a JSON `{"error": ...}` that
says what is wrong: never a 500, never a trace, and nothing stored (every Firestore
document, every Storage object and every queued task is compared before and after).

Real HTTP against the local stack. The stack is reset and populated once for this module
(people, a finished session `lift1`, and users whose tokens are revoked, disabled or
deleted); since no case may store anything, the cases share that state. Storage events
with malformed data are acknowledged (retrying them cannot help) and change nothing.

Not testable here: a token with forged claims but an intact shape (say `role: admin` on a
lifter's token). The Auth emulator's tokens are unsigned, so only production's signature
check refuses it; `shared.config.check_environment` keeps emulator settings off GCP.
"""

from __future__ import annotations

import base64
import io
import json
import math
import time
import uuid
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
import requests
from firebase_admin import auth as firebase_auth

from infra.local.accounts import create_user, id_token
from infra.local.stack import BUCKET
from shared import demo
from shared.adapters.auth import app
from shared.adapters.repository import Repository, client
from shared.adapters.storage import Storage
from shared.config import settings
from tests.cloud.contract import check
from tests.cloud.fixtures import SAMPLE, Api, People, forged_token, new_session

LIFT = "lift1"
SESSIONS = "/weightlifting/sessions/"
UPLOAD_URL = "/weightlifting/sessions/upload-url/"
DETAILS = "/weightlifting/sessions/{session_id}/"
EXPORT = "/weightlifting/sessions/{session_id}/export/"
ANALYSIS = "/weightlifting/sessions/{session_id}/analysis/"
SUMMARY = "/weightlifting/sessions/{session_id}/summary/"
RECOMMENDATION = "/weightlifting/sessions/{session_id}/recommendation/"
COMPARE = "/weightlifting/sessions/compare/"
PROGRESS = "/weightlifting/users/{user_id}/progress/"
VIDEO = SAMPLE.read_bytes()
FIELDS = {"user_id": "lifter", "exercise_name": "snatch"}
UPLOAD = {**FIELDS, "content_type": "video/mp4", "size_bytes": len(VIDEO)}
MB = 1024 * 1024


# ---- what the app has stored
def firestore_documents() -> dict:
    """Every document, subcollections included, by path."""
    db, found = client(), {}
    pending = list(db.collections())
    while pending:
        refs = list(pending.pop().list_documents())
        found.update({s.reference.path: s.to_dict() for s in db.get_all(refs) if s.exists})
        for ref in refs:
            pending.extend(ref.collections())
    return found


def stored(stack) -> dict:
    return {
        "firestore": firestore_documents(),
        "storage": sorted((b.name, b.generation) for b in Storage().bucket.list_blobs()),
        "tasks": sorted(stack.dispatcher.tasks),
    }


def changes(before: dict, after: dict) -> dict:
    out = {}
    for part in before:
        if isinstance(before[part], dict):
            keys = set(before[part]) | set(after[part])
            diff = sorted(k for k in keys if before[part].get(k) != after[part].get(k))
        else:
            diff = sorted(set(map(str, before[part])) ^ set(map(str, after[part])))
        if diff:
            out[part] = diff
    return out


# ---- the cases
@dataclass(frozen=True)
class Bad:
    method: str
    path: str  # the OpenAPI path, as routes.json has it
    status: int
    error: str  # the error message contains this
    session_id: str = LIFT  # the path parameter (session_id or user_id) as it goes into the URL (percent-encoded)
    token: str | None = "admin"  # a key of World.tokens; None: no Authorization header
    request: dict | Callable[[], dict] = field(default_factory=dict)  # requests' params, data, json, files, headers


def bad(
    case_id: str,
    method: str,
    path: str,
    status: int,
    error: str,
    *,
    session_id: str = LIFT,
    token: str | None = "admin",
    request: dict | Callable[[], dict] | None = None,
    **kw,
):
    return pytest.param(Bad(method, path, status, error, session_id, token, request or kw), id=case_id)


def video(data: bytes = VIDEO, name: str = "lift.mp4", content_type: str = "video/mp4") -> dict:
    return {"video": (name, data, content_type)}


def raw_multipart(parts: list[tuple[bytes, bytes]], boundary: bytes = b"liftlab", close: bool = True) -> bytes:
    """A multipart body written by hand: (Content-Disposition and other part headers, body)."""
    body = b"".join(b"--" + boundary + b"\r\n" + headers + b"\r\n\r\n" + data + b"\r\n" for headers, data in parts)
    return body + (b"--" + boundary + b"--\r\n" if close else b"")


def field_part(name: str, value: bytes) -> tuple[bytes, bytes]:
    return b'Content-Disposition: form-data; name="' + name.encode() + b'"', value


def zip_bytes() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("lift.mp4", VIDEO[:1000])
    return out.getvalue()


def oversized_video() -> dict:
    """One byte over the multipart limit (LIFTLAB_MAX_UPLOAD_BYTES, 30 MiB by default); the
    bytes are built only when the case runs."""
    size = settings().max_upload_bytes + 1
    return {"data": FIELDS, "files": video(VIDEO[:64] + bytes(size - 64))}


PNG = b"\x89PNG\r\n\x1a\n" + bytes(200)
TEXT = b"these are my lifting notes, not a video\n" * 20
FTYP_ONLY = b"\x00\x00\x00\x14ftypisom\x00\x00\x02\x00isom"  # an MP4's first box and nothing else
JSON = {"Content-Type": "application/json"}
MULTIPART = {"Content-Type": "multipart/form-data; boundary=liftlab"}

CREATE = [
    # bodies that are no multipart form
    bad(
        "create/json-body-instead-of-multipart",
        "POST",
        SESSIONS,
        400,
        "must be multipart/form-data",
        json={**FIELDS, "video": base64.b64encode(VIDEO[:100]).decode()},
    ),
    bad("create/empty-body", "POST", SESSIONS, 400, "user_id is required"),
    bad(
        "create/multipart-without-boundary",
        "POST",
        SESSIONS,
        400,
        "without a boundary",
        headers={"Content-Type": "multipart/form-data"},
        data=raw_multipart([field_part("user_id", b"lifter")]),
    ),
    bad(
        "create/multipart-boundary-differs-from-header",
        "POST",
        SESSIONS,
        400,
        "could not be read",
        headers={"Content-Type": "multipart/form-data; boundary=other"},
        data=raw_multipart([field_part("user_id", b"lifter"), field_part("exercise_name", b"snatch")]),
    ),
    bad(
        "create/multipart-cut-short",
        "POST",
        SESSIONS,
        400,
        "could not be read",
        headers=MULTIPART,
        data=raw_multipart([field_part("user_id", b"lifter")], close=False)[:-4],
    ),
    bad(
        "create/video-sent-as-a-text-field",
        "POST",
        SESSIONS,
        400,
        "video is required",
        data={**FIELDS, "video": "lift.mp4"},
    ),
    bad(
        "create/video-part-without-filename",
        "POST",
        SESSIONS,
        400,
        "video is required",
        data=FIELDS,
        files={"video": ("", VIDEO, "video/mp4")},
    ),
    # wrong types and values
    bad(
        "create/exercise_name-a-number",
        "POST",
        SESSIONS,
        400,
        "exercise_name must be one of",
        data={**FIELDS, "exercise_name": "3"},
        files=video(),
    ),
    bad(
        "create/exercise_name-a-list",
        "POST",
        SESSIONS,
        400,
        "exercise_name must be one of",
        data={**FIELDS, "exercise_name": '["snatch", "clean"]'},
        files=video(),
    ),
    bad(
        "create/barbell_mass-abc",
        "POST",
        SESSIONS,
        400,
        "barbell_mass must be a number",
        data={**FIELDS, "barbell_mass": "abc"},
        files=video(),
    ),
    bad(
        "create/barbell_mass-negative",
        "POST",
        SESSIONS,
        400,
        "barbell_mass must be between 0 and 500 kg",
        data={**FIELDS, "barbell_mass": "-100"},
        files=video(),
    ),
    bad(
        "create/barbell_mass-NaN",
        "POST",
        SESSIONS,
        400,
        "barbell_mass must be between",
        data={**FIELDS, "barbell_mass": "NaN"},
        files=video(),
    ),
    bad(
        "create/barbell_mass-5000-digits",
        "POST",
        SESSIONS,
        400,
        "barbell_mass must be between",
        data={**FIELDS, "barbell_mass": "9" * 5000},
        files=video(),
    ),
    bad(
        "create/body_joint_angles-junk",
        "POST",
        SESSIONS,
        400,
        "body_joint_angles: unknown joint(s)",
        data={**FIELDS, "body_joint_angles": "knee;DROP TABLE sessions,{}"},
        files=video(),
    ),
    # names: traversal, NUL, bad UTF-8
    bad(
        "create/user_id-path-traversal",
        "POST",
        SESSIONS,
        400,
        "user_id is not a valid user id",
        data={**FIELDS, "user_id": "../../users/admin"},
        files=video(),
    ),
    bad(
        "create/user_id-with-NUL",
        "POST",
        SESSIONS,
        400,
        "user_id is not a valid user id",
        data={**FIELDS, "user_id": "lifter\x00admin"},
        files=video(),
    ),
    bad(
        "create/user_id-bad-utf8",
        "POST",
        SESSIONS,
        400,
        "user_id is not a valid user id",
        data={**FIELDS, "user_id": b"lif\xff\xfeter"},
        files=video(),
    ),
    bad(
        "create/filename-path-traversal-text-body",
        "POST",
        SESSIONS,
        400,
        "video: not an MP4 or QuickTime video",
        data=FIELDS,
        files=video(TEXT, name="../../etc/passwd.mp4"),
    ),
    bad(
        "create/filename-not-utf8",
        "POST",
        SESSIONS,
        400,
        "UTF-8 headers",
        headers=MULTIPART,
        data=raw_multipart(
            [
                field_part("user_id", b"lifter"),
                field_part("exercise_name", b"snatch"),
                (
                    b'Content-Disposition: form-data; name="video"; filename="li\xff\xfeft.mp4"\r\n'
                    b"Content-Type: video/mp4",
                    VIDEO,
                ),
            ]
        ),
    ),
    # huge fields
    bad(
        "create/session_name-1MB",
        "POST",
        SESSIONS,
        400,
        "the form is too large",
        data={**FIELDS, "session_name": "x" * MB},
        files=video(),
    ),
    bad(
        "create/video-over-the-upload-limit",
        "POST",
        SESSIONS,
        400,
        "use POST /weightlifting/sessions/upload-url/",
        request=oversized_video,
    ),
    # a video with a lying extension (and content type)
    bad(
        "create/text-named-lift.mp4",
        "POST",
        SESSIONS,
        400,
        "video: not an MP4 or QuickTime video",
        data=FIELDS,
        files=video(TEXT),
    ),
    bad(
        "create/png-named-lift.mp4",
        "POST",
        SESSIONS,
        400,
        "video: not an MP4 or QuickTime video",
        data=FIELDS,
        files=video(PNG),
    ),
    bad(
        "create/zip-named-lift.mp4",
        "POST",
        SESSIONS,
        400,
        "video: not an MP4 or QuickTime video",
        data=FIELDS,
        files=video(zip_bytes()),
    ),
    bad(
        "create/mp4-header-without-a-movie",
        "POST",
        SESSIONS,
        400,
        "video: the file has no video track",
        data=FIELDS,
        files=video(FTYP_ONLY),
    ),
    bad(
        "create/mp4-cut-short",
        "POST",
        SESSIONS,
        400,
        "video: the file is damaged or truncated",
        data=FIELDS,
        files=video(VIDEO[:40_000]),
    ),
    # tokens
    bad(
        "create/token-missing",
        "POST",
        SESSIONS,
        401,
        "missing or malformed Authorization header",
        token=None,
        data=FIELDS,
        files=video(),
    ),
    bad(
        "create/token-basic-scheme",
        "POST",
        SESSIONS,
        401,
        "missing or malformed Authorization header",
        token=None,
        headers={"Authorization": "Basic YWRtaW46cGFzc3dvcmQ="},
        data=FIELDS,
        files=video(),
    ),
    bad(
        "create/token-revoked",
        "POST",
        SESSIONS,
        401,
        "token revoked",
        token="revoked",
        data={**FIELDS, "user_id": "revoked-user"},
        files=video(),
    ),
    bad(
        "create/token-custom-token-not-id-token",
        "POST",
        SESSIONS,
        401,
        "invalid token",
        token="custom-token",
        data=FIELDS,
        files=video(),
    ),
]

UPLOAD_URL_CASES = [
    bad(
        "upload-url/multipart-upload-instead-of-json",
        "POST",
        UPLOAD_URL,
        400,
        "content_type must be one of",
        data=FIELDS,
        files=video(),
    ),
    bad(
        "upload-url/text-plain-body",
        "POST",
        UPLOAD_URL,
        400,
        "the body must be JSON",
        headers={"Content-Type": "text/plain"},
        data=json.dumps(UPLOAD),
    ),
    bad(
        "upload-url/invalid-json",
        "POST",
        UPLOAD_URL,
        400,
        "the body is not valid JSON",
        headers=JSON,
        data=b'{"user_id": "lifter", "exercise_name": ',
    ),
    bad(
        "upload-url/json-not-utf8",
        "POST",
        UPLOAD_URL,
        400,
        "the body is not valid JSON (UTF-8)",
        headers=JSON,
        data=json.dumps(UPLOAD).replace("lifter", "lif\udcfftter").encode("utf-8", "surrogateescape"),
    ),
    bad("upload-url/json-array", "POST", UPLOAD_URL, 400, "the body must be a JSON object", json=[UPLOAD]),
    bad("upload-url/json-null", "POST", UPLOAD_URL, 400, "the body must be a JSON object", headers=JSON, data=b"null"),
    bad(
        "upload-url/exercise_name-a-number",
        "POST",
        UPLOAD_URL,
        400,
        "exercise_name must be a string",
        json={**UPLOAD, "exercise_name": 3},
    ),
    bad(
        "upload-url/exercise_name-a-list",
        "POST",
        UPLOAD_URL,
        400,
        "exercise_name must be a string",
        json={**UPLOAD, "exercise_name": ["snatch"]},
    ),
    bad(
        "upload-url/user_id-an-object",
        "POST",
        UPLOAD_URL,
        400,
        "user_id must be a string",
        json={**UPLOAD, "user_id": {"$ne": None}},
    ),
    bad(
        "upload-url/user_id-path-traversal",
        "POST",
        UPLOAD_URL,
        400,
        "user_id is not a valid user id",
        json={**UPLOAD, "user_id": "../lifter"},
    ),
    bad(
        "upload-url/barbell_mass-abc",
        "POST",
        UPLOAD_URL,
        400,
        "barbell_mass must be a number",
        json={**UPLOAD, "barbell_mass": "abc"},
    ),
    bad(
        "upload-url/barbell_mass-a-list",
        "POST",
        UPLOAD_URL,
        400,
        "barbell_mass must be a string",
        json={**UPLOAD, "barbell_mass": [100]},
    ),
    bad(
        "upload-url/body_joint_angles-a-number",
        "POST",
        UPLOAD_URL,
        400,
        "body_joint_angles must be a string",
        json={**UPLOAD, "body_joint_angles": 5},
    ),
    bad(
        "upload-url/session_name-1MB",
        "POST",
        UPLOAD_URL,
        400,
        "session_name is longer than 120 characters",
        json={**UPLOAD, "session_name": "x" * MB},
    ),
    bad(
        "upload-url/session_name-a-number",
        "POST",
        UPLOAD_URL,
        400,
        "session_name must be a string",
        json={**UPLOAD, "session_name": 42},
    ),
    bad(
        "upload-url/size_bytes-negative",
        "POST",
        UPLOAD_URL,
        400,
        "size_bytes must be between 1 and",
        json={**UPLOAD, "size_bytes": -1},
    ),
    bad(
        "upload-url/size_bytes-fraction",
        "POST",
        UPLOAD_URL,
        400,
        "size_bytes must be the video's size in bytes",
        json={**UPLOAD, "size_bytes": 10.5},
    ),
    bad(
        "upload-url/size_bytes-true",
        "POST",
        UPLOAD_URL,
        400,
        "size_bytes must be the video's size in bytes",
        json={**UPLOAD, "size_bytes": True},
    ),
    bad(
        "upload-url/size_bytes-NaN",
        "POST",
        UPLOAD_URL,
        400,
        "size_bytes must be the video's size in bytes",
        headers=JSON,
        data=json.dumps({**UPLOAD, "size_bytes": math.nan}),
    ),
    bad(
        "upload-url/size_bytes-1e400",
        "POST",
        UPLOAD_URL,
        400,
        "size_bytes must be the video's size in bytes",
        headers=JSON,
        data=json.dumps(UPLOAD).replace(f'"size_bytes": {len(VIDEO)}', '"size_bytes": 1e400'),
    ),
    bad(
        "upload-url/size_bytes-a-list",
        "POST",
        UPLOAD_URL,
        400,
        "size_bytes must be the video's size in bytes",
        json={**UPLOAD, "size_bytes": [1]},
    ),
    bad(
        "upload-url/size_bytes-1e30",
        "POST",
        UPLOAD_URL,
        400,
        "size_bytes must be between 1 and",
        json={**UPLOAD, "size_bytes": 10**30},
    ),
    bad(
        "upload-url/content_type-image-png",
        "POST",
        UPLOAD_URL,
        400,
        "content_type must be one of video/mp4",
        json={**UPLOAD, "content_type": "image/png"},
    ),
    bad(
        "upload-url/content_type-a-number",
        "POST",
        UPLOAD_URL,
        400,
        "content_type must be a string",
        json={**UPLOAD, "content_type": 4},
    ),
    bad("upload-url/token-expired", "POST", UPLOAD_URL, 401, "token expired", token="expired", json=UPLOAD),
    bad(
        "upload-url/token-for-another-project-aud",
        "POST",
        UPLOAD_URL,
        401,
        "invalid token",
        token="foreign-aud",
        json=UPLOAD,
    ),
]

DETAILS_CASES = [
    bad("get-session/session_id-encoded-traversal", "GET", DETAILS, 404, "no such path", session_id="..%2F..%2Fusers"),
    bad("get-session/session_id-dot-dot", "GET", DETAILS, 404, "session .. not found", session_id="%2E%2E"),
    bad("get-session/session_id-NUL", "GET", DETAILS, 404, "not found", session_id="%00"),
    bad(
        "get-session/session_id-reserved-by-firestore",
        "GET",
        DETAILS,
        404,
        "session __name__ not found",
        session_id="__name__",
    ),
    bad("get-session/session_id-2000-chars", "GET", DETAILS, 404, "not found", session_id="x" * 2000),
    bad("get-session/session_id-bad-utf8", "GET", DETAILS, 404, "not found", session_id="%FF%FE"),
    bad("get-session/demo-maybe", "GET", DETAILS, 400, "demo must be true or false", params={"demo": "maybe"}),
    bad("get-session/token-for-another-project-iss", "GET", DETAILS, 401, "invalid token", token="foreign-iss"),
    bad(
        "get-session/token-forged-for-no-user",
        "GET",
        DETAILS,
        401,
        "the token's user does not exist",
        token="forged-sub",
    ),
    bad("get-session/token-of-a-deleted-user", "GET", DETAILS, 401, "the token's user does not exist", token="deleted"),
    bad("get-session/token-of-a-disabled-user", "GET", DETAILS, 401, "user disabled", token="disabled"),
    bad("get-session/token-not-a-jwt", "GET", DETAILS, 401, "invalid token", token="not-a-jwt"),
    bad("get-session/token-payload-a-json-array", "GET", DETAILS, 401, "invalid token", token="array-payload"),
    bad("get-session/token-forged-without-iat", "GET", DETAILS, 401, "invalid token", token="forged-no-iat"),
    bad("get-session/token-forged-exp-NaN", "GET", DETAILS, 401, "invalid token", token="forged-exp-nan"),
]

EXPORT_CASES = [
    bad("export/format-xml", "GET", EXPORT, 400, "format must be one of json, csv", params={"format": "xml"}),
    bad(
        "export/format-csv-demo-maybe",
        "GET",
        EXPORT,
        400,
        "demo must be true or false",
        params={"format": "csv", "demo": "maybe"},
    ),
    bad(
        "export/body_joint_angles-unknown",
        "GET",
        EXPORT,
        400,
        "body_joint_angles: unknown joint(s) tail",
        params={"body_joint_angles": "tail"},
    ),
    bad(
        "export/body_joint_angles-bad-utf8",
        "GET",
        EXPORT,
        400,
        "body_joint_angles: unknown joint(s)",
        params={"body_joint_angles": b"kn\xffee"},
    ),
    bad(
        "export/csv-session_id-encoded-traversal",
        "GET",
        EXPORT,
        404,
        "no such path",
        session_id="..%2F..%2Fsessions",
        params={"format": "csv"},
    ),
    bad("export/token-forged-exp-text", "GET", EXPORT, 401, "invalid token", token="forged-exp-text"),
    bad("export/token-forged-issued-in-the-future", "GET", EXPORT, 401, "invalid token", token="forged-iat-future"),
]

ANALYSIS_CASES = [
    bad("analysis/demo-maybe", "GET", ANALYSIS, 400, "demo must be true or false", params={"demo": "maybe"}),
    bad("analysis/demo-bad-utf8", "GET", ANALYSIS, 400, "demo must be true or false", params={"demo": b"\xff"}),
    bad("analysis/session_id-dot-dot", "GET", ANALYSIS, 404, "session .. not found", session_id="%2e%2e"),
    bad("analysis/token-60KB-header", "GET", ANALYSIS, 401, "invalid token", token="huge"),
]

SUMMARY_CASES = [
    bad("summary-get/demo-2", "GET", SUMMARY, 400, "demo must be true or false", params={"demo": "2"}),
    bad("summary-get/session_id-encoded-traversal", "GET", SUMMARY, 404, "no such path", session_id="..%2F..%2Fusers"),
    bad("summary-get/token-expired", "GET", SUMMARY, 401, "token expired", token="expired"),
    bad(
        "summary-post/measurement_system-furlongs",
        "POST",
        SUMMARY,
        400,
        "measurement_system must be metric or imperial",
        params={"measurement_system": "furlongs"},
    ),
    bad(
        "summary-post/measurement_system-bad-utf8",
        "POST",
        SUMMARY,
        400,
        "measurement_system must be metric or imperial",
        params={"measurement_system": b"metr\xffic"},
    ),
    bad("summary-post/session_id-NUL", "POST", SUMMARY, 404, "not found", session_id="lift1%00"),
    bad("summary-post/token-missing", "POST", SUMMARY, 401, "missing or malformed Authorization header", token=None),
]

RECOMMENDATION_CASES = [
    bad(
        "recommendation-post/measurement_system-furlongs",
        "POST",
        RECOMMENDATION,
        400,
        "measurement_system must be metric or imperial",
        params={"measurement_system": "furlongs"},
    ),
    bad(
        "recommendation-post/session_id-dot-dot",
        "POST",
        RECOMMENDATION,
        404,
        "session .. not found",
        session_id="%2E%2E",
        params={"measurement_system": "imperial"},
    ),
    bad("recommendation-post/token-revoked", "POST", RECOMMENDATION, 401, "token revoked", token="revoked"),
    bad(
        "recommendation-get/units-furlongs",
        "GET",
        RECOMMENDATION,
        400,
        "measurement_system must be metric or imperial",
        params={"measurement_system": "furlongs"},
    ),
    bad(
        "recommendation-get/session_id-reserved-by-firestore",
        "GET",
        RECOMMENDATION,
        404,
        "not found",
        session_id="__lift1__",
    ),
    bad(
        "recommendation-get/token-bearer-without-token",
        "GET",
        RECOMMENDATION,
        401,
        "missing or malformed Authorization header",
        token=None,
        headers={"Authorization": "Bearer "},
    ),
    bad("recommendation-get/token-two-segments", "GET", RECOMMENDATION, 401, "invalid token", token="two-segments"),
]

LIST_CASES = [
    bad("list/exercise-deadlift", "GET", SESSIONS, 400, "exercise must be one of", params={"exercise": "deadlift"}),
    bad("list/limit-0", "GET", SESSIONS, 400, "limit must be a whole number from 1 to 100", params={"limit": "0"}),
    bad("list/from-not-a-date", "GET", SESSIONS, 400, "from must be a date", params={"from": "2026-02-30"}),
    bad("list/page_token-garbage", "GET", SESSIONS, 400, "page_token", params={"page_token": "%%%"}),
    bad("list/user_id-unknown", "GET", SESSIONS, 404, "user nobody not found", params={"user_id": "nobody"}),
    bad("list/token-missing", "GET", SESSIONS, 401, "missing or malformed Authorization header", token=None),
]

COMPARE_CASES = [
    bad("compare/b-missing", "GET", COMPARE, 400, "b must name a session", params={"a": LIFT}),
    bad("compare/lift-not-a-number", "GET", COMPARE, 400, "lift must be", params={"a": LIFT, "b": LIFT, "lift": "x"}),
    bad("compare/a-unknown", "GET", COMPARE, 404, "session nope not found", params={"a": "nope", "b": LIFT}),
    bad("compare/token-expired", "GET", COMPARE, 401, "token expired", token="expired", params={"a": LIFT, "b": LIFT}),
]

PROGRESS_CASES = [
    bad("progress/exercise-missing", "GET", PROGRESS, 400, "exercise is required", session_id="lifter"),
    bad(
        "progress/mvt-text",
        "GET",
        PROGRESS,
        400,
        "mvt must be a speed",
        session_id="lifter",
        params={"exercise": "snatch", "mvt": "fast"},
    ),
    bad(
        "progress/measurement_system-furlongs",
        "GET",
        PROGRESS,
        400,
        "measurement_system must be metric or imperial",
        session_id="lifter",
        params={"exercise": "snatch", "measurement_system": "furlongs"},
    ),
    bad(
        "progress/user-unknown",
        "GET",
        PROGRESS,
        404,
        "user nobody not found",
        session_id="nobody",
        params={"exercise": "snatch"},
    ),
    bad(
        "progress/token-revoked",
        "GET",
        PROGRESS,
        401,
        "token revoked",
        token="revoked",
        session_id="lifter",
        params={"exercise": "snatch"},
    ),
]

CASES = (
    CREATE
    + UPLOAD_URL_CASES
    + DETAILS_CASES
    + EXPORT_CASES
    + ANALYSIS_CASES
    + SUMMARY_CASES
    + RECOMMENDATION_CASES
    + LIST_CASES
    + COMPARE_CASES
    + PROGRESS_CASES
)


# ---- the world every case runs against
@dataclass
class World:
    stack: object
    api: Api
    tokens: dict

    def send(self, case: Bad) -> requests.Response:
        kw = case.request() if callable(case.request) else dict(case.request)
        headers = dict(kw.pop("headers", {}))
        token = None if case.token is None else self.tokens[case.token]
        path = case.path.replace("{session_id}", case.session_id).replace("{user_id}", case.session_id)
        return self.api.request(case.method, path, token, headers=headers, **kw)


def unsigned(header: dict, payload) -> str:
    def part(value) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    return f"{part(header)}.{part(payload)}."


@pytest.fixture(scope="module")
def world(stack) -> World:
    """People, the lifter's finished session, and every kind of bad token. Nothing here is
    changed by the cases (that is what they check), so they share it."""
    stack.reset()
    people = People()
    session = {k: v for k, v in new_session("lifter").items() if k not in ("status", "progress", "video")}
    assert demo.store_finished(Repository(), Storage(), LIFT, session, demo.DEMO_DIR)
    for uid in ("revoked-user", "disabled-user", "deleted-user"):
        create_user(uid)
    admin, now = people.token("admin"), int(time.time())
    tokens = {
        "admin": admin,
        "expired": forged_token(admin, exp=now - 60),
        "foreign-aud": forged_token(admin, aud="someone-elses-project"),
        "foreign-iss": forged_token(admin, iss="https://securetoken.google.com/someone-elses-project"),
        "forged-sub": forged_token(admin, sub="ghost", user_id="ghost"),
        "forged-no-iat": forged_token(admin, iat=None),
        "forged-exp-nan": forged_token(admin, exp=math.nan),
        "forged-exp-text": forged_token(admin, exp="never"),
        "forged-iat-future": forged_token(admin, iat=now + 3600, exp=now + 7200),
        "custom-token": firebase_auth.create_custom_token("admin", app=app()).decode(),
        "not-a-jwt": "not-a-jwt",
        "two-segments": ".".join(admin.split(".")[:2]),
        "array-payload": unsigned({"alg": "none", "typ": "JWT"}, [admin]),
        "huge": "x" * 60_000,  # under the 64 KiB header line the local server takes
        "revoked": id_token("revoked-user"),
        "disabled": id_token("disabled-user"),
        "deleted": id_token("deleted-user"),
    }
    time.sleep(1.1)  # revocation has one-second granularity
    firebase_auth.revoke_refresh_tokens("revoked-user", app=app())
    firebase_auth.update_user("disabled-user", disabled=True, app=app())
    firebase_auth.delete_user("deleted-user", app=app())
    return World(stack, Api(stack), tokens)


@pytest.mark.parametrize("case", CASES)
def test_a_malformed_request_gets_its_documented_4xx_and_stores_nothing(world, case):
    before = stored(world.stack)
    r = world.send(case)
    assert r.status_code == case.status, r.text[:500]
    assert r.headers.get("Content-Type", "").split(";")[0] == "application/json", r.text[:500]
    error = r.json()["error"]
    assert isinstance(error, str) and case.error in error, error
    assert "Traceback" not in error and "internal error" not in error
    check(r, case.method, case.path)
    after = stored(world.stack)
    assert after == before, f"stored: {changes(before, after)}"


def test_the_table_covers_every_http_route_with_40_cases():
    from shared.routes import http_routes

    covered = {(case.values[0].method, case.values[0].path) for case in CASES}
    assert covered == {(r.method, r.path) for r in http_routes()}
    assert len(CASES) >= 40 and len({case.id for case in CASES}) == len(CASES)


# ---- storage events with malformed data: acknowledged (a retry cannot help), nothing stored
STORAGE_FINALIZED = "google.cloud.storage.object.v1.finalized"
PUBSUB_PUBLISHED = "google.cloud.pubsub.topic.v1.messagePublished"


def pubsub(attributes: dict, data: str) -> bytes:
    return json.dumps(
        {
            "message": {"attributes": attributes, "data": data, "messageId": "1"},
            "subscription": "projects/p/subscriptions/s",
        }
    ).encode()


def b64(value) -> str:
    return base64.b64encode(json.dumps(value).encode()).decode()


FINALIZE = {"eventType": "OBJECT_FINALIZE", "bucketId": BUCKET, "objectId": f"videos/lifter/{LIFT}/original.mp4"}
EVENTS = [
    pytest.param(STORAGE_FINALIZED, b"", id="storage/no-data"),
    pytest.param(STORAGE_FINALIZED, b"null", id="storage/data-null"),
    pytest.param(STORAGE_FINALIZED, b'["videos/lifter/lift1/original.mp4"]', id="storage/data-an-array"),
    pytest.param(STORAGE_FINALIZED, b'"videos/lifter/lift1/original.mp4"', id="storage/data-a-string"),
    pytest.param(STORAGE_FINALIZED, b'{"name": "videos/lifter/lift1/orig', id="storage/data-invalid-json"),
    pytest.param(STORAGE_FINALIZED, b'{"name": "videos/lifter/lift1/\xff\xfe.mp4"}', id="storage/data-not-utf8"),
    pytest.param(
        STORAGE_FINALIZED,
        json.dumps({"bucket": BUCKET, "name": 5, "generation": "1"}).encode(),
        id="storage/name-a-number",
    ),
    pytest.param(
        STORAGE_FINALIZED,
        json.dumps({"bucket": BUCKET, "name": "videos/../../original.mp4", "generation": "1"}).encode(),
        id="storage/name-path-traversal",
    ),
    pytest.param(
        STORAGE_FINALIZED,
        json.dumps({"bucket": BUCKET, "name": "videos/lifter/../original.mp4", "generation": "1"}).encode(),
        id="storage/session-dot-dot",
    ),
    pytest.param(PUBSUB_PUBLISHED, b'{"subscription": "projects/p/subscriptions/s"}', id="pubsub/no-message"),
    pytest.param(PUBSUB_PUBLISHED, pubsub(FINALIZE, "%%% not base64 %%%"), id="pubsub/data-not-base64"),
    pytest.param(PUBSUB_PUBLISHED, pubsub(FINALIZE, b64(["an", "array"])), id="pubsub/data-not-an-object"),
    pytest.param(
        PUBSUB_PUBLISHED,
        pubsub(
            {**FINALIZE, "eventType": "OBJECT_DELETE"},
            b64({"bucket": BUCKET, "name": FINALIZE["objectId"], "generation": "9"}),
        ),
        id="pubsub/a-delete-not-a-finalize",
    ),
]


def post_event(stack, event_type: str, body: bytes) -> requests.Response:
    headers = {
        "ce-specversion": "1.0",
        "ce-type": event_type,
        "ce-id": uuid.uuid4().hex,
        "ce-source": f"//storage.googleapis.com/projects/_/buckets/{BUCKET}",
        "ce-time": "2026-11-28T12:00:00Z",
        "Content-Type": "application/json",
    }
    return requests.post(f"{stack.api_url}/_events/on_video_uploaded", data=body, headers=headers, timeout=30)


@pytest.mark.parametrize("event_type, body", EVENTS)
def test_a_malformed_storage_event_is_acknowledged_and_changes_nothing(world, event_type, body):
    before = stored(world.stack)
    r = post_event(world.stack, event_type, body)
    assert r.status_code == 200, r.text[:500]
    after = stored(world.stack)
    assert after == before, f"stored: {changes(before, after)}"


def test_an_event_with_an_unreadable_size_is_handled_once_not_retried_forever(world):
    """The size is only recorded: a bad one must not fail the event (a failed event is
    redelivered, and would fail again). Only the dedup record is written."""
    before = stored(world.stack)
    name = f"videos/lifter/{LIFT}/original.mp4"
    body = json.dumps({"bucket": BUCKET, "name": name, "generation": str(time.time_ns()), "size": "abc"}).encode()
    assert post_event(world.stack, STORAGE_FINALIZED, body).status_code == 200
    after = stored(world.stack)
    assert changes(before, after).keys() == {"firestore"}
    assert [p.split("/")[0] for p in changes(before, after)["firestore"]] == ["processed_events"]


# ---- last, since it stores a session (and its analysis starts): hostile names on a real video
def test_a_hostile_filename_on_a_real_video_never_names_the_stored_object(world):
    """`../../etc/passwd.mov` carrying an MP4: the container is sniffed, and the object is
    stored at the server's own path, never at a name from the request."""
    before = {b.name for b in Storage().bucket.list_blobs()}
    r = world.api.upload(world.tokens["admin"], video=SAMPLE, filename="../../etc/passwd.mov", user_id="lifter")
    assert r.status_code == 200, r.text
    session_id = r.json()["session_id"]
    results = f"results/lifter/{session_id}/"  # what the analysis writes, should it be quick
    added = {b.name for b in Storage().bucket.list_blobs() if not b.name.startswith(results)} - before
    assert added == {f"videos/lifter/{session_id}/original.mp4"}
    doc = client().collection("sessions").document(session_id).get().to_dict()
    assert (
        doc["video"]["content_type"] == "video/mp4"
        and doc["video"]["path"] == f"videos/lifter/{session_id}/original.mp4"
    )
