"""Social-login providers, authorization-code flow, each as its documentation describes it:

- Google: OpenID Connect; PKCE (S256) and nonce; the id_token is verified against Google's JWKS.
- Kakao: OAuth 2.0 with PKCE; with OIDC enabled its id_token is verified against Kakao's JWKS (nonce checked),
  and the account comes from `/v2/user/me` (`kakao_account.is_email_verified`).
- Naver: OAuth 2.0 + profile API; no PKCE or OIDC, so this server is the confidential client (state is sent
  back on the token call). Naver does not say whether the email was verified, so it never links by email.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
import jwt

from libs.auth.keys import Key
from libs.errors import AppError, Unauthenticated
from subgraphs.auth.settings import AuthSettings

log = logging.getLogger("manpasik.auth.social")


class SocialLoginFailed(Unauthenticated):
    pass


class ProviderUnavailable(AppError):
    code = "SERVICE_UNAVAILABLE"


@dataclass(frozen=True, slots=True)
class SocialIdentity:
    provider: str
    subject: str
    email: str | None
    email_verified: bool
    name: str | None


@dataclass(frozen=True, slots=True)
class AuthorizationRequest:
    redirect_uri: str
    state: str
    nonce: str
    code_challenge: str | None


class SocialProvider:
    name = ""
    requires_pkce = False

    def __init__(self, auth: AuthSettings, http: httpx.AsyncClient) -> None:
        self.auth = auth
        self.http = http
        self._jwks_cache: dict[str, tuple[float, dict[str, Key]]] = {}

    def authorization_url(self, request: AuthorizationRequest) -> str:
        raise NotImplementedError

    async def exchange(
        self, code: str, request: AuthorizationRequest, code_verifier: str | None
    ) -> SocialIdentity:
        raise NotImplementedError

    # ---- helpers
    async def _post_form(self, url: str, data: dict[str, str]) -> dict[str, Any]:
        try:
            r = await self.http.post(
                url,
                data={k: v for k, v in data.items() if v is not None},
                headers={"accept": "application/json"},
            )
        except httpx.HTTPError as e:
            log.error("%s token endpoint unreachable: %s", self.name, e)
            raise ProviderUnavailable(f"{self.name} is unreachable; try again")
        body = _json(r)
        if r.status_code >= 400 or "error" in body:
            # Google/Kakao: 4xx {"error", "error_description"[, "error_code"]}; Naver: 200 {"error"}.
            log.info("%s refused the code: %s %s", self.name, body.get("error"), body.get("error_code", ""))
            raise SocialLoginFailed(
                f"{self.name} refused the authorization code ({body.get('error', r.status_code)})"
            )
        return body

    async def _get_json(self, url: str, access_token: str) -> dict[str, Any]:
        try:
            r = await self.http.get(url, headers={"authorization": f"Bearer {access_token}"})
        except httpx.HTTPError as e:
            raise ProviderUnavailable(f"{self.name} is unreachable; try again") from e
        if r.status_code >= 400:
            raise SocialLoginFailed(f"{self.name} refused the profile request ({r.status_code})")
        return _json(r)

    async def _verify_id_token(
        self, id_token: str, jwks_url: str, issuers: list[str], client_id: str, nonce: str
    ) -> dict[str, Any]:
        try:
            kid = jwt.get_unverified_header(id_token).get("kid")
        except jwt.PyJWTError:
            raise SocialLoginFailed(f"{self.name} id_token is malformed")
        key = await self._jwk(jwks_url, kid)
        try:
            claims: dict[str, Any] = jwt.decode(
                id_token,
                key.key,
                algorithms=[key.algorithm],
                audience=client_id,
                issuer=issuers,
                options={"require": ["exp", "iat", "sub", "aud"]},
            )
        except jwt.PyJWTError as e:
            raise SocialLoginFailed(f"{self.name} id_token is invalid ({e})")
        if claims.get("nonce") != nonce:
            raise SocialLoginFailed(f"{self.name} id_token nonce does not match")
        return claims

    async def _jwk(self, jwks_url: str, kid: object) -> Key:
        cached = self._jwks_cache.get(jwks_url)
        if cached is None or kid not in cached[1] or time.monotonic() - cached[0] > 3600:
            try:
                r = await self.http.get(jwks_url)
                r.raise_for_status()
                keys = {
                    k["kid"]: Key(
                        k["kid"], k.get("alg", "RS256"), jwt.PyJWK(k, algorithm=k.get("alg", "RS256")).key
                    )
                    for k in r.json().get("keys", [])
                    if k.get("kid") and k.get("kty") == "RSA"
                }
            except (httpx.HTTPError, ValueError, KeyError, jwt.PyJWTError) as e:
                raise ProviderUnavailable(f"could not fetch {self.name} signing keys") from e
            cached = self._jwks_cache[jwks_url] = (time.monotonic(), keys)
        key = cached[1].get(kid) if isinstance(kid, str) else None
        if key is None or key.algorithm != "RS256":
            raise SocialLoginFailed(f"{self.name} id_token is signed with an unknown key")
        return key


def _json(r: httpx.Response) -> dict[str, Any]:
    try:
        body = r.json()
    except ValueError:
        return {"error": f"http {r.status_code}"}
    return body if isinstance(body, dict) else {"error": "unexpected response"}


class Google(SocialProvider):
    name = "GOOGLE"

    def authorization_url(self, request: AuthorizationRequest) -> str:
        params = {
            "client_id": self.auth.google_client_id,
            "redirect_uri": request.redirect_uri,
            "response_type": "code",
            "scope": "openid email profile",
            "state": request.state,
            "nonce": request.nonce,
        }
        if request.code_challenge:
            params |= {"code_challenge": request.code_challenge, "code_challenge_method": "S256"}
        return f"{self.auth.google_authorize_url}?{urlencode(params)}"

    async def exchange(
        self, code: str, request: AuthorizationRequest, code_verifier: str | None
    ) -> SocialIdentity:
        assert self.auth.google_client_id
        tokens = await self._post_form(
            self.auth.google_token_url,
            {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": request.redirect_uri,
                "client_id": self.auth.google_client_id,
                "client_secret": self.auth.google_client_secret or "",
                **({"code_verifier": code_verifier} if code_verifier else {}),
            },
        )
        if not tokens.get("id_token"):
            raise SocialLoginFailed("GOOGLE returned no id_token")
        claims = await self._verify_id_token(
            tokens["id_token"],
            self.auth.google_jwks_url,
            self.auth.google_issuers,
            self.auth.google_client_id,
            request.nonce,
        )
        return SocialIdentity(
            "GOOGLE",
            str(claims["sub"]),
            claims.get("email"),
            claims.get("email_verified") in (True, "true"),
            claims.get("name"),
        )


class Kakao(SocialProvider):
    name = "KAKAO"
    requires_pkce = True

    def authorization_url(self, request: AuthorizationRequest) -> str:
        params = {
            "client_id": self.auth.kakao_client_id,
            "redirect_uri": request.redirect_uri,
            "response_type": "code",
            "scope": "openid account_email profile_nickname",
            "state": request.state,
            "nonce": request.nonce,
            "code_challenge": request.code_challenge,
            "code_challenge_method": "S256",
        }
        return f"{self.auth.kakao_authorize_url}?{urlencode(params)}"

    async def exchange(
        self, code: str, request: AuthorizationRequest, code_verifier: str | None
    ) -> SocialIdentity:
        assert self.auth.kakao_client_id
        tokens = await self._post_form(
            self.auth.kakao_token_url,
            {
                "grant_type": "authorization_code",
                "client_id": self.auth.kakao_client_id,
                "redirect_uri": request.redirect_uri,
                "code": code,
                "code_verifier": code_verifier or "",
                **({"client_secret": self.auth.kakao_client_secret} if self.auth.kakao_client_secret else {}),
            },
        )
        subject_from_id_token = None
        if tokens.get("id_token"):
            claims = await self._verify_id_token(
                tokens["id_token"],
                self.auth.kakao_jwks_url,
                [self.auth.kakao_issuer],
                self.auth.kakao_client_id,
                request.nonce,
            )
            subject_from_id_token = str(claims["sub"])
        me = await self._get_json(self.auth.kakao_user_url, str(tokens.get("access_token", "")))
        subject = str(me.get("id", ""))
        if not subject or (subject_from_id_token is not None and subject_from_id_token != subject):
            raise SocialLoginFailed("KAKAO profile does not match the id_token")
        account = me.get("kakao_account") or {}
        verified = bool(account.get("is_email_valid") and account.get("is_email_verified"))
        nickname = (account.get("profile") or {}).get("nickname")
        return SocialIdentity("KAKAO", subject, account.get("email"), verified, nickname)


class Naver(SocialProvider):
    name = "NAVER"

    def authorization_url(self, request: AuthorizationRequest) -> str:
        params = {
            "response_type": "code",
            "client_id": self.auth.naver_client_id,
            "redirect_uri": request.redirect_uri,
            "state": request.state,
        }
        return f"{self.auth.naver_authorize_url}?{urlencode(params)}"

    async def exchange(
        self, code: str, request: AuthorizationRequest, code_verifier: str | None
    ) -> SocialIdentity:
        assert self.auth.naver_client_id
        tokens = await self._post_form(
            self.auth.naver_token_url,
            {
                "grant_type": "authorization_code",
                "client_id": self.auth.naver_client_id,
                "client_secret": self.auth.naver_client_secret or "",
                "code": code,
                "state": request.state,
            },
        )
        me = await self._get_json(self.auth.naver_profile_url, str(tokens.get("access_token", "")))
        if me.get("resultcode") != "00" or not isinstance(me.get("response"), dict):
            raise SocialLoginFailed(f"NAVER profile request failed ({me.get('message', 'unknown')})")
        profile = me["response"]
        return SocialIdentity(
            "NAVER",
            str(profile["id"]),
            profile.get("email"),
            False,
            profile.get("nickname") or profile.get("name"),
        )


def configured_providers(auth: AuthSettings, http: httpx.AsyncClient) -> dict[str, SocialProvider]:
    providers: dict[str, SocialProvider] = {}
    if auth.google_client_id:
        providers["GOOGLE"] = Google(auth, http)
    if auth.kakao_client_id:
        providers["KAKAO"] = Kakao(auth, http)
    if auth.naver_client_id:
        providers["NAVER"] = Naver(auth, http)
    return providers
