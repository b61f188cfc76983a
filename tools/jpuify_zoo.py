# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""Run jpuify on every config of the installed mmseg and report, per method
folder, how many dilated configs convert, are refused (with the reason) or
fail; build and run a sample of the converted models beside their sources
on a small image. Prints a Markdown table (docs/jpuify.md holds one)."""
import argparse
import sys
from pathlib import Path

from mmseg_jpu.tools.jpuify.zoo import (MMSEG_CONFIGS, markdown, run_text,
                                        sweep, zoo_configs)


def parse_args():
    parser = argparse.ArgumentParser(
        description=__doc__,
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument(
        '--folders',
        nargs='+',
        metavar='FOLDER',
        help="method folders of mmseg's configs to sweep (default: all)")
    parser.add_argument(
        '--per-folder',
        type=int,
        metavar='N',
        help='convert only the first N dilated configs of each folder '
        '(default: all)')
    parser.add_argument(
        '--sample',
        type=int,
        default=1,
        metavar='N',
        help='converted configs per folder to build and run')
    parser.add_argument(
        '--size',
        type=int,
        default=64,
        help='side of the image the sampled models run on')
    parser.add_argument(
        '--out', type=Path, help='also write the Markdown table to this file')
    args = parser.parse_args()
    configs = zoo_configs()
    if args.folders:
        unknown = sorted(set(args.folders) - {p.parent.name for p in configs})
        if unknown:
            parser.error(f'argument --folders: no such folder in '
                         f'{MMSEG_CONFIGS}: {", ".join(unknown)}')
        configs = [p for p in configs if p.parent.name in args.folders]
    for name in ('per_folder', 'sample'):
        value = getattr(args, name)
        if value is not None and value < 0:
            parser.error(f'argument --{name.replace("_", "-")}: must be >= 0')
    if args.size < 32:
        parser.error('argument --size: must be at least 32')
    if args.out and not args.out.parent.is_dir():
        parser.error(f'argument --out: no folder {args.out.parent}')
    return args, configs


def _progress(entry) -> None:
    run = f' ({run_text(entry)})' if entry.run else ''
    print(f'{entry.folder}/{entry.name}: {entry.status}{run}',
          file=sys.stderr)


def main():
    args, configs = parse_args()
    entries = sweep(configs, args.per_folder, args.sample, args.size,
                    _progress)
    table = markdown(entries)
    print(table)
    if args.out:
        args.out.write_text(table)


if __name__ == '__main__':
    main()
