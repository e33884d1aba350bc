// `mmi serve`: HTTP/1.1 on Boost.Beast, one coroutine per connection on a strand, the io_context
// run by --threads threads. Evaluation runs inline on those threads with a thread-local
// mmi::Session per compiled graph; results are written by the engine's own result writer.
// Before Asio: Boost 1.74's awaitable.hpp uses std::exchange without including <utility>.
#include <utility>

#include <fmt/format.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <unistd.h>

#include <boost/asio.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <random>
#include <set>
#include <sstream>
#include <thread>
#include <unordered_map>

#include "engine/graph_export.hpp"
#include "engine/mmi.hpp"
#include "engine/value_json.hpp"
#include "rules/calendar.hpp"
#include "serve/decision_log.hpp"
#include "serve/metrics.hpp"
#include "serve/policy_set.hpp"
#include "serve/serve.hpp"

namespace mmi::serve {

namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using net::awaitable;
using net::use_awaitable;
using Clock = std::chrono::steady_clock;

std::chrono::milliseconds millis(double seconds) {
  return std::chrono::milliseconds(static_cast<long long>(seconds * 1000));
}

std::string sha256_hex(std::string_view data) {
  unsigned char md[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), md);
  std::string hex;
  hex.reserve(2 * sizeof md);
  for (unsigned char b : md) hex += fmt::format("{:02x}", b);
  return hex;
}

std::string utc_now() {
  auto now = std::chrono::system_clock::now();
  std::time_t t = std::chrono::system_clock::to_time_t(now);
  auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  return fmt::format("{}.{:03}Z", buf, ms);
}

bool url_decode(std::string_view in, std::string& out) {
  out.clear();
  for (std::size_t k = 0; k < in.size(); ++k) {
    char c = in[k];
    if (c == '+') {
      out += ' ';
    } else if (c == '%') {
      if (k + 2 >= in.size()) return false;
      auto hex = [](char h) -> int {
        if (h >= '0' && h <= '9') return h - '0';
        if (h >= 'a' && h <= 'f') return h - 'a' + 10;
        if (h >= 'A' && h <= 'F') return h - 'A' + 10;
        return -1;
      };
      int hi = hex(in[k + 1]), lo = hex(in[k + 2]);
      if (hi < 0 || lo < 0) return false;
      out += static_cast<char>(hi * 16 + lo);
      k += 2;
    } else {
      out += c;
    }
  }
  return true;
}

struct Query {
  bool explain = false;
  std::optional<DayNumber> as_of;
  ParameterOverrides set;
  std::string format;
  std::string error;  // a bad query: 400
};

Query parse_query(std::string_view q) {
  Query out;
  std::string key, value;
  while (!q.empty()) {
    auto amp = q.find('&');
    std::string_view item = q.substr(0, amp);
    q = amp == std::string_view::npos ? std::string_view{} : q.substr(amp + 1);
    if (item.empty()) continue;
    auto eq = item.find('=');
    if (!url_decode(item.substr(0, eq), key) ||
        !url_decode(eq == std::string_view::npos ? "" : item.substr(eq + 1), value)) {
      out.error = "bad percent-encoding in the query";
      return out;
    }
    if (key == "explain") {
      if (value != "true" && value != "false" && value != "1" && value != "0") {
        out.error = "explain takes true or false, not `" + value + "`";
        return out;
      }
      out.explain = value == "true" || value == "1";
    } else if (key == "as_of") {
      out.as_of = parse_iso_date(value);
      if (!out.as_of) {
        out.error = "as_of takes a date YYYY-MM-DD, not `" + value + "`";
        return out;
      }
    } else if (key == "set") {
      auto e = value.find('=');
      if (e == std::string::npos || e == 0) {
        out.error = "set takes NAME=VALUE, not `" + value + "`";
        return out;
      }
      out.set.emplace_back(value.substr(0, e), value.substr(e + 1));
    } else if (key == "format") {
      out.format = value;
    } else {
      out.error = "unknown query parameter `" + key + "`";
      return out;
    }
  }
  return out;
}

struct Reply {
  unsigned status = 200;
  std::string body;
  const char* content_type = "application/json";
};

Reply error_reply(unsigned status, std::string_view message) {
  Reply r;
  r.status = status;
  r.body = fmt::format("{{\"error\":{{\"status\":{},\"message\":", status);
  append_json_string(r.body, message);
  r.body += "}}";
  return r;
}

