"""Flattening a photographed page: find the sheet's four corners and warp it to a rectangle.

A phone photo of a page on a desk shows the sheet as a quadrilateral (seen at an angle) on a
darker background; text detection and label/value pairing work on rows, which a perspective bends.
The sheet is found as the largest bright convex quadrilateral (OpenCV: Otsu threshold, contours,
polygon approximation) on a reduced copy, then the full image is warped so the sheet fills it.
A flatbed scan, where the paper fills the frame, is left exactly as it is.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray
from PIL import Image

__all__ = ["Straightened", "find_page_corners", "straighten_page"]

_WORK_SIZE = 800  # longest side of the copy the sheet is looked for in
_MIN_AREA = 0.2  # a sheet covers at least this share of the photo ...
_MAX_AREA = 0.93  # ... and less than this (else the paper fills the frame: a scan)


@dataclass(frozen=True)
class Straightened:
    """The flattened page and the homography from its pixels back to the uploaded image's."""

    image: Image.Image
    to_original: NDArray[np.float64] | None  # None: the image was left as it was

    def original_box(self, box: tuple[int, int, int, int]) -> tuple[int, int, int, int]:
        """A box on the flattened page as the box around it on the uploaded image."""
        if self.to_original is None:
            return box
        x0, y0, x1, y1 = box
        corners = np.array([[[x0, y0], [x1, y0], [x1, y1], [x0, y1]]], dtype=np.float64)
        mapped = cv2.perspectiveTransform(corners, self.to_original)[0]
        return (
            round(float(mapped[:, 0].min())),
            round(float(mapped[:, 1].min())),
            round(float(mapped[:, 0].max())),
            round(float(mapped[:, 1].max())),
        )


def _ordered(points: NDArray[np.float64]) -> NDArray[np.float32]:
    """Corners as top-left, top-right, bottom-right, bottom-left."""
    sums, diffs = points.sum(axis=1), np.diff(points, axis=1).ravel()
    return np.array(
        [
            points[np.argmin(sums)],
            points[np.argmin(diffs)],
            points[np.argmax(sums)],
            points[np.argmax(diffs)],
        ],
        dtype=np.float32,
    )


def find_page_corners(gray: NDArray[np.uint8]) -> NDArray[np.float32] | None:
    """The corners of a sheet photographed on a darker background, or None when there is none."""
    scale = min(1.0, _WORK_SIZE / max(gray.shape))
    small = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    blurred = cv2.GaussianBlur(small, (5, 5), 0)
    _, mask = cv2.threshold(blurred, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, np.ones((15, 15), np.uint8))
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    if not contours:
        return None
    sheet = max(contours, key=cv2.contourArea)
    share = cv2.contourArea(sheet) / float(small.shape[0] * small.shape[1])
    if not _MIN_AREA <= share <= _MAX_AREA:
        return None
    polygon = cv2.approxPolyDP(sheet, 0.02 * cv2.arcLength(sheet, True), True)
    if len(polygon) != 4 or not cv2.isContourConvex(polygon):
        return None
    return _ordered(polygon.reshape(4, 2).astype(np.float64) / scale)


def straighten_page(image: Image.Image) -> Straightened:
    """The page flattened to a rectangle when it was photographed at an angle, else as it is."""
    gray = np.asarray(image.convert("L"), dtype=np.uint8)
    corners = find_page_corners(gray)
    if corners is None:
        return Straightened(image, None)
    tl, tr, br, bl = corners
    width = round(max(np.linalg.norm(tr - tl), np.linalg.norm(br - bl)))
    height = round(max(np.linalg.norm(bl - tl), np.linalg.norm(br - tr)))
    target = np.array(
        [[0, 0], [width - 1, 0], [width - 1, height - 1], [0, height - 1]], np.float32
    )
    matrix = cv2.getPerspectiveTransform(corners, target)
    flat = cv2.warpPerspective(np.asarray(image.convert("RGB")), matrix, (width, height))
    return Straightened(Image.fromarray(flat), np.linalg.inv(matrix).astype(np.float64))
