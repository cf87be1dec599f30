// Test side of the native host-storage twin (host_storage_twin.cc).
#pragma once

#include <cstdint>
#include <string>

// A handle for the host-storage imports over a real file, or -1.
int32_t TwinOpen(const std::string& path, bool create);
// Whether the core still holds the handle (it releases it on close/destroy).
bool TwinIsOpen(int32_t handle);
uint64_t TwinFlushes(int32_t handle);
// Reads that ran on a thread other than the one that opened their file (the
// JS host's objects could not be reached from there): must stay 0.
uint64_t TwinReadsOffOwnerThread();
