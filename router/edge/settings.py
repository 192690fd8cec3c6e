"""What the edge allows, per environment profile (dev | test | prod): rate limits, operation limits, the
safelist, introspection, CORS and security headers. Every value can be overridden by a flag or `ROUTER_*`
variable (`router/edge/options.py`); the profile only chooses the defaults."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

PROFILES = ("dev", "test", "prod")


@dataclass(frozen=True)
class Rate:
    """A token bucket: `per_second` sustained, up to `burst` at once (a full bucket)."""

    per_second: float
    burst: int

    @classmethod
    def parse(cls, text: str) -> Rate:
        """`5` (burst = one second's worth) or `5/10` (5 per second, bursts of 10)."""
        rate, _, burst = text.partition("/")
        per_second = float(rate)
        size = int(burst) if burst else max(1, round(per_second))
        if per_second <= 0 or size < 1:
            raise ValueError(f"a rate must be positive: {text!r}")
        return cls(per_second, size)


@dataclass(frozen=True)
class RateLimits:
    # Off unless asked for: `manpasik router` turns them on in dev and prod (the test profile leaves them
    # off so suites that log in many users from 127.0.0.1 are not throttled; the limit's own tests turn
    # them on). The seed's Nginx values: auth 5 r/s, payment 2 r/s, everything else 10 r/s.
    enabled: bool = False
    auth: Rate = Rate(5, 5)
    payment: Rate = Rate(2, 2)
    general: Rate = Rate(10, 20)
    # Root mutation fields owned by these subgraphs (by name) are the auth / payment classes.
    auth_subgraphs: frozenset[str] = frozenset({"auth"})
    payment_subgraphs: frozenset[str] = frozenset({"payment"})
    redis_url: str | None = None  # None: buckets are per process
    redis_prefix: str = ""
    # Proxies in front of the router that append to X-Forwarded-For (a load balancer): the client's address
    # is that many entries left of the one the router appends. 0: the router's own peer is the client.
    trusted_proxies: int = 0


@dataclass(frozen=True)
class OperationLimits:
    # Generous for the app's own documents (`tests/router/test_edge_limits.py` checks every safelisted
    # operation fits); introspection fields (`__schema`, `__type`) are not counted, they are answered here.
    max_depth: int = 10
    max_aliases: int = 30
    max_root_fields: int = 20
    max_cost: int = 5000
    default_list_size: int = 10  # a list field without a size argument (`first`, `last`, `limit`)


@dataclass(frozen=True)
class Safelist:
    # Folder of .graphql documents (or one file) whose operations are the safelist; also preloaded as
    # persisted queries (their sha256). `enforce`: other operations are refused unless the allowance holds.
    path: str | None = None
    enforce: bool = False
    # The allowance of GraphiQL and admin tools: a verified token with one of these scopes (roles, as the
    # token check hands them in) may send any operation, and introspect in prod.
    allowed_scopes: frozenset[str] = frozenset({"ADMIN"})


@dataclass(frozen=True)
class Cors:
    # Exact origins (`https://admin.manpasik.com`) or `*` (any origin, echoed back). Empty: no CORS headers,
    # preflights refused (403).
    origins: tuple[str, ...] = ()
    allow_credentials: bool = True
    max_age: int = 600


@dataclass(frozen=True)
class EdgeSettings:
    profile: str = "dev"
    rate_limits: RateLimits = field(default_factory=RateLimits)
    limits: OperationLimits = field(default_factory=OperationLimits)
    safelist: Safelist = field(default_factory=Safelist)
    introspection: bool = True
    cors: Cors = field(default_factory=Cors)
    security_headers: bool = True
    hsts: bool = False
    apq: bool = True
    apq_cache_size: int = 10_000


def profile_defaults(profile: str) -> EdgeSettings:
    """dev and test: everything open but bounded (introspection, any origin); prod: introspection off, the
    safelist enforced (when one is given), HSTS, CORS only for configured origins."""
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r} (one of {', '.join(PROFILES)})")
    base = EdgeSettings(profile=profile)
    if profile == "prod":
        return replace(base, introspection=False, hsts=True, safelist=Safelist(enforce=True))
    return replace(base, cors=Cors(origins=("*",)))
