"""Admin building blocks shared by the apps."""

from django.contrib import admin


class ReadOnlyMixin:
    """Records that only services write (events, snapshots, logs): the admin shows them, never edits them."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInline(ReadOnlyMixin, admin.TabularInline):
    extra = 0
