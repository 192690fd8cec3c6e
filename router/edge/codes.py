"""Error codes of the edge's refusals that are GraphQL request errors (like validation errors: 200 under
application/json, 400 under application/graphql-response+json). RATE_LIMITED is an HTTP-level refusal
(429 under both)."""

REQUEST_ERROR_CODES = frozenset(
    {
        "PERSISTED_QUERY_NOT_FOUND",
        "PERSISTED_QUERY_NOT_SUPPORTED",
        "PERSISTED_QUERY_HASH_MISMATCH",
        "OPERATION_NOT_IN_SAFELIST",
        "INTROSPECTION_DISABLED",
        "MAX_DEPTH_LIMIT",
        "MAX_ALIASES_LIMIT",
        "MAX_ROOT_FIELDS_LIMIT",
        "COST_ESTIMATED_TOO_EXPENSIVE",
    }
)
