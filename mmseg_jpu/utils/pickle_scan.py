# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""Read a pickle's structure without unpickling it.

:func:`scan_pickle` walks the opcodes of one pickle with
:func:`pickletools.genops` (every protocol, 0 to 5) and follows the stack
far enough to name every global the pickle would import (``GLOBAL``,
``INST`` and ``STACK_GLOBAL``, whose module and name may come from the
memo), the persistent ids torch writes for its storages, and the value the
pickle ends with when it is a plain number. Nothing is imported or called.
"""
import _compat_pickle
import io
import pickletools
from dataclasses import dataclass, field
from typing import Any, BinaryIO, Dict, List, Optional

#: the byte of every opcode pickletools knows.
OPCODE_BYTES = frozenset(
    op.code.encode('latin-1') for op in pickletools.opcodes)
#: a pickle that is cut short is told from other bytes by its first opcode
#: (PROTO, protocols 2-5) or, for protocols 0 and 1, by this many opcodes
#: read before the bytes end (random bytes rarely make more than a few).
MIN_OPCODES_OF_A_PICKLE = 8


class PickleEndsEarly(ValueError):
    """The bytes end before the pickle's STOP opcode (the argument: the
    offset of the first opcode that is not complete)."""


class NotAPickle(ValueError):
    """The bytes hold an opcode or argument no pickle can hold (the
    argument: the offset or what is wrong)."""


@dataclass
class Global:
    """A global the pickle imports; ``name`` is None when it is computed
    while unpickling (an extension code, or a name not pushed as a
    string)."""
    name: Optional[str]


@dataclass
class PickleScan:
    """What one pickle holds.

    Attributes:
        protocol: Its protocol (the PROTO opcode's, else the highest
            protocol of its opcodes: 0 or 1).
        globals: The globals it imports, in the order of first use;
            ``None`` for one whose name cannot be read without unpickling.
        persistent_ids: The persistent ids it loads (torch's storages).
        result: What it ends with, when that is a number, string or tuple
            of them (e.g. the magic number of torch's legacy format).
        end: The offset just after its STOP opcode.
    """
    protocol: int = 0
    globals: List[Optional[str]] = field(default_factory=list)
    persistent_ids: List[Any] = field(default_factory=list)
    result: Any = None
    end: int = 0


class _Stack:
    """Just enough of the unpickler's stack and memo to name globals."""

    def __init__(self) -> None:
        self.items: List[Any] = []
        self.marks: List[int] = []
        self.memo: Dict[int, Any] = {}
        self.scan = PickleScan()

    def pop(self, count: int) -> List[Any]:
        if count > len(self.items):
            raise NotAPickle('stack underflow')
        popped = self.items[len(self.items) - count:]
        del self.items[len(self.items) - count:]
        return popped

    def pop_mark(self) -> List[Any]:
        if not self.marks:
            raise NotAPickle('no MARK on the stack')
        start = self.marks.pop()
        popped = self.items[start:]
        del self.items[start:]
        return popped

    def _python3_name(self, module: str, name: str) -> str:
        """``module.name`` as the unpickler imports it: pickles of protocol
        0-2 name some globals as Python 2 did (``__builtin__.print``)."""
        if self.scan.protocol < 3:
            if (module, name) in _compat_pickle.NAME_MAPPING:
                module, name = _compat_pickle.NAME_MAPPING[(module, name)]
            else:
                module = _compat_pickle.IMPORT_MAPPING.get(module, module)
        return f'{module}.{name}'

    def add_global(self, name: Optional[str]) -> Global:
        if name not in self.scan.globals:
            self.scan.globals.append(name)
        return Global(name)

    def step(self, opcode: pickletools.OpcodeInfo, arg: Any) -> None:
        name = opcode.name
        if name == 'MARK':
            self.marks.append(len(self.items))
            return
        if name in ('PUT', 'BINPUT', 'LONG_BINPUT', 'MEMOIZE'):
            key = len(self.memo) if name == 'MEMOIZE' else arg
            if not self.items:
                raise NotAPickle('memoizing an empty stack')
            self.memo[key] = self.items[-1]
            return
        before = [item.name for item in opcode.stack_before]
        if 'mark' in before:
            inside_mark = self.pop_mark()
            before = before[:before.index('mark')]
        else:
            inside_mark = []
        popped = self.pop(len(before))
        self.items.extend(
            self._pushed(opcode, arg, inside_mark, popped)
            [:len(opcode.stack_after)])

    def _pushed(self, opcode, arg, inside_mark, popped) -> List[Any]:
        """The values the opcode pushes (None for objects not followed)."""
        name = opcode.name
        if name in ('GLOBAL', 'INST'):
            return [self.add_global(self._python3_name(*arg.split(' ', 1)))]
        if name == 'STACK_GLOBAL':
            module, qualname = popped
            known = isinstance(module, str) and isinstance(qualname, str)
            return [self.add_global(f'{module}.{qualname}' if known else None)]
        if name.startswith('EXT'):
            return [self.add_global(None)]
        if name in ('GET', 'BINGET', 'LONG_BINGET'):
            return [self.memo.get(arg)]
        if name in ('TUPLE', 'TUPLE1', 'TUPLE2', 'TUPLE3', 'EMPTY_TUPLE'):
            return [tuple(inside_mark or popped)]
        if name in ('BINPERSID', 'PERSID'):
            self.scan.persistent_ids.append(popped[0] if popped else arg)
            return [None]
        if name == 'DUP':
            return popped * 2
        if name == 'PROTO':
            self.scan.protocol = arg
        if name == 'STOP':
            self.scan.result = popped[0]
        literal = isinstance(arg, (str, bytes, int, float))
        return [arg if literal else None] * len(opcode.stack_after)


def scan_pickle(stream: BinaryIO) -> PickleScan:
    """Scan the pickle that starts at the position of ``stream`` (a
    seekable binary file); leave the stream just after its STOP opcode.

    Raises:
        PickleEndsEarly: If the bytes end before its STOP opcode, after
            what can only be the start of a pickle.
        NotAPickle: If the bytes are not a pickle (or a damaged one).
    """
    stack = _Stack()
    highest_protocol, num_opcodes = 0, 0
    parsed_up_to = stream.tell()
    try:
        for opcode, arg, _ in pickletools.genops(stream):
            stack.step(opcode, arg)
            highest_protocol = max(highest_protocol, opcode.proto)
            num_opcodes += 1
            parsed_up_to = stream.tell()
    except ValueError as error:
        if isinstance(error, NotAPickle):
            raise
        _raise_for_stop_at(stream, parsed_up_to, num_opcodes,
                           stack.scan.protocol)
    scan = stack.scan
    scan.protocol = scan.protocol or min(highest_protocol, 1)
    scan.end = stream.tell()
    return scan


def _raise_for_stop_at(stream: BinaryIO, parsed_up_to: int, num_opcodes: int,
                       protocol: int) -> None:
    """Tell a pickle cut short from bytes that are not a pickle, once
    parsing stopped after ``parsed_up_to``."""
    read_up_to = stream.tell()
    size = stream.seek(0, io.SEEK_END)
    stream.seek(parsed_up_to)
    next_opcode = stream.read(1)
    ran_out = not next_opcode or (next_opcode in OPCODE_BYTES
                                  and read_up_to >= size)
    if ran_out and (protocol >= 2 or num_opcodes >= MIN_OPCODES_OF_A_PICKLE):
        raise PickleEndsEarly(parsed_up_to)
    raise NotAPickle(parsed_up_to)


def scan_pickles(stream: BinaryIO, count: int) -> List[PickleScan]:
    """Scan ``count`` pickles written one after the other."""
    return [scan_pickle(stream) for _ in range(count)]
