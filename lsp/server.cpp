// Threads: the reader (the caller's) parses messages, applies document changes at once and queues
// requests; one worker answers completion, hover, navigation… in order, another the requests
// that evaluate cases (code lenses, commands); one checker runs the debounced checks and
// publishes diagnostics. So neither a slow check nor a suite's evaluation delays completion.
#include "lsp/server.hpp"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <deque>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "lsp/analysis.hpp"
#include "lsp/features.hpp"
#include "lsp/transport.hpp"

namespace mmi::lsp {
namespace {

using Clock = std::chrono::steady_clock;

namespace error_code {
constexpr int parse_error = -32700, invalid_request = -32600, method_not_found = -32601,
              invalid_params = -32602, internal_error = -32603, server_not_initialized = -32002,
              request_cancelled = -32800;
}

struct Document {
  std::string uri, path, text;
  int version = 0;
};

DayNumber today() {
  auto now = std::chrono::system_clock::now();
  return static_cast<DayNumber>(
      std::chrono::duration_cast<std::chrono::hours>(now.time_since_epoch()).count() / 24);
}

class Server {
 public:
  Server(int in_fd, std::FILE* out) : io_(in_fd, out) {}

  int run() {
    std::thread requests([this] { request_loop(kFastLane); });
    std::thread slow_requests([this] { request_loop(kSlowLane); });
    std::thread checker([this] { check_loop(); });
    while (!exit_) {
      auto body = io_.read();
      if (!body) break;  // the client is gone
      handle_message(*body);
    }
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    request_cv_.notify_all();
    check_cv_.notify_all();
    requests.join();
    slow_requests.join();
    checker.join();
    return shutdown_ ? 0 : 1;
  }

 private:
  Transport io_;
  std::mutex mutex_;  // guards everything below
  std::condition_variable request_cv_, check_cv_;
  // Requests that evaluate cases (code lenses, commands) have their own worker, so that
  // completion, hover and navigation never wait behind them.
  static constexpr int kFastLane = 0, kSlowLane = 1;
  std::deque<json> requests_[2];
  std::set<std::string> cancelled_;       // ids (dumped) of queued or running requests
  std::map<std::string, Document> docs_;  // by URI
  std::map<std::string, std::shared_ptr<const Analysis>> analyses_;  // by document URI
  std::map<std::string, std::shared_ptr<const Analysis>> typed_;     // the latest with a policy
  std::map<std::string, Clock::time_point> due_;                     // URI → when to check
  std::map<std::string, Clock::time_point> last_check_;  // URI → when its last check began
  bool stopping_ = false;
  std::atomic<bool> exit_{false};
  std::atomic<bool> shutdown_{false};
  std::atomic<bool> initialized_{false};
  int debounce_ms_ = 150;
  std::atomic<int> test_request_delay_ms_{
      0};  // tests: hold each request so that cancellation can be seen
  DayNumber reference_date_ = today();

  void send(const json& message) {
    io_.write(message.dump(-1, ' ', false, json::error_handler_t::replace));
  }

  void respond(const json& id, json result) {
    send({{"jsonrpc", "2.0"}, {"id", id}, {"result", std::move(result)}});
  }

  void respond_error(const json& id, int code, const std::string& message) {
    send({{"jsonrpc", "2.0"}, {"id", id}, {"error", {{"code", code}, {"message", message}}}});
  }

  void notify(const std::string& method, json params) {
    send({{"jsonrpc", "2.0"}, {"method", method}, {"params", std::move(params)}});
  }

  // ---- the reader ----

  void handle_message(const std::string& body) {
    json msg = json::parse(body, nullptr, false);
    if (msg.is_discarded()) {
      respond_error(nullptr, error_code::parse_error, "parse error: the message is not JSON");
      return;
    }
    if (!msg.is_object() || !msg.contains("method") || !msg["method"].is_string()) {
      // Responses to our requests (we send none) are ignored; anything else is invalid.
      if (msg.is_object() && msg.contains("id") &&
          (msg.contains("result") || msg.contains("error")))
        return;
      respond_error(msg.is_object() && msg.contains("id") ? msg["id"] : json(nullptr),
                    error_code::invalid_request, "invalid request");
      return;
    }
    const std::string method = msg["method"];
    if (msg.contains("id")) {
      std::lock_guard lock(mutex_);
      bool slow = method == "textDocument/codeLens" || method == "workspace/executeCommand";
      requests_[slow ? kSlowLane : kFastLane].push_back(std::move(msg));
      request_cv_.notify_all();
      return;
    }
    try {
      handle_notification(method, msg.contains("params") ? msg["params"] : json::object());
    } catch (const std::exception&) {
      // A notification with malformed params: nothing to answer.
    }
  }

