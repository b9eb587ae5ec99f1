"""Korean first: every catalogue — the project's (locale/) and each app's own
(apps/*/locale) — has a Korean translation for every message it marks, and the compiled
catalogues match their sources."""

from pathlib import Path

import polib
import pytest

ROOT = Path(__file__).resolve().parents[2]
CATALOGUES = [ROOT / "locale", *sorted(ROOT.glob("apps/*/locale"))]
IDS = [str(path.relative_to(ROOT)) for path in CATALOGUES]


def test_every_app_catalogue_is_found():
    # The glob is what puts an app's catalogue under test: make sure it still finds them.
    assert {"apps/kzone/locale", "apps/problems/locale", "apps/stores/locale"} <= set(IDS)


@pytest.mark.parametrize("locale", CATALOGUES, ids=IDS)
@pytest.mark.parametrize("language", ["ko", "en"])
def test_catalogue_is_compiled_from_its_source(locale, language):
    po = polib.pofile(str(locale / language / "LC_MESSAGES" / "django.po"))
    mo = polib.mofile(str(locale / language / "LC_MESSAGES" / "django.mo"))
    compiled = {(e.msgctxt, e.msgid): e.msgstr or e.msgstr_plural for e in mo}
    for entry in po.translated_entries():
        assert (entry.msgctxt, entry.msgid) in compiled, f"run compilemessages: {entry.msgid!r} is not in {language}.mo"


@pytest.mark.parametrize("locale", CATALOGUES, ids=IDS)
def test_every_message_has_a_korean_translation(locale):
    po = polib.pofile(str(locale / "ko" / "LC_MESSAGES" / "django.po"))
    untranslated = [e.msgid for e in po if not e.obsolete and (not e.translated() or "fuzzy" in e.flags)]
    assert untranslated == []
