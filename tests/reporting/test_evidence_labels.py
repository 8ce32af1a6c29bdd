"""An officer reads a warning's evidence under labels in their language, never under the stored keys."""

import re
from pathlib import Path

from django.utils import translation

from reporting.warnings import evidence

RULE_SOURCES = Path(evidence.__file__).resolve().parent.parent
# The keys a rule writes: every "key": inside an `evidence={...}` literal of the reporting app.
EVIDENCE_LITERAL = re.compile(r"evidence=\{(.*?)\}", re.S)
KEY = re.compile(r'"([a-z_]+)":')


def _keys_written_by_rules() -> set[str]:
    keys: set[str] = set()
    for source in RULE_SOURCES.rglob("*.py"):
        for literal in EVIDENCE_LITERAL.finditer(source.read_text(encoding="utf-8")):
            keys.update(KEY.findall(literal.group(1)))
    return keys


def test_every_evidence_key_a_rule_writes_has_a_label():
    keys = _keys_written_by_rules()
    assert {"declared_t", "deviation_pct", "line_no", "tolerance_pct"} <= keys  # the scan finds the rules
    missing = keys - set(evidence.LABELS) - set(evidence.IN_TWO_LANGUAGES)
    assert missing == set()


def test_the_officer_reads_the_evidence_in_chinese_and_the_detail_only_in_the_page_language():
    stored = {"line_no": 1, "declared_t": "10.0000", "detail_zh": "已转移 12 吨", "detail_en": "12 t shipped"}
    with translation.override("zh-hans"):
        assert evidence.rows(stored) == [("明细行", 1), ("转移量（t）", "10.0000"), ("详情", "已转移 12 吨")]
    with translation.override("en"):
        assert evidence.rows(stored) == [("Line", 1), ("Declared (t)", "10.0000"), ("Detail", "12 t shipped")]
