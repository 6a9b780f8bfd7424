"""Storage events, the way they reach the function in production (`infra/deploy.py`).

There, the bucket notifies a Pub/Sub topic of OBJECT_FINALIZE under the manifest's prefix
(`videos/`), and an Eventarc trigger on that topic posts each message to the function as a
`google.cloud.pubsub.topic.v1.messagePublished` CloudEvent. Here fake-gcs-server publishes
every object change to a Pub/Sub emulator topic; the relay pulls, keeps the finalizes
under the prefix (what the notification's filter does), and POSTs each as that binary-mode
CloudEvent. A message is acknowledged only after a 2xx, so a failed delivery comes back:
at least once, like Eventarc.
"""

from __future__ import annotations

import json
import logging
import threading
import urllib.error
import urllib.request

from shared import routes
from shared.domain.commands import PUBSUB_PUBLISHED

log = logging.getLogger("liftlab.relay")

FINALIZED = "google.cloud.storage.object.v1.finalized"


def _call(
    url: str, body: dict | None = None, method: str = "POST", headers: dict | None = None, timeout: float = 30
) -> tuple[int, bytes]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        url, data=data, method=method, headers={"Content-Type": "application/json", **(headers or {})}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def cloud_event_headers(message: dict) -> dict:
    attrs = message.get("attributes") or {}
    return {
        "ce-specversion": "1.0",
        "ce-type": FINALIZED,
        "ce-source": f"//storage.googleapis.com/projects/_/buckets/{attrs.get('bucketId', '')}",
        "ce-subject": f"objects/{attrs.get('objectId', '')}",
        "ce-id": str(message.get("messageId", "")),
        "ce-time": message.get("publishTime", ""),
    }


def pubsub_event_headers(message: dict, project: str, topic: str) -> dict:
    return {
        "ce-specversion": "1.0",
        "ce-type": PUBSUB_PUBLISHED,
        "ce-source": f"//pubsub.googleapis.com/projects/{project}/topics/{topic}",
        "ce-id": str(message.get("messageId", "")),
        "ce-time": message.get("publishTime", ""),
    }


class Relay:
    def __init__(self, pubsub_host: str, project: str, subscription: str, target_url: str, topic: str):
        self.base = f"http://{pubsub_host}/v1/projects/{project}/subscriptions/{subscription}"
        self.subscription = f"projects/{project}/subscriptions/{subscription}"
        self.project, self.topic, self.target_url = project, topic, target_url
        self.prefix = next(r.prefix for r in routes.routes() if r.trigger == "storage.finalize")
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._loop, daemon=True)

    def start(self) -> Relay:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        self.thread.join(timeout=10)

    def _loop(self) -> None:
        while not self.stopping.is_set():
            try:
                status, body = _call(f"{self.base}:pull", {"maxMessages": 10, "returnImmediately": True})
                received = json.loads(body or b"{}").get("receivedMessages", []) if status == 200 else []
            except (OSError, ValueError):
                received = []
            for item in received:
                self._deliver(item)
            if not received:
                self.stopping.wait(0.2)

    def _deliver(self, item: dict) -> None:
        message = item["message"]
        attributes = message.get("attributes") or {}
        if attributes.get("eventType") != "OBJECT_FINALIZE" or not attributes.get("objectId", "").startswith(
            self.prefix
        ):
            _call(f"{self.base}:acknowledge", {"ackIds": [item["ackId"]]})
            return
        body = {
            "message": {k: message[k] for k in ("attributes", "data", "messageId", "publishTime") if k in message},
            "subscription": self.subscription,
        }
        headers = pubsub_event_headers(message, self.project, self.topic)
        try:
            status, _ = _call(self.target_url, body, headers=headers, timeout=60)
        except OSError as exc:
            log.warning("event %s not delivered (%s); it will be redelivered", message.get("messageId"), exc)
            return
        if 200 <= status < 300:
            _call(f"{self.base}:acknowledge", {"ackIds": [item["ackId"]]})
        else:
            log.warning("event %s answered %d; it will be redelivered", message.get("messageId"), status)
