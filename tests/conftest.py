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