void json_field(std::string& out, const char* key, std::string_view value, bool null_if_empty) {
  out += '"';
  out += key;
  out += "\":";
  if (null_if_empty && value.empty())
    out += "null";
  else
    append_json_string(out, value);
}

// One Session per compiled graph per thread, dropped when the policy set changes.
Session& session_for(const std::shared_ptr<const Graph>& graph, std::uint64_t generation) {
  struct Cache {
    std::uint64_t generation = 0;
    std::unordered_map<const Graph*,
                       std::pair<std::shared_ptr<const Graph>, std::unique_ptr<Session>>>
        sessions;
  };
  thread_local Cache cache;
  if (cache.generation != generation || cache.sessions.size() > 64) {
    cache.sessions.clear();
    cache.generation = generation;
  }
  auto& slot = cache.sessions[graph.get()];
  if (!slot.second) slot = {graph, std::make_unique<Session>(graph)};
  return *slot.second;
}

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

std::string Server::request_id(const http::request<http::empty_body>& req) {
  auto it = req.find("X-Request-Id");
  if (it != req.end()) {
    std::string_view v(it->value().data(), it->value().size());
    bool ok = !v.empty() && v.size() <= 128;
    for (char c : v)
      ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' ||
                  c == ':');
    if (ok) return std::string(v);
  }
  return fmt::format("{:08x}-{:x}", boot_id_, next_request_.fetch_add(1));
}

bool Server::authorized(const http::request<http::empty_body>& req) const {
  if (token_digest_.empty()) return true;
  auto it = req.find(http::field::authorization);
  if (it == req.end()) return false;
  std::string_view v(it->value().data(), it->value().size());
  if (v.size() < 7 || !beast::iequals(beast::string_view(v.data(), 7), "Bearer "))
    return false;  // any case
  // Digests of equal length, compared in constant time: neither length nor content leaks.
  std::string given = sha256_hex(v.substr(7));
  return CRYPTO_memcmp(given.data(), token_digest_.data(), given.size()) == 0;
}

Reply Server::list_policies(const PolicySet& set) const {
  Reply r;
  std::string& j = r.body;
  j = fmt::format("{{\"generation\":{},\"policies\":[", set.generation);
  bool first = true;
  for (const auto& [id, e] : set.policies) {
    if (!first) j += ',';
    first = false;
    j += '{';
    json_field(j, "id", id, false);
    if (e.graph) {
      const CheckedPolicy& p = e.graph->policy;
      j += ',';
      json_field(j, "version", p.version, true);
      j += ',';
      json_field(j, "policy_digest", p.digest, false);
      j += ',';
      json_field(j, "title", p.title, true);
      j += ',';
      json_field(j, "insurer", p.insurer, true);
      j += ',';
      json_field(j, "jurisdiction", p.jurisdiction, true);
      j += ',';
      json_field(j, "effective", p.effective ? format_date(*p.effective) : "", true);
      j += ',';
      json_field(j, "expires", p.expires ? format_date(*p.expires) : "", true);
    }
    j += ',';
    json_field(j, "file", e.file, false);
    j += ',';
    json_field(j, "reload_errors", e.reload_errors, true);
    j += '}';
  }
  j += "],\"errors\":[";
  for (std::size_t k = 0; k < set.errors.size(); ++k) {
    if (k) j += ',';
    append_json_string(j, set.errors[k]);
  }
  j += "]}";
  return r;
}

std::shared_ptr<const Graph> Server::graph_for(const PolicyEntry& entry, const Query& q,
                                               Reply& error) {
  if (q.set.empty()) return entry.graph;
  std::string key = entry.graph->policy.digest;
  for (const auto& [name, value] : q.set) key += "\n" + name + "=" + value;
  {
    std::lock_guard lk(variants_mu_);
    auto it = variants_.find(key);
    if (it != variants_.end()) return it->second;
  }
  CompileOptions options;
  options.set = q.set;
  options.warnings = false;
  CompiledPolicy compiled = compile_policy(entry.file, options);
  if (!compiled) {
    compiled.diagnostics.sort();
    error = error_reply(400, render_text(compiled.diagnostics, false));
    return nullptr;
  }
  if (compiled.graph->policy.digest != entry.graph->policy.digest) {
    error = error_reply(409, "the policy file changed since it was loaded; reload first");
    return nullptr;
  }
  std::lock_guard lk(variants_mu_);
  if (variants_.size() >= 64) variants_.clear();
  variants_.emplace(key, compiled.graph);
  return compiled.graph;
}

