"""Money: an integer count of the currency's minor unit and the currency (ISO 4217). Never a float.

KRW and JPY have no minor unit (9,900 KRW is 9900); USD and EUR have cents (9.90 USD is 990).
"""

from __future__ import annotations

from dataclasses import dataclass

# ISO 4217 exponents of the currencies we sell in.
MINOR_UNITS: dict[str, int] = {"KRW": 0, "JPY": 0, "USD": 2, "EUR": 2}


class UnknownCurrency(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class Money:
    amount: int  # in the currency's minor unit
    currency: str

    def __post_init__(self) -> None:
        if type(self.amount) is not int:  # bool and float are refused too
            raise TypeError(f"money is an int of minor units, not {type(self.amount).__name__}")
        if self.currency not in MINOR_UNITS:
            raise UnknownCurrency(self.currency)

    def display(self, language: str) -> str:
        """For people: "9,900원" / "KRW 9,900", "USD 9.90"."""
        digits = MINOR_UNITS[self.currency]
        whole, cents = divmod(abs(self.amount), 10**digits)
        major = ("-" if self.amount < 0 else "") + f"{whole:,}" + (f".{cents:0{digits}d}" if digits else "")
        if self.currency == "KRW" and language == "ko":
            return f"{major}원"
        return f"{self.currency} {major}"
