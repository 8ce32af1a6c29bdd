"""Registry signals: the one way registry tells the apps built on it (which it must not import) that
something happened to an enterprise."""

from django.dispatch import Signal

# Sent inside the verifying transaction, with `enterprise` and `officer`. transfers derives the
# enterprise's management class from its ledger on it (transfers/services/classes.py).
enterprise_verified = Signal()
