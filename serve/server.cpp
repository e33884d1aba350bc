// `mmi serve`: HTTP/1.1 on Boost.Beast, one coroutine per connection on a strand, the io_context
// run by --threads threads. Evaluation runs inline on those threads with a thread-local
// mmi::Session per compiled graph (endpoints.cpp); results are written by the engine's own result
// writer. This file: connections, routing, reload, drain, start-up.
#include <fmt/format.h>
#include <openssl/crypto.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>

#include "engine/value_json.hpp"
#include "serve/server_impl.hpp"

namespace mmi::serve {

namespace detail {

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

// A /batch stream: cases are read as the body arrives and results streamed back in chunks.
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
          if (reply.status == 200 && route == Route::reload) {
            ReloadOutcome o = co_await net::co_spawn(
                reload_pool_.get_executor(), reload_task("POST /v1/admin/reload"), use_awaitable);
            reply.status = o.errors.empty() ? 200 : 422;
            reply.body = fmt::format("{{\"generation\":{},\"ok\":{},\"errors\":[", o.generation,
                                     o.errors.empty() ? "true" : "false");
            for (std::size_t k = 0; k < o.errors.size(); ++k) {
              if (k) reply.body += ',';
              append_json_string(reply.body, o.errors[k]);
            }
            reply.body += "]}";
          } else if (reply.status == 200) {
            reply = answer(route, *set, entry, body, q, rid);
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

}  // namespace detail

namespace {

bool is_loopback(const detail::net::ip::address& a) {
  return a.is_loopback();
}

}  // namespace

int run_serve(const ServeOptions& options) {
  using namespace detail;
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
