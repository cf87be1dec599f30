// Error reporting for the neurovec core.
//
// The core never throws across its public API: every fallible call returns a
// Status (or a Result<T>) carrying a code and a human-readable message that says
// what was wrong and what was expected. Bindings (wasm/, the CLI) turn these into
// JS Errors or process exit codes.
#pragma once

#include <string>
#include <utility>

namespace neurovec {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument = 1,  // bad input from the caller; nothing was changed
  kNotFound = 2,         // an id that is not in the index
  kAlreadyExists = 3,    // duplicate id on add
  kOutOfRange = 4,       // sizes or counts beyond what the index supports
  kInternal = 5,         // a bug in neurovec; please report it
  kAborted = 6,          // stopped on request (a progress callback returned false)
  kCorrupt = 7,             // an index file is truncated, fails a checksum or is inconsistent
  kUnsupportedVersion = 8,  // an index file of a format version this build cannot read
  kNotAnIndexFile = 9,      // bytes that are not a neurovec index file (wrong magic)
  kIoError = 10,            // the storage failed to read, write or flush (the message has its reason)
  kLocked = 11,             // another writer holds the index file
  kQuotaExceeded = 12,      // the storage is out of space or over its quota
  kFailedPrecondition = 13, // the handle cannot do this now: read-only, closed, or a failed flush (reopen it)
};

const char* StatusCodeName(StatusCode code);

class Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }
  static Status InvalidArgument(std::string m) { return {StatusCode::kInvalidArgument, std::move(m)}; }
  static Status NotFound(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
  static Status AlreadyExists(std::string m) { return {StatusCode::kAlreadyExists, std::move(m)}; }
  static Status OutOfRange(std::string m) { return {StatusCode::kOutOfRange, std::move(m)}; }
  static Status Internal(std::string m) { return {StatusCode::kInternal, std::move(m)}; }
  static Status Aborted(std::string m) { return {StatusCode::kAborted, std::move(m)}; }
  static Status Corrupt(std::string m) { return {StatusCode::kCorrupt, std::move(m)}; }
  static Status UnsupportedVersion(std::string m) { return {StatusCode::kUnsupportedVersion, std::move(m)}; }
  static Status NotAnIndexFile(std::string m) { return {StatusCode::kNotAnIndexFile, std::move(m)}; }
  static Status IoError(std::string m) { return {StatusCode::kIoError, std::move(m)}; }
  static Status Locked(std::string m) { return {StatusCode::kLocked, std::move(m)}; }
  static Status QuotaExceeded(std::string m) { return {StatusCode::kQuotaExceeded, std::move(m)}; }
  static Status FailedPrecondition(std::string m) { return {StatusCode::kFailedPrecondition, std::move(m)}; }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

// A value or the Status explaining why there is none.
template <typename T>
class Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) {}  // NOLINT: implicit by design

  bool ok() const { return status_.ok(); }
  const Status& status() const { return status_; }
  T& value() { return value_; }
  const T& value() const { return value_; }
  T&& take() { return std::move(value_); }

 private:
  Status status_;
  T value_{};
};

}  // namespace neurovec

#define NV_RETURN_IF_ERROR(expr)            \
  do {                                      \
    ::neurovec::Status nv_status_ = (expr); \
    if (!nv_status_.ok()) return nv_status_; \
  } while (0)
