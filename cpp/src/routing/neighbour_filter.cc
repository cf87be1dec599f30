#include "routing/neighbour_filter.h"

#include <algorithm>
#include <cmath>

#include "distance/kernels.h"
#include "util/random.h"

namespace neurovec::routing {

ProjectionBasis ProjectionBasis::Fit(const float* rows, size_t count, uint32_t stride, uint32_t rank, float scale,
                                     uint64_t seed) {
  ProjectionBasis b;
  // A multiple of 16 (the kernels' block), at most the stride and the sample.
  rank = std::min<uint32_t>({rank, kMaxRank, stride, static_cast<uint32_t>(count)}) / 16 * 16;
  if (rank == 0 || count < 2) return b;
  b.rank = rank;
  b.stride = stride;
  b.scale = scale;
  // Mean and covariance in double (stride x stride, upper triangle mirrored).
  std::vector<double> mean(stride, 0.0);
  for (size_t i = 0; i < count; ++i) {
    for (uint32_t j = 0; j < stride; ++j) mean[j] += rows[i * stride + j];
  }
  for (double& m : mean) m /= static_cast<double>(count);
  std::vector<double> cov(static_cast<size_t>(stride) * stride, 0.0);
  std::vector<double> centred(stride);
  for (size_t i = 0; i < count; ++i) {
    for (uint32_t j = 0; j < stride; ++j) centred[j] = rows[i * stride + j] - mean[j];
    for (uint32_t a = 0; a < stride; ++a) {
      const double ca = centred[a];
      if (ca == 0) continue;
      double* row = cov.data() + static_cast<size_t>(a) * stride;
      for (uint32_t c = a; c < stride; ++c) row[c] += ca * centred[c];
    }
  }
  for (uint32_t a = 0; a < stride; ++a) {
    for (uint32_t c = 0; c < a; ++c) cov[static_cast<size_t>(a) * stride + c] = cov[static_cast<size_t>(c) * stride + a];
  }
  // Subspace iteration: Q <- orthonormalise(C Q), from a seeded random start.
  Random rng(seed);
  std::vector<double> q(static_cast<size_t>(rank) * stride), z(q.size());
  for (double& v : q) v = rng.NextUnit() - 0.5;
  auto orthonormalise = [&](std::vector<double>& m) {
    for (uint32_t i = 0; i < rank; ++i) {
      double* vi = m.data() + static_cast<size_t>(i) * stride;
      for (int pass = 0; pass < 2; ++pass) {  // twice: Gram-Schmidt loses orthogonality once
        for (uint32_t j = 0; j < i; ++j) {
          const double* vj = m.data() + static_cast<size_t>(j) * stride;
          double dot = 0;
          for (uint32_t d = 0; d < stride; ++d) dot += vi[d] * vj[d];
          for (uint32_t d = 0; d < stride; ++d) vi[d] -= dot * vj[d];
        }
      }
      double norm = 0;
      for (uint32_t d = 0; d < stride; ++d) norm += vi[d] * vi[d];
      norm = std::sqrt(norm);
      if (norm < 1e-300) {  // degenerate (fewer directions than rank): any unit vector orthogonal later
        vi[i % stride] = 1;
        norm = 1;
      }
      for (uint32_t d = 0; d < stride; ++d) vi[d] /= norm;
    }
  };
  orthonormalise(q);
  constexpr int kIterations = 12;
  for (int it = 0; it < kIterations; ++it) {
    for (uint32_t i = 0; i < rank; ++i) {
      const double* qi = q.data() + static_cast<size_t>(i) * stride;
      double* zi = z.data() + static_cast<size_t>(i) * stride;
      for (uint32_t a = 0; a < stride; ++a) {
        const double* row = cov.data() + static_cast<size_t>(a) * stride;
        double s = 0;
        for (uint32_t d = 0; d < stride; ++d) s += row[d] * qi[d];
        zi[a] = s;
      }
    }
    q.swap(z);
    orthonormalise(q);
  }
  b.mean.assign(mean.begin(), mean.end());
  b.basis.assign(q.begin(), q.end());
  // The byte grid of each coordinate: the sample's range, widened by a tenth.
  std::vector<float> lo(rank, INFINITY), hi(rank, -INFINITY), projected(rank);
  b.code_low.assign(rank, 0.0f);
  b.code_step.assign(rank, 1.0f);
  for (size_t i = 0; i < count; ++i) {
    b.Project(rows + i * stride, projected.data());
    for (uint32_t j = 0; j < rank; ++j) {
      lo[j] = std::min(lo[j], projected[j]);
      hi[j] = std::max(hi[j], projected[j]);
    }
  }
  for (uint32_t j = 0; j < rank; ++j) {
    const float pad = 0.05f * (hi[j] - lo[j]);
    b.code_low[j] = lo[j] - pad;
    b.code_step[j] = std::max((hi[j] - lo[j] + 2 * pad) / 255.0f, 1e-30f);
  }
  return b;
}

float ProjectionBasis::Project(const float* v, float* out) const {
  // Rows and the basis are padded to a multiple of 16 floats, as the kernels want.
  const distance::KernelTable& k = distance::BestKernels();
  thread_local std::vector<float> centred;
  centred.resize(stride);
  for (uint32_t d = 0; d < stride; ++d) centred[d] = v[d] - mean[d];
  const float total = k.dot(centred.data(), centred.data(), stride);
  float projected = 0;
  for (uint32_t i = 0; i < rank; ++i) {
    out[i] = k.dot(basis.data() + static_cast<size_t>(i) * stride, centred.data(), stride);
    projected += out[i] * out[i];
  }
  return std::max(0.0f, total - projected);
}

void ProjectionBasis::Encode(const float* projected, uint8_t* codes) const {
  for (uint32_t i = 0; i < rank; ++i) {
    const float c = std::round((projected[i] - code_low[i]) / code_step[i]);
    codes[i] = static_cast<uint8_t>(c < 0 ? 0 : (c > 255 ? 255 : c));
  }
}

}  // namespace neurovec::routing
