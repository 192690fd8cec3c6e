"""Social log-in: state and nonce issued here and single use, PKCE where the provider supports it, and an
existing account linked only through an email the provider says is verified."""

from __future__ import annotations

import base64
import hashlib
import hmac
from urllib.parse import urlparse

from libs.errors import BadUserInput, Conflict
from subgraphs.auth.adapters.social import (
    AuthorizationRequest,
    SocialIdentity,
    SocialLoginFailed,
    SocialProvider,
)
from subgraphs.auth.errors import AccountSuspended
from subgraphs.auth.models import OAuthIdentityRow, UserRow
from subgraphs.auth.repository import AuthRepository
from subgraphs.auth.secrets import new_secret
from subgraphs.auth.service import validation
from subgraphs.auth.service.accounts import AccountService
from subgraphs.auth.service.common import AuthDeps, AuthSuccess, ClientInfo, TwoFactorChallenge

PROVIDERS = ("GOOGLE", "KAKAO", "NAVER")


def s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


class SocialService:
    def __init__(self, repo: AuthRepository, deps: AuthDeps) -> None:
        self.repo = repo
        self.deps = deps

    def _provider(self, name: str) -> SocialProvider:
        provider = self.deps.social.get(name)
        if provider is None:
            raise BadUserInput(f"{name} log-in is not enabled", field="provider")
        return provider

    def _check_redirect(self, redirect_uri: str | None) -> str:
        uri = validation.required(redirect_uri, "redirectUri")
        allowed = self.deps.auth.social_redirect_uris
        parsed = urlparse(uri)
        ok = (
            uri in allowed
            if allowed
            else (
                parsed.scheme == "https"
                or parsed.scheme not in ("http", "")
                or parsed.hostname in ("localhost", "127.0.0.1")
            )
        )
        if not ok or parsed.fragment:
            raise BadUserInput("redirectUri is not allowed", field="redirectUri")
        return uri

    async def start(
        self, provider: str, redirect_uri: str | None, code_challenge: str | None
    ) -> tuple[str, str]:
        """Returns (authorizationUrl, state). The app opens the URL and comes back with code and state."""
        impl = self._provider(provider)
        uri = self._check_redirect(redirect_uri)
        if impl.requires_pkce and not code_challenge:
            raise BadUserInput(f"{provider} needs PKCE: send an S256 codeChallenge", field="codeChallenge")
        nonce = new_secret(16)
        state = await self.deps.social_states.create(
            {"provider": provider, "redirect_uri": uri, "nonce": nonce, "code_challenge": code_challenge},
            self.deps.auth.social_state_ttl_s,
        )
        url = impl.authorization_url(AuthorizationRequest(uri, state, nonce, code_challenge))
        return url, state

    async def log_in(
        self,
        *,
        provider: str,
        code: str | None,
        state: str | None,
        redirect_uri: str | None,
        code_verifier: str | None,
        client: ClientInfo,
    ) -> AuthSuccess | TwoFactorChallenge:
        impl = self._provider(provider)
        code = validation.required(code, "authorizationCode")
        saved = await self.deps.social_states.consume(validation.required(state, "state"))
        if saved is None or saved["provider"] != provider:
            raise SocialLoginFailed("unknown or expired state; start the log-in again")
        if redirect_uri and redirect_uri != saved["redirect_uri"]:
            raise SocialLoginFailed("redirectUri differs from the one the log-in started with")
        if saved["code_challenge"] and not (
            code_verifier and hmac.compare_digest(s256(code_verifier), saved["code_challenge"])
        ):
                raise SocialLoginFailed("codeVerifier does not match the codeChallenge")
        request = AuthorizationRequest(
            saved["redirect_uri"], state or "", saved["nonce"], saved["code_challenge"]
        )
        identity = await impl.exchange(code, request, code_verifier)
        user = await self._account_for(identity)
        if user.status == "SUSPENDED":
            raise AccountSuspended()
        self.repo.record_event("SOCIAL_LOGIN", user_id=user.id, ip=client.ip, reason=provider)
        return await AccountService(self.repo, self.deps).complete_login(user, client)

    async def _account_for(self, identity: SocialIdentity) -> UserRow:
        linked = await self.repo.identity(identity.provider, identity.subject)
        if linked is not None:
            user = await self.repo.user_by_id(linked.user_id)
            assert user is not None
            return user
        if not identity.email:
            raise BadUserInput(
                f"{identity.provider} shared no email address; allow email access and retry",
                field="authorizationCode",
            )
        email = validation.normalize_email(identity.email, field="authorizationCode")
        existing = await self.repo.user_by_email(email)
        if existing is not None and not identity.email_verified:
            # Linking on an unverified email would hand the account to whoever typed that address there.
            raise Conflict(
                "an account with this email exists; log in with your password first", field="email"
            )
        user = existing or await AccountService(self.repo, self.deps).create_user(
            email=email,
            display_name=(identity.name or email.split("@")[0])[:100],
            locale="ko-KR",
            password_hash=None,
            email_verified=identity.email_verified,
        )
        self.repo.add(
            OAuthIdentityRow(
                provider=identity.provider, subject=identity.subject, user_id=user.id, email=email
            )
        )
        await self.repo.flush()
        return user
