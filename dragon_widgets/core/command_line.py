"""What every command line of the package shares: user mistakes as one ``error: …`` line with exit status 2."""

from __future__ import annotations

import argparse
import re

#: Exit status of every user error (bad flag, unreadable file, unusable device, invalid edit …).
USAGE_EXIT = 2


class UsageError(Exception):
    """A mistake in the command line or its files: printed as one ``error: …`` line, exit status 2."""


class Parser(argparse.ArgumentParser):
    """argparse with negative numbers as values (``--offset -8,-16``) and errors as :class:`UsageError`."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # a token starting with '-' then a digit is a value ('-8,-16', '-1.5', '-3,4:5,6'), never an option
        self._negative_number_matcher = re.compile(r"^-\.?\d")

    def error(self, message: str):  # argparse prints usage and exits; we want one line
        raise UsageError(f"{message} (see {self.prog} --help)")
