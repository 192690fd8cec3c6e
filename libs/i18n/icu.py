"""ICU MessageFormat: parsed by `pyicumessageformat`, formatted here with Babel's CLDR data.

What a template may say: `{name}` (text; a number or date in the locale's way), `{n, number}` with the styles
`integer`, `percent` or a skeleton `::unit/<CLDR unit>` (`::unit/concentr-millimole-per-liter`) or `::.0`
(fraction digits); `{at, date|time|datetime, short|medium|long|full}` or a skeleton (`::yMMMd`); `{n, plural,
=0 {..} one {# ..} other {..}}` (CLDR plural rules of the locale, `offset:` too), `selectordinal`, `select`.
A value the caller left out renders empty, so one missing fact never loses the whole message.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

from babel import dates, numbers, units
from pyicumessageformat import Parser

from libs.i18n.locales import babel_locale

# require_other: a plural or select without `other` is refused when the template is written, not when sent.
_PARSER = Parser({"require_other": True, "allow_tags": False})
STYLES = ("short", "medium", "long", "full")


class TemplateError(ValueError):
    """A template that is not ICU MessageFormat, or uses a format we do not render."""


Node = str | dict[str, Any]


@dataclass(frozen=True, slots=True)
class Message:
    body: str
    nodes: tuple[Node, ...]


def compile_message(body: str) -> Message:
    try:
        nodes = _PARSER.parse(body)
    except (SyntaxError, ValueError, TypeError) as e:
        raise TemplateError(f"not ICU MessageFormat: {e}") from None
    _check(nodes)
    return Message(body, tuple(nodes))


def _check(nodes: Sequence[Node]) -> None:
    for node in nodes:
        if isinstance(node, str):
            continue
        kind, style = node.get("type"), node.get("format")
        if kind in (None, "plural", "selectordinal", "select"):
            pass
        elif kind == "number":
            if style not in (None, "integer", "percent") and not _number_skeleton(style):
                raise TemplateError(f"{{{node['name']}, number, {style}}}: unknown number style")
            if isinstance(style, str) and "unit/" in style and not _known_unit(style):
                raise TemplateError(f"{{{node['name']}, number, {style}}}: not a CLDR unit")
        elif kind in ("date", "time", "datetime"):
            if style not in (None, *STYLES) and not (isinstance(style, str) and style.startswith("::")):
                raise TemplateError(f"{{{node['name']}, {kind}, {style}}}: unknown {kind} style")
        else:
            raise TemplateError(f"{{{node.get('name')}, {kind}}}: unknown argument type")
        for branch in (node.get("options") or {}).values():
            _check(branch)


def _number_skeleton(style: Any) -> bool:
    if not isinstance(style, str) or not style.startswith("::"):
        return False
    s = style[2:].strip()
    return s.startswith(("unit/", "measure-unit/")) or (s.startswith(".") and set(s[1:]) <= {"0", "#"})


def _known_unit(style: str) -> bool:
    unit = style.split("/", 1)[1].split()[0] if "/" in style else ""
    try:
        return units.get_unit_name(unit, locale="en") is not None
    except units.UnknownUnitError:
        return False


def format_message(message: Message, locale: str, args: Mapping[str, Any]) -> str:
    return "".join(_render(message.nodes, locale, args, None)).strip()


def _render(nodes: Sequence[Node], locale: str, args: Mapping[str, Any], hash_value: Any) -> list[str]:
    out: list[str] = []
    for node in nodes:
        if isinstance(node, str):
            out.append(node)
            continue
        kind = node.get("type")
        if node.get("hash"):
            out.append(_number(hash_value, None, locale))
            continue
        value = args.get(node["name"])
        if kind in ("plural", "selectordinal"):
            n = _decimal(value)
            offset = node.get("offset") or 0
            options: dict[str, list[Node]] = node["options"]
            exact = f"={_plain(n)}" if n is not None else None
            if exact in options:
                branch = options[exact]
            else:
                shifted = (n - offset) if n is not None else None
                loc = babel_locale(locale)
                rule = loc.ordinal_form if kind == "selectordinal" else loc.plural_form
                category = rule(shifted) if shifted is not None else "other"
                branch = options.get(category, options["other"])
            out += _render(branch, locale, args, (n - offset) if n is not None else None)
        elif kind == "select":
            options = node["options"]
            out += _render(options.get(str(value), options["other"]), locale, args, hash_value)
        elif kind == "number":
            out.append(_number(value, node.get("format"), locale))
        elif kind in ("date", "time", "datetime"):
            out.append(_when(value, kind, node.get("format"), locale))
        else:
            out.append(_text(value, locale))
    return out


def _decimal(value: Any) -> Decimal | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _plain(n: Decimal) -> str:
    return str(n.normalize()) if n == n.to_integral_value() else str(n)


def _text(value: Any, locale: str) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal | int | float) and not isinstance(value, bool):
        return _number(value, None, locale)
    if isinstance(value, datetime):
        return dates.format_datetime(value, "medium", tzinfo=value.tzinfo, locale=babel_locale(locale))
    if isinstance(value, date):
        return dates.format_date(value, "medium", locale=babel_locale(locale))
    return str(value)


def _number(value: Any, style: Any, locale: str) -> str:
    n = _decimal(value)
    if n is None:
        return "" if value is None else str(value)  # a worded value ("—") stands as it is
    loc = babel_locale(locale)
    if style == "integer":
        return numbers.format_decimal(n.to_integral_value(), locale=loc)
    if style == "percent":
        return numbers.format_percent(n, locale=loc)
    if isinstance(style, str) and style.startswith("::"):
        skeleton = style[2:].strip()
        if skeleton.startswith("."):
            return numbers.format_decimal(n, format=f"#,##0.{skeleton[1:]}", locale=loc)
        unit = skeleton.split("/", 1)[1].split()[0]
        return str(units.format_unit(n, unit, length="short", locale=loc))
    # A plain number keeps the fraction digits it was given ("26.0" stays 26.0), in the locale's symbols.
    exponent = n.as_tuple().exponent
    digits = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    return str(_decimal_pattern(digits).apply(n, loc))


@lru_cache(maxsize=16)
def _decimal_pattern(digits: int) -> Any:
    return numbers.parse_pattern("#,##0" + ("." + "0" * digits if digits else ""))


def _when(value: Any, kind: str, style: Any, locale: str) -> str:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value  # a worded default ("the booked time")
    if not isinstance(value, date | time):
        return "" if value is None else str(value)
    loc = babel_locale(locale)
    tz = value.tzinfo if isinstance(value, datetime | time) else None
    if isinstance(style, str) and style.startswith("::"):
        return _skeleton(style[2:].strip(), value, tz, loc)
    fmt = style or "medium"
    if kind == "date":
        return dates.format_date(value if isinstance(value, date) else None, fmt, locale=loc)
    if kind == "time":
        if not isinstance(value, datetime | time):
            return ""  # a date has no time of day
        return dates.format_time(value, fmt, tzinfo=tz, locale=loc)
    return dates.format_datetime(value, fmt, tzinfo=tz, locale=loc)


_DATE_FIELDS = set("GyYuUrQqMLlwWdDFgEec")


@lru_cache(maxsize=256)
def _skeleton_pattern(skeleton: str, code: str) -> str:
    """The CLDR pattern an ICU skeleton (`yMMMdjmm`) stands for in a locale: the best pattern for its date
    part and for its time part, joined by the locale's date-time pattern, as ICU does; `j` is the locale's
    preferred hour (h or H). Matching is slow, so each (skeleton, locale) is matched once."""
    loc = babel_locale(code)
    hour = "h" if "h" in loc.time_formats["short"].pattern else "H"
    skeleton = skeleton.replace("j", hour)

    def best(part: str) -> str:
        match = dates.match_skeleton(part, loc.datetime_skeletons)
        if match is None:
            raise TemplateError(f"no CLDR pattern for the skeleton {part!r}")
        return str(loc.datetime_skeletons[match].pattern)

    date_part = "".join(c for c in skeleton if c in _DATE_FIELDS)
    time_part = "".join(c for c in skeleton if c not in _DATE_FIELDS)
    if not (date_part and time_part):
        return best(skeleton)
    glue = str(loc.datetime_formats["long" if "MMMM" in date_part else "medium"])
    # CLDR's {1} (date) and {0} (time) placeholders; the parts are patterns, quoted text and all.
    return glue.replace("{1}", best(date_part)).replace("{0}", best(time_part))


def _skeleton(skeleton: str, value: date | time, tz: Any, loc: Any) -> str:
    pattern = _skeleton_pattern(skeleton, str(loc).replace("_", "-"))
    if isinstance(value, datetime):
        return dates.format_datetime(value, pattern, tzinfo=tz, locale=loc)
    if isinstance(value, date):
        return dates.format_date(value, pattern, locale=loc)
    return dates.format_time(value, pattern, tzinfo=tz, locale=loc)
