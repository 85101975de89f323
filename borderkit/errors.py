"""Errors borderkit raises: each says what was received, what is allowed, and what to do."""

from __future__ import annotations

__all__ = [
    "BorderkitError",
    "UsageError",
    "UnknownLayerError",
    "InputError",
    "CRSError",
    "GeometryError",
    "EmptyInputError",
    "DataIntegrityError",
    "OutputError",
]


class BorderkitError(Exception):
    """Raised for every error borderkit reports to a user (base class)."""


class UsageError(BorderkitError, ValueError):
    """Raised when an argument value is not one of the allowed ones (CLI exit code 2)."""


class UnknownLayerError(UsageError, KeyError):
    """Raised when a layer name is not in the registry; the message lists close names."""

    def __str__(self) -> str:  # KeyError would otherwise quote the message
        return str(self.args[0]) if self.args else ""


class InputError(BorderkitError):
    """Raised when an input file is missing, unreadable or not geodata (CLI exit code 1)."""


class CRSError(InputError):
    """Raised when the coordinate reference system is missing, wrong or inconsistent."""


class GeometryError(InputError):
    """Raised when geometries are invalid or of a type the operation cannot use."""


class EmptyInputError(InputError):
    """Raised when the input holds no features."""


class DataIntegrityError(BorderkitError):
    """Raised when a bundled layer does not match its manifest entry (hash, rows, CRS)."""


class OutputError(BorderkitError):
    """Raised when an output could not be written (disk full, I/O error, interrupted; CLI exit code 1).

    The message names the file, the reason with its errno, and what to do; any old file at
    that path is unchanged and no partial or temporary file is left.
    """