  void handle_notification(const std::string& method, const json& params) {
    if (method == "exit") {
      exit_ = true;
    } else if (method == "$/cancelRequest") {
      std::lock_guard lock(mutex_);
      cancelled_.insert(params.at("id").dump());
    } else if (method == "textDocument/didOpen") {
      const json& td = params.at("textDocument");
      Document d;
      d.uri = td.at("uri");
      d.path = canonical_path(path_from_uri(d.uri));
      d.text = td.at("text");
      d.version = td.value("version", 0);
      std::lock_guard lock(mutex_);
      schedule_with_dependents(d.uri, d.path);
      docs_[d.uri] = std::move(d);
    } else if (method == "textDocument/didChange") {
      const json& td = params.at("textDocument");
      std::lock_guard lock(mutex_);
      auto it = docs_.find(td.at("uri"));
      if (it == docs_.end()) return;
      Document& d = it->second;
      for (const auto& change : params.at("contentChanges")) {
        if (change.contains("range")) {
          const json& r = change["range"];
          apply_edit(d.text, {r["start"]["line"], r["start"]["character"]},
                     {r["end"]["line"], r["end"]["character"]},
                     change.at("text").get<std::string>());
        } else {
          d.text = change.at("text");
        }
      }
      d.version = td.value("version", d.version + 1);
      schedule_with_dependents(d.uri, d.path);
    } else if (method == "textDocument/didClose") {
      std::string uri = params.at("textDocument").at("uri");
      std::lock_guard lock(mutex_);
      auto it = docs_.find(uri);
      if (it == docs_.end()) return;
      std::string path = it->second.path;
      docs_.erase(it);
      analyses_.erase(uri);
      typed_.erase(uri);
      due_.erase(uri);
      // Policies that include it now read it from disk.
      last_check_.erase(uri);
      schedule_dependents(path);
      notify("textDocument/publishDiagnostics", {{"uri", uri}, {"diagnostics", json::array()}});
    }
    // initialized, didSave, setTrace, workspace/didChangeConfiguration…: nothing to do.
  }

  // Holds mutex_. Checks `uri` and every open policy whose last check read `path`. The debounce
  // is a throttle: a change after a quiet spell is checked at once, later ones in a burst wait
  // until debounce_ms_ after the previous check (which then reads the newest text).
  void schedule_with_dependents(const std::string& uri, const std::string& path) {
    schedule(uri);
    schedule_dependents(path);
  }

  void schedule(const std::string& uri) {
    if (due_.count(uri)) return;  // the pending check will read the newest text
    Clock::time_point when = Clock::now();
    if (auto last = last_check_.find(uri); last != last_check_.end())
      when = std::max(when, last->second + std::chrono::milliseconds(debounce_ms_));
    due_[uri] = when;
    check_cv_.notify_one();
  }

  void schedule_dependents(const std::string& path) {
    for (const auto& [uri, a] : analyses_)
      if (a->path != path && a->sources.count(path)) schedule(uri);
  }

  // ---- the checker ----

  void check_loop() {
    std::unique_lock lock(mutex_);
    for (;;) {
      if (stopping_) return;
      if (due_.empty()) {
        check_cv_.wait(lock);
        continue;
      }
      auto next = std::min_element(due_.begin(), due_.end(), [](const auto& a, const auto& b) {
        return a.second < b.second;
      });
      if (next->second > Clock::now()) {
        check_cv_.wait_until(lock, next->second);
        continue;
      }
      std::string uri = next->first;
      due_.erase(next);
      last_check_[uri] = Clock::now();
      auto doc = docs_.find(uri);
      if (doc == docs_.end()) continue;
      Document snapshot = doc->second;
      std::map<std::string, std::string> buffers;  // path → text of every open document
      for (const auto& [u, d] : docs_) buffers[d.path] = d.text;
      lock.unlock();
      publish(snapshot, buffers);
      lock.lock();
    }
  }

