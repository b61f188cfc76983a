# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""The docs' shell commands and links name things that exist.

Every command in a ```bash, ```shell, ```sh or ```console block (in
``console`` blocks only the lines that start with ``$ ``) of README.md,
docs/*.md and configs/*/README.md is split into simple commands (at ``&&``,
``||``, ``;``, ``|`` and ``$(...)``; comments and backslash continuations
as the shell reads them) and checked:

- **program**: ``bash``/``sh`` run a file of the repository
  (``tools/*.sh``); the venv's programs are written ``.venv/bin/NAME`` and
  ``NAME`` must be in the venv (a bare ``python``, ``python3``, ``pip``,
  ``mim`` or ``pytest`` fails unless ``.venv`` is activated, which no doc
  asks for; ``python3 -m venv``, which makes a venv, is the exception);
  anything else must be one of :data:`SYSTEM_PROGRAMS`.
- **flags**: every ``-x``/``--flag`` (``--flag=value`` too) given to a
  script of ``tools/`` must be one its argparse parser defines, exactly
  (no abbreviations); ``tools/quickstart.sh`` passes its arguments to
  ``tools/quickstart.py`` and is checked against it; ``tools/run_tests.sh``
  passes them to pytest and is not. ``mim train``/``mim test`` flags must
  be mim's own or those of mmseg's ``tools/train.py``/``tools/test.py``,
  to which mim passes the rest (``mim run``'s are not checked). The parsers are read in this process: the
  script runs as ``__main__`` until it calls ``parse_args``, which stops it.
- **files**: a word that starts in a folder the repository ships
  (:data:`REPOSITORY_FOLDERS`; of ``data/`` only the bundled ``data/tiny*``
  samples, the rest is what a user prepares) must exist; ``mmseg::path``
  and ``mmseg_jpu::path`` must name a config of the installed package.

Placeholders are not files and are not checked: words in capitals
(``CONFIG``, ``CHECKPOINT``), words with ``...``, ``<...>`` or ``$``, and
any path outside the repository's folders (``work_dirs/...``, ``out/``,
``my_model.pth``, ``model_best.pth.tar``): the outputs a command writes and
the files a user brings. ``[...]`` marks an optional part: the brackets are
dropped and what is inside is checked like the rest. So a command writes
its outputs outside the repository's folders, or over a file the
repository tracks (``--json docs/benchmark_cpu.json``).

Every relative link ``[text](path#anchor)`` of these files, and every
``docs/NAME.md#anchor`` the package's messages print, must name an existing
file and, with an anchor into a Markdown file, one of its headings (by
GitHub's rule: lower case, punctuation but ``-`` and ``_`` dropped, spaces
to ``-``, ``-1``, ``-2``... for repeats).
"""
import argparse
import re
import runpy
import shlex
import sys
from functools import lru_cache
from pathlib import Path
from typing import Iterator, List, NamedTuple, Set
from unittest import mock

import pytest

from .conftest import REPO_ROOT

DOC_FILES = sorted([
    REPO_ROOT / 'README.md', *(REPO_ROOT / 'docs').glob('*.md'),
    *(REPO_ROOT / 'configs').glob('*/README.md')
])
SHELL_BLOCKS = {'bash', 'shell', 'sh', 'console'}
VENV_BIN = REPO_ROOT / '.venv' / 'bin'
VENV_PROGRAMS = {'python', 'python3', 'pip', 'pip3', 'mim', 'pytest'}
SYSTEM_PROGRAMS = {
    'bash', 'sh', 'cd', 'cp', 'mv', 'rm', 'ln', 'ls', 'mkdir', 'cat', 'echo',
    'export', 'tar', 'unzip', 'wget', 'curl', 'git', 'nproc', 'time'
}
REPOSITORY_FOLDERS = {
    'configs', 'demo', 'docs', 'mmseg_jpu', 'requirements', 'tests', 'tools'
}
#: scripts that pass their arguments to another tool's parser, or to one
#: that is not ours (None: not checked)
FORWARDS = {
    'tools/quickstart.sh': 'tools/quickstart.py',
    'tools/run_tests.sh': None,
    'tools/setup_env.sh': None,
    'tools/install_classic.sh': None,
}
MIM_TOOLS = {'train': 'train.py', 'test': 'test.py'}
#: our scripts that run mmseg's tool of this name, with its arguments
MMSEG_FORWARDS = {
    'tools/train.py': 'train.py',
    'tools/test.py': 'test.py',
    'tools/dist_train.sh': 'train.py',
    'tools/dist_test.sh': 'test.py',
    'tools/slurm_train.sh': 'train.py',
}


