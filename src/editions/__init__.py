"""Sangar editions: manuscripts → catalogs → HTML, EPUB and PDF editions."""

__version__ = "0.3.0"
