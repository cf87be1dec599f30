// The handle behind the C ABI's nv_index, shared by bindings.cc and
// learning_bindings.cc (not part of the ABI).
#pragma once

#include <memory>

#include "neurovec/status.h"
#include "neurovec/vector_index.h"

struct nv_index {
  std::unique_ptr<neurovec::VectorIndex> index;
};

// Sets nv_last_error()/nv_last_error_code(); returns -1 (bindings.cc).
int32_t nv_internal_fail(const neurovec::Status& status);
void nv_internal_clear_error();

// Threads a batch call may use, set by nv_set_threads (bindings.cc): always 1
// in the single-thread build.
extern uint32_t g_batch_threads;
