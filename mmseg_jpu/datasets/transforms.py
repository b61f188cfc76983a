# Copyright (c) mmseg_jpu contributors. All rights reserved.
from mmcv.transforms import BaseTransform

from mmseg.registry import TRANSFORMS


@TRANSFORMS.register_module()
class CheckSegMapShape(BaseTransform):
    """Refuse an annotation that is not a label map of its image's size.

    mmseg rescales such an annotation silently in training and stops
    ``IoUMetric`` with an error that names no file. Put it after
    ``LoadAnnotations`` (or a ``Resize``: it compares with ``ori_shape``).
    """

    def transform(self, results: dict) -> dict:
        if 'gt_seg_map' not in results:  # mmseg's inference API
            return results
        shape = tuple(results['gt_seg_map'].shape)
        image_shape = tuple(results['ori_shape'][:2])
        if shape != image_shape:
            raise ValueError(
                f"annotation {results['seg_map_path']} has shape {shape} but "
                f"its image {results['img_path']} is {image_shape[0]}x"
                f'{image_shape[1]} (height x width): remake it as a '
                "single-channel label map of its image's size, or fix the "
                "dataset's image/annotation pairing.")
        return results