bool Server::evaluate_case(Session& s, const Graph& g, std::string_view text, const Query& q,
                           const Origin& origin, std::string& out, std::string* record) {
  CaseData& c = s.case_data();
  s.loader().load_json(text, c);
  if (!c.error) {
    if (q.as_of) {
      c.as_of = *q.as_of;
      c.has_as_of = true;
    }
    s.loader().finish(c);
  }
  const Outcome* o = nullptr;
  bool input_error;
  if (c.error) {
    append_input_error_json(out, g, c.id, *c.error, origin.line);
    input_error = true;
  } else {
    o = &s.evaluate(c);
    s.append_result_json(out, q.explain);
    input_error = o->status == Status::error && o->error && code_name(o->error->code)[1] == '4';
  }
  if (!record) return input_error;
  const CheckedPolicy& p = g.policy;
  std::string& r = *record;
  r = "{";
  json_field(r, "time", utc_now(), false);
  r += ',';
  json_field(r, "request_id", origin.request_id, false);
  r += ',';
  json_field(r, "policy", p.policy_id, false);
  r += ',';
  json_field(r, "version", p.version, true);
  r += ',';
  json_field(r, "policy_digest", p.digest, false);
  r += ',';
  json_field(r, "engine_version", engine_version(), false);
  r += ',';
  json_field(r, "case", c.id, true);
  r += ',';
  json_field(r, "case_sha256", sha256_hex(text), false);
  if (origin.line) r += fmt::format(",\"line\":{}", origin.line);
  if (!q.set.empty()) {
    r += ",\"set\":{";
    for (std::size_t k = 0; k < q.set.size(); ++k) {
      if (k) r += ',';
      append_json_string(r, q.set[k].first);
      r += ':';
      append_json_string(r, q.set[k].second);
    }
    r += '}';
  }
  r += ',';
  json_field(r, "status", o ? to_string(o->status) : "error", false);
  r += ',';
  json_field(r, "basis", o && o->basis >= 0 ? p.rules[static_cast<std::size_t>(o->basis)].id : "",
             true);
  r += ',';
  json_field(r, "mmi_date", o && !o->mmi_date.is_missing() ? value_to_string(o->mmi_date, g) : "",
             true);
  r += ',';
  json_field(r, "coverage_cutoff",
             o && !o->coverage_cutoff.is_missing() ? value_to_string(o->coverage_cutoff, g) : "",
             true);
  r += ',';
  std::string code = c.error         ? std::string(code_name(c.error->code))
                     : o && o->error ? std::string(code_name(o->error->code))
                                     : std::string();
  json_field(r, "error", code, true);
  r += '}';
  return input_error;
}

Reply Server::evaluate(const PolicySet& set, const PolicyEntry& entry, std::string_view body,
                       const Query& q, std::string_view request_id) {
  Reply r;
  auto graph = graph_for(entry, q, r);
  if (!graph) return r;
  Session& s = session_for(graph, set.generation);
  std::string record;
  bool input_error = evaluate_case(s, *graph, body, q, Origin{request_id, 0}, r.body,
                                   log_.enabled() ? &record : nullptr);
  metrics_.evaluations(1);
  r.status = input_error ? 422 : 200;
  if (log_.enabled()) {
    auto pushed = log_.push(std::move(record));
    if (pushed == DecisionLog::Push::full)
      return error_reply(503, "the decision log is behind (queue full); retry later");
    if (pushed == DecisionLog::Push::failing)
      return error_reply(503, "the decision log cannot be written; no decision without its record");
  }
  return r;
}

