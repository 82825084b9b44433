"""Languages of the outlet: tags, catalog names, direction, digits, dates."""
from __future__ import annotations

import datetime as dt
from typing import NamedTuple


class Language(NamedTuple):  # a NamedTuple, not a dataclass: the command line imports this first
    tag: str          # BCP 47, used in outputs: en, fa-AF, ps-AF
    gettext: str      # catalog folder name: en, fa_AF, ps_AF
    dir: str          # ltr / rtl
    plural_forms: str
    english_name: str


# Plural-Forms chosen knowingly: CLDR gives Persian two categories (one: i = 0 or n = 1),
# which `n > 1` matches for whole numbers; Babel's nplurals=1 for fa_AF would lose that.
LANGUAGES: dict[str, Language] = {
    lang.tag: lang
    for lang in (
        Language("en", "en", "ltr", "nplurals=2; plural=(n != 1);", "English"),
        Language("fa-AF", "fa_AF", "rtl", "nplurals=2; plural=(n > 1);", "Dari"),
        Language("ps-AF", "ps_AF", "rtl", "nplurals=2; plural=(n != 1);", "Pashto"),
    )
}


# What readers of *other* languages see of each one — the outlet's name in its script and
# the language's own name in switchers — is fixed here, never taken from a catalog: a
# translator's words reach only their own language's readers.
OUTLET = {"en": "Sangar", "fa-AF": "سنگر", "ps-AF": "سنګر"}
AUTONYMS = {"en": "English", "fa-AF": "دری", "ps-AF": "پښتو"}


def language(tag: str) -> Language:
    return LANGUAGES[tag]


_PERSIAN_DIGITS = str.maketrans("0123456789٠١٢٣٤٥٦٧٨٩", "۰۱۲۳۴۵۶۷۸۹" * 2)


def digits(text: str, tag: str) -> str:
    """Latin (and Arabic-Indic) digits → Persian ۰–۹ for Dari and Pashto; unchanged for English."""
    return text if LANGUAGES[tag].dir == "ltr" else text.translate(_PERSIAN_DIGITS)


# Afghan Solar Hijri month names (Babel/CLDR and jdatetime only carry Iranian ones).
AFGHAN_MONTHS = {
    "fa-AF": ("حمل", "ثور", "جوزا", "سرطان", "اسد", "سنبله",
              "میزان", "عقرب", "قوس", "جدی", "دلو", "حوت"),
    "ps-AF": ("وری", "غویی", "غبرګولی", "چنګاښ", "زمری", "وږی",
              "تله", "لړم", "لیندۍ", "مرغومی", "سلواغه", "کب"),
}


def solar_date(day: dt.date) -> tuple[int, int, int]:
    """The Solar Hijri (year, month, day) of `day`. (jdatetime's own `fromgregorian` asks
    the process's locale on every call, a third of its time: the converter alone does not.)"""
    from jalali_core import GregorianToJalali

    year, month, mday = GregorianToJalali(day.year, day.month, day.day).getJalaliList()
    return year, month, mday


def format_date(day: dt.date, tag: str) -> str:
    """The edition's date line: Gregorian for English, Afghan Solar Hijri with Persian digits otherwise."""
    if tag in AFGHAN_MONTHS:
        year, month, mday = solar_date(day)
        return digits(f"{mday} {AFGHAN_MONTHS[tag][month - 1]} {year}", tag)
    from babel.dates import format_date as babel_format_date

    return babel_format_date(day, "d MMMM y", locale=LANGUAGES[tag].gettext)
