"""Reporting endpoints under /api/v1/; the project router collects `routes` from here."""

from .inspections import routes as inspection_routes
from .people import routes as people_routes
from .plans import routes as plan_routes
from .reports import routes as report_routes
from .utilization import routes as utilization_routes
from .warnings import routes as warning_routes

routes = [
    *report_routes,
    *plan_routes,
    *utilization_routes,
    *warning_routes,
    *inspection_routes,
    *people_routes,
]
