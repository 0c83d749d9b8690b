import pytest

from zeropark.issues import IssueCode
from zeropark.locales import LANGUAGES, issue_label, messages


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_issue_code_is_translated(lang):
    assert set(messages(lang)["issue_codes"]) == {c.value for c in IssueCode}


def test_unknown_code_falls_back_to_the_code():
    assert issue_label("no_such_code", "zh") == "no_such_code"


def test_unknown_language_is_an_error():
    with pytest.raises(ValueError, match="unknown language"):
        messages("fr")
