# Copyright (c) mmseg_jpu contributors. All rights reserved.
from mmcv.transforms import BaseTransform

from mmseg.registry import TRANSFORMS


@TRANSFORMS.register_module()
class CheckSegMapShape(BaseTransform):
    """Check that the annotation is a label map of its image's size.

    Put it after ``LoadAnnotations``: mmseg does not compare the two, so an
    annotation of another size is rescaled silently in training and stops
    ``IoUMetric`` with an error that names no file. Compares with
    ``ori_shape``, so it may also follow a ``Resize``.

    Required keys: ``ori_shape``, ``img_path``, ``gt_seg_map`` (if loaded),
    ``seg_map_path``.
    """

    def transform(self, results: dict) -> dict:
        if 'gt_seg_map' not in results:  # mmseg's inference API
            return results
        shape = tuple(results['gt_seg_map'].shape)
        image_shape = tuple(results['ori_shape'][:2])
        if shape != image_shape:
            raise ValueError(
                f"annotation {results.get('seg_map_path')} has shape "
                f"{shape} but its image {results.get('img_path')} is "
                f'{image_shape[0]}x{image_shape[1]} (height x width): remake '
                "it as a single-channel label map of its image's size, or "
                "fix the dataset's image/annotation pairing.")
        return results
