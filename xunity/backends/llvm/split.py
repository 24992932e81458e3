"""One LLVM IR module split into parts that LLVM can optimise and compile at once.

LLVM compiles a module on one core, and a model's module takes seconds
(SmolLM2's step: 7 s of O3 and code generation, a third of its cold
compile).  The module's functions are independent units of work, so
`split_module` deals them into parts, each a complete module that a
process of its own compiles; the JIT then loads every part's object and
links them (jit.py).

The input is the text `emit_llvm_ir` writes (llvmlite's printer): one
line per global and declaration, each definition from its `define` line to
a closing `}` line, no metadata and no attribute groups.  Functions go in
families (a function with the internal functions only it refers to: a
kernel and its outlined parallel bodies), families to parts by size, the
largest first into the smallest part.  A function a part uses but does not
define is declared there, and defined with external linkage where it is
(MCJIT resolves the reference across objects).  Constant globals are
copied into every part that refers to them; a module with a mutable global
(a profiled build's counters) is not split, as its parts would each have
their own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_NAME = re.compile(r'@"((?:[^"\\]|\\.)*)"|@([-\w.$]+)')
_DEFINE = re.compile(r'^define (?:(internal|private) )?(.*?)@"?((?:[^"\\(]|\\.)*)"?\(')


@dataclass
class _Function:
    name: str
    lines: list[str]
    internal: bool
    uses: set[str] = field(default_factory=set)

    @property
    def size(self) -> int:
        """Lines, a quarter each for `optnone` ones (the packed wrappers):
        a rough measure of LLVM's work on it."""
        return len(self.lines) // (4 if "optnone" in self.lines[0] else 1)

    def declaration(self) -> str:
        """`declare <return> @name(<params>)`: the define line up to its
        parameter list's closing parenthesis, without linkage or attributes."""
        line = self.lines[0]
        match = _DEFINE.match(line)
        assert match is not None
        start = line.index("(", match.end() - 1)
        depth = 0
        for index in range(start, len(line)):
            depth += {"(": 1, ")": -1}.get(line[index], 0)
            if depth == 0:
                return (
                    f'declare {match.group(2)}@"{self.name}"{line[start : index + 1]}'
                )
        raise ValueError(f"unbalanced parameter list in {line!r}")

    def external_lines(self) -> list[str]:
        """The definition with its internal linkage removed."""
        if not self.internal:
            return self.lines
        first = self.lines[0].replace("define internal ", "define ", 1)
        first = first.replace("define private ", "define ", 1)
        return [first, *self.lines[1:]]


def _names(text: str) -> set[str]:
    return {quoted or bare for quoted, bare in _NAME.findall(text)}


def split_module(llvm_ir: str, parts: int) -> list[str] | None:
    """`llvm_ir` as up to `parts` modules that together define what it
    defines, or None when it cannot or need not be split (fewer than two
    families, or a mutable global)."""
    header: list[str] = []
    globals_: dict[str, str] = {}
    declarations: list[str] = []
    functions: dict[str, _Function] = {}
    lines = llvm_ir.splitlines()
    index = 0
    while index < len(lines):
        line = lines[index]
        if line.startswith("define "):
            end = lines.index("}", index)
            match = _DEFINE.match(line)
            if match is None:
                return None
            body = lines[index : end + 1]
            function = _Function(match.group(3), body, match.group(1) is not None)
            function.uses = _names("\n".join(body[1:])) | (
                _names(line) - {function.name}
            )
            functions[function.name] = function
            index = end + 1
            continue
        if line.startswith("@"):
            name = next(iter(_names(line.split("=", 1)[0])))
            if " constant " not in line.split("=", 1)[1][:40]:
                return None  # a mutable global: one copy only
            globals_[name] = line
        elif line.startswith("declare "):
            declarations.append(line)
        elif line.strip():
            header.append(line)
        index += 1
    families = _families(functions)
    if parts < 2 or len(families) < 2:
        return None
    bins: list[list[str]] = [[] for _ in range(min(parts, len(families)))]
    loads = [0] * len(bins)
    for family in sorted(families, key=lambda f: -sum(functions[n].size for n in f)):
        lightest = loads.index(min(loads))
        bins[lightest].extend(family)
        loads[lightest] += sum(functions[n].size for n in family)
    home = {name: number for number, names in enumerate(bins) for name in names}
    shared = {
        used
        for function in functions.values()
        for used in function.uses & functions.keys()
        if home[used] != home[function.name]
    }
    preamble = (header, globals_, declarations)
    return [
        _part(names, number == 0, shared, functions, preamble)
        for number, names in enumerate(bins)
    ]


def _families(functions: dict[str, _Function]) -> list[list[str]]:
    """Each function with the internal functions only it uses (transitively)."""
    users: dict[str, set[str]] = {name: set() for name in functions}
    for function in functions.values():
        for used in function.uses & functions.keys():
            if used != function.name:
                users[used].add(function.name)
    owner = {name: name for name in functions}

    def root(name: str) -> str:
        while owner[name] != name:
            name = owner[name]
        return name

    for name, function in functions.items():
        if function.internal and len(users[name]) == 1:
            (user,) = users[name]
            owner[root(name)] = root(user)
    groups: dict[str, list[str]] = {}
    for name in functions:
        groups.setdefault(root(name), []).append(name)
    return list(groups.values())


def _part(
    names: list[str],
    first: bool,
    shared: set[str],
    functions: dict[str, _Function],
    preamble: tuple[list[str], dict[str, str], list[str]],
) -> str:
    """A part defining `names`: declarations of the other functions it uses,
    the constants it refers to (the first part also the unreferenced ones),
    and external linkage for its functions other parts use (`shared`)."""
    header, globals_, declarations = preamble
    used = set().union(*(functions[name].uses for name in names))
    pending = list(used & globals_.keys())
    while pending:  # constants that refer to constants (argument tables)
        for name in _names(globals_[pending.pop()].split("=", 1)[1]):
            if name in globals_ and name not in used:
                used.add(name)
                pending.append(name)
    others = sorted((used & functions.keys()) - set(names))
    out = list(header)
    out += [line for name, line in globals_.items() if first or name in used]
    out += declarations
    out += [functions[name].declaration() for name in others]
    for name in names:
        function = functions[name]
        out += function.external_lines() if name in shared else function.lines
    return "\n".join(out) + "\n"