  void publish(const Document& doc, const std::map<std::string, std::string>& buffers) {
    std::shared_ptr<const Analysis> a;
    SourceReader reader = [&buffers](const std::string& path) -> std::optional<std::string> {
      auto it = buffers.find(canonical_path(path));
      if (it == buffers.end()) return std::nullopt;
      return it->second;
    };
    if (is_suite_text(doc.path, doc.text)) {
      auto suite = std::make_shared<Analysis>();
      suite->path = doc.path;
      suite->version = doc.version;
      try {
        suite->diagnostics = check_suite(doc.path, doc.text, reader, suite->sources);
      } catch (const std::exception& e) {
        suite->diagnostics.error(Code::E900, std::string("internal error: ") + e.what(),
                                 SourceLocation{nullptr, doc.path});
      }
      a = suite;
    } else if (is_policy_text(doc.text)) {
      a = analyse(doc.path, doc.version, reader);
    }
    Workspace ws = workspace();
    json params;
    if (a) {
      params = diagnostics_params({doc.uri, doc.path, doc.text, doc.version, a, a}, *a, ws);
    } else {
      params = {{"uri", doc.uri}, {"version", doc.version}, {"diagnostics", json::array()}};
    }
    std::lock_guard lock(mutex_);
    auto it = docs_.find(doc.uri);
    if (it == docs_.end()) return;  // closed meanwhile
    if (a) analyses_[doc.uri] = a;
    if (a && a->checked) typed_[doc.uri] = a;
    // Another check is due (a newer version, or a file it includes changed): this result is
    // already outdated and that check publishes.
    if (due_.count(doc.uri)) return;
    notify("textDocument/publishDiagnostics", std::move(params));
  }

  Workspace workspace() {
    Workspace ws;
    std::map<std::string, std::string> uris;
    {
      std::lock_guard lock(mutex_);
      for (const auto& [uri, d] : docs_) uris[d.path] = uri;
      for (const auto& [uri, a] : analyses_) ws.analyses.push_back(a);
      ws.reference_date = reference_date_;
    }
    ws.uri_for = [uris = std::move(uris)](const std::string& path) {
      auto it = uris.find(path);
      return it != uris.end() ? it->second : uri_from_path(path);
    };
    return ws;
  }

  // ---- requests ----

  void request_loop(int lane) {
    std::unique_lock lock(mutex_);
    for (;;) {
      request_cv_.wait(lock, [&] { return stopping_ || !requests_[lane].empty(); });
      if (stopping_) return;
      json msg = std::move(requests_[lane].front());
      requests_[lane].pop_front();
      std::string key = msg["id"].dump();
      if (cancelled_.erase(key)) {
        lock.unlock();
        respond_error(msg["id"], error_code::request_cancelled, "request cancelled");
        lock.lock();
        continue;
      }
      lock.unlock();
      if (test_request_delay_ms_ > 0)
        std::this_thread::sleep_for(std::chrono::milliseconds(test_request_delay_ms_.load()));
      json id = msg["id"];
      std::optional<json> result;
      int code = 0;
      std::string message;
      try {
        result = handle_request(
            msg["method"], msg.contains("params") ? msg["params"] : json::object(), code, message);
      } catch (const json::exception& e) {
        code = error_code::invalid_params;
        message = std::string("invalid params: ") + e.what();
      } catch (const std::exception& e) {
        code = error_code::internal_error;
        message = std::string("internal error: ") + e.what();
      }
      lock.lock();
      bool cancelled = cancelled_.erase(key) > 0;
      lock.unlock();
      if (cancelled) {
        respond_error(id, error_code::request_cancelled, "request cancelled");
      } else if (result) {
        respond(id, std::move(*result));
      } else {
        respond_error(id, code, message);
      }
      lock.lock();
    }
  }

  std::optional<DocumentView> view(const json& params) {
    std::string uri = params.at("textDocument").at("uri");
    std::lock_guard lock(mutex_);
    auto it = docs_.find(uri);
    if (it == docs_.end()) return std::nullopt;
    DocumentView v{it->second.uri,     it->second.path, it->second.text,
                   it->second.version, nullptr,         nullptr};
    if (auto a = analyses_.find(uri); a != analyses_.end()) v.analysis = a->second;
    if (auto a = typed_.find(uri); a != typed_.end()) v.typed = a->second;
    return v;
  }

  // A reader of the open documents' text, as they are now.
  SourceReader buffers() {
    auto texts = std::make_shared<std::map<std::string, std::string>>();
    {
      std::lock_guard lock(mutex_);
      for (const auto& [uri, d] : docs_) (*texts)[d.path] = d.text;
    }
    return [texts](const std::string& path) -> std::optional<std::string> {
      auto it = texts->find(canonical_path(path));
      if (it == texts->end()) return std::nullopt;
      return it->second;
    };
  }

