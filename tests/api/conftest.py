"""Helpers of the API tests: sign a test client in with a given role."""

from __future__ import annotations

from datetime import datetime

import pytest
from fastapi.testclient import TestClient

from zeropark.auth import add_user


def _sign_in(client: TestClient, username: str = "admin", *, role: str = "park-admin",
            park_id: str | None = None, enterprise_id: str | None = None,
            expires_at: datetime | None = None) -> dict[str, str]:
    """Create the user in the app's store, sign in and return the Authorization header."""
    password = f"pw-{username}-0123"
    add_user(client.app.state.store, username, password, role=role, park_id=park_id,
             enterprise_id=enterprise_id, expires_at=expires_at, replace=True)
    response = client.post("/api/v1/auth/token",
                           json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


@pytest.fixture(scope="session")
def sign_in():
    """The :func:`_sign_in` helper, as a fixture."""
    return _sign_in
