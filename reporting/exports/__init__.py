"""Spreadsheet exports of the reporting app, one module a topic (cells go through wasteparks.exports)."""
