import pytest

from zeropark.cbam.goods import ROUTES, is_cbam_good, lookup_good, search_goods
from zeropark.errors import InputError


def test_fastener_is_an_annex_ii_iron_or_steel_product():
    good = lookup_good("7318.15.88")
    assert (good.cn_code, good.hs_code, good.category) == ("73181588", "731815",
                                                           "Iron or steel products")
    assert good.indirect_counts is False  # Annex II of Reg. (EU) 2023/956: direct only


def test_cement_counts_indirect_and_has_routes():
    clinker = lookup_good("2523 10 00")
    assert clinker.indirect_counts is True
    assert clinker.routes == ROUTES["Cement clinker"]


@pytest.mark.parametrize("code", ["7301", "7326", "7601", "7616", "2716", "2804 10 00",
                                  "3102", "2523"])
def test_annex_i_headings_are_covered(code):
    assert is_cbam_good(code)


def test_not_covered_and_short_codes():
    assert not is_cbam_good("8407 32 90")
    with pytest.raises(InputError, match="give 8 digits"):
        lookup_good("7318")
    assert len(search_goods("7318", limit=100)) >= 30