awaitable<bool> Server::batch(Conn& conn, beast::flat_buffer& buffer,
                              http::request_parser<http::empty_body>& header,
                              const PolicyEntry& entry, std::shared_ptr<const PolicySet> set,
                              const Query& q, const std::string& request_id, unsigned& status) {
  auto& stream = conn.stream;
  beast::error_code ec;
  http::request_parser<http::buffer_body> parser(std::move(header));
  const auto& req = parser.get();
  unsigned version = req.version();
  bool keep_alive = req.keep_alive();
  auto expect = req[http::field::expect];
  if (beast::iequals(expect, "100-continue")) {
    static const char kContinue[] = "HTTP/1.1 100 Continue\r\n\r\n";
    stream.expires_after(millis(options_.idle_timeout));
    co_await net::async_write(stream, net::buffer(kContinue, sizeof kContinue - 1),
                              net::redirect_error(use_awaitable, ec));
    if (ec) co_return false;
  }
  status = 499;  // until the last chunk is written: the stream ended early (nginx's code)
  http::response<http::empty_body> res{http::status::ok, version};
  res.set(http::field::server, std::string("mmi/") + engine_version());
  res.set(http::field::content_type, "application/x-ndjson");
  res.set("X-Request-Id", request_id);
  res.chunked(true);
  res.keep_alive(keep_alive && !draining_);
  http::response_serializer<http::empty_body> sr{res};
  stream.expires_after(millis(options_.idle_timeout));
  co_await http::async_write_header(stream, sr, net::redirect_error(use_awaitable, ec));
  if (ec) co_return false;

  Reply unused;
  auto graph = graph_for(entry, q, unused);  // the caller made sure it compiles
  std::vector<char> in(64 * 1024);
  std::string pending, out;
  std::vector<std::string> records;
  std::uint64_t line = 0, evaluated = 0;
  bool too_long = false;  // inside a line longer than --max-body
  const std::size_t max_line = options_.max_body;

  auto finish_line = [&](std::string_view text) {
    ++line;
    Session& s = session_for(graph, set->generation);
    if (too_long || text.size() > max_line) {
      too_long = false;
      CaseError e{Code::E403, fmt::format("line longer than {} bytes", max_line), ""};
      append_input_error_json(out, *graph, "", e, line);
      out += '\n';
      return;
    }
    std::size_t blank = text.find_first_not_of(" \t\r");
    if (blank == std::string_view::npos) return;  // blank lines are not cases
    std::string record;
    evaluate_case(s, *graph, text, q, Origin{request_id, line}, out,
                  log_.enabled() ? &record : nullptr);
    out += '\n';
    ++evaluated;
    if (log_.enabled()) records.push_back(std::move(record));
  };
  auto consume = [&](std::string_view data) {
    while (!data.empty()) {
      auto nl = data.find('\n');
      if (nl == std::string_view::npos) {
        if (!too_long) pending.append(data);
        if (pending.size() > max_line) {
          too_long = true;
          pending.clear();
        }
        return;
      }
      if (pending.empty() && !too_long) {
        finish_line(data.substr(0, nl));
      } else {
        if (!too_long) pending.append(data.substr(0, nl));
        if (pending.size() > max_line) too_long = true;
        if (too_long) pending.clear();
        finish_line(pending);
        pending.clear();
      }
      data.remove_prefix(nl + 1);
    }
  };
  // Records go to the log before their results go to the client; a full queue makes the
  // stream wait (back-pressure), a failing log ends it unfinished.
  auto flush = [&]() -> awaitable<bool> {
    for (auto& record : records) {
      for (;;) {
        auto pushed = log_.push(std::move(record));
        if (pushed == DecisionLog::Push::ok) break;
        if (pushed == DecisionLog::Push::failing) co_return false;
        net::steady_timer wait(co_await net::this_coro::executor);
        wait.expires_after(std::chrono::milliseconds(2));
        co_await wait.async_wait(net::redirect_error(use_awaitable, ec));
      }
    }
    records.clear();
    metrics_.evaluations(evaluated);
    evaluated = 0;
    if (out.empty()) co_return true;
    stream.expires_after(millis(options_.idle_timeout));
    co_await net::async_write(stream, http::make_chunk(net::buffer(out)),
                              net::redirect_error(use_awaitable, ec));
    out.clear();
    co_return !ec;
  };

  while (!parser.is_done()) {
    parser.get().body().data = in.data();
    parser.get().body().size = in.size();
    stream.expires_after(millis(options_.idle_timeout));
    // read_some: whatever has arrived, so results stream back before the body ends.
    co_await http::async_read_some(stream, buffer, parser, net::redirect_error(use_awaitable, ec));
    if (ec == http::error::need_buffer) ec = {};
    if (ec) co_return false;  // the client went away or stalled: stop, nothing more to say
    consume(std::string_view(in.data(), in.size() - parser.get().body().size));
    if (!co_await flush()) co_return false;
  }
  if (!pending.empty() || too_long) finish_line(pending);
  if (!co_await flush()) co_return false;
  stream.expires_after(millis(options_.idle_timeout));
  co_await net::async_write(stream, http::make_chunk_last(),
                            net::redirect_error(use_awaitable, ec));
  if (!ec) status = 200;
  co_return !ec && keep_alive && !draining_;
}

