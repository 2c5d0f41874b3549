"""Schemathesis hooks for `make test` and `make fuzz` (loaded through schemathesis.toml).

Two things a fuzzer cannot make up:
- the gateway's internal token (`X-Internal-Token`), without which an internal service answers
  every `/v1` request 401: a run aimed at a service directly (FUZZ_AUDIENCE=auth|product|order)
  signs one the way the gateway does (HS256 over INTERNAL_AUTH_SECRET, 60 s), fresh every 30 s;
  with the client address the gateway would append (X-Forwarded-For);
- a session: FUZZ_EMAIL / FUZZ_PASSWORD log in at auth (FUZZ_AUTH_URL, as the gateway: the
  fuzzer's own sign-ups and logins keep the gateway's per-address bucket empty), once per run,
  and the access token is the run's bearer; logout ends the session it is called with, so each
  logout case logs in a session of its own.
Without FUZZ_EMAIL the run is anonymous.
"""

import os
import time

import jwt
import requests
import schemathesis

AUDIENCE = os.environ.get("FUZZ_AUDIENCE", "")
AUTH_URL = os.environ.get("FUZZ_AUTH_URL", "")
EMAIL = os.environ.get("FUZZ_EMAIL", "")
PASSWORD = os.environ.get("FUZZ_PASSWORD", "")
LOGOUT = "/v1/auth/logout"
# Documentation addresses (RFC 5737): the fuzzed requests' client, and the run's own logins, apart
# so that the fuzzer's wrong passwords (the per-address throttle) never lock the run out.
FUZZ_ADDRESS = "198.51.100.13"
SESSION_ADDRESS = "198.51.100.14"

_internal = {"token": "", "signed_at": 0.0}


def sign_internal_token(audience: str) -> str:
    now = int(time.time())
    claims = {"iss": "flash-deal-gateway", "aud": audience, "iat": now, "exp": now + 60}
    return jwt.encode(claims, os.environ["INTERNAL_AUTH_SECRET"], algorithm="HS256")


def internal_token() -> str:
    if time.time() - _internal["signed_at"] > 30:
        _internal["token"], _internal["signed_at"] = sign_internal_token(AUDIENCE), time.time()
    return _internal["token"]


def log_in() -> str:
    """An access token for FUZZ_EMAIL; waits out busy hashing slots (503) and throttles (429)."""
    as_gateway = {"X-Internal-Token": sign_internal_token("auth"), "X-Forwarded-For": SESSION_ADDRESS}
    for _ in range(30):
        answer = requests.post(
            f"{AUTH_URL}/v1/auth/login",
            json={"email": EMAIL, "password": PASSWORD},
            headers=as_gateway,
            timeout=30,
        )
        if answer.status_code == 200:
            return answer.json()["accessToken"]
        if answer.status_code not in (429, 503):
            answer.raise_for_status()
        time.sleep(min(float(answer.headers.get("retry-after", "1")), 5))
    raise RuntimeError(f"could not log in as {EMAIL}")


_session = {"token": "", "at": 0.0}


def run_session() -> str:
    if time.time() - _session["at"] > 600:
        _session["token"], _session["at"] = log_in(), time.time()
    return _session["token"]


def credentials(case, fresh_session: bool) -> dict:
    """The headers this run presents: the internal token, and the bearer where one is asked."""
    # As the gateway: its token, and the client address it appends (a documentation address, so
    # the fuzzer's wrong passwords are throttled apart from everyone on this machine).
    headers = {"X-Internal-Token": internal_token(), "X-Forwarded-For": FUZZ_ADDRESS} if AUDIENCE else {}
    security = case.operation.definition.raw.get("security") or []
    asks_bearer = any("bearer" in requirement for requirement in security)
    if EMAIL and asks_bearer:
        headers["Authorization"] = f"Bearer {log_in() if fresh_session else run_session()}"
    return headers


def set_headers(case, data) -> None:
    case.headers = {**(case.headers or {}), **data}


# Registered as auth providers (not a before_call hook), so schemathesis knows these are the
# run's real credentials: its ignored_auth check then removes and garbles them and expects 401.
if AUDIENCE or EMAIL:

    @schemathesis.auth(refresh_interval=20).skip_for(path=LOGOUT)
    class RunCredentials:
        def get(self, case, context):
            return credentials(case, fresh_session=False)

        def set(self, case, data, context):
            set_headers(case, data)

    @schemathesis.auth(refresh_interval=None).apply_to(path=LOGOUT)
    class OneUseCredentials:
        def get(self, case, context):
            return credentials(case, fresh_session=True)

        def set(self, case, data, context):
            set_headers(case, data)
