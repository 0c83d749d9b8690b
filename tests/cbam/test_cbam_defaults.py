"""Default values against the shipped table (opencbam default_values_2621.json, IR 2025/2621)."""

import json
from importlib import resources

import pytest

from zeropark.cbam.defaults import annex_country, default_value
from zeropark.errors import InputError


def _table_row(country, cn):
    rows = json.loads(resources.files("opencbam.engine").joinpath(
        "data/default_values_2621.json").read_text(encoding="utf-8"))
    return next(r for r in rows if r["country"] == country and r["cn_code"] == cn)


@pytest.mark.parametrize("year,column", [(2026, "markup_2026"), (2027, "markup_2027"),
                                         (2028, "markup_2028"), (2031, "markup_2028")])
def test_china_bolts_against_the_shipped_table(year, column):
    row = _table_row("China", "7318 15")  # threaded screws and bolts, annex heading 7318 15
    value = default_value("7318 15 88", "CN", year=year)
    assert value.direct_t_per_t == pytest.approx(float(row["direct"]), rel=1e-12)
    assert value.marked_up_t_per_t == pytest.approx(float(row[column]), rel=1e-12)
    assert not value.fallback
    # published figures (IR 2025/2621 Annex I, China, 7318 15): 6.375 base, 7.013 in 2026
    assert value.total_t_per_t == pytest.approx(6.375, rel=1e-12)


def test_markups_are_10_20_30_percent_rounded_to_the_published_digit():
    shares = [default_value("7318 15 88", "CN", year=y).markup_share for y in (2026, 2027, 2028)]
    # 6.375 × 1.1 = 7.0125 published as 7.013 (3 decimals): tolerance half the last digit
    # (0.0005) over the base, plus float slack
    assert shares == pytest.approx([0.10, 0.20, 0.30], abs=0.0005 / 6.375 + 1e-12)


def test_unlisted_country_falls_back_to_other_countries():
    row = _table_row("Other Countries and Territories", "7318 15")
    value = default_value("73181588", "FR", year=2026)
    assert value.fallback
    assert value.total_t_per_t == pytest.approx(float(row["total"]), rel=1e-12)


def test_transitional_year_has_no_markup():
    assert default_value("7318 15 88", "CN", year=2025).marked_up_t_per_t is None


def test_not_a_cbam_good():
    with pytest.raises(InputError, match="no default value"):
        default_value("8407 32 90", "CN", year=2026)


def test_country_names():
    assert annex_country("TR") == "Türkiye"
    assert annex_country("Viet Nam") == "Viet Nam"