ReloadOutcome Server::reload(const std::string& why) {
  std::lock_guard lk(reload_mu_);
  auto current = snapshot();
  LoadResult loaded = load_policy_set(options_.policies, current.get());
  ReloadOutcome outcome;
  outcome.errors = loaded.errors;
  for (const auto& e : loaded.errors)
    std::fprintf(stderr, "mmi serve: reload (%s): %s\n", why.c_str(), e.c_str());
  if (loaded.set) {
    {
      std::lock_guard slk(set_mu_);
      set_ = loaded.set;
    }
    outcome.swapped = true;
    metrics_.reload(true);
  }
  if (!loaded.errors.empty()) metrics_.reload(false);
  outcome.generation = snapshot()->generation;
  std::fprintf(stderr, "mmi serve: reload (%s): %s, generation %llu, %zu policies\n", why.c_str(),
               outcome.errors.empty() ? "ok" : "with errors (previous versions kept)",
               static_cast<unsigned long long>(outcome.generation), snapshot()->policies.size());
  return outcome;
}

void Server::begin_drain() {
  if (draining_.exchange(true)) return;
  std::fprintf(stderr, "mmi serve: draining\n");
  net::post(acceptor_.get_executor(), [this] {
    beast::error_code ec;
    acceptor_.close(ec);
  });
  std::lock_guard lk(conns_mu_);
  for (const auto& c : conns_)
    net::post(c->stream.get_executor(), [c] {
      if (c->idle) c->stream.cancel();
    });
}

awaitable<void> Server::signal_loop() {
  for (;;) {
    beast::error_code ec;
    int sig = co_await signals_.async_wait(net::redirect_error(use_awaitable, ec));
    if (ec) co_return;
    if (sig == SIGHUP) {
      net::post(reload_pool_, [this] { reload("SIGHUP"); });
      continue;
    }
    begin_drain();
    co_return;
  }
}

awaitable<void> Server::reject(tcp::socket socket) {
  beast::tcp_stream stream(std::move(socket));
  http::response<http::string_body> res{http::status::service_unavailable, 11};
  res.set(http::field::content_type, "application/json");
  res.body() = error_reply(503, "too many connections").body;
  res.keep_alive(false);
  res.prepare_payload();
  stream.expires_after(std::chrono::seconds(1));
  beast::error_code ec;
  co_await http::async_write(stream, res, net::redirect_error(use_awaitable, ec));
  stream.socket().shutdown(tcp::socket::shutdown_send, ec);
}

awaitable<void> Server::accept_loop() {
  for (;;) {
    tcp::socket socket(net::make_strand(ioc_));
    beast::error_code ec;
    co_await acceptor_.async_accept(socket, net::redirect_error(use_awaitable, ec));
    if (ec) {
      if (!acceptor_.is_open() || draining_) co_return;
      // Out of file descriptors and the like: wait a little rather than spin.
      net::steady_timer t(ioc_, std::chrono::milliseconds(50));
      co_await t.async_wait(net::redirect_error(use_awaitable, ec));
      continue;
    }
    if (draining_) co_return;
    if (connection_count_.load() >= options_.max_connections) {
      auto ex = socket.get_executor();
      net::co_spawn(ex, reject(std::move(socket)), net::detached);
      continue;
    }
    // Responses go out in one write each, but a /batch stream writes its header and chunks
    // separately: without this, Nagle's algorithm and delayed ACKs would stall them.
    socket.set_option(tcp::no_delay(true), ec);
    auto conn = std::make_shared<Conn>(std::move(socket));
    {
      std::lock_guard lk(conns_mu_);
      conns_.insert(conn);
    }
    connection_count_.fetch_add(1);
    net::co_spawn(conn->stream.get_executor(), serve_connection(conn), net::detached);
  }
}

