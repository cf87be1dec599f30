#include <string>

#include "neurovec/config.h"
#include "neurovec/metric.h"
#include "neurovec/status.h"

namespace neurovec {

const char* StatusCodeName(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return "ok";
    case StatusCode::kInvalidArgument: return "invalid argument";
    case StatusCode::kNotFound: return "not found";
    case StatusCode::kAlreadyExists: return "already exists";
    case StatusCode::kOutOfRange: return "out of range";
    case StatusCode::kInternal: return "internal error";
    case StatusCode::kAborted: return "aborted";
    case StatusCode::kCorrupt: return "corrupt";
    case StatusCode::kUnsupportedVersion: return "unsupported version";
    case StatusCode::kNotAnIndexFile: return "not an index file";
    case StatusCode::kIoError: return "I/O error";
    case StatusCode::kLocked: return "locked";
    case StatusCode::kQuotaExceeded: return "quota exceeded";
    case StatusCode::kFailedPrecondition: return "failed precondition";
  }
  return "unknown";
}

const char* MetricName(Metric metric) {
  switch (metric) {
    case Metric::kL2: return "l2";
    case Metric::kCosine: return "cosine";
    case Metric::kDot: return "dot";
    case Metric::kManhattan: return "manhattan";
  }
  return "unknown";
}

Result<Metric> ParseMetric(const std::string& name) {
  if (name == "l2" || name == "euclidean") return Metric::kL2;
  if (name == "cosine") return Metric::kCosine;
  if (name == "dot" || name == "ip") return Metric::kDot;
  if (name == "manhattan" || name == "l1") return Metric::kManhattan;
  return Status::InvalidArgument("unknown metric \"" + name + "\"; expected \"l2\", \"cosine\", \"dot\" or \"manhattan\"");
}

}  // namespace neurovec
