"""Head registry: built-in heads, ``register(name)`` and the ``tsrnn.heads`` entry points."""

import importlib.metadata

from .base import Head

HEADS = {}
BUILTIN_HEADS = frozenset({"last", "sequence", "vec2seq", "encoder_decoder"})  # never replaced by a plugin
ENTRY_POINT_GROUP = "tsrnn.heads"


def register(name):
    """Class decorator registering a :class:`Head` subclass under ``name``.

    Examples
    --------
    >>> from tsrnn.heads import LastStepHead
    >>> @register("my_head")
    ... class MyHead(LastStepHead):
    ...     pass
    >>> HEADS["my_head"] is MyHead, MyHead.name
    (True, 'my_head')
    >>> del HEADS["my_head"]
    """

    def decorator(cls):
        if not (isinstance(cls, type) and issubclass(cls, Head)):
            raise TypeError(f"register({name!r}) expects a Head subclass, got {cls!r}")
        if name in BUILTIN_HEADS and name in HEADS and HEADS[name] is not cls:
            raise ValueError(f"{name!r} is a built-in head; register yours under another name")
        HEADS[name] = cls
        cls.name = name
        return cls

    return decorator


def _from_entry_points(name):
    for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        if ep.name == name:
            cls = ep.load()
            register(name)(cls)
            return cls
    return None


def available_heads():
    """Names of the registered heads and of the installed ``tsrnn.heads`` entry points."""
    names = set(HEADS) | {ep.name for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)}
    return sorted(names)


def get_head(head, options=None):
    """A fresh :class:`Head` instance from a registered name or a Head instance (copied).

    Parameters
    ----------
    head : str or Head
    options : dict, optional
        Head-specific options (e.g. ``{"pooling": "mean"}``).
    """
    options = dict(options or {})
    if isinstance(head, Head):
        return type(head)(**(head.get_options() | options))
    if not isinstance(head, str):
        raise TypeError(f"head must be a name or a Head instance, got {type(head).__name__}")
    cls = HEADS.get(head) or _from_entry_points(head)
    if cls is None:
        raise ValueError(f"head={head!r} is not registered; choose one of {available_heads()}")
    return cls(**options)
