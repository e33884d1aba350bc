// A progress line on stderr for long runs (count, rate, ETA), redrawn a few times a second from
// its own thread; only used when stderr is a terminal.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>

#include "engine/batch.hpp"

namespace mmi::cli {

class ProgressBar {
 public:
  // total_bytes: the input's size, 0 when unknown (stdin); then no bar and no ETA.
  ProgressBar(const BatchProgress& progress, std::uint64_t total_bytes);
  ~ProgressBar();  // stops and erases the line
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;

 private:
  void run();
  void draw();
  const BatchProgress& progress_;
  std::uint64_t total_;
  std::chrono::steady_clock::time_point start_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

// 1234567 → "1,234,567"
std::string thousands(std::uint64_t n);
std::string thousands_signed(std::int64_t n);

}  // namespace mmi::cli
