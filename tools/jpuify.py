# Copyright (c) mmseg_jpu contributors. All rights reserved.
"""Write the FastFCN version of an mmseg config with a dilated ResNet
(ResNetD32 + JointPyramidUpsampling, heads rewired). SRC_CONFIG is a path or
mmseg::path/in/mmseg/configs.py."""
import argparse
import sys
from pathlib import Path

from mmseg_jpu.tools.jpuify import JpuifyError, jpuify


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('src_config', help='config path or mmseg::...')
    parser.add_argument('out_config', type=Path, help='config to write')
    return parser.parse_args()


def main():
    args = parse_args()
    try:
        print(jpuify(args.src_config, args.out_config))
    except (JpuifyError, FileNotFoundError) as error:
        sys.exit(f'jpuify: {error}')


if __name__ == '__main__':
    main()
