// k-means for the product quantizers' sub-codebooks: small dimension (a few
// floats per subspace), k of 16 or 256, a sample of some thousand points.
#pragma once

#include <cstddef>
#include <cstdint>

#include "quantization/codec.h"

namespace neurovec::quant {

// Index of the centroid nearest to x (squared L2; ties to the lower index).
// `transposed` holds the k centroids dimension-major (transposed[j * k + c]) and
// `norms` their squared norms, so the inner loop runs over centroids and
// vectorises: dist(c) = |c|^2 - 2 x.c (the |x|^2 term does not change the argmin).
// `scratch` holds k floats.
uint32_t NearestCentroid(const float* x, const float* transposed, const float* norms, size_t dim, size_t k,
                         float* scratch);

// Lays out k centroids (row-major, dim floats each) for NearestCentroid.
void TransposeCentroids(const float* centroids, size_t dim, size_t k, float* transposed, float* norms);

// Clusters n points (row-major, dim floats) into k centroids (row-major, out).
// Seeding by `init`, then `iterations` Lloyd steps; a cluster left empty takes
// a random point of the largest cluster. With n <= k the points themselves
// (repeated) are the centroids. Deterministic for a given seed.
void Kmeans(const float* points, size_t n, size_t dim, size_t k, uint32_t iterations, KmeansInit init,
            uint64_t seed, float* centroids);

}  // namespace neurovec::quant
