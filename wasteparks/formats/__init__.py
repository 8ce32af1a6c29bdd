"""The project's date, time and number formats per language (settings.FORMAT_MODULE_PATH).

One date format and one date-and-time format on every page in both languages (ISO 8601 order, as on
the national forms): 2026-12-15 and 2026-12-15 14:30. Input accepts that form first, so a date widget
and a date typed by hand agree. Numbers group thousands with a comma and use a point for decimals; a
comma never reads as a decimal point (wasteparks/parsing.py).
"""
