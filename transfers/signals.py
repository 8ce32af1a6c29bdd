"""Hooks other apps listen to. transfers never imports them; they connect here.

`manifest_changed` is sent with `manifest_id` and `action` (a ManifestAction, or "create" and "edit" for
a draft) inside the transaction that changed the manifest, once the change is written. A receiver
records the work it wants done in that same transaction, as an outbox message
(`wasteparks.outbox.enqueue`): the message then exists exactly when the change does, and nothing is
lost if the process dies after the commit. A receiver never acts on the outside world itself (the
change may still roll back), and an error in a receiver refuses the change.
"""

from django.dispatch import Signal

manifest_changed = Signal()


def send_manifest_changed(*, manifest_id: int, action: str) -> None:
    manifest_changed.send(sender="transfers", manifest_id=manifest_id, action=action)
