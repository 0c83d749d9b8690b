"""Translations of issue codes and labels (``en.json``, ``zh.json``)."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources

LANGUAGES = ("en", "zh")


@cache
def messages(lang: str) -> dict[str, dict[str, str]]:
    """All translations of one language.

    Parameters
    ----------
    lang : {"en", "zh"}

    Returns
    -------
    dict
        Section (e.g. ``"issue_codes"``) → key → text.

    Raises
    ------
    ValueError
        For a language that is not shipped.

    Examples
    --------
    >>> messages("zh")["issue_codes"]["counter_reset"]
    '表码清零（从0重新计数）'
    """
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}; use one of {', '.join(LANGUAGES)}")
    text = resources.files("zeropark.locales").joinpath(f"{lang}.json").read_text("utf-8")
    doc: dict[str, dict[str, str]] = json.loads(text)
    return doc


def issue_label(code: str, lang: str = "en") -> str:
    """Human label of an issue code; the code itself when it has no translation."""
    return messages(lang)["issue_codes"].get(code, code)
