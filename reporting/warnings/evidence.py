"""What the evidence of a warning is called on a page: a warning stores its figures under stable keys
(the API returns them as they are), and people read them under these labels, in their language.

Every key a rule writes has its label here; tests/reporting/test_evidence_labels.py checks that none
is missing, so a new rule cannot show a raw key to an officer.
"""

from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

LABELS = {
    "accepted_t": _("Accepted (t)"),
    "age_hours": _("Age (hours)"),
    "approval": _("Transfer approval"),
    "approved_t": _("Approved quantity (t)"),
    "audit_link": _("Audit"),
    "capacity_t": _("Capacity (t)"),
    "code_covered": _("Code covered"),
    "confirm_by": _("Confirm by"),
    "critical_pct": _("Critical threshold (%)"),
    "days_in_transit": _("Days in transit"),
    "days_late": _("Days late"),
    "days_left": _("Days left"),
    "days_since_receipt": _("Days since receipt"),
    "deadline": _("Deadline"),
    "declared_t": _("Declared (t)"),
    "deviation_pct": _("Deviation (%)"),
    "figure": _("Figure"),
    "fill_pct": _("Fill level (%)"),
    "first_problem": _("First problem"),
    "generated_t": _("Generated (t)"),
    "history_months": _("Months of history"),
    "kind": _("Kind"),
    "limit": _("Limit"),
    "limit_days": _("Limit (days)"),
    "limit_working_days": _("Limit (working days)"),
    "line": _("Line"),
    "line_no": _("Line"),
    "listed": _("Listed"),
    "manifest": _("Manifest"),
    "mean_t": _("Mean (t)"),
    "median_t": _("Median (t)"),
    "method": _("Management method"),
    "oldest_on_hand_at": _("Oldest stock since"),
    "on_hand_t": _("On hand (t)"),
    "period": _("Period"),
    "permit": _("Permit"),
    "picked_up_at": _("Picked up at"),
    "planned_generation_t": _("Planned generation (t)"),
    "picked_up_on": _("Picked up on"),
    "problems": _("Problems"),
    "rate_pct": _("Rate (%)"),
    "received_at": _("Received at"),
    "received_on": _("Received on"),
    "received_t": pgettext_lazy("weighed at the gate", "Received (t)"),
    "recorded_t": _("Recorded (t)"),
    "report_kind": _("Report"),
    "reported_t": _("Reported (t)"),
    "row_id": _("Row"),
    "shipped_t": _("Shipped (t)"),
    "stdev_t": _("Standard deviation (t)"),
    "table": _("Table"),
    "target_pct": _("Target (%)"),
    "tolerance_pct": _("Tolerance (%)"),
    "utilized_from_prior_storage_t": _("Utilized from prior years' storage (t)"),
    "utilized_t": _("Utilized (t)"),
    "valid_from": _("Valid from"),
    "valid_to": _("Valid to"),
    "warning_pct": _("Warning threshold (%)"),
    "waste_class": _("Waste class"),
    "waste_code": _("Waste code"),
    "window_days": _("Window (days)"),
    "year": _("Year"),
    # Device cross-checks (reporting/warnings/devices.py)
    "device": _("Device"),
    "device_name": _("Device name"),
    "interval_s": _("Reporting interval (s)"),
    "intervals_allowed": _("Intervals allowed without a reading"),
    "last_position_at": _("Last position at"),
    "last_reading_at": _("Last reading at"),
    "latitude": _("Latitude"),
    "ledger_t": _("Ledger stock (t)"),
    "limit_c": _("Limit (°C)"),
    "limit_minutes": _("Limit (minutes)"),
    "longitude": _("Longitude"),
    "measured_at": _("Measured at"),
    "minutes_above": _("Minutes above the limit"),
    "sensor_t": _("Sensor reading (t)"),
    "standing_minutes": _("Minutes standing still"),
    "stop_speed_kmh": _("Standstill speed (km/h)"),
    "temperature_c": _("Temperature (°C)"),
    "warm_since": _("Above the limit since"),
    "weighed_at": _("Weighed at"),
    "weighed_t": _("Weighed (t)"),
    # Route and transit time (reporting/warnings/routes.py)
    "corridor_km": _("Corridor (km)"),
    "expected_hours": _("Expected (hours)"),
    "hours_in_transit": _("Hours in transit"),
    "off_route_km": _("Distance from the route (km)"),
    "straight_km": _("Straight-line distance (km)"),
}
# A detail kept in both languages: a page shows the one of its reader.
IN_TWO_LANGUAGES = {"detail_zh": "zh", "detail_en": "en"}
DETAIL = _("Detail")


def label(key: str) -> str:
    """The label of an evidence key; an unknown key (a rule newer than this list) reads as itself."""
    return str(LABELS.get(key, key))


def rows(evidence: dict) -> list[tuple[str, object]]:
    """(label, value) of each piece of evidence the reader should see, in the rule's order."""
    language = "en" if (get_language() or "").startswith("en") else "zh"
    shown = []
    for key, value in evidence.items():
        if key in IN_TWO_LANGUAGES:
            if IN_TWO_LANGUAGES[key] == language:
                shown.append((str(DETAIL), value))
            continue
        shown.append((label(key), value))
    return shown
