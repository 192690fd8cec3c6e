"""Local Google, Kakao and Naver authorization servers speaking the documented shapes of their authorize,
token, JWKS and profile endpoints, including their error bodies. The "browser" part is `GET authorize`, which
answers with the redirect to the app (code + state) for the user the test queued with `sign_in_as`."""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse
from jwt.algorithms import RSAAlgorithm

CLIENTS = {
    "GOOGLE": ("google-client-id.apps.googleusercontent.com", "google-secret"),
    "KAKAO": ("kakao-rest-api-key", "kakao-secret"),
    "NAVER": ("naver-client-id", "naver-secret"),
}
ISSUERS = {"GOOGLE": "https://accounts.google.com", "KAKAO": "https://kauth.kakao.com"}


@dataclass
class Grant:
    provider: str
    user: dict[str, Any]
    redirect_uri: str
    client_id: str
    nonce: str | None
    code_challenge: str | None
    state: str | None


@dataclass
class FakeProviders:
    base_url: str = ""
    next_user: dict[str, dict[str, Any]] = field(default_factory=dict)
    grants: dict[str, Grant] = field(default_factory=dict)
    access_tokens: dict[str, Grant] = field(default_factory=dict)
    token_requests: list[dict[str, str]] = field(default_factory=list)
    # Signs id_tokens; a test may swap it to prove a foreign signature is refused.
    key: Any = field(default_factory=lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048))
    kid: str = "fake-key-1"

    def sign_in_as(self, provider: str, **user: Any) -> None:
        self.next_user[provider] = user

    def app(self) -> FastAPI:
        app = FastAPI()
        app.get("/google/auth")(self.authorize("GOOGLE"))
        app.post("/google/token")(self.google_token)
        app.get("/google/certs")(self.jwks)
        app.get("/kakao/oauth/authorize")(self.authorize("KAKAO"))
        app.post("/kakao/oauth/token")(self.kakao_token)
        app.get("/kakao/.well-known/jwks.json")(self.jwks)
        app.get("/kakao/v2/user/me")(self.kakao_me)
        app.get("/naver/oauth2.0/authorize")(self.authorize("NAVER"))
        app.post("/naver/oauth2.0/token")(self.naver_token)
        app.get("/naver/v1/nid/me")(self.naver_me)
        return app

    # ---- browser step
    def authorize(self, provider: str):  # type: ignore[no-untyped-def]
        async def endpoint(request: Request) -> Any:
            q = request.query_params
            if q.get("client_id") != CLIENTS[provider][0] or q.get("response_type") != "code":
                return JSONResponse({"error": "invalid_request"}, status_code=400)
            code = secrets.token_urlsafe(16)
            self.grants[code] = Grant(
                provider,
                self.next_user.pop(provider),
                q["redirect_uri"],
                q["client_id"],
                q.get("nonce"),
                q.get("code_challenge"),
                q.get("state"),
            )
            return RedirectResponse(
                f"{q['redirect_uri']}?{urlencode({'code': code, 'state': q.get('state', '')})}"
            )

        return endpoint

    def jwks(self) -> dict[str, Any]:
        jwk = RSAAlgorithm.to_jwk(self.key.public_key(), as_dict=True)
        return {"keys": [{**jwk, "kid": self.kid, "alg": "RS256", "use": "sig"}]}

    def _id_token(self, grant: Grant, **extra: Any) -> str:
        now = int(time.time())
        claims = {
            "iss": ISSUERS[grant.provider],
            "aud": grant.client_id,
            "sub": str(grant.user["sub"]),
            "iat": now,
            "exp": now + 3600,
            "nonce": grant.nonce,
            **extra,
        }
        return jwt.encode(claims, self.key, algorithm="RS256", headers={"kid": self.kid})

    def _redeem(self, form: dict[str, str], provider: str) -> Grant | None:
        self.token_requests.append({"provider": provider, **form})
        grant = self.grants.pop(form.get("code", ""), None)  # codes are single use
        if grant is None or grant.provider != provider or form.get("client_id") != CLIENTS[provider][0]:
            return None
        return grant

    @staticmethod
    def _pkce_ok(grant: Grant, verifier: str | None) -> bool:
        if not grant.code_challenge:
            return True
        digest = (
            base64.urlsafe_b64encode(hashlib.sha256((verifier or "").encode()).digest()).rstrip(b"=").decode()
        )
        return digest == grant.code_challenge

    # ---- Google (https://developers.google.com/identity/openid-connect/openid-connect#exchangecode)
    async def google_token(self, request: Request) -> Any:
        form = {k: str(v) for k, v in (await request.form()).items()}
        grant = self._redeem(form, "GOOGLE")
        if grant is None or form.get("client_secret") != CLIENTS["GOOGLE"][1]:
            return JSONResponse(
                {"error": "invalid_grant", "error_description": "Bad Request"}, status_code=400
            )
        if form.get("redirect_uri") != grant.redirect_uri:
            return JSONResponse({"error": "redirect_uri_mismatch", "error_description": "Bad Request"}, 400)
        if not self._pkce_ok(grant, form.get("code_verifier")):
            return JSONResponse(
                {"error": "invalid_grant", "error_description": "Invalid code verifier."}, 400
            )
        user = grant.user
        id_token = self._id_token(
            grant,
            email=user.get("email"),
            email_verified=user.get("email_verified", True),
            name=user.get("name"),
        )
        return {
            "access_token": "ya29." + secrets.token_urlsafe(20),
            "expires_in": 3599,
            "id_token": id_token,
            "scope": "openid email profile",
            "token_type": "Bearer",
        }

    # ---- Kakao (https://developers.kakao.com/docs/latest/kakaologin/rest-api#request-token)
    async def kakao_token(self, request: Request) -> Any:
        form = {k: str(v) for k, v in (await request.form()).items()}
        grant = self._redeem(form, "KAKAO")
        if grant is None:
            return JSONResponse(
                {
                    "error": "invalid_grant",
                    "error_description": f"authorization code not found for code={form.get('code')}",
                    "error_code": "KOE320",
                },
                status_code=400,
            )
        if form.get("redirect_uri") != grant.redirect_uri:
            return JSONResponse(
                {
                    "error": "invalid_grant",
                    "error_description": "Redirect URI mismatch.",
                    "error_code": "KOE006",
                },
                status_code=400,
            )
        if not self._pkce_ok(grant, form.get("code_verifier")):
            return JSONResponse(
                {
                    "error": "invalid_grant",
                    "error_description": "PKCE verification failed.",
                    "error_code": "KOE010",
                },
                status_code=400,
            )
        access = secrets.token_urlsafe(24)
        self.access_tokens[access] = grant
        body = {
            "token_type": "bearer",
            "access_token": access,
            "expires_in": 21599,
            "refresh_token": secrets.token_urlsafe(24),
            "refresh_token_expires_in": 5183999,
            "scope": "account_email profile_nickname openid",
        }
        if grant.nonce is not None:
            body["id_token"] = self._id_token(grant, auth_time=int(time.time()))
        return body

    async def kakao_me(self, request: Request) -> Any:
        grant = self.access_tokens.get(request.headers.get("authorization", "").removeprefix("Bearer "))
        if grant is None or grant.provider != "KAKAO":
            return JSONResponse({"msg": "this access token does not exist", "code": -401}, status_code=401)
        u = grant.user
        return {
            "id": int(u["sub"]),
            "connected_at": "2026-11-26T01:00:00Z",
            "kakao_account": {
                "profile_nickname_needs_agreement": False,
                "profile": {"nickname": u.get("name", "카카오")},
                "email_needs_agreement": False,
                "is_email_valid": True,
                "is_email_verified": u.get("email_verified", True),
                "email": u.get("email"),
            },
        }

    # ---- Naver (https://developers.naver.com/docs/login/api/api.md)
    async def naver_token(self, request: Request) -> Any:
        form = {
            **{k: str(v) for k, v in request.query_params.items()},
            **{k: str(v) for k, v in (await request.form()).items()},
        }
        grant = self._redeem(form, "NAVER")
        if (
            grant is None
            or form.get("client_secret") != CLIENTS["NAVER"][1]
            or form.get("state") != grant.state
        ):
            # Naver answers errors with 200 and an error body.
            return {"error": "invalid_request", "error_description": "no valid data in session"}
        access = secrets.token_urlsafe(24)
        self.access_tokens[access] = grant
        return {
            "access_token": access,
            "refresh_token": secrets.token_urlsafe(24),
            "token_type": "bearer",
            "expires_in": "3600",
        }

    async def naver_me(self, request: Request) -> Any:
        grant = self.access_tokens.get(request.headers.get("authorization", "").removeprefix("Bearer "))
        if grant is None or grant.provider != "NAVER":
            return JSONResponse(
                {"resultcode": "024", "message": "Authentication failed / 인증에 실패했습니다."},
                status_code=401,
            )
        u = grant.user
        return {
            "resultcode": "00",
            "message": "success",
            "response": {
                "id": str(u["sub"]),
                "nickname": u.get("name"),
                "name": u.get("name"),
                "email": u.get("email"),
            },
        }
