"""A float kernel with a numpy form: great-circle distance from each point to a depot, in km.

Each item is one delivery round of `length` (latitude, longitude) points; `kernel` is the loop a
person writes first (math.radians, sin, cos, asin per point), `kernel_numpy` the same formula on
whole arrays. The two agree within numpy.allclose (rtol 1e-9), parbench's default check for floats:
they round differently in the last bits, never more.

    parbench run --workload examples/haversine.py --items 4..64 --strategies serial,processes,numpy,numpy-processes
"""

import math

import numpy as np

DEFAULT_LENGTH = 100_000
EARTH_RADIUS_KM = 6371.0088
DEPOT = (52.5200, 13.4050)  # Berlin


def make_input_numpy(items, length, seed):
    rng = np.random.default_rng(seed)
    return {i: np.column_stack([rng.uniform(47.0, 55.0, length), rng.uniform(5.0, 15.0, length)])
            for i in range(items)}


def make_input(items, length, seed):
    # The same points, as a list of (lat, lon) tuples.
    return {i: [tuple(point) for point in points.tolist()]
            for i, points in make_input_numpy(items, length, seed).items()}


def kernel(points):
    lat0, lon0 = math.radians(DEPOT[0]), math.radians(DEPOT[1])
    cos_lat0 = math.cos(lat0)
    distances = []
    for lat, lon in points:
        lat, lon = math.radians(lat), math.radians(lon)
        a = math.sin((lat - lat0) / 2) ** 2 + cos_lat0 * math.cos(lat) * math.sin((lon - lon0) / 2) ** 2
        distances.append(2 * EARTH_RADIUS_KM * math.asin(math.sqrt(a)))
    return distances


def kernel_numpy(points):
    lat0, lon0 = np.radians(DEPOT[0]), np.radians(DEPOT[1])
    lat, lon = np.radians(points[:, 0]), np.radians(points[:, 1])
    a = np.sin((lat - lat0) / 2) ** 2 + np.cos(lat0) * np.cos(lat) * np.sin((lon - lon0) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(a))