  static Position position(const json& params) {
    const json& p = params.at("position");
    return {p.at("line").get<std::uint32_t>(), p.at("character").get<std::uint32_t>()};
  }

  std::optional<json> handle_request(const std::string& method, const json& params, int& code,
                                     std::string& message) {
    if (method == "initialize") {
      initialize(params);
      return json{{"capabilities", capabilities()},
                  {"serverInfo", {{"name", "mmi"}, {"version", MMI_VERSION}}}};
    }
    if (!initialized_) {
      code = error_code::server_not_initialized;
      message = "the server is not initialized";
      return std::nullopt;
    }
    if (method == "shutdown") {
      shutdown_ = true;
      return json(nullptr);
    }
    const bool document_request = method.rfind("textDocument/", 0) == 0;
    std::optional<DocumentView> doc;
    if (document_request) {
      doc = view(params);  // nullopt for a document that is not open: nothing is known of it
      // Other YAML (and suites, but for their code lenses) is left to other tools.
      bool policy = doc && is_policy_text(doc->text) && !is_suite_text(doc->path, doc->text);
      if (doc && !policy && method != "textDocument/codeLens") doc.reset();
    }
    if (method == "textDocument/completion")
      return doc ? completion(*doc, position(params)) : json::array();
    if (method == "textDocument/hover")
      return doc ? hover(*doc, position(params), workspace()) : json(nullptr);
    if (method == "textDocument/definition")
      return doc ? definition(*doc, position(params), workspace()) : json(nullptr);
    if (method == "textDocument/references") {
      bool decl =
          params.contains("context") && params["context"].value("includeDeclaration", false);
      return doc ? references(*doc, position(params), decl, workspace()) : json(nullptr);
    }
    if (method == "textDocument/documentSymbol")
      return doc ? document_symbols(*doc) : json::array();
    if (method == "textDocument/codeAction")
      return doc ? code_actions(*doc, params) : json::array();
    if (method == "textDocument/codeLens")
      return doc ? code_lenses(*doc, buffers()) : json::array();
    if (method == "workspace/executeCommand") {
      std::string text;
      json result = execute_command(params.at("command"), params.value("arguments", json::array()),
                                    buffers(), text);
      notify("window/showMessage", {{"type", result.is_null() ? 1 : 3}, {"message", text}});
      return result;
    }
    code = error_code::method_not_found;
    message = "method not found: " + method;
    return std::nullopt;
  }

  void initialize(const json& params) {
    initialized_ = true;
    if (params.contains("initializationOptions") && params["initializationOptions"].is_object()) {
      const json& o = params["initializationOptions"];
      if (o.contains("referenceDate") && o["referenceDate"].is_string())
        if (auto d = parse_iso_date(o["referenceDate"].get<std::string>())) {
          std::lock_guard lock(mutex_);
          reference_date_ = *d;
        }
      if (o.contains("debounceMs") && o["debounceMs"].is_number_integer()) {
        std::lock_guard lock(mutex_);
        debounce_ms_ = std::clamp(o["debounceMs"].get<int>(), 0, 10000);
      }
      if (o.contains("testRequestDelayMs") && o["testRequestDelayMs"].is_number_integer())
        test_request_delay_ms_ = std::clamp(o["testRequestDelayMs"].get<int>(), 0, 5000);
    }
  }

  static json capabilities() {
    return {{"positionEncoding", "utf-16"},
            {"textDocumentSync", {{"openClose", true}, {"change", 2}, {"save", false}}},
            {"completionProvider", {{"triggerCharacters", {".", "(", "\"", " ", "["}}}},
            {"hoverProvider", true},
            {"definitionProvider", true},
            {"referencesProvider", true},
            {"documentSymbolProvider", true},
            {"codeActionProvider", {{"codeActionKinds", {"quickfix"}}}},
            {"codeLensProvider", {{"resolveProvider", false}}},
            {"executeCommandProvider", {{"commands", {"mmi.runSuite", "mmi.runCase"}}}}};
  }
};

}  // namespace

int serve(int in_fd, std::FILE* out) {
  // A client that goes away mid-write must not kill the server with SIGPIPE: the write fails,
  // and the end of input that follows ends the loop.
  std::signal(SIGPIPE, SIG_IGN);
  Server server(in_fd, out);
  return server.run();
}

}  // namespace mmi::lsp
