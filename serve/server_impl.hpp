// The `mmi serve` server object, shared by server.cpp (connections, routing, reload, drain) and
// endpoints.cpp (what each endpoint answers). Internal to serve/.
#pragma once

// Before Asio: Boost 1.74's awaitable.hpp uses std::exchange without including <utility>.
#include <utility>

#include <atomic>
#include <boost/asio.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <csignal>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <string>

#include "engine/mmi.hpp"
#include "serve/decision_log.hpp"
#include "serve/metrics.hpp"
#include "serve/policy_set.hpp"
#include "serve/request.hpp"
#include "serve/serve.hpp"

namespace mmi::serve::detail {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using net::awaitable;
using net::use_awaitable;
using Clock = std::chrono::steady_clock;

inline std::chrono::milliseconds millis(double seconds) {
  return std::chrono::milliseconds(static_cast<long long>(seconds * 1000));
}

// One Session per compiled graph per thread, dropped when the policy set changes.
Session& session_for(const std::shared_ptr<const Graph>& graph, std::uint64_t generation);

struct Conn {
  explicit Conn(tcp::socket s) : stream(std::move(s)) {}
  beast::tcp_stream stream;
  bool idle = false;  // waiting for the next request (touched only on the connection's strand)
};

struct ReloadOutcome {
  bool swapped = false;
  std::uint64_t generation = 0;
  std::vector<std::string> errors;
};

// What a decision record needs besides the outcome.
struct Origin {
  std::string_view request_id;
  std::uint64_t line = 0;  // batch line, 0 for /evaluate
};

class Server {
 public:
  Server(const ServeOptions& options, std::shared_ptr<const PolicySet> set, std::string token)
      : options_(options), token_digest_(token.empty() ? "" : sha256_hex(token)), set_(set) {
    std::random_device rd;
    boot_id_ = rd();
  }

  bool open_decision_log(std::string& error) {
    if (options_.decision_log.empty()) return true;
    DecisionLogOptions lo;
    lo.path = options_.decision_log;
    lo.queue_capacity = options_.decision_log_queue;
    lo.max_bytes = options_.decision_log_max_bytes;
    lo.keep = options_.decision_log_keep;
    lo.fsync = options_.decision_log_fsync;
    return log_.open(lo, error);
  }

  int run(const tcp::endpoint& endpoint, unsigned threads);

 private:
  std::shared_ptr<const PolicySet> snapshot() {
    std::lock_guard lk(set_mu_);
    return set_;
  }

  awaitable<void> accept_loop();
  awaitable<void> reject(tcp::socket socket);
  awaitable<void> signal_loop();
  awaitable<void> serve_connection(std::shared_ptr<Conn> conn);
  awaitable<ReloadOutcome> reload_task(std::string why) { co_return reload(why); }
  ReloadOutcome reload(const std::string& why);
  void begin_drain();

  bool authorized(const http::request<http::empty_body>& req) const;
  // The answer of every endpoint that needs no socket of its own (all but batch and reload).
  Reply answer(Route route, const PolicySet& set, const PolicyEntry* entry, std::string_view body,
               const Query& q, std::string_view request_id);
  Reply list_policies(const PolicySet& set) const;
  Reply evaluate(const PolicySet& set, const PolicyEntry& entry, std::string_view body,
                 const Query& q, std::string_view request_id);
  // Evaluates one case into `out` and `record`; true when it was an input error (E4xx).
  bool evaluate_case(Session& s, const Graph& g, std::string_view text, const Query& q,
                     const Origin& origin, std::string& out, std::string* record);
  std::shared_ptr<const Graph> graph_for(const PolicyEntry& entry, const Query& q, Reply& error);
  awaitable<bool> batch(Conn& conn, beast::flat_buffer& buffer,
                        http::request_parser<http::empty_body>& header, const PolicyEntry& entry,
                        std::shared_ptr<const PolicySet> set, const Query& q,
                        const std::string& request_id, unsigned& status);
  std::string request_id(const http::request<http::empty_body>& req);

  ServeOptions options_;
  std::string token_digest_;
  net::io_context ioc_;
  tcp::acceptor acceptor_{ioc_};
  net::signal_set signals_{ioc_, SIGTERM, SIGINT, SIGHUP};
  net::thread_pool reload_pool_{1};
  std::mutex set_mu_;
  std::shared_ptr<const PolicySet> set_;  // guarded by set_mu_
  std::mutex reload_mu_;                  // one reload at a time
  std::mutex conns_mu_;
  std::set<std::shared_ptr<Conn>> conns_;  // guarded by conns_mu_
  std::atomic<std::size_t> connection_count_{0};
  std::atomic<bool> draining_{false};
  std::atomic<std::uint64_t> next_request_{0};
  std::atomic<std::uint64_t> answered_{0};  // responses written in full
  std::uint32_t boot_id_ = 0;
  std::mutex variants_mu_;
  std::map<std::string, std::shared_ptr<const Graph>> variants_;  // ?set= compilations
  DecisionLog log_;
  Metrics metrics_;
};

}  // namespace mmi::serve::detail
