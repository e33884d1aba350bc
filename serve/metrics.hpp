// Counters for GET /metrics (Prometheus text format 0.0.4).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>

namespace mmi::serve {

enum class Route { policies, evaluate, batch, graph, healthz, readyz, metrics, reload, other };
const char* route_name(Route r);

struct Gauges {
  std::size_t decision_log_depth = 0;
  std::uint64_t decision_log_written = 0, decision_log_write_failures = 0;
  std::size_t connections = 0, policies = 0;
  std::uint64_t generation = 0;
};

class Metrics {
 public:
  void request(Route route, unsigned status, double seconds);
  void evaluations(std::uint64_t n) { evaluations_.fetch_add(n, std::memory_order_relaxed); }
  void reload(bool ok) { (ok ? reloads_ : reload_failures_).fetch_add(1); }
  std::string render(const Gauges& g) const;

  static constexpr std::array<double, 12> kBuckets = {0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
                                                      0.025,   0.05,   0.1,   0.25,   1,     5};

 private:
  mutable std::mutex mu_;
  std::map<std::pair<Route, unsigned>, std::uint64_t> requests_;  // guarded by mu_
  std::array<std::uint64_t, kBuckets.size() + 1> buckets_{};      // guarded by mu_; last: +Inf
  double latency_sum_ = 0;                                        // guarded by mu_
  std::uint64_t latency_count_ = 0;                               // guarded by mu_
  std::atomic<std::uint64_t> evaluations_{0}, reloads_{0}, reload_failures_{0};
};

}  // namespace mmi::serve
