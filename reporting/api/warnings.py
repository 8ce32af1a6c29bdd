"""Early warnings: api."""

routes: list = []