class Command(NamedTuple):
    doc: Path
    line: int
    words: List[str]

    def where(self) -> str:
        return f'{self.doc.relative_to(REPO_ROOT)}:{self.line}'


# ---------------------------------------------------------------- reading


def shell_lines(markdown: str) -> Iterator[tuple]:
    """``(line number, text)`` of each command line of the shell blocks of
    ``markdown``, continuations joined."""
    language, pending, start = None, '', 0
    for number, line in enumerate(markdown.split('\n'), 1):
        fence = re.match(r'\s*```\s*(\S*)', line)
        if fence:
            language = fence.group(1) if language is None else None
            continue
        if language not in SHELL_BLOCKS:
            continue
        if language == 'console' and not pending:
            if not line.lstrip().startswith('$ '):
                continue
            line = line.lstrip()[2:]
        if not pending:
            start = number
        if line.rstrip().endswith('\\'):
            pending += line.rstrip()[:-1] + ' '
            continue
        yield start, pending + line
        pending = ''


def split_substitutions(text: str) -> List[str]:
    """``text`` with each ``$(...)`` replaced by ``$SUBST``, followed by the
    substituted commands (quotes respected, nesting allowed)."""
    outer, inner, depth, quote = '', [], 0, None
    i = 0
    while i < len(text):
        char = text[i]
        if depth and quote is None and char in '"\'':
            quote = char
        elif depth and char == quote:
            quote = None
        elif quote is None and text.startswith('$(', i):
            if depth == 0:
                outer += '$SUBST'
                inner.append('')
            else:
                inner[-1] += '$('
            depth += 1
            i += 2
            continue
        elif depth and quote is None and char == ')':
            depth -= 1
            if depth == 0:
                i += 1
                continue
        if depth:
            inner[-1] += char
        else:
            outer += char
        i += 1
    return [outer, *inner]


def simple_commands(text: str) -> Iterator[List[str]]:
    """The words of each simple command of one command line."""
    for part in split_substitutions(text):
        lexer = shlex.shlex(part, posix=True, punctuation_chars=';&|')
        lexer.whitespace_split = True
        words = []
        for word in lexer:
            if word and set(word) <= set(';&|'):
                if words:
                    yield words
                words = []
            else:
                words.append(word)
        if words:
            yield words


def doc_commands(doc: Path) -> List[Command]:
    commands = []
    for line, text in shell_lines(doc.read_text()):
        for words in simple_commands(text):
            while words and re.match(r'\w+=', words[0]):
                words = words[1:]  # VAR=value before a command
            if words:
                commands.append(Command(doc, line, words))
    return commands


# ---------------------------------------------------------------- parsers


class _Parsed(Exception):

    def __init__(self, parser):
        self.parser = parser


def _stop_at_parse(parser, *args, **kwargs):
    raise _Parsed(parser)


def option_strings(parser: argparse.ArgumentParser) -> Set[str]:
    """The flags of ``parser`` and of its subcommands."""
    flags = set(parser._option_string_actions)
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                flags |= option_strings(sub)
    return flags


@lru_cache(maxsize=None)
def script_flags(script: Path) -> frozenset:
    """The flags that the argparse parser of ``script`` accepts, read by
    running it as ``__main__`` until it parses its arguments."""
    with mock.patch.object(argparse.ArgumentParser, 'parse_known_args',
                           _stop_at_parse), \
            mock.patch.object(sys, 'argv', [str(script)]):
        try:
            runpy.run_path(str(script), run_name='__main__')
        except _Parsed as parsed:
            return frozenset(option_strings(parsed.parser))
    raise AssertionError(f'{script} ended without parsing arguments')


@lru_cache(maxsize=None)
def mim_flags(command: str) -> frozenset:
    """mim's own flags for ``mim COMMAND`` and those of mmseg's tool, to
    which mim passes the others."""
    import mmseg
    from mim.cli import cli
    flags = {
        opt
        for param in cli.get_command(None, command).params
        for opt in param.opts if opt.startswith('-')
    } | {'--help'}
    if command in MIM_TOOLS:
        flags |= script_flags(mmseg_tool(MIM_TOOLS[command]))
    return frozenset(flags)


def mmseg_tool(name: str) -> Path:
    import mmseg
    return Path(mmseg.__file__).parent / '.mim' / 'tools' / name


# ---------------------------------------------------------------- checks


