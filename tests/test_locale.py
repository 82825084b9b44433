import datetime as dt

import pytest

from hypothesis import given, strategies as st

from editions.locale import LANGUAGES, digits, format_date, solar_date


@pytest.mark.parametrize("day, tag, expected", [
    (dt.date(2024, 11, 5), "fa-AF", "۱۵ عقرب ۱۴۰۳"),
    (dt.date(2024, 11, 5), "ps-AF", "۱۵ لړم ۱۴۰۳"),
    (dt.date(2026, 11, 24), "fa-AF", "۳ قوس ۱۴۰۵"),
    (dt.date(2026, 11, 24), "ps-AF", "۳ لیندۍ ۱۴۰۵"),
    (dt.date(2026, 11, 24), "en", "24 November 2026"),
    (dt.date(2025, 3, 21), "fa-AF", "۱ حمل ۱۴۰۴"),     # Nowruz: first day of the year
    (dt.date(2025, 3, 20), "ps-AF", "۳۰ کب ۱۴۰۳"),     # last day of the year before
])
def test_dates_use_the_afghan_solar_calendar_and_persian_digits(day, tag, expected):
    assert format_date(day, tag) == expected


@given(st.dates(dt.date(1900, 1, 1), dt.date(2200, 12, 31)))
def test_the_solar_date_is_jdatetimes(day):
    """solar_date calls jdatetime's converter without jdatetime's locale lookup: the same dates."""
    import jdatetime

    solar = jdatetime.date.fromgregorian(date=day)
    assert solar_date(day) == (solar.year, solar.month, solar.day)


def test_digits_become_persian_only_in_right_to_left_languages():
    assert digits("2021, ٣٠ and 15", "fa-AF") == "۲۰۲۱, ۳۰ and ۱۵"
    assert digits("2021", "en") == "2021"


def test_languages_carry_direction_and_plural_forms():
    assert [LANGUAGES[t].dir for t in ("en", "fa-AF", "ps-AF")] == ["ltr", "rtl", "rtl"]
    assert LANGUAGES["fa-AF"].gettext == "fa_AF"
    # CLDR: Persian "one" is i = 0 or n = 1, so two forms.
    assert LANGUAGES["fa-AF"].plural_forms.startswith("nplurals=2;")
