"""The contract's data operations through the router, with the roles the contract states: a user exports
their data and reads their access log (the actor's name comes from auth, across subgraphs); admins run an
integrity check over the whole system, back up every store, rotate the data key; nobody else may."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

from libs.config import Settings
from libs.testing.graphql import error_codes, gql
from tests.e2e.conftest import Stack, contract_operation
from tests.e2e.test_signup_to_measurement import PASSWORD, _sign_up
from tests.subgraphs.auth.helpers import set_roles
from tests.subgraphs.data.conftest import eventually

ADMIN_OPS = {
    "IntegrityChecks": {"first": 5},
    "RunIntegrityCheck": None,
    "StartBackup": None,
    "Backups": {"first": 5},
    "RotateEncryptionKey": None,
}


async def admin_token(stack: Stack, settings: Settings) -> str:
    """A real account made ADMIN: the console lists its actions with the actor's email from auth."""
    signed_up = await _sign_up(stack)
    await set_roles(settings, signed_up["user"]["id"], "USER,ADMIN")
    logged_in = await gql(stack.url, contract_operation("LogIn"),
                          {"input": {"email": signed_up["user"]["email"], "password": PASSWORD}})
    return str(logged_in["data"]["logIn"]["tokens"]["accessToken"])


async def test_a_user_exports_their_data_and_reads_who_touched_it(stack: Stack) -> None:
    signed_up = await _sign_up(stack)
    token = signed_up["tokens"]["accessToken"]
    recorded = await gql(
        stack.url,
        contract_operation("RecordMeasurement"),
        {
            "input": {
                "type": "HEART_RATE",
                "value": 64,
                "unit": "/min",
                "source": "MANUAL",
                "takenAt": datetime.now(UTC).isoformat(),
                "clientId": secrets.token_hex(8),
            }
        },
        token=token,
    )
    assert "errors" not in recorded, recorded

    requested = await gql(stack.url, contract_operation("ExportMyData"), {"format": "FHIR_JSON"}, token=token)
    assert "errors" not in requested, requested
    assert requested["data"]["requestDataExport"]["status"] == "PENDING"

    async def ready() -> dict[str, Any] | None:
        result = await gql(stack.url, contract_operation("MyExports"), token=token)
        exports = result["data"]["me"]["dataExports"]
        return exports[0] if exports and exports[0]["status"] == "READY" else None

    export = await eventually(ready, wait_s=30)
    assert export["downloadUrl"].startswith("http") and "sig=" in export["downloadUrl"]

    log = await gql(stack.url, contract_operation("MyAccessLog"), {"first": 10}, token=token)
    assert "errors" not in log, log
    node = log["data"]["me"]["accessLog"]["edges"][0]["node"]
    assert node["action"] == "EXPORT"
    assert node["actor"] == {"id": signed_up["user"]["id"], "displayName": "김민지"}

    # Admin operations are not for users.
    for name, variables in ADMIN_OPS.items():
        refused = await gql(stack.url, contract_operation(name, "admin.graphql"), variables, token=token)
        assert error_codes(refused) == ["FORBIDDEN"], (name, refused)


async def test_admins_check_integrity_back_up_every_store_and_rotate_keys(
    stack: Stack, settings: Settings
) -> None:
    admin = await admin_token(stack, settings)
    run = await gql(stack.url, contract_operation("RunIntegrityCheck", "admin.graphql"), token=admin)
    assert "errors" not in run, run
    check_id = run["data"]["runIntegrityCheck"]["id"]

    async def checked() -> dict[str, Any] | None:
        result = await gql(
            stack.url, contract_operation("IntegrityChecks", "admin.graphql"), {"first": 5}, token=admin
        )
        found = [c for c in result["data"]["integrityChecks"] if c["id"] == check_id]
        return found[0] if found and found[0]["finishedAt"] else None

    check = await eventually(checked, wait_s=30)
    assert check["ok"] is True and check["firstBadBlockId"] is None

    started = await gql(stack.url, contract_operation("StartBackup", "admin.graphql"), token=admin)
    assert started["data"]["startBackup"]["status"] == "PENDING"

    async def backed_up() -> dict[str, Any] | None:
        result = await gql(
            stack.url, contract_operation("Backups", "admin.graphql"), {"first": 5}, token=admin
        )
        done = [b for b in result["data"]["backups"] if b["id"] == started["data"]["startBackup"]["id"]]
        return done[0] if done and done[0]["status"] in ("COMPLETED", "FAILED") else None

    backup = await eventually(backed_up, wait_s=90)
    assert backup["status"] == "COMPLETED" and backup["checksum"].startswith("sha256:")

    rotated = await gql(stack.url, contract_operation("RotateEncryptionKey", "admin.graphql"), token=admin)
    assert "errors" not in rotated, rotated
    assert rotated["data"]["rotateEncryptionKey"]["version"] >= 2