awaitable<void> Server::serve_connection(std::shared_ptr<Conn> conn) {
  auto& stream = conn->stream;
  beast::flat_buffer buffer;
  beast::error_code ec;
  try {
    for (;;) {
      if (buffer.size() == 0) {
        if (draining_) break;
        conn->idle = true;
        stream.expires_after(millis(options_.idle_timeout));
        std::size_t n = co_await stream.async_read_some(buffer.prepare(8192),
                                                        net::redirect_error(use_awaitable, ec));
        conn->idle = false;
        if (ec) break;
        buffer.commit(n);
      }
      auto started = Clock::now();
      http::request_parser<http::empty_body> header;
      header.header_limit(16 * 1024);
      header.body_limit(std::numeric_limits<std::uint64_t>::max());
      // One deadline for the header and an /evaluate body: a trickling client is cut off.
      stream.expires_after(millis(options_.header_timeout));
      co_await http::async_read_header(stream, buffer, header,
                                       net::redirect_error(use_awaitable, ec));
      Route route = Route::other;
      Reply reply;
      bool close = false;
      bool unread_body = false;  // answering before the body was read: linger on close
      std::string rid;
      std::string id;
      if (ec) {
        if (ec == beast::error::timeout || ec == http::error::end_of_stream ||
            ec == net::error::eof || ec == net::error::connection_reset ||
            ec == net::error::operation_aborted)
          break;
        reply = error_reply(ec == http::error::header_limit ? 431 : 400,
                            "bad request: " + ec.message());
        close = true;
      } else {
        const auto& req = header.get();
        rid = request_id(req);
        std::string_view target(req.target().data(), req.target().size());
        auto qpos = target.find('?');
        std::string_view path = target.substr(0, qpos);
        Query q = parse_query(qpos == std::string_view::npos ? "" : target.substr(qpos + 1));
        std::string action;
        bool is_post = req.method() == http::verb::post;
        auto set = snapshot();
        const PolicyEntry* entry = nullptr;
        if (path == "/healthz") {
          route = Route::healthz;
        } else if (path == "/readyz") {
          route = Route::readyz;
        } else if (path == "/metrics") {
          route = Route::metrics;
        } else if (path == "/v1/policies") {
          route = Route::policies;
        } else if (path == "/v1/admin/reload") {
          route = Route::reload;
        } else if (path.substr(0, 13) == "/v1/policies/") {
          std::string_view rest = path.substr(13);
          auto slash = rest.rfind('/');
          if (slash != std::string_view::npos && url_decode(rest.substr(0, slash), id)) {
            action = std::string(rest.substr(slash + 1));
            route = action == "evaluate" ? Route::evaluate
                    : action == "batch"  ? Route::batch
                    : action == "graph"  ? Route::graph
                                         : Route::other;
            if (route != Route::other) entry = set->find(id);
          }
        }
        bool wants_post =
            route == Route::evaluate || route == Route::batch || route == Route::reload;
        bool public_route = route == Route::healthz || route == Route::readyz;
        bool has_body = req.has_content_length() || req.chunked();
        auto length = header.content_length();
        if (!public_route && !authorized(req)) {
          reply = error_reply(401, "missing or wrong bearer token");
          close = unread_body = has_body;
        } else if (route == Route::other) {
          reply = error_reply(404, "no such endpoint: " + std::string(path));
          close = unread_body = has_body;
        } else if (wants_post != is_post) {
          reply = error_reply(405, std::string("use ") + (wants_post ? "POST" : "GET"));
          close = unread_body = has_body;
        } else if (!q.error.empty()) {
          reply = error_reply(400, q.error);
          close = unread_body = has_body;
        } else if ((route == Route::evaluate || route == Route::batch || route == Route::graph) &&
                   (!entry || !entry->graph)) {
          reply = error_reply(404, "no policy `" + id + "`");
          close = unread_body = has_body;
        } else if (route == Route::batch) {
          Reply bad;
          if (!q.set.empty() && !graph_for(*entry, q, bad)) {
            reply = bad;
            close = unread_body = true;
          } else if (log_.enabled() && !log_.healthy()) {
            reply = error_reply(503, "the decision log cannot be written");
            close = unread_body = true;
          } else {
            unsigned status = 200;
            PolicyEntry kept = *entry;  // the set may be swapped while the stream runs
            bool keep = co_await batch(*conn, buffer, header, kept, set, q, rid, status);
            metrics_.request(route, status,
                             std::chrono::duration<double>(Clock::now() - started).count());
            if (status == 200) answered_.fetch_add(1);
            if (!keep) break;
            continue;
          }
        } else if (length && *length > options_.max_body) {
          reply = error_reply(413, fmt::format("body over {} bytes", options_.max_body));
          close = unread_body = true;
        } else {
          std::string body;
          if (has_body) {
            http::request_parser<http::string_body> full(std::move(header));
            full.body_limit(options_.max_body);
            if (beast::iequals(full.get()[http::field::expect], "100-continue")) {
              static const char kContinue[] = "HTTP/1.1 100 Continue\r\n\r\n";
              co_await net::async_write(stream, net::buffer(kContinue, sizeof kContinue - 1),
                                        net::redirect_error(use_awaitable, ec));
              if (ec) break;
            }
            co_await http::async_read(stream, buffer, full, net::redirect_error(use_awaitable, ec));
            if (ec == http::error::body_limit) {
              reply = error_reply(413, fmt::format("body over {} bytes", options_.max_body));
              close = unread_body = true;
            } else if (ec) {
              break;  // timeout or disconnect mid-body
            }
            body = std::move(full.get().body());
            close = close || !full.get().keep_alive();
          } else {
            close = !req.keep_alive();
          }
          if (reply.status == 200) switch (route) {
              case Route::healthz:
                reply.body = "{\"status\":\"ok\"}";
                break;
              case Route::readyz:
                if (draining_)
                  reply = error_reply(503, "draining");
                else if (log_.enabled() && !log_.healthy())
                  reply = error_reply(503, "the decision log cannot be written");
                else
                  reply.body =
                      fmt::format("{{\"status\":\"ready\",\"generation\":{}}}", set->generation);
                break;
              case Route::metrics: {
                Gauges g;
                g.decision_log_depth = log_.depth();
                g.decision_log_written = log_.written();
                g.decision_log_write_failures = log_.write_failures();
                g.connections = connection_count_.load();
                g.policies = set->policies.size();
                g.generation = set->generation;
                reply.body = metrics_.render(g);
                reply.content_type = "text/plain; version=0.0.4";
                break;
              }
              case Route::policies:
                reply = list_policies(*set);
                break;
              case Route::graph:
                if (!q.format.empty() && q.format != "dot" && q.format != "json") {
                  reply = error_reply(400, "format takes dot or json");
                } else if (q.format == "dot") {
                  reply.body = graph_export(*entry->graph, GraphFormat::dot);
                  reply.content_type = "text/vnd.graphviz";
                } else {
                  reply.body = graph_export(*entry->graph, GraphFormat::json);
                }
                break;
              case Route::evaluate:
                reply = evaluate(*set, *entry, body, q, rid);
                break;
              case Route::reload: {
                ReloadOutcome o =
                    co_await net::co_spawn(reload_pool_.get_executor(),
                                           reload_task("POST /v1/admin/reload"), use_awaitable);
                reply.status = o.errors.empty() ? 200 : 422;
                reply.body = fmt::format("{{\"generation\":{},\"ok\":{},\"errors\":[", o.generation,
                                         o.errors.empty() ? "true" : "false");
                for (std::size_t k = 0; k < o.errors.size(); ++k) {
                  if (k) reply.body += ',';
                  append_json_string(reply.body, o.errors[k]);
                }
                reply.body += "]}";
                break;
              }
              default:
                break;
            }
        }
      }
      http::response<http::string_body> res{static_cast<http::status>(reply.status), 11};
      res.set(http::field::server, std::string("mmi/") + engine_version());
      res.set(http::field::content_type, reply.content_type);
      if (!rid.empty()) res.set("X-Request-Id", rid);
      if (reply.status == 401) res.set(http::field::www_authenticate, "Bearer");
      if (reply.body.empty() || reply.body.back() != '\n') reply.body += '\n';
      res.body() = std::move(reply.body);
      res.keep_alive(!close && !draining_);
      res.prepare_payload();
      stream.expires_after(millis(options_.idle_timeout));
      co_await http::async_write(stream, res, net::redirect_error(use_awaitable, ec));
      metrics_.request(route, reply.status,
                       std::chrono::duration<double>(Clock::now() - started).count());
      if (!ec) answered_.fetch_add(1);
      if (!ec && unread_body) {
        // The client may still be sending the body: closing now would reset the connection
        // and could destroy the answer before it is read. Half-close, then read and discard for
        // a moment (a "lingering close").
        stream.socket().shutdown(tcp::socket::shutdown_send, ec);
        std::vector<char> sink(64 * 1024);
        stream.expires_after(std::chrono::seconds(2));
        for (int k = 0; k < 1024 && !ec; ++k)
          co_await stream.async_read_some(net::buffer(sink),
                                          net::redirect_error(use_awaitable, ec));
        break;
      }
      if (ec || !res.keep_alive()) break;
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "mmi serve: connection dropped: %s\n", e.what());
  }
  beast::error_code ignored;
  stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
  stream.close();
  {
    std::lock_guard lk(conns_mu_);
    conns_.erase(conn);
  }
  connection_count_.fetch_sub(1);
}

