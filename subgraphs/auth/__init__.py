"""The auth subgraph (port 8001, database `manpasik_auth`): accounts, sessions, tokens, 2FA, social log-in.

Configuration: the shared `libs.config.Settings` (JWT_* keys, REDIS_URL, ...) plus `settings.AuthSettings`
(`AUTH_*`: SMTP, Twilio Verify, Google/Kakao/Naver clients, throttling, AUTH_SECRETS_KEY for TOTP seeds,
AUTH_DATABASE, AUTH_WORKERS). Events for other subgraphs (`events.py`, types from `libs.events.streams`)
go out on the `auth` stream through the outbox, relayed by `worker.AuthWorkers`.
"""
