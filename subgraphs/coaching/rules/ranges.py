"""Reference ranges of the cartridge markers by sex, age, time of day, method and pregnancy, each cited.

The cartridge registry's ranges (DOMAIN-REFERENCES §1) were adult male ranges applied to everyone, and a
morning cortisol range applied at any hour. Here a range names whom it is for; `pick` finds the one for a
reading and its owner, or says why none applies (no sex in the profile for a sex-specific marker, under 18,
pregnant, an hour or context without a range), which the insight then says instead of guessing.

All ranges are for adults (18 and over), in the canonical unit the measurement subgraph stores.
[P] primary/official, [S] secondary, [M] from memory: re-verify before clinical certification.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import Enum

from subgraphs.coaching.domain import Person, Reading, Sex
from subgraphs.coaching.rules.base import Source

ADULT_AGE = 18

TESTOSTERONE_MEN = Source(
    "ENDO-2018-TESTOSTERONE",
    "Men: 264-916 ng/dL, the CDC-harmonized range (Travison et al., J Clin Endocrinol Metab 2017;102:1161: "
    "non-obese men 19-39 y, 2.5th-97.5th percentile) that the Endocrine Society 2018 guideline (Bhasin et "
    "al., J Clin Endocrinol Metab 2018;103:1715) uses for adult men [P]")
TESTOSTERONE_WOMEN = Source(
    "LCMS-TESTOSTERONE-WOMEN",
    "Women: 8-60 ng/dL total testosterone by LC-MS/MS, adult women 18-39 y (Davis's Lab & Diagnostic Tests, "
    "Testosterone, Total and Free) [S]")
CREATININE_SEX = Source(
    "MAYO-CRSER",
    "Creatinine, adults: men 0.74-1.35 mg/dL, women 0.59-1.04 mg/dL (Mayo Clinic Laboratories, test CRSER, "
    "IDMS-traceable enzymatic method) [M]")
URATE_SEX = Source(
    "TIETZ-URATE",
    "Urate (uricase method), adults: men 3.5-7.2 mg/dL, women 2.6-6.0 mg/dL (Tietz Clinical Guide to "
    "Laboratory Tests, 4th ed., 2006) [M]")
CORTISOL_TIME = Source(
    "CORTISOL-DIURNAL",
    "Serum cortisol: morning sample (ManPaSik window 06:00-10:00) 6-23 µg/dL, evening sample (window "
    "18:00-24:00) up to 9 µg/dL (Central Maine Medical Center laboratory, chemiluminescent immunoassay, "
    "collection at 8 AM / 8 PM) [S]; the windows around those collection times are the project's choice")
FERRITIN_WHO = Source(
    "WHO-2020-FERRITIN",
    "WHO guideline on the use of ferritin concentrations (2020): iron deficiency <15 µg/L in adults; risk of "
    "iron overload >150 µg/L in women, >200 µg/L in men (healthy adults) [P for the guideline, numbers M]")
ESTRADIOL_MEN = Source(
    "MAYO-EEST-MEN",
    "Estradiol, adult men: 10-40 pg/mL (Mayo Clinic Laboratories, test EEST) [M]. Women: not judged from one "
    "reading, as it moves through the menstrual cycle and falls after menopause (the project's choice)")
TSH_RANGE = Source(
    "MPK-TSH-NHANES",
    "TSH 0.4-4.0 mIU/L: the cartridge registry's range, rounded from the NHANES III disease-free reference "
    "population 0.45-4.12 mIU/L (Hollowell et al., J Clin Endocrinol Metab 2002;87:489) [M]")
TSH_PREGNANCY = Source(
    "ATA-2017-PREGNANCY",
    "Pregnancy without trimester-specific ranges: TSH upper limit about 4.0 mIU/L (ATA 2017 guideline, "
    "Alexander et al., Thyroid 2017;27:315) [M]; the lower limit is not judged")
VITAMIN_D_ES = Source(
    "ENDO-2011-VITD",
    "25-OH vitamin D: ≥30 ng/mL sufficient, <20 deficient, up to 100 ng/mL safe (Endocrine Society 2011, "
    "Holick et al., J Clin Endocrinol Metab 2011;96:1911) [M]")
B12_BSH = Source(
    "BSH-2014-B12",
    "Vitamin B12: <200 pg/mL (148 pmol/L) suggests deficiency (BSH guideline, Devalia et al., Br J Haematol "
    "2014;166:496) [M]; the upper 900 pg/mL is the cartridge registry's (project's choice)")
HS_CRP = Source(
    "AHA-CDC-2003-HSCRP",
    "hs-CRP (LOINC 30522-7): <1 mg/L low, 1-3 average, >3 high cardiovascular risk; >10 suggests acute "
    "inflammation (AHA/CDC scientific statement, Pearson et al., Circulation 2003;107:499) [M]")
CRP_STANDARD = Source(
    "AHA-CDC-2003-CRP",
    "CRP by a standard method (LOINC 1988-5): above 10 mg/L points to inflammation or infection (AHA/CDC "
    "2003, Pearson et al., Circulation 2003;107:499) [M]; the cut-point for this method is the project's")
INSULIN_FASTING = Source(
    "ROCHE-INSULIN-FASTING",
    "Fasting insulin 2.6-24.9 µIU/mL (Roche Elecsys Insulin method sheet; the cartridge registry's range) "
    "[M]; defined for fasting samples only")
PROJECT = Source(
    "MPK-RANGE-SCOPE",
    "ManPaSik: adult, non-pregnant reference ranges are not applied where they do not fit (under 18, "
    "pregnancy, an hour or context without a range, sex unknown for a sex-specific marker)")


class Hours(Enum):
    """Local clock windows [start, end) a time-of-day range is defined for."""

    MORNING = (6, 10)
    EVENING = (18, 24)

    def holds(self, hour: int) -> bool:
        start, end = self.value
        return start <= hour < end


@dataclass(frozen=True, slots=True)
class Band:
    low: float | None  # None: no lower limit judged
    high: float | None
    source: Source
    group: str  # whom it is for, a message key: women, men, adults, morning, evening, pregnancy...
    sex: Sex | None = None
    hours: Hours | None = None
    loinc: frozenset[str] = frozenset()  # empty: any method
    pregnancy: bool = False


@dataclass(frozen=True, slots=True)
class Marker:
    unit: str
    bands: tuple[Band, ...]
    # Sex-specific: with the sex unknown, a value is judged only when outside every sex's band.
    by_sex: bool = False
    # Pregnancy changes the range: without a pregnancy band, none is applied.
    pregnancy_changes: bool = False
    context: frozenset[str] = frozenset()  # the range holds only for these contexts (insulin: FASTING)
    unjudged: dict[Sex, str] = field(default_factory=dict)  # sex -> why no range (estradiol in women)


MARKERS: dict[str, Marker] = {
    "TESTOSTERONE": Marker("ng/dL", (
        Band(264, 916, TESTOSTERONE_MEN, "men", sex=Sex.MALE),
        Band(8, 60, TESTOSTERONE_WOMEN, "women", sex=Sex.FEMALE),
    ), by_sex=True, pregnancy_changes=True),
    "CREATININE": Marker("mg/dL", (
        Band(0.74, 1.35, CREATININE_SEX, "men", sex=Sex.MALE),
        Band(0.59, 1.04, CREATININE_SEX, "women", sex=Sex.FEMALE),
    ), by_sex=True, pregnancy_changes=True),
    "URIC_ACID": Marker("mg/dL", (
        Band(3.5, 7.2, URATE_SEX, "men", sex=Sex.MALE),
        Band(2.6, 6.0, URATE_SEX, "women", sex=Sex.FEMALE),
    ), by_sex=True, pregnancy_changes=True),
    "FERRITIN": Marker("ng/mL", (
        Band(15, 200, FERRITIN_WHO, "men", sex=Sex.MALE),
        Band(15, 150, FERRITIN_WHO, "women", sex=Sex.FEMALE),
    ), by_sex=True, pregnancy_changes=True),
    "ESTRADIOL": Marker("pg/mL", (
        Band(10, 40, ESTRADIOL_MEN, "men", sex=Sex.MALE),
    ), by_sex=True, pregnancy_changes=True, unjudged={Sex.FEMALE: "cycle"}),
    "CORTISOL": Marker("ug/dL", (
        Band(6, 23, CORTISOL_TIME, "morning", hours=Hours.MORNING),
        Band(None, 9, CORTISOL_TIME, "evening", hours=Hours.EVENING),
    ), pregnancy_changes=True),
    "TSH": Marker("m[IU]/L", (
        Band(0.4, 4.0, TSH_RANGE, "adults"),
        Band(None, 4.0, TSH_PREGNANCY, "pregnancy", pregnancy=True),
    ), pregnancy_changes=True),
    "VITAMIN_D": Marker("ng/mL", (Band(30, 100, VITAMIN_D_ES, "adults"),)),
    "VITAMIN_B12": Marker("pg/mL", (Band(200, 900, B12_BSH, "adults"),)),
    "CRP": Marker("mg/L", (
        Band(None, 3, HS_CRP, "hs_crp", loinc=frozenset({"30522-7"})),
        Band(None, 10, CRP_STANDARD, "adults", loinc=frozenset({"1988-5"})),
    )),
    "INSULIN": Marker("u[IU]/mL", (Band(2.6, 24.9, INSULIN_FASTING, "fasting"),),
                      context=frozenset({"FASTING"})),
}


@dataclass(frozen=True, slots=True)
class Pick:
    """The band for a reading, or why there is none (`unjudged`: a message key), plus what was assumed."""

    band: Band | None = None
    unjudged: str | None = None
    assumed: tuple[str, ...] = ()  # notes for the message: "adult" (no birth date)...
    # Sex unknown: the bands of both sexes, to judge a value outside all of them.
    any_of: Sequence[Band] = ()


def pick(marker: Marker, r: Reading, person: Person) -> Pick:
    age = person.age_at(r.taken_at)
    if age is not None and age < ADULT_AGE:
        return Pick(unjudged="under_18")
    assumed = ("adult",) if age is None else ()
    if marker.context and r.context not in marker.context:
        return Pick(unjudged="context")
    bands = _for_method(marker, r.loinc)
    pregnant = person.pregnant and person.sex is not Sex.MALE
    if pregnant and marker.pregnancy_changes:
        bands = [b for b in bands if b.pregnancy]
        if not bands:
            return Pick(unjudged="pregnancy")
    else:
        bands = [b for b in bands if not b.pregnancy]
    if any(b.hours for b in bands):
        hour = r.taken_at.astimezone(person.time_zone).hour
        bands = [b for b in bands if b.hours is None or b.hours.holds(hour)]
        if not bands:
            return Pick(unjudged="time_of_day")
    if marker.by_sex and not pregnant:
        if person.sex is None:
            return Pick(any_of=[b for b in bands if b.sex is not None], assumed=assumed)
        if person.sex in marker.unjudged:
            return Pick(unjudged=marker.unjudged[person.sex])
        bands = [b for b in bands if b.sex is person.sex]
    return Pick(band=bands[0], assumed=assumed) if bands else Pick(unjudged="no_range")


def _for_method(marker: Marker, loinc: str | None) -> list[Band]:
    """The bands for the reading's method (its LOINC code); a code we do not know (an older event) takes the
    first method's, the cartridge's default."""
    specific = [b for b in marker.bands if b.loinc]
    chosen = [b for b in specific if loinc in b.loinc] or specific[:1]
    return [b for b in marker.bands if not b.loinc or b in chosen]
