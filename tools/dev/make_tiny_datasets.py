# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""Developer tool: regenerate the tiny Pascal Context, ADE20K and Cityscapes
samples in ``data/tiny`` and the broken cases made from them in
``data/tiny_broken``."""
import argparse

from tiny_broken_dataset import make_tiny_broken_pascal_context
from tiny_datasets import (make_tiny_ade20k, make_tiny_cityscapes,
                           make_tiny_pascal_context)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        '--out', default='data/tiny', help='folder to write the datasets in')
    parser.add_argument(
        '--broken-out',
        default='data/tiny_broken',
        help='folder to write the broken cases in')
    return parser.parse_args()


def main():
    args = parse_args()
    pascal_context = make_tiny_pascal_context(args.out)
    print(f'Pascal Context: {pascal_context}')
    print(f"ADE20K: {make_tiny_ade20k(args.out)}")
    print(f'Cityscapes: {make_tiny_cityscapes(args.out)}')
    broken = make_tiny_broken_pascal_context(args.broken_out, pascal_context)
    print(f'Broken Pascal Context cases: {broken}')


if __name__ == '__main__':
    main()
