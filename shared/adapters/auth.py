"""Firebase Auth adapter: the caller behind an `Authorization: Bearer <Firebase ID token>`
header. What a caller may do is `shared.domain.access`.
"""

from __future__ import annotations

import math
import time

import firebase_admin
from firebase_admin import auth as firebase_auth
from firebase_admin import exceptions as firebase_exceptions

from shared.config import settings
from shared.domain.access import Caller
from shared.domain.errors import Unauthorized, Unavailable


def app() -> firebase_admin.App:
    try:
        return firebase_admin.get_app()
    except ValueError:
        return firebase_admin.initialize_app(options={"projectId": settings().project})


def bearer_token(header: str | None) -> str:
    scheme, _, token = (header or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("missing or malformed Authorization header; expected 'Bearer <Firebase ID token>'")
    return token.strip()


CLOCK_SKEW_S = 60


def _timestamp(value) -> bool:
    """A JWT time claim: a finite number of seconds (a forged emulator token can carry anything)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def verify(header: str | None, now: float | None = None) -> Caller:
    """The caller behind an Authorization header, or Unauthorized.

    The expiry is checked here as well as by the SDK, because the SDK skips it for the
    Auth emulator's unsigned tokens."""
    token = bearer_token(header)
    try:
        claims = firebase_auth.verify_id_token(token, app=app(), check_revoked=True)
    except firebase_auth.ExpiredIdTokenError:
        raise Unauthorized("token expired") from None
    except firebase_auth.RevokedIdTokenError:
        raise Unauthorized("token revoked") from None
    except firebase_auth.UserDisabledError:
        raise Unauthorized("user disabled") from None
    except firebase_auth.UserNotFoundError:  # the revocation check looks the token's user up
        raise Unauthorized("the token's user does not exist") from None
    except (
        firebase_auth.CertificateFetchError,
        firebase_exceptions.UnavailableError,
        firebase_exceptions.DeadlineExceededError,
        firebase_exceptions.InternalError,
    ):
        # the public keys or the revocation lookup are out of reach: a server-side outage
        raise Unavailable("cannot verify tokens right now; retry shortly") from None
    except (firebase_auth.InvalidIdTokenError, ValueError, TypeError):
        # TypeError: the SDK's revocation check multiplies `iat`, which only a signed token
        # is sure to carry as a number.
        raise Unauthorized("invalid token") from None
    now = time.time() if now is None else now
    exp, iat = claims.get("exp", 0), claims.get("iat")
    if not _timestamp(exp) or (iat is not None and not _timestamp(iat)):
        raise Unauthorized("invalid token")
    if iat is not None and iat > now + CLOCK_SKEW_S:
        raise Unauthorized("invalid token")  # issued in the future, as the SDK says of signed tokens
    if exp <= now:
        raise Unauthorized("token expired")
    return Caller(uid=claims["uid"], role=claims.get("role"), org_id=claims.get("org_id"), claims=claims)
