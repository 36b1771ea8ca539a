"""The Chinese catalogue is complete and compiled: no page shows an English fallback in the default language."""

from __future__ import annotations

import gettext
import re
from pathlib import Path

LOCALE = Path(__file__).resolve().parent.parent / "src" / "exportwatch" / "locale"
PO = LOCALE / "zh_Hans" / "LC_MESSAGES" / "django.po"
MO = LOCALE / "zh_Hans" / "LC_MESSAGES" / "django.mo"


def _unquote(lines: list[str]) -> str:
    return "".join(eval(line) for line in lines)  # each line is a C-style quoted string


def _entries() -> list[tuple[str, str, bool]]:
    """(msgid, first msgstr, fuzzy) for every entry except the header; a msgid with a context is keyed
    "context\x04msgid", as in the compiled catalogue."""
    entries = []
    for block in PO.read_text(encoding="utf-8").split("\n\n"):
        lines = [ln for ln in block.splitlines() if ln and not ln.startswith("#~")]
        fuzzy = any(ln.startswith("#,") and "fuzzy" in ln for ln in lines)
        parts: dict[str, list[str]] = {}
        key = None
        for ln in lines:
            m = re.match(r'^(msgid|msgid_plural|msgstr(?:\[0\])?|msgctxt) (".*")$', ln)
            if m:
                key = m.group(1).replace("[0]", "")
                parts[key] = [m.group(2)]
            elif ln.startswith('"') and key:
                parts[key].append(ln)
        if "msgid" in parts:
            msgid = _unquote(parts["msgid"])
            if msgid and "msgctxt" in parts:  # as the compiled catalogue keys it
                msgid = _unquote(parts["msgctxt"]) + "\x04" + msgid
            if msgid:
                entries.append((msgid, _unquote(parts.get("msgstr", ['""'])), fuzzy))
    return entries


def test_every_message_has_a_chinese_translation() -> None:
    missing = [msgid for msgid, msgstr, _ in _entries() if not msgstr.strip()]
    assert missing == []


def test_no_translation_is_marked_fuzzy() -> None:
    assert [msgid for msgid, _, fuzzy in _entries() if fuzzy] == []


def test_the_compiled_catalogue_matches_the_source() -> None:
    with MO.open("rb") as fh:
        catalogue = gettext.GNUTranslations(fh)
    stale = [msgid for msgid, msgstr, _ in _entries() if "\x00" not in msgid and catalogue.gettext(msgid) != msgstr]
    assert stale == [], "run `make messages` to recompile django.mo"


def test_placeholders_survive_translation() -> None:
    pattern = re.compile(r"%\(\w+\)s|%s")
    broken = [
        msgid for msgid, msgstr, _ in _entries() if sorted(pattern.findall(msgid)) != sorted(pattern.findall(msgstr))
    ]
    assert broken == []
