"""Monthly waste reports filed by enterprises: api."""

routes: list = []
