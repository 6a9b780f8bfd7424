"""Cloud Storage adapter: object paths, uploads, downloads and signed URLs.

Layout: `videos/{user_id}/{session_id}/original.<ext>` (the upload; its finalize event
starts the analysis) and `results/{user_id}/{session_id}/...` (what the job writes).

Signed URLs: on GCP the function's own service account signs through IAM (it needs
`iam.serviceAccountTokenCreator` on itself); locally the stack generates a throwaway
service-account key, since the emulator's anonymous credentials cannot sign.
"""

from __future__ import annotations

import functools
import re
import time
from datetime import timedelta
from typing import BinaryIO

import google.auth
from google.auth.credentials import AnonymousCredentials
from google.auth.transport.requests import Request
from google.cloud import storage
from google.oauth2 import service_account

from shared.config import settings

_client = None
_PATH_ID = re.compile(r"[A-Za-z0-9_\-]{1,128}")  # user ids (shared.domain.commands.USER_ID) and session ids


def client() -> storage.Client:
    global _client
    if _client is None:
        if settings().storage_emulator_host:
            _client = storage.Client(project=settings().project, credentials=AnonymousCredentials())
        else:
            _client = storage.Client(project=settings().project)
    return _client


def video_path(user_id: str, session_id: str, extension: str) -> str:
    return f"videos/{user_id}/{session_id}/original.{extension}"


def results_prefix(user_id: str, session_id: str) -> str:
    return f"results/{user_id}/{session_id}/"


def parse_video_path(name: str) -> tuple[str, str] | None:
    """(user_id, session_id) for an upload path, else None (also for ids no upload has,
    such as `..`)."""
    parts = name.split("/")
    if len(parts) != 4 or parts[0] != "videos" or not parts[3].startswith("original."):
        return None
    if not all(_PATH_ID.fullmatch(part) for part in parts[1:3]):
        return None
    return parts[1], parts[2]


class Storage:
    def __init__(self, bucket: str | None = None, gcs: storage.Client | None = None):
        self.gcs = gcs or client()
        self.bucket = self.gcs.bucket(bucket or settings().bucket)

    def upload_file(self, path: str, fileobj: BinaryIO, content_type: str, metadata: dict | None = None) -> int:
        """Upload from an open file; returns the object's generation."""
        blob = self.bucket.blob(path)
        blob.metadata = metadata
        fileobj.seek(0)
        blob.upload_from_file(fileobj, content_type=content_type, rewind=True)
        return blob.generation

    def upload_path(self, path: str, local_path: str, content_type: str) -> None:
        self.bucket.blob(path).upload_from_filename(local_path, content_type=content_type)

    def upload_bytes(self, path: str, data: bytes, content_type: str) -> None:
        self.bucket.blob(path).upload_from_string(data, content_type=content_type)

    def download(self, path: str, local_path: str) -> None:
        self.bucket.blob(path).download_to_filename(local_path)

    def download_bytes(self, path: str) -> bytes:
        return self.bucket.blob(path).download_as_bytes()

    def resumable_upload_url(self, path: str, content_type: str, size: int, metadata: dict) -> str:
        """A resumable upload session for a client to PUT the bytes to, no token needed."""
        blob = self.bucket.blob(path)
        blob.metadata = metadata
        return blob.create_resumable_upload_session(content_type=content_type, size=size)

    def signed_url(self, path: str | None) -> str | None:
        """A V4 signed GET URL valid for `LIFTLAB_SIGNED_URL_TTL_S`. Each URL is reused
        for the first half of its life: on GCP every signature is an IAM call (~50 ms),
        and an analysis payload carries one URL per phase image."""
        if not path:
            return None
        ttl_s = settings().signed_url_ttl_s
        key = (self.bucket.name, path, ttl_s)
        cached = _signed.get(key)
        if cached and cached[1] > time.monotonic():
            return cached[0]
        blob = self.bucket.blob(path)
        emulator = settings().storage_emulator_host
        if emulator:
            url = blob.generate_signed_url(
                version="v4",
                expiration=timedelta(seconds=ttl_s),
                credentials=_local_signer(settings().signing_key_file),
                api_access_endpoint=emulator,
            )
        else:
            creds = _gcp_credentials()
            url = blob.generate_signed_url(
                version="v4",
                expiration=timedelta(seconds=ttl_s),
                service_account_email=creds.service_account_email,
                access_token=creds.token,
            )
        if len(_signed) > 10_000:  # bounded: a long-lived instance sees many paths
            _signed.clear()
        _signed[key] = (url, time.monotonic() + ttl_s / 2)
        return url


_signed: dict = {}


@functools.lru_cache(maxsize=4)
def _local_signer(key_file: str) -> service_account.Credentials:
    return service_account.Credentials.from_service_account_file(key_file)


def _gcp_credentials():
    """The runtime's service account, refreshed only when its token has expired."""
    global _gcp_creds
    if _gcp_creds is None:
        _gcp_creds, _ = google.auth.default()
    if not _gcp_creds.valid:
        _gcp_creds.refresh(Request())
    return _gcp_creds


_gcp_creds = None
