"""`serve` options of the edge, each also a `ROUTER_*` environment variable; unset ones take the profile's
default (`--profile` / `ROUTER_ENV`: dev | test | prod)."""

from __future__ import annotations

import argparse
import os
from dataclasses import replace

from router.edge.settings import (
    PROFILES,
    Cors,
    EdgeSettings,
    OperationLimits,
    Rate,
    RateLimits,
    profile_defaults,
)

TRUE, FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


def switch(text: str) -> bool:
    value = text.strip().lower()
    if value in TRUE:
        return True
    if value in FALSE:
        return False
    raise argparse.ArgumentTypeError(f"expected on or off, got {text!r}")


ENV_NAMES: set[str] = set()  # every ROUTER_* name these options read (filled as the parser is built)


def _env(name: str) -> str | None:
    ENV_NAMES.add(name)
    return os.environ.get(name) or None


def _names(text: str | None) -> tuple[str, ...]:
    return tuple(x.strip() for x in (text or "").split(",") if x.strip())


def add_edge_args(s: argparse.ArgumentParser) -> None:
    g = s.add_argument_group("edge (rate limits, operation limits, safelist, CORS, headers)")
    add = g.add_argument
    add(
        "--profile",
        choices=PROFILES,
        default=_env("ROUTER_ENV") or "dev",
        help="defaults of the edge (ROUTER_ENV)",
    )
    add("--rate-limits", type=switch, default=_env("ROUTER_RATE_LIMITS"), help="on|off (default off)")
    for klass, rate in (("auth", "5/5"), ("payment", "2/2"), ("general", "10/20")):
        add(
            f"--rate-limit-{klass}",
            type=Rate.parse,
            default=_env(f"ROUTER_RATE_LIMIT_{klass.upper()}") or rate,
            help=f"RATE[/BURST] per second per caller for {klass} operations (default {rate})",
        )
    add("--rate-limit-auth-subgraphs", default=_env("ROUTER_RATE_LIMIT_AUTH_SUBGRAPHS") or "auth")
    add("--rate-limit-payment-subgraphs", default=_env("ROUTER_RATE_LIMIT_PAYMENT_SUBGRAPHS") or "payment")
    add(
        "--redis-url",
        default=_env("ROUTER_REDIS_URL"),
        help="shared rate-limit buckets and persisted queries",
    )
    add("--redis-prefix", default=_env("ROUTER_REDIS_PREFIX") or "")
    add("--trusted-proxies", type=int, default=int(_env("ROUTER_TRUSTED_PROXIES") or 0))
    base = OperationLimits()
    for name, limit in (
        ("max-depth", base.max_depth),
        ("max-aliases", base.max_aliases),
        ("max-root-fields", base.max_root_fields),
        ("max-cost", base.max_cost),
        ("default-list-size", base.default_list_size),
    ):
        var = "ROUTER_" + name.upper().replace("-", "_")
        add(f"--{name}", type=int, default=int(_env(var) or limit), help=f"({var}, default {limit})")
    add(
        "--safelist", default=_env("ROUTER_SAFELIST"), help="folder (or file) of the app's .graphql documents"
    )
    add(
        "--safelist-enforce", type=switch, default=_env("ROUTER_SAFELIST_ENFORCE"), help="default: on in prod"
    )
    add("--safelist-allowed-scopes", default=_env("ROUTER_SAFELIST_ALLOWED_SCOPES") or "ADMIN")
    add("--introspection", type=switch, default=_env("ROUTER_INTROSPECTION"), help="default: off in prod")
    add(
        "--cors-origins",
        default=_env("ROUTER_CORS_ORIGINS"),
        help="comma-separated, or *; default * except prod",
    )
    add("--cors-credentials", type=switch, default=_env("ROUTER_CORS_CREDENTIALS") or "on")
    add("--security-headers", type=switch, default=_env("ROUTER_SECURITY_HEADERS") or "on")
    add("--hsts", type=switch, default=_env("ROUTER_HSTS"), help="default: on in prod")
    add("--apq", type=switch, default=_env("ROUTER_APQ") or "on", help="automatic persisted queries")
    add("--max-body-bytes", type=int, default=int(_env("ROUTER_MAX_BODY_BYTES") or 8 * 1024 * 1024))


def _flag(value: object, default: bool) -> bool:
    if value is None:
        return default
    return value if isinstance(value, bool) else switch(str(value))


def edge_settings(args: argparse.Namespace) -> EdgeSettings:
    base = profile_defaults(args.profile)
    rates = {k: getattr(args, f"rate_limit_{k}") for k in ("auth", "payment", "general")}
    rates = {k: v if isinstance(v, Rate) else Rate.parse(v) for k, v in rates.items()}
    rate_limits = RateLimits(
        enabled=_flag(args.rate_limits, False),
        auth=rates["auth"],
        payment=rates["payment"],
        general=rates["general"],
        auth_subgraphs=frozenset(_names(args.rate_limit_auth_subgraphs)),
        payment_subgraphs=frozenset(_names(args.rate_limit_payment_subgraphs)),
        redis_url=args.redis_url,
        redis_prefix=args.redis_prefix,
        trusted_proxies=max(0, args.trusted_proxies),
    )
    limits = OperationLimits(
        max_depth=args.max_depth,
        max_aliases=args.max_aliases,
        max_root_fields=args.max_root_fields,
        max_cost=args.max_cost,
        default_list_size=args.default_list_size,
    )
    safelist = replace(
        base.safelist,
        path=args.safelist,
        enforce=_flag(args.safelist_enforce, base.safelist.enforce) and bool(args.safelist),
        allowed_scopes=frozenset(_names(args.safelist_allowed_scopes)),
    )
    origins = _names(args.cors_origins) if args.cors_origins is not None else base.cors.origins
    return replace(
        base,
        rate_limits=rate_limits,
        limits=limits,
        safelist=safelist,
        introspection=_flag(args.introspection, base.introspection),
        cors=Cors(origins=origins, allow_credentials=_flag(args.cors_credentials, True)),
        security_headers=_flag(args.security_headers, True),
        hsts=_flag(args.hsts, base.hsts),
        apq=_flag(args.apq, True),
    )
