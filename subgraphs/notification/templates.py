# ruff: noqa: E501  (a table of texts reads better unwrapped)
"""Notification texts per type and language. Events bring the facts; these sentences frame them.

Coaching insights arrive already written in both languages by the coaching rules, so their template only
places them. Placeholders missing from an event render as an empty string rather than failing the event.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from typing import Any

from libs.templates import Overrides, format_text


class NotificationType(Enum):
    COACHING_INSIGHT = "COACHING_INSIGHT"
    PAYMENT_SUCCEEDED = "PAYMENT_SUCCEEDED"
    PAYMENT_FAILED = "PAYMENT_FAILED"
    SUBSCRIPTION_ACTIVATED = "SUBSCRIPTION_ACTIVATED"
    PAYMENT_REFUNDED = "PAYMENT_REFUNDED"
    SUBSCRIPTION_RENEWAL_FAILED = "SUBSCRIPTION_RENEWAL_FAILED"
    CONSULTATION_SCHEDULED = "CONSULTATION_SCHEDULED"
    CONSULTATION_CONFIRMED = "CONSULTATION_CONFIRMED"
    CONSULTATION_STARTED = "CONSULTATION_STARTED"
    CONSULTATION_ENDED = "CONSULTATION_ENDED"
    CONSULTATION_CANCELED = "CONSULTATION_CANCELED"
    CONSULTATION_REMINDER = "CONSULTATION_REMINDER"
    PRESCRIPTION_ISSUED = "PRESCRIPTION_ISSUED"
    WELCOME = "WELCOME"


T = NotificationType

# type -> language -> (title, body)
TEMPLATES: dict[NotificationType, dict[str, tuple[str, str]]] = {
    T.COACHING_INSIGHT: {"ko": ("{title}", "{message}"), "en": ("{title}", "{message}")},
    T.PAYMENT_SUCCEEDED: {
        "ko": ("결제 완료", "{amountText} 결제가 완료되었습니다."),
        "en": ("Payment received", "Your payment of {amountText} went through."),
    },
    T.PAYMENT_FAILED: {
        "ko": ("결제 실패", "{amountText} 결제에 실패했습니다. 결제 수단을 확인해 주세요."),
        "en": ("Payment failed", "Your payment of {amountText} failed. Please check your payment method."),
    },
    T.SUBSCRIPTION_ACTIVATED: {
        "ko": ("구독 시작", "{plan} 구독이 시작되었습니다."),
        "en": ("Subscription active", "Your {plan} subscription is now active."),
    },
    T.PAYMENT_REFUNDED: {
        "ko": ("환불 완료", "{amountText} 환불이 처리되었습니다."),
        "en": ("Refund issued", "A refund of {amountText} has been issued."),
    },
    T.SUBSCRIPTION_RENEWAL_FAILED: {
        "ko": ("구독 갱신 실패", "{plan} 구독료 {amountText} 결제에 실패했습니다. 결제 수단을 확인해 주세요."),
        "en": ("Renewal failed", "We could not charge {amountText} for your {plan} subscription. Please check your payment method."),
    },
    T.CONSULTATION_SCHEDULED: {
        "ko": ("상담 예약 완료", "{doctorName} 선생님과의 상담이 {scheduledAtLocal}에 예약되었습니다."),
        "en": ("Consultation booked", "Your consultation with {doctorName} is booked for {scheduledAtLocal}."),
    },
    T.CONSULTATION_CONFIRMED: {
        "ko": ("상담 확정", "{doctorName} 선생님이 {scheduledAtLocal} 상담을 확정했습니다."),
        "en": ("Consultation confirmed", "{doctorName} confirmed your consultation at {scheduledAtLocal}."),
    },
    T.CONSULTATION_STARTED: {
        "ko": ("상담 시작", "{doctorName} 선생님이 상담실에 들어왔습니다."),
        "en": ("Consultation starting", "{doctorName} has joined your consultation."),
    },
    T.CONSULTATION_ENDED: {
        "ko": ("상담 종료", "상담이 끝났습니다. 기록을 확인해 보세요."),
        "en": ("Consultation ended", "Your consultation has ended. Its notes are in the app."),
    },
    T.CONSULTATION_CANCELED: {
        "ko": ("상담 취소", "{doctorName} 선생님과의 {scheduledAtLocal} 상담이 취소되었습니다."),
        "en": ("Consultation canceled", "Your consultation with {doctorName} at {scheduledAtLocal} was canceled."),
    },
    T.CONSULTATION_REMINDER: {
        "ko": ("곧 상담이 시작됩니다", "{doctorName} 선생님과의 상담이 {minutesBefore}분 후({scheduledAtLocal})에 시작됩니다."),
        "en": ("Consultation soon", "Your consultation with {doctorName} starts in {minutesBefore} minutes ({scheduledAtLocal})."),
    },
    T.PRESCRIPTION_ISSUED: {
        "ko": ("처방전 발급", "{doctorName} 선생님이 처방전을 발급했습니다."),
        "en": ("Prescription issued", "{doctorName} has issued a prescription for you."),
    },
    T.WELCOME: {
        "ko": ("만파식에 오신 것을 환영합니다", "{displayName}님, 첫 측정을 시작해 보세요."),
        "en": ("Welcome to ManPaSik", "Welcome, {displayName}. Start with your first measurement."),
    },
}


# Used when an event leaves a placeholder out (e.g. a consultation event without the doctor's name).
DEFAULTS: dict[str, dict[str, str]] = {
    "ko": {"doctorName": "담당", "displayName": "회원", "plan": "선택한", "amount": "", "currency": "", "amountText": "",
           "scheduledAtLocal": "예약한 시간", "minutesBefore": "10"},
    "en": {"doctorName": "your doctor", "displayName": "there", "plan": "new", "amount": "", "currency": "", "amountText": "",
           "scheduledAtLocal": "the booked time", "minutesBefore": "10"},
}


def language(locale: str | None) -> str:
    return "ko" if (locale or "ko").lower().startswith("ko") else "en"


# Keys of our texts among the translation subgraph's overrides (`translation.template_updated`).
TEMPLATE_PREFIX = "notification."


def override_ids(type_: NotificationType) -> tuple[str, str]:
    """Keys of the translation subgraph's overrides for this type."""
    return f"{TEMPLATE_PREFIX}{type_.value}.title", f"{TEMPLATE_PREFIX}{type_.value}.body"


def render(type_: NotificationType, locale: str | None, params: Mapping[str, Any],
           overrides: Overrides | None = None) -> tuple[str, str]:
    """(title, body) in the locale's language; the translation subgraph's overrides win when present."""
    lang = language(locale)
    title, body = TEMPLATES[type_][lang]
    title_id, body_id = override_ids(type_)
    texts = overrides or {}
    values = {**DEFAULTS[lang], **{k: str(v) for k, v in params.items() if v is not None and v != ""}}
    return (format_text(texts.get((title_id, lang), title), title, values),
            format_text(texts.get((body_id, lang), body), body, values))
