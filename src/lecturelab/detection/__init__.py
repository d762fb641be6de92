"""Object detection (lecture 4): anchors, proposals, detectors, losses, COCO evaluation."""
