"""Pure rules: which event becomes which notification, and when quiet hours hold a push back."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from decimal import Decimal
from enum import Enum
from typing import Any
from zoneinfo import ZoneInfo

from babel import numbers

from libs.events import streams as ev
from libs.i18n import chain
from libs.i18n.locales import babel_locale


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


class Priority(Enum):
    LOW = "LOW"  # in-app only, never pushed
    NORMAL = "NORMAL"
    HIGH = "HIGH"
    URGENT = "URGENT"  # pushed even during quiet hours


class Channel(Enum):
    IN_APP = "IN_APP"
    PUSH = "PUSH"


@dataclass(frozen=True, slots=True)
class Draft:
    user_id: str
    type: T
    priority: Priority
    params: Mapping[str, Any]  # a value may be {"ko": ..., "en": ...}: picked by the owner's locale
    data: Mapping[str, str] = field(default_factory=dict)  # for the app (deep links), also the FCM data
    locale: str | None = None
    time_zone: str | None = None


_SEVERITY_PRIORITY = {"URGENT": Priority.URGENT, "WARNING": Priority.HIGH, "CAUTION": Priority.NORMAL}
# event type -> (notification type, priority)
_SIMPLE: dict[str, tuple[T, Priority]] = {
    ev.PAYMENT_SUCCEEDED: (T.PAYMENT_SUCCEEDED, Priority.NORMAL),
    ev.PAYMENT_FAILED: (T.PAYMENT_FAILED, Priority.HIGH),
    ev.SUBSCRIPTION_ACTIVATED: (T.SUBSCRIPTION_ACTIVATED, Priority.NORMAL),
    ev.PAYMENT_REFUNDED: (T.PAYMENT_REFUNDED, Priority.NORMAL),
    ev.SUBSCRIPTION_RENEWAL_FAILED: (T.SUBSCRIPTION_RENEWAL_FAILED, Priority.HIGH),
    ev.CONSULTATION_BOOKED: (T.CONSULTATION_SCHEDULED, Priority.NORMAL),
    ev.CONSULTATION_CONFIRMED: (T.CONSULTATION_CONFIRMED, Priority.NORMAL),
    ev.CONSULTATION_STARTED: (T.CONSULTATION_STARTED, Priority.HIGH),
    ev.CONSULTATION_ENDED: (T.CONSULTATION_ENDED, Priority.NORMAL),
    ev.CONSULTATION_CANCELED: (T.CONSULTATION_CANCELED, Priority.HIGH),
    ev.CONSULTATION_REMINDER: (T.CONSULTATION_REMINDER, Priority.HIGH),  # once: video marks it sent
    ev.PRESCRIPTION_ISSUED: (T.PRESCRIPTION_ISSUED, Priority.HIGH),
    ev.USER_SIGNED_UP: (T.WELCOME, Priority.LOW),
}
HANDLED_TYPES = frozenset({ev.COACHING_INSIGHT_CREATED, *_SIMPLE})


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def draft_from_event(type_: str, data: Mapping[str, Any]) -> Draft | None:
    """None when the event is not one we notify about (or names no user)."""
    user_id = _str(data.get("userId")) or _str(data.get("patientId"))
    if user_id is None or type_ not in HANDLED_TYPES:
        return None
    locale, tz = _str(data.get("locale")), _str(data.get("timeZone"))
    if type_ == ev.COACHING_INSIGHT_CREATED:
        priority = _SEVERITY_PRIORITY.get(str(data.get("severity")), Priority.LOW)
        keys = ("insightId", "measurementId", "severity")
        links = {k: str(data[k]) for k in keys if data.get(k) is not None}
        # An insight without texts (an older producer) gets the catalogue's generic wording (wording.py).
        params = {k: data[k] for k in ("title", "message") if data.get(k)}
        return Draft(user_id, T.COACHING_INSIGHT, priority, params, links, locale, tz)
    notification_type, priority = _SIMPLE[type_]
    links = {k: str(v) for k, v in data.items() if k.endswith("Id") and isinstance(v, str | int)}
    return Draft(user_id, notification_type, priority, dict(data), links, locale, tz)


def localised(params: Mapping[str, Any], locale: str, tz: ZoneInfo) -> dict[str, Any]:
    """The event's values for a message in `locale`: a per-language value ({"ko", "en", ...}) picked through
    the fallbacks, the appointment time as a datetime in the owner's zone (the template formats it)."""
    out: dict[str, Any] = {}
    for key, value in params.items():
        if isinstance(value, Mapping):
            value = next((value[c] for c in chain(locale) if value.get(c)), next(iter(value.values()), ""))
        out[key] = value
    amount, currency = params.get("amount"), params.get("currency")
    if "amountText" not in params and isinstance(amount, int) and isinstance(currency, str):
        out["amountText"] = money(amount, currency, locale)  # a producer without the worded amount
    scheduled = params.get("scheduledAt")
    if isinstance(scheduled, str):
        try:
            out["scheduledAt"] = datetime.fromisoformat(scheduled.replace("Z", "+00:00")).astimezone(tz)
        except ValueError:
            out.pop("scheduledAt")
    return out


def money(minor_units: int, currency: str, locale: str) -> str:
    """An amount in the currency's minor unit (KRW has none), in the locale's way (CLDR)."""
    try:
        value = Decimal(minor_units).scaleb(-numbers.get_currency_precision(currency))
        return numbers.format_currency(value, currency, locale=babel_locale(chain(locale)[0]))
    except (ValueError, numbers.UnknownCurrencyError):
        return f"{minor_units} {currency}"


def parse_clock(value: str) -> int:
    """"22:30" -> minutes after midnight; ValueError otherwise."""
    t = time.fromisoformat(value)
    return t.hour * 60 + t.minute


def quiet_until(now: datetime, tz: ZoneInfo, start_min: int | None, end_min: int | None) -> datetime | None:
    """When the owner's quiet hours end, if `now` falls inside them (windows may cross midnight)."""
    if start_min is None or end_min is None or start_min == end_min:
        return None
    local = now.astimezone(tz)
    minute = local.hour * 60 + local.minute
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    if start_min < end_min:
        inside = start_min <= minute < end_min
        end_day = midnight
    else:
        inside = minute >= start_min or minute < end_min
        end_day = midnight + timedelta(days=1) if minute >= start_min else midnight
    if not inside:
        return None
    # Wall-clock arithmetic in the zone, so a DST change inside the window still ends it at the local time.
    end = datetime.combine(end_day.date(), time(end_min // 60, end_min % 60), tzinfo=tz)
    return end