int Server::run(const tcp::endpoint& endpoint, unsigned threads) {
  beast::error_code ec;
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    std::fprintf(stderr, "mmi serve: cannot listen on %s:%u: %s\n",
                 endpoint.address().to_string().c_str(), endpoint.port(), ec.message().c_str());
    return 2;
  }
  auto bound = acceptor_.local_endpoint();
  std::fprintf(stderr, "mmi serve: listening on http://%s:%u (%zu policies, %u threads)\n",
               bound.address().to_string().c_str(), bound.port(), snapshot()->policies.size(),
               threads);
  std::fflush(stderr);
  net::co_spawn(ioc_, accept_loop(), net::detached);
  net::co_spawn(ioc_, signal_loop(), net::detached);
  std::vector<std::thread> pool;
  for (unsigned k = 1; k < threads; ++k) pool.emplace_back([this] { ioc_.run(); });
  ioc_.run();
  for (auto& t : pool) t.join();
  reload_pool_.join();
  std::size_t lost = log_.close(5000);
  if (lost) {
    std::fprintf(stderr, "mmi serve: %zu decision records could not be written to `%s`\n", lost,
                 options_.decision_log.c_str());
    return 1;
  }
  std::fprintf(stderr, "mmi serve: stopped after answering %llu requests\n",
               static_cast<unsigned long long>(answered_.load()));
  return 0;
}

