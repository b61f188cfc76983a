# Copyright (c) mmseg_jpu contributors. All rights reserved.
from mmcv.transforms import BaseTransform

from mmseg.registry import TRANSFORMS


@TRANSFORMS.register_module()
class CheckSegMapShape(BaseTransform):
    """Check that the annotation is a label map of its image's size.

    Put it right after ``LoadAnnotations``. mmseg does not compare the two:
    an annotation of another size is silently rescaled with its image by
    the train pipeline's ``RandomResize`` (training on misaligned labels)
    and stops ``IoUMetric`` with a shape error that names no file. This
    transform raises an error naming both files instead. The annotation is
    compared with ``ori_shape``, the size of the image as loaded, so it may
    also follow a ``Resize`` of the image (as in the test pipelines). When
    no annotation was loaded (mmseg's inference API drops
    ``LoadAnnotations`` from the test pipeline) there is nothing to check.

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
