"""Shared set-up for the Tavern scenarios.

The scenarios read the stack's base URLs from the environment (`GATEWAY_URL`, `AUTH_URL`,
`PRODUCT_URL`, `ORDER_URL`). When one is unset it defaults to the `make dev` port, so
`make e2e` works against a running dev stack with no configuration.
"""

import os

DEFAULT_URLS = {
    "GATEWAY_URL": "http://127.0.0.1:8080",
    "AUTH_URL": "http://127.0.0.1:8081",
    "PRODUCT_URL": "http://127.0.0.1:8082",
    "ORDER_URL": "http://127.0.0.1:8083",
    # The dev admin that `make dev` seeds (see .env.example); `make test` seeds its own.
    "ADMIN_EMAIL": "admin@flash-deal.local",
    "ADMIN_PASSWORD": "change-me-admin-1",
}

for name, url in DEFAULT_URLS.items():
    os.environ.setdefault(name, url)


def unique_email(_response):
    """Saves a fresh `email` (Tavern passes the stage's response, unused here), so scenarios
    can sign up again and again."""
    import uuid

    return {"email": f"tavern-{uuid.uuid4().hex[:12]}@example.test"}


def unique_buyers(_response):
    """Saves three fresh emails (`email_a`, `email_b`, `email_c`) for a purchase scenario."""
    import uuid

    run = uuid.uuid4().hex[:10]
    return {f"email_{who}": f"buyer-{who}-{run}@example.test" for who in ("a", "b", "c")}


# The same purchase scenarios run in both modes (see scripts/test.sh): async answers 202
# `pending` (confirmed later, by the consumer), sync answers 201 `confirmed`.
ORDER_MODE = os.environ.get("ORDER_MODE", "async")
os.environ.setdefault("PURCHASE_CODE", "201" if ORDER_MODE == "sync" else "202")
os.environ.setdefault("PURCHASE_STATUS", "confirmed" if ORDER_MODE == "sync" else "pending")


def upper_case_id(response):
    """Saves the created resource's id in upper case (`product_id_upper`): ids are accepted in
    any letter case and answered in lower case."""
    return {"product_id_upper": response.json()["id"].upper()}


def upper_case_deal_id(response):
    """The same for a deal (`deal_id_upper`)."""
    return {"deal_id_upper": response.json()["id"].upper()}