bool is_loopback(const net::ip::address& a) {
  return a.is_loopback();
}

}  // namespace

int run_serve(const ServeOptions& options) {
  std::signal(SIGPIPE, SIG_IGN);
  // HOST:PORT, with [v6]:PORT.
  std::string host = options.listen, port = "8080";
  auto colon = host.rfind(':');
  if (colon != std::string::npos && host.find(']') != std::string::npos
          ? colon > host.find(']')
          : colon != std::string::npos) {
    port = host.substr(colon + 1);
    host = host.substr(0, colon);
  }
  if (host.size() > 1 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  if (host == "localhost") host = "127.0.0.1";
  beast::error_code ec;
  auto address = net::ip::make_address(host, ec);
  unsigned long port_number = 0;
  try {
    std::size_t used = 0;
    port_number = std::stoul(port, &used);
    if (used != port.size() || port_number > 65535) throw std::out_of_range("port");
  } catch (const std::exception&) {
    ec = net::error::invalid_argument;
  }
  if (ec) {
    std::fprintf(stderr, "mmi: --listen takes HOST:PORT with a numeric address, not `%s`\n",
                 options.listen.c_str());
    return 2;
  }
  std::string token;
  if (!options.token_file.empty()) {
    std::ifstream in(options.token_file);
    std::stringstream text;
    text << in.rdbuf();
    token = text.str();
    while (!token.empty() && std::isspace(static_cast<unsigned char>(token.back())))
      token.pop_back();
    if (!in || token.empty()) {
      std::fprintf(stderr, "mmi: cannot read a token from --token-file `%s`\n",
                   options.token_file.c_str());
      return 2;
    }
  } else if (!is_loopback(address)) {
    std::fprintf(stderr,
                 "mmi: listening on %s (not loopback) needs --token-file: clients must present "
                 "a bearer token\n",
                 host.c_str());
    return 2;
  }
  if (options.max_body == 0 || options.header_timeout <= 0 || options.idle_timeout <= 0 ||
      options.max_connections == 0) {
    std::fprintf(stderr, "mmi: --max-body, the timeouts and --max-connections must be positive\n");
    return 2;
  }

  LoadResult loaded = load_policy_set(options.policies, nullptr);
  for (const auto& e : loaded.errors) std::fprintf(stderr, "%s\n", e.c_str());
  if (loaded.conflict) return 2;
  if (!loaded.set) return 1;
  if (loaded.set->policies.empty()) {
    std::fprintf(stderr, "mmi: no policy (a YAML file with `policy:` and `decision:`) under `%s`\n",
                 options.policies.c_str());
    return 2;
  }
  unsigned threads = options.threads ? options.threads : std::thread::hardware_concurrency();
  if (threads == 0) threads = 1;
  auto server = std::make_unique<Server>(options, loaded.set, token);
  std::string error;
  if (!server->open_decision_log(error)) {
    std::fprintf(stderr, "mmi: %s\n", error.c_str());
    return 2;
  }
  return server->run(tcp::endpoint(address, static_cast<unsigned short>(port_number)), threads);
}

}  // namespace mmi::serve
