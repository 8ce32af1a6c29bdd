"""The one router under /api/v1/. Each app lists its endpoints in `<app>/api.py` as `routes`."""

import importlib

from rest_framework.routers import SimpleRouter

API_MODULES = ("registry.api", "transfers.api", "reporting.api", "wasteparks.api.deletions", "wasteparks.api.webhooks")


def _routes_of(module_name: str) -> list:
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        if error.name == module_name:  # the app has no api.py yet; a broken import inside it still fails
            return []
        raise
    return list(getattr(module, "routes", ()))


def build_router() -> SimpleRouter:
    router = SimpleRouter()
    for module_name in API_MODULES:
        for prefix, viewset, basename in _routes_of(module_name):
            router.register(prefix, viewset, basename=basename)
    return router
