#include "serve/metrics.hpp"

#include <fmt/format.h>

namespace mmi::serve {

const char* route_name(Route r) {
  switch (r) {
    case Route::policies:
      return "policies";
    case Route::evaluate:
      return "evaluate";
    case Route::batch:
      return "batch";
    case Route::graph:
      return "graph";
    case Route::healthz:
      return "healthz";
    case Route::readyz:
      return "readyz";
    case Route::metrics:
      return "metrics";
    case Route::reload:
      return "reload";
    case Route::other:
      break;
  }
  return "other";
}

void Metrics::request(Route route, unsigned status, double seconds) {
  std::size_t b = 0;
  while (b < kBuckets.size() && seconds > kBuckets[b]) ++b;
  std::lock_guard lk(mu_);
  ++requests_[{route, status}];
  ++buckets_[b];
  latency_sum_ += seconds;
  ++latency_count_;
}

std::string Metrics::render(const Gauges& g) const {
  std::string out;
  auto counter = [&](const char* name, const char* help, std::uint64_t v, const char* type) {
    out += fmt::format("# HELP {} {}\n# TYPE {} {}\n{} {}\n", name, help, name, type, name, v);
  };
  out +=
      "# HELP mmi_http_requests_total HTTP requests answered, by route and status.\n"
      "# TYPE mmi_http_requests_total counter\n";
  std::lock_guard lk(mu_);
  for (const auto& [key, n] : requests_)
    out += fmt::format("mmi_http_requests_total{{route=\"{}\",status=\"{}\"}} {}\n",
                       route_name(key.first), key.second, n);
  out +=
      "# HELP mmi_http_request_duration_seconds Time from a request's header to its last "
      "response byte.\n# TYPE mmi_http_request_duration_seconds histogram\n";
  std::uint64_t cumulative = 0;
  for (std::size_t b = 0; b < kBuckets.size(); ++b) {
    cumulative += buckets_[b];
    out += fmt::format("mmi_http_request_duration_seconds_bucket{{le=\"{}\"}} {}\n", kBuckets[b],
                       cumulative);
  }
  cumulative += buckets_.back();
  out += fmt::format("mmi_http_request_duration_seconds_bucket{{le=\"+Inf\"}} {}\n", cumulative);
  out += fmt::format("mmi_http_request_duration_seconds_sum {}\n", latency_sum_);
  out += fmt::format("mmi_http_request_duration_seconds_count {}\n", latency_count_);
  counter("mmi_evaluations_total", "Cases evaluated (evaluate and batch).", evaluations_.load(),
          "counter");
  counter("mmi_reloads_total", "Policy reloads that swapped in a new policy set.", reloads_.load(),
          "counter");
  counter("mmi_reload_failures_total",
          "Reloads in which a policy failed to compile (its previous version kept serving).",
          reload_failures_.load(), "counter");
  counter("mmi_decision_log_queue_depth", "Decision records waiting to be written.",
          g.decision_log_depth, "gauge");
  counter("mmi_decision_log_records_total", "Decision records written.", g.decision_log_written,
          "counter");
  counter("mmi_decision_log_write_failures_total", "Failed writes to the decision log.",
          g.decision_log_write_failures, "counter");
  counter("mmi_open_connections", "Open client connections.", g.connections, "gauge");
  counter("mmi_policies", "Policies being served.", g.policies, "gauge");
  counter("mmi_policy_generation", "Generation of the policy set (1 at start, +1 per reload).",
          g.generation, "gauge");
  return out;
}

}  // namespace mmi::serve
