"""The password policy's own rule beyond Django's validators (settings.AUTH_PASSWORD_VALIDATORS)."""

from django.core.exceptions import ValidationError
from django.utils.translation import ngettext

CLASSES = (str.isupper, str.islower, str.isdigit)


def character_classes(password: str) -> int:
    """How many of upper case, lower case, digits and other characters the password uses."""
    found = sum(1 for test in CLASSES if any(test(char) for char in password))
    return found + (1 if any(not (char.isupper() or char.islower() or char.isdigit()) for char in password) else 0)


class CharacterClassValidator:
    """A password mixes at least `min_classes` of upper case, lower case, digits and other characters."""

    def __init__(self, min_classes: int = 3):
        self.min_classes = min_classes

    def validate(self, password: str, user=None) -> None:
        if character_classes(password) < self.min_classes:
            raise ValidationError(self.get_help_text(), code="password_too_simple")

    def get_help_text(self) -> str:
        return ngettext(
            "Your password must mix at least %(count)d kind of characters: upper case, lower case, digits, others.",
            "Your password must mix at least %(count)d kinds of characters: upper case, lower case, digits and "
            "other characters.",
            self.min_classes,
        ) % {"count": self.min_classes}
