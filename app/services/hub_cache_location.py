"""Where the Hugging Face cache is looked for, which variable said so, and what is wrong with it.

`local_cache.default_cache_dir` computes the folder the way huggingface_hub does; this module explains
it: a variable set to "" (which huggingface_hub takes as set) or pointing at a file is a setup error a
person should read in words, naming the variable, rather than "the folder does not exist".
"""

from __future__ import annotations

import os

# huggingface_hub's order: the first of these that is set decides.
_VARIABLES = ("HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE", "HF_HOME", "XDG_CACHE_HOME")


def deciding_variable() -> str | None:
    """The environment variable the cache location comes from; None for the built-in default."""
    for name in _VARIABLES:
        if name in os.environ:
            return name
    return None


def _origin(variable: str | None) -> str:
    return f"set by {variable}" if variable else "the default location"


def location_problem(path: str) -> str | None:
    """What makes `path` unusable as the cache, in one line naming the variable; None when it is usable
    or merely missing (nothing downloaded yet is not an error)."""
    variable = deciding_variable()
    if variable is not None and not os.environ[variable].strip():
        return f"{variable} is set but empty; unset it or set it to a folder"
    if os.path.exists(path) and not os.path.isdir(path):
        return f"the Hugging Face cache {path} ({_origin(variable)}) is a file, not a folder"
    if os.path.isdir(path) and not os.access(path, os.R_OK | os.X_OK):
        return f"the Hugging Face cache {path} ({_origin(variable)}) cannot be read (permission denied)"
    return None


def missing_sentence(path: str) -> str:
    """Where the cache was looked for, when there is nothing there."""
    return f"{path} ({_origin(deciding_variable())}) does not exist"
