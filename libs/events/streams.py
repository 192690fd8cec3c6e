"""The event catalogue: every stream and every event type that crosses a subgraph boundary, defined once.

Publishers own their stream. Event data is a JSON object; what each type carries is written beside it.
Every event about a person carries `userId` (consultation events may name `patientId` instead) and may carry
`locale` and `timeZone`, which the notification subgraph uses to word and time its message.
"""

from __future__ import annotations

from libs.config import Settings

# -- auth --------------------------------------------------------------------------------------------------
AUTH_STREAM = "auth"
USER_SIGNED_UP = "user.signed_up"  # displayName, locale
USER_SUSPENDED = "user.suspended"  # actorId, reason
USER_REINSTATED = "user.reinstated"  # actorId, reason
USER_ROLE_GRANTED = "user.role_granted"  # actorId, role, reason
USER_DELETION_REQUESTED = "user.deletion_requested"

# -- measurement ---------------------------------------------------------------------------------------------
MEASUREMENT_STREAM = "measurement"
MEASUREMENT_RECORDED = "measurement.recorded"  # measurementId, type, value, unit, components, takenAt, ...

# -- coaching ------------------------------------------------------------------------------------------------
COACHING_STREAM = "coaching"
COACHING_INSIGHT_CREATED = "coaching.insight_created"  # insightId, measurementId, severity, title, message

# -- notification --------------------------------------------------------------------------------------------
NOTIFICATION_STREAM = "notification"
NOTIFICATION_CREATED = "notification.created"  # notificationId, type, priority, title, body, createdAt, ...

# -- payment (port 8004) -------------------------------------------------------------------------------------
PAYMENT_STREAM = "payment"
PAYMENT_SUCCEEDED = "payment.succeeded"  # paymentId, orderId, amount (minor units), currency
PAYMENT_FAILED = "payment.failed"  # paymentId, orderId, amount, currency, reason
PAYMENT_REFUNDED = "payment.refunded"  # paymentId, refundId, amount, currency
SUBSCRIPTION_ACTIVATED = "subscription.activated"  # subscriptionId, plan, periodEnd
SUBSCRIPTION_RENEWED = "subscription.renewed"  # subscriptionId, plan, periodEnd
SUBSCRIPTION_RENEWAL_FAILED = "subscription.renewal_failed"  # subscriptionId, plan, attempt, nextAttemptAt
SUBSCRIPTION_CANCELED = "subscription.canceled"  # subscriptionId, plan, endsAt
INVOICE_ISSUED = "invoice.issued"  # invoiceId, number, amount, currency

# -- video: consultations and prescriptions (port 8006) -----------------------------------------------------
CONSULTATION_STREAM = "consultation"
CONSULTATION_BOOKED = "consultation.created"  # consultationId, patientId, doctorId, doctorName, scheduledAt
CONSULTATION_CONFIRMED = "consultation.confirmed"  # consultationId, patientId, doctorName, scheduledAt
CONSULTATION_STARTED = "consultation.started"  # consultationId, patientId, doctorName
CONSULTATION_ENDED = "consultation.ended"  # consultationId, patientId, doctorName
CONSULTATION_CANCELED = "consultation.canceled"  # consultationId, patientId, doctorName, reason
CONSULTATION_NO_SHOW = "consultation.no_show"  # consultationId, patientId
PRESCRIPTION_ISSUED = "prescription.issued"  # prescriptionId, consultationId, patientId, doctorName

# -- data: integrity, audit, exports (port 8008) ------------------------------------------------------------
DATA_STREAM = "data"
DATA_EXPORT_READY = "data.export_ready"  # exportId, format, expiresAt
DATA_INTEGRITY_FAILED = "data.integrity_failed"  # checkId, firstBadBlock
DATA_BACKUP_COMPLETED = "data.backup_completed"  # backupId, sizeBytes

# -- translation (port 8007) ---------------------------------------------------------------------------------
# Text overrides (admin `upsertTemplate`): data {key, locale, body, version}. Keys: "coaching.<rule id>.title|
# message" (trend rules without their type: "coaching.trend.rising_average.title") and
# "notification.<NotificationType>.title|body". Placeholders in braces ({value}); unknown ones render empty.
TRANSLATION_STREAM = "translation"
TEMPLATE_UPDATED = "translation.template_updated"
LANGUAGE_PREFERENCE_CHANGED = "translation.language_changed"  # userId, locale



def stream_key(settings: Settings, stream: str) -> str:
    return settings.redis_key("events", stream)


def dead_letter_key(settings: Settings, stream: str, group: str) -> str:
    """Failures are per consumer group: one group's poison message is another group's success."""
    return settings.redis_key("events", stream, "dead", group)
