// What each endpoint of `mmi serve` answers, apart from the connection handling (server.cpp):
// the policy list, the graph, one evaluation and its decision record.
#include <fmt/format.h>

#include "engine/graph_export.hpp"
#include "engine/value_json.hpp"
#include "rules/calendar.hpp"
#include "serve/server_impl.hpp"

namespace mmi::serve::detail {

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

Reply Server::answer(Route route, const PolicySet& set, const PolicyEntry* entry,
                     std::string_view body, const Query& q, std::string_view request_id) {
  Reply reply;
  switch (route) {
    case Route::healthz:
      reply.body = "{\"status\":\"ok\"}";
      break;
    case Route::readyz:
      if (draining_)
        reply = error_reply(503, "draining");
      else if (log_.enabled() && !log_.healthy())
        reply = error_reply(503, "the decision log cannot be written");
      else
        reply.body = fmt::format("{{\"status\":\"ready\",\"generation\":{}}}", set.generation);
      break;
    case Route::metrics: {
      Gauges g;
      g.decision_log_depth = log_.depth();
      g.decision_log_written = log_.written();
      g.decision_log_write_failures = log_.write_failures();
      g.connections = connection_count_.load();
      g.policies = set.policies.size();
      g.generation = set.generation;
      reply.body = metrics_.render(g);
      reply.content_type = "text/plain; version=0.0.4";
      break;
    }
    case Route::policies:
      reply = list_policies(set);
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
      reply = evaluate(set, *entry, body, q, request_id);
      break;
    default:
      break;
  }
  return reply;
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

}  // namespace mmi::serve::detail
