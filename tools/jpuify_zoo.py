# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""Run jpuify on every config of the installed mmseg and report, per method
folder, how many dilated configs convert, are refused (with the reason) or
fail; build and run a sample of the converted models beside their sources
on a small image. Prints a Markdown table (docs/jpuify.md holds one)."""
import sys
from pathlib import Path

from mmengine.utils import track_iter_progress

from mmseg_jpu.tools.cli import run, tool_parser
from mmseg_jpu.tools.jpuify.zoo import markdown, sweep, zoo_configs
from mmseg_jpu.utils.quiet_logging import quiet_logging


def parse_args():
    parser = tool_parser(__doc__)
    parser.add_argument(
        '--folders',
        nargs='+',
        metavar='FOLDER',
        help="method folders of mmseg's configs to sweep (without it: all)")
    parser.add_argument(
        '--per-folder',
        type=int,
        metavar='N',
        help='convert only the first N dilated configs of each folder '
        '(without it: all)')
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
            parser.error("argument --folders: no such folder in mmseg's "
                         'configs: ' + ', '.join(unknown))
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


def main():
    args, configs = parse_args()
    quiet_logging()
    entries = sweep(
        track_iter_progress(configs, file=sys.stderr), args.per_folder,
        args.sample, args.size)
    table = markdown(entries)
    print(table)
    if args.out:
        args.out.write_text(table)


if __name__ == '__main__':
    run(main, 'jpuify_zoo.py', (OSError, ))