def is_placeholder(word: str) -> bool:
    return bool('...' in word or '<' in word or '$' in word
                or re.fullmatch(r'[A-Z][A-Z0-9_]*', word))


def optional_stripped(words: List[str]) -> List[str]:
    """The words with the brackets of ``[optional parts]`` dropped."""
    return [w for w in (word.strip('[]') for word in words) if w]


def file_problems(word: str) -> List[str]:
    value = word.partition('=')[2] if word.startswith('-') else word
    if not value or is_placeholder(value):
        return []
    if '::' in value:
        from mmseg_jpu.utils.config_loading import config_path
        try:
            config_path(value)
        except FileNotFoundError as error:
            return [str(error)]
        return []
    parts = Path(value).parts
    if not parts or not (parts[0] in REPOSITORY_FOLDERS or
                         (parts[0] == 'data' and len(parts) > 1
                          and parts[1].startswith('tiny'))):
        return []
    if any(char in value for char in '*?'):
        found = list(REPO_ROOT.glob(value))
    else:
        found = [REPO_ROOT / value] if (REPO_ROOT / value).exists() else []
    return [] if found else [f'no such file in the repository: {value}']


def flag_problems(words: List[str], flags: frozenset, tool: str) -> List[str]:
    problems = []
    for word in words:
        flag = word.split('=', 1)[0]
        if (flag.startswith('-') and not re.fullmatch(r'-[\d.]+', flag)
                and flag not in flags):
            problems.append(f'{tool} has no flag {flag} (it has: '
                            f'{", ".join(sorted(flags))})')
    return problems


def script_problems(script: str, args: List[str]) -> List[str]:
    if is_placeholder(script):
        return []
    path = REPO_ROOT / script
    if not path.is_file():
        return [f'no such script in the repository: {script}']
    problems = [p for word in args for p in file_problems(word)]
    if script in MMSEG_FORWARDS:
        return problems + flag_problems(
            args, script_flags(mmseg_tool(MMSEG_FORWARDS[script])), script)
    target = FORWARDS.get(script, script)
    if target is not None and target.startswith('tools/') \
            and target.endswith('.py'):
        try:
            flags = script_flags(REPO_ROOT / target)
        except Exception as error:  # a tool that cannot even start
            return problems + [
                f'cannot read the flags of {target}: '
                f'{type(error).__name__}: {error}'
            ]
        problems += flag_problems(args, flags, target)
    return problems


def command_problems(words: List[str]) -> List[str]:
    words = optional_stripped(words)
    program, args = words[0], words[1:]
    if program in VENV_PROGRAMS:
        if args[:2] == ['-m', 'venv']:
            return []  # the system's Python making the venv
        return [
            f'bare {program}: write .venv/bin/{program}, the venv that '
            "the README's commands create"
        ]
    if program.startswith('.venv/bin/'):
        name = program[len('.venv/bin/'):]
        if not (VENV_BIN / name).exists():
            return [f'{program}: the venv has no program {name}']
        if name.startswith('python'):
            if args[:1] == ['-c']:
                return []
            if args[:1] == ['-m']:  # a module: its file arguments
                return [p for word in args[2:] for p in file_problems(word)]
            return script_problems(args[0], args[1:]) if args else []
        if name == 'mim' and args:
            from mim.cli import cli
            if args[0] not in cli.list_commands(None):
                return [f'mim has no command {args[0]}']
            problems = [p for word in args[1:] for p in file_problems(word)]
            if args[0] in MIM_TOOLS:
                problems += flag_problems(args[1:], mim_flags(args[0]),
                                          f'mim {args[0]}')
            return problems
        return [p for word in args for p in file_problems(word)]
    if program in ('bash', 'sh') and args:
        return script_problems(args[0], args[1:])
    if program in SYSTEM_PROGRAMS:
        return []
    if (REPO_ROOT / program).is_file():
        return script_problems(program, args)
    return [
        f'unknown program {program}: a file of the repository, '
        '.venv/bin/NAME, or one of SYSTEM_PROGRAMS'
    ]


# ---------------------------------------------------------------- links


def github_anchors(doc: Path) -> Set[str]:
    """The anchors GitHub gives the headings of ``doc``."""
    anchors, seen, fenced = set(), {}, False
    for line in doc.read_text().split('\n'):
        if line.lstrip().startswith('```'):
            fenced = not fenced
        heading = None if fenced else re.match(r'#{1,6}\s+(.*?)\s*#*$', line)
        if not heading:
            continue
        text = re.sub(r'\[([^\]]*)\]\([^)]*\)', r'\1', heading.group(1))
        slug = re.sub(r'[^\w\- ]', '', text.lower()).replace(' ', '-')
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        anchors.add(slug if count == 0 else f'{slug}-{count}')
    return anchors


