"""Stream keys and the domain event types that cross subgraph boundaries (one place to look them up)."""

from __future__ import annotations

from libs.config import Settings

# stream name -> event types published on it (publishers own their stream).
MEASUREMENT_STREAM = "measurement"
MEASUREMENT_RECORDED = "measurement.recorded"

COACHING_STREAM = "coaching"
COACHING_INSIGHT_CREATED = "coaching.insight_created"

NOTIFICATION_STREAM = "notification"
NOTIFICATION_CREATED = "notification.created"

# Streams the notification subgraph already consumes for domains still being built; the event data must carry
# `userId` (or `patientId`) and may carry `locale` and `timeZone` (see subgraphs/notification/domain.py).
AUTH_STREAM = "auth"
USER_SIGNED_UP = "user.signed_up"  # displayName
PAYMENT_STREAM = "payment"
PAYMENT_SUCCEEDED = "payment.succeeded"  # amount, currency, paymentId
PAYMENT_FAILED = "payment.failed"
SUBSCRIPTION_ACTIVATED = "subscription.activated"  # plan
CONSULTATION_STREAM = "consultation"
CONSULTATION_CREATED = "consultation.created"  # doctorName, scheduledAt (ISO-8601)
CONSULTATION_STARTED = "consultation.started"
CONSULTATION_ENDED = "consultation.ended"
PRESCRIPTION_ISSUED = "prescription.issued"
# Text overrides from the translation subgraph (admin `upsertTemplate`): data {key, locale, body, version}.
# Keys: "coaching.<rule id>.title|message" (trend rules without their type:
# "coaching.trend.rising_average.title") and "notification.<NotificationType>.title|body".
# Placeholders in braces ({value}); unknown ones render empty.
TRANSLATION_STREAM = "translation"
TEMPLATE_UPDATED = "translation.template_updated"


def stream_key(settings: Settings, stream: str) -> str:
    return settings.redis_key("events", stream)


def dead_letter_key(settings: Settings, stream: str, group: str) -> str:
    """Failures are per consumer group: one group's poison message is another group's success."""
    return settings.redis_key("events", stream, "dead", group)
