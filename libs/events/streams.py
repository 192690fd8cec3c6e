"""The event catalogue: every stream and every event type that crosses a subgraph boundary, defined once.

Publishers own their stream. Event data is a JSON object; what each type carries is written beside it.
Every event about a person carries `userId` (consultation events may name `patientId` instead) and may carry
`locale` and `timeZone`, which the notification subgraph uses to word and time its message.
"""

from __future__ import annotations

from libs.config import Settings

# -- auth --------------------------------------------------------------------------------------------------
AUTH_STREAM = "auth"
USER_SIGNED_UP = "user.signed_up"  # displayName, locale, roles
USER_SUSPENDED = "user.suspended"  # actorId, reason, requestId
USER_REINSTATED = "user.reinstated"  # actorId, reason, requestId
USER_ROLE_GRANTED = "user.role_granted"  # actorId, role, displayName, requestId
USER_DELETION_REQUESTED = "user.deletion_requested"
# locale: the user chose a language (setLanguagePreference); auth owns User.locale, coaching and notification
# word their messages in it
USER_LOCALE_CHANGED = "user.locale_changed"

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
# Amounts are integers in the currency's minor unit (KRW has none) beside `currency`, with `amountText`
# {"ko": "9,900원", "en": "KRW 9,900"} for people; `plan` is the plan's name {"ko", "en"}, `planId` its id.
PAYMENT_SUCCEEDED = "payment.succeeded"  # paymentId, orderId, amount, currency, plan, kind, approvedAt
PAYMENT_FAILED = "payment.failed"  # orderId, amount, currency, plan, kind, reason
PAYMENT_REFUNDED = "payment.refunded"  # paymentId, refundId, amount, currency, refundedTotal, paymentAmount
SUBSCRIPTION_ACTIVATED = "subscription.activated"  # subscriptionId, plan, status, periodEnd
SUBSCRIPTION_RENEWED = "subscription.renewed"  # subscriptionId, plan, periodEnd, period
SUBSCRIPTION_RENEWAL_FAILED = "subscription.renewal_failed"  # subscriptionId, plan, attempt, nextAttemptAt
SUBSCRIPTION_CANCELED = "subscription.canceled"  # subscriptionId, plan, endsAt, reason (ends at period end)
SUBSCRIPTION_EXPIRED = "subscription.expired"  # subscriptionId, plan (features end now)
INVOICE_ISSUED = "invoice.issued"  # invoiceId, number, paymentId, amount, currency, issuedAt

# -- video: consultations and prescriptions (port 8006) -----------------------------------------------------
# Every consultation event carries consultationId, patientId, doctorId, doctorName, status, scheduledAt,
# endsAt and the measurement-sharing grant: shareMeasurementsSince (null: none), windowStart, windowEnd (the
# measurement subgraph lets the doctor read the patient's readings since that date inside that window, until
# the end).
CONSULTATION_STREAM = "consultation"
CONSULTATION_BOOKED = "consultation.created"  # reason
CONSULTATION_CONFIRMED = "consultation.confirmed"
CONSULTATION_STARTED = "consultation.started"  # startedAt
CONSULTATION_ENDED = "consultation.ended"  # startedAt, endedAt
CONSULTATION_CANCELED = "consultation.canceled"  # canceledBy, reason
CONSULTATION_NO_SHOW = "consultation.no_show"
CONSULTATION_REMINDER = "consultation.reminder"  # minutesBefore: once per consultation, before its start
CONSULTATION_MESSAGE_SENT = "consultation.message_sent"  # messageId, senderId (no body: chat stays in video)
PRESCRIPTION_ISSUED = "prescription.issued"  # prescriptionId, version, replacesId (the event's other fields)

# -- data: integrity, audit, exports (port 8008) ------------------------------------------------------------
DATA_STREAM = "data"
DATA_EXPORT_READY = "data.export_ready"  # exportId, format, expiresAt
DATA_INTEGRITY_FAILED = "data.integrity_failed"  # checkId, firstBadBlock
DATA_BACKUP_COMPLETED = "data.backup_completed"  # backupId, sizeBytes
# version: an admin rotated the data keys (rotateEncryptionKey); every subgraph with its own data keys (video)
# activates a new version of its own too and re-encrypts in the background
DATA_KEY_ROTATED = "data.encryption_key_rotated"
# checkId, domains: each domain re-hashes its stored records and answers with integrity.records_hashed
DATA_INTEGRITY_CHECK_REQUESTED = "data.integrity_check_requested"
# Health-record subgraphs' answers, on one stream the data subgraph reads (as `audit`), so no record stream
# carries them: checkId, domain, records [[id, digest], ...], last
INTEGRITY_STREAM = "integrity"
INTEGRITY_RECORDS_HASHED = "integrity.records_hashed"
# Written health records that are not measurements (video's prescriptions, notes, messages), on the writer's
# stream: recordId, userId, kind (prescription | consultation_note | message), digest, writer, writtenAt,
# content (what the record holds, for exports)
HEALTH_RECORD_WRITTEN = "health.record_written"

# -- audit: one stream every subgraph holding health data publishes to (libs.audit); data reads it -----
AUDIT_STREAM = "audit"
ACCESS_RECORDED = "audit.access_recorded"  # actorId, userId (the subject), action, resource, requestId, at

# -- staff actions in any subgraph ---------------------------------------------------------------------------
# Published by the subgraph where a staff member acted, on that subgraph's own stream, in the same transaction
# as the action (auth's suspend/reinstate/grant have their own types above). The admin console lists them.
STAFF_ACTION_TAKEN = "staff.action_taken"  # actorId, action, userId (target, optional), reason, requestId

# -- translation (port 8007) ---------------------------------------------------------------------------------
# A new version of a message template (admin `upsertTemplate`): data {key, locale, body, version}, the body in
# ICU MessageFormat, the locale one of libs.i18n.SUPPORTED. Keys as in libs/i18n/messages/*.json:
# "coaching.<rule id>.title|message" (trend rules without their type), "notification.<NotificationType>.title|
# body". Every renderer's libs.i18n.TemplateFeed applies it (newest version wins).
TRANSLATION_STREAM = "translation"
TEMPLATE_UPDATED = "translation.template_updated"



def stream_key(settings: Settings, stream: str) -> str:
    return settings.redis_key("events", stream)


def dead_letter_key(settings: Settings, stream: str, group: str) -> str:
    """Failures are per consumer group: one group's poison message is another group's success."""
    return settings.redis_key("events", stream, "dead", group)
