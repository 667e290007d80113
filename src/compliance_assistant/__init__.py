"""Compliance Assistant: checks marketing content against guidelines and product terms."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("compliance-assistant")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"
