#!/usr/bin/env bash
# The Firestore and Pub/Sub emulators come only with the machine image's Google Cloud SDK;
# no registry can reinstall them. Fail loudly, before anything else is installed.
set -euo pipefail
if ! command -v gcloud >/dev/null; then
  echo "ERROR: gcloud not found. The local stack needs the Google Cloud SDK with its Firestore and" >&2
  echo "Pub/Sub emulators, which ship with the machine image and cannot be installed from PyPI/npm/apt." >&2
  exit 1
fi
sdk="$(gcloud info --format='value(installation.sdk_root)')"
for part in platform/cloud-firestore-emulator platform/pubsub-emulator/bin/cloud-pubsub-emulator; do
  if [ ! -e "$sdk/$part" ]; then
    echo "ERROR: $sdk/$part is missing: the Google Cloud SDK on this machine has no $(basename "$part")." >&2
    exit 1
  fi
done
command -v java >/dev/null || { echo "ERROR: java not found (the Firestore and Pub/Sub emulators need it)" >&2; exit 1; }
command -v npm >/dev/null || { echo "ERROR: npm not found (the Firebase Auth emulator comes from npm)" >&2; exit 1; }
