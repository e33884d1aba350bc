#include "cli/progress.hpp"

#include <cstdio>
#include <string>
#include <system_error>

namespace mmi::cli {

std::string thousands(std::uint64_t n) {
  std::string digits = std::to_string(n), out;
  for (std::size_t k = 0; k < digits.size(); ++k) {
    if (k && (digits.size() - k) % 3 == 0) out += ',';
    out += digits[k];
  }
  return out;
}

std::string thousands_signed(std::int64_t n) {
  if (n >= 0) return thousands(static_cast<std::uint64_t>(n));
  return "-" + thousands(static_cast<std::uint64_t>(-(n + 1)) + 1);
}

ProgressBar::ProgressBar(const BatchProgress& progress, std::uint64_t total_bytes)
    : progress_(progress), total_(total_bytes), start_(std::chrono::steady_clock::now()) {
  try {
    thread_ = std::thread([this] { run(); });
  } catch (const std::system_error&) {
    // No thread to spare (a process limit): the run goes on without a progress line.
  }
}

void ProgressBar::run() {
  std::unique_lock lk(mu_);
  // Nothing for the first half second: short runs stay quiet.
  if (cv_.wait_for(lk, std::chrono::milliseconds(500), [this] { return stop_; })) return;
  do draw();
  while (!cv_.wait_for(lk, std::chrono::milliseconds(250), [this] { return stop_; }));
  std::fputs("\r\033[K", stderr);
  std::fflush(stderr);
}

ProgressBar::~ProgressBar() {
  {
    std::lock_guard lk(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void ProgressBar::draw() {
  double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  std::uint64_t cases = progress_.cases.load(std::memory_order_relaxed);
  std::uint64_t bytes = progress_.bytes.load(std::memory_order_relaxed);
  double rate = elapsed > 0 ? static_cast<double>(cases) / elapsed : 0;
  std::string line = "\r";
  if (total_ > 0) {
    double frac = std::min(1.0, static_cast<double>(bytes) / static_cast<double>(total_));
    constexpr int kWidth = 28;
    int filled = static_cast<int>(frac * kWidth);
    char pct[16];
    std::snprintf(pct, sizeof pct, "%3d%% [", static_cast<int>(frac * 100));
    line += pct;
    line.append(static_cast<std::size_t>(filled), '#');
    line.append(static_cast<std::size_t>(kWidth - filled), '.');
    line += "] ";
    line += thousands(cases) + " cases  " + thousands(static_cast<std::uint64_t>(rate)) + "/s";
    if (frac > 0.01) {
      auto eta = static_cast<long>(elapsed * (1 - frac) / frac + 0.5);
      char buf[48];
      std::snprintf(buf, sizeof buf, "  ETA %ld:%02ld", eta / 60, eta % 60);
      line += buf;
    }
  } else {
    line += thousands(cases) + " cases  " + thousands(static_cast<std::uint64_t>(rate)) + "/s";
  }
  line += "\033[K";
  std::fputs(line.c_str(), stderr);
  std::fflush(stderr);
}

}  // namespace mmi::cli
