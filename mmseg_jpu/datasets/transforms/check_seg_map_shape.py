# Copyright (c) mmseg_jpu contributors. All rights reserved.
from mmcv.transforms import BaseTransform

from mmseg.registry import TRANSFORMS


@TRANSFORMS.register_module()
class CheckSegMapShape(BaseTransform):
    """Check that the annotation is a label map of its image's size.

    Put it right after ``LoadAnnotations``: mmseg does not compare the two,
    so an annotation of another size is silently rescaled by
    ``RandomResize`` in training and stops ``IoUMetric`` with a shape error
    that names no file. The annotation is compared with ``ori_shape`` (the
    image as loaded), so the check may also follow a ``Resize``; without an
    annotation (mmseg's inference API) there is nothing to check.

    Required keys: ``ori_shape``, ``img_path``; ``gt_seg_map`` and
    ``seg_map_path`` when an annotation was loaded.
    """

    def transform(self, results: dict) -> dict:
        if 'gt_seg_map' not in results:
            return results
        shape = tuple(results['gt_seg_map'].shape)
        image_shape = tuple(results['ori_shape'][:2])
        if shape != image_shape:
            raise ValueError(
                f"annotation {results.get('seg_map_path')} has shape "
                f"{shape} but its image {results.get('img_path')} is "
                f'{image_shape[0]}x{image_shape[1]} (height x width); an '
                'annotation must be a single-channel label map of its '
                "image's size. Remake it at the image's size, or fix the "
                'image/annotation pairing of the dataset.')
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}()'