def link_problem(base: Path, target: str) -> str:
    path, _, anchor = target.partition('#')
    file = (base.parent / path).resolve() if path else base
    if not file.exists():
        return f'link to a missing file: {target}'
    if anchor and file.suffix == '.md' and anchor not in github_anchors(file):
        return (f'link to a missing heading: {target} ({file.name} has: '
                f'{", ".join(sorted(github_anchors(file)))})')
    return ''


def doc_links(doc: Path) -> Iterator[tuple]:
    """``(line, target)`` of the relative links outside code."""
    fenced = False
    for number, line in enumerate(doc.read_text().split('\n'), 1):
        if line.lstrip().startswith('```'):
            fenced = not fenced
            continue
        if fenced:
            continue
        line = re.sub(r'`[^`]*`', '', line)
        for target in re.findall(r'\]\(([^)\s]+)\)', line):
            if not re.match(r'[a-z]+:', target):
                yield number, target


# ---------------------------------------------------------------- tests


def _name(doc: Path) -> str:
    return str(doc.relative_to(REPO_ROOT))


def test_the_extraction_reads_continuations_substitutions_and_options():
    text = ('X=$(python -c "print(1)") && .venv/bin/python tools/a.py \\\n'
            '    [--flag v]  # comment')
    [(line, joined)] = shell_lines(f'```bash\n{text}\n```\n')
    assert line == 2  # the fence is line 1
    commands = [optional_stripped(words) for words in simple_commands(joined)]
    assert commands == [['X=$SUBST'],
                        ['.venv/bin/python', 'tools/a.py', '--flag', 'v'],
                        ['python', '-c', 'print(1)']]
    assert command_problems(['python',
                             'tools/infer.py'])[0].startswith('bare python')
    assert command_problems([
        '.venv/bin/python', 'tools/infer.py', '--no-such-flag'
    ])[0].startswith('tools/infer.py has no flag --no-such-flag')
    assert command_problems([
        '.venv/bin/python', 'tools/infer.py', 'demo/missing.jpg', 'CONFIG',
        'work_dirs/x'
    ]) == ['no such file in the repository: '
           'demo/missing.jpg']


def test_github_anchors_follow_githubs_rule(tmp_path):
    doc = tmp_path / 'doc.md'
    doc.write_text('# Train and test\n## `--resume` when (it) fails\n'
                   '## Notes\n## Notes\n```bash\n# not a heading\n```\n')
    assert github_anchors(doc) == {
        'train-and-test', '--resume-when-it-fails', 'notes', 'notes-1'
    }
    assert link_problem(doc, '#notes-1') == ''
    assert link_problem(doc, 'doc.md#notes-2').startswith(
        'link to a missing heading: doc.md#notes-2')
    assert link_problem(
        doc, 'other.md').startswith('link to a missing file: other.md')


def test_every_doc_has_commands_to_check():
    assert sum(len(doc_commands(doc)) for doc in DOC_FILES) > 40


@pytest.mark.parametrize('doc', DOC_FILES, ids=_name)
def test_doc_commands_name_existing_tools_flags_and_files(doc):
    problems = [
        f'{command.where()}: {problem}  [{" ".join(command.words)}]'
        for command in doc_commands(doc)
        for problem in command_problems(command.words)
    ]
    assert not problems, '\n'.join(problems)


@pytest.mark.parametrize('doc', DOC_FILES, ids=_name)
def test_doc_links_name_existing_files_and_headings(doc):
    problems = [
        f'{_name(doc)}:{line}: {problem}' for line, target in doc_links(doc)
        for problem in [link_problem(doc, target)] if problem
    ]
    assert not problems, '\n'.join(problems)


def test_doc_anchors_in_the_packages_messages_exist():
    problems = []
    for source in sorted((REPO_ROOT / 'mmseg_jpu').rglob('*.py')):
        for number, line in enumerate(source.read_text().split('\n'), 1):
            for target in re.findall(r'(docs/[\w.-]+\.md#[\w-]+)', line):
                problem = link_problem(REPO_ROOT / 'README.md', target)
                if problem:
                    problems.append(
                        f'{source.relative_to(REPO_ROOT)}:{number}: {problem}')
    assert not problems, '\n'.join(problems)
