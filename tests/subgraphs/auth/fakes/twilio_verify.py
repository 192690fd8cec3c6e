"""A local Twilio Verify v2 (https://www.twilio.com/docs/verify/api): Verifications and VerificationCheck,
with HTTP Basic auth (Account SID : Auth Token), form-encoded requests and Twilio's JSON error bodies."""

from __future__ import annotations

import base64
import secrets
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

ACCOUNT_SID = "AC" + "0" * 32
AUTH_TOKEN = "fake-twilio-auth-token"
SERVICE_SID = "VA" + "1" * 32


def _error(status: int, code: int, message: str) -> JSONResponse:
    return JSONResponse(
        {
            "code": code,
            "message": message,
            "more_info": f"https://www.twilio.com/docs/errors/{code}",
            "status": status,
        },
        status_code=status,
    )


class FakeTwilioVerify:
    def __init__(self) -> None:
        self.pending: dict[str, str] = {}  # phone -> code
        self.sent: list[tuple[str, str]] = []  # what the phones received
        self.outage = False  # every call a 503 (Twilio error 20503, Service Unavailable)
        self.calls = 0
        self.app = FastAPI()
        self.app.post("/v2/Services/{service_sid}/Verifications")(self.start)
        self.app.post("/v2/Services/{service_sid}/VerificationCheck")(self.check)

    def last_code(self, phone: str) -> str:
        return next(code for to, code in reversed(self.sent) if to == phone)

    @staticmethod
    def _authorized(request: Request) -> bool:
        expected = "Basic " + base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()
        return request.headers.get("authorization") == expected

    async def start(self, service_sid: str, request: Request) -> Any:
        self.calls += 1
        if self.outage:
            return _error(503, 20503, "Service Unavailable")
        if not self._authorized(request):
            return _error(401, 20003, "Authenticate")
        if service_sid != SERVICE_SID:
            return _error(
                404, 20404, f"The requested resource /Services/{service_sid}/Verifications was not found"
            )
        form = await request.form()
        to, channel = str(form.get("To", "")), str(form.get("Channel", ""))
        if not to.startswith("+") or channel != "sms":
            return _error(400, 60200, "Invalid parameter")
        code = f"{secrets.randbelow(10**6):06d}"
        self.pending[to] = code
        self.sent.append((to, code))
        return JSONResponse(
            {
                "sid": "VE" + secrets.token_hex(16),
                "service_sid": service_sid,
                "account_sid": ACCOUNT_SID,
                "to": to,
                "channel": "sms",
                "status": "pending",
                "valid": False,
            },
            status_code=201,
        )

    async def check(self, service_sid: str, request: Request) -> Any:
        self.calls += 1
        if self.outage:
            return _error(503, 20503, "Service Unavailable")
        if not self._authorized(request):
            return _error(401, 20003, "Authenticate")
        form = await request.form()
        to, code = str(form.get("To", "")), str(form.get("Code", ""))
        if to not in self.pending:
            return _error(
                404, 20404, f"The requested resource /Services/{service_sid}/VerificationCheck was not found"
            )
        if secrets.compare_digest(self.pending[to], code):
            del self.pending[to]  # approved verifications cannot be checked again
            status, valid = "approved", True
        else:
            status, valid = "pending", False
        return JSONResponse(
            {
                "sid": "VE" + secrets.token_hex(16),
                "service_sid": service_sid,
                "to": to,
                "channel": "sms",
                "status": status,
                "valid": valid,
            }
        )
