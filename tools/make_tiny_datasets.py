# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""Regenerate the tiny Pascal Context and ADE20K samples in ``data/tiny``."""
import argparse

from mmseg_jpu.tools.tiny_datasets import (make_tiny_ade20k,
                                           make_tiny_pascal_context)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        '--out', default='data/tiny', help='folder to write the datasets in')
    return parser.parse_args()


def main():
    args = parse_args()
    print(f'Pascal Context: {make_tiny_pascal_context(args.out)}')
    print(f"ADE20K: {make_tiny_ade20k(args.out)}")


if __name__ == '__main__':
    main()
