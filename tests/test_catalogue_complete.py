"""The Chinese catalogue is complete for the code as it stands: `makemessages` over today's sources
leaves no message untranslated or fuzzy, every placeholder of a translation matches its message, and
placeholders are named for the translator who reads them.

It runs `makemessages` in a scratch tree (the sources linked, the catalogue copied), so the project's own
catalogue is never rewritten by a test. Run it alone with
    make test PYTEST_ARGS="-q tests/test_catalogue_complete.py"
"""

import contextlib
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings

SOURCES = ("registry", "reporting", "transfers", "wasteparks", "templates")
CATALOGUE = Path("locale") / "zh_Hans" / "LC_MESSAGES" / "django.po"
# A placeholder named after the code that fills it (`%(manifest_get_status_display)s`) tells a translator
# nothing: names are what the value is (`%(status)s`).
CODE_LIKE_PLACEHOLDER = re.compile(r"%\((\w*(?:get_|_display|join_|sorted_|item_|__)\w*)\)")


def _entries(po: str) -> list[dict]:
    """The entries of a .po text as {"msgctxt", "msgid", "msgstr", "flags"}; plural forms are joined."""
    entries = []
    for block in po.split("\n\n"):
        entry: dict = {"flags": "", "msgctxt": None, "msgid": "", "msgstr": ""}
        field = None
        for line in block.splitlines():
            if line.startswith("#,"):
                entry["flags"] = line
            elif line.startswith("#"):
                continue
            elif line.startswith(("msgctxt ", "msgid ", "msgid_plural ", "msgstr ", "msgstr[")):
                keyword, _sep, value = line.partition(" ")
                field = {"msgid_plural": "msgid"}.get(keyword, keyword.split("[")[0])
                if keyword.startswith("msgstr[") and entry["msgstr"] and value == '""':
                    entry["msgstr"] = ""  # an empty plural form leaves the entry untranslated
                    field = None
                    continue
                entry[field] = (entry[field] or "") + value[1:-1]
            elif line.startswith('"') and field:
                entry[field] += line[1:-1]
        if entry["msgid"]:
            entries.append(entry)
    return entries


@pytest.fixture(scope="module")
def extracted(tmp_path_factory) -> Path:
    """The catalogue as `makemessages` leaves it for the sources as they are now."""
    root = tmp_path_factory.mktemp("messages")
    base = Path(settings.BASE_DIR)
    for name in SOURCES:
        (root / name).symlink_to(base / name, target_is_directory=True)
    shutil.copytree(base / "locale", root / "locale")
    with override_settings(LOCALE_PATHS=[root / "locale"]), contextlib.chdir(root):
        call_command("makemessages", locale=["zh_Hans"], symlinks=True, no_obsolete=True, verbosity=0)
    return root / CATALOGUE


def test_makemessages_leaves_no_message_untranslated_or_fuzzy(extracted):
    entries = _entries(extracted.read_text(encoding="utf-8"))
    assert len(entries) > 1000  # the whole project was read
    untranslated = [(e["msgctxt"], e["msgid"]) for e in entries if not e["msgstr"]]
    fuzzy = [(e["msgctxt"], e["msgid"]) for e in entries if "fuzzy" in e["flags"]]
    assert untranslated == [] and fuzzy == [], f"{len(untranslated)} untranslated, {len(fuzzy)} fuzzy: " + "\n".join(
        f"{context or ''}|{msgid}" for context, msgid in [*untranslated, *fuzzy][:60]
    )


def test_every_translation_keeps_the_placeholders_of_its_message(extracted):
    checked = subprocess.run(
        ["msgfmt", "--check-format", "-o", "/dev/null", str(extracted)], capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stderr


def test_placeholders_are_named_for_the_translator(extracted):
    messages = [entry["msgid"] for entry in _entries(extracted.read_text(encoding="utf-8"))]
    named_after_code = sorted({name for msgid in messages for name in CODE_LIKE_PLACEHOLDER.findall(msgid)})
    assert named_after_code == []


def test_the_compiled_catalogue_is_the_project_catalogue(tmp_path):
    """The .mo the site reads was compiled from the .po as it is (no forgotten compilemessages)."""
    base = Path(settings.BASE_DIR)
    compiled = tmp_path / "django.mo"
    subprocess.run(["msgfmt", "-o", str(compiled), str(base / CATALOGUE)], check=True)
    assert compiled.read_bytes() == (base / CATALOGUE).with_suffix(".mo").read_bytes()
