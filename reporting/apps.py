"""The reporting app: monthly reports, utilization snapshots, early warnings, dashboards and their jobs."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportingConfig(AppConfig):
    name = "reporting"
    verbose_name = _("Reporting")

    def ready(self) -> None:
        # The warning tasks connect their receiver of transfers' `manifest_changed` on import (transfers
        # must not import reporting); importing the tasks here makes the web process and the worker listen alike.
        # Report revisions (with their lines once submitted) and the report status log join the audit hash
        # chain in the transaction that writes them.
        from wasteparks import audit

        from . import tasks  # noqa: F401
        from .models import MonthlyReportEvent, MonthlyReportRevision

        audit.track(
            MonthlyReportRevision,
            park="report__enterprise__park",
            fields=[
                "report_id", "number", "submitted_by_id", "submitted_at", "is_late", "outcome", "reviewed_by_id",
                "reviewed_at", "review_comment",
            ],
            extra=_submitted_lines,
        )  # fmt: skip
        audit.track(
            MonthlyReportEvent,
            park="report__enterprise__park",
            fields=["report_id", "revision", "action", "from_status", "to_status", "actor_id", "comment", "at"],
        )


REPORTED_FIGURES = (
    "waste_code_id", "opening_stock_t", "generated_t", "received_t", "utilized_in_house_t", "disposed_in_house_t",
    "shipped_for_utilization_t", "shipped_for_disposal_t", "closing_stock_t", "adjustment_reason",
)  # fmt: skip


def _submitted_lines(revision_id: int) -> list[dict]:
    """A submitted revision's figures belong to its digest; a draft's lines are still being edited."""
    from .models import MonthlyReportLine, MonthlyReportRevision

    if not MonthlyReportRevision.objects.filter(pk=revision_id, submitted_at__isnull=False).exists():
        return []
    return list(
        MonthlyReportLine.objects.filter(revision_id=revision_id).order_by("waste_code_id").values(*REPORTED_FIGURES)
    )
