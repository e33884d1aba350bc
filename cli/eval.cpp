#include <cstdio>

#include "cli/common.hpp"

namespace mmi::cli {

int run_eval(const EvalArgs& args) {
  Format format = output_format(args.format);
  Assignments set, facts;
  if (!parse_assignments(args.set, "--set", set) || !parse_assignments(args.facts, "--fact", facts))
    return 2;
  std::optional<DayNumber> as_of;
  if (!args.as_of.empty() && !(as_of = parse_date_flag(args.as_of, "--as-of"))) return 2;

  if (!readable_file(args.policy, "policy") || !readable_file(args.case_path, "case")) return 2;
  int code = 1;
  auto graph = compile_or_report(args.policy, set, code);
  if (!graph) return code;
  CaseOptions case_options;
  case_options.strict = args.strict;
  case_options.ignore_dates = args.ignore_dates;
  Session session(graph, case_options);
  load_case_file(session, args.case_path);
  CaseData& c = session.case_data();
  if (!c.error) {
    for (const auto& [path, value] : facts) {
      if (!session.loader().set_fact(c, path, value)) {
        complain(c.error->message);
        return 2;
      }
    }
    if (as_of) {
      c.as_of = *as_of;
      c.has_as_of = true;
    }
    session.loader().finish(c);
  }
  for (const auto& w : c.warnings)
    std::fprintf(stderr, "%s: warning[%s]: %s at %s\n", args.case_path.c_str(),
                 std::string(code_name(w.code)).c_str(), w.message.c_str(), w.at.c_str());
  const CheckedPolicy& p = graph->policy;
  if (c.error && c.error->code == Code::E404) {
    complain(args.case_path + ": " + c.error->message + "; use --ignore-dates to evaluate anyway");
    return 1;
  }
  if (c.error && c.error->at.empty()) c.error->at = args.case_path;
  const Outcome& o = session.evaluate();
  if (format == Format::json) {
    std::string out;
    session.append_result_json(out, args.explain);
    out += '\n';
    if (!print(out)) return 2;
  } else {
    auto missing = session.evaluator().missing_facts();
    std::string out = result_text(*graph, c, o, missing);
    if (args.explain && o.status != Status::error) {
      out += "\nwhy:\n";
      for (std::uint32_t r = 0; r < p.rules.size(); ++r)
        out += explanation_text(session.evaluator().explain_rule(r)) + "\n";
      out += explanation_text(session.evaluator().explain_decision());
      auto parameters = session.evaluator().explain_parameters();
      if (!parameters.empty()) out += "\nparameters used:\n" + parameters_text(parameters);
    }
    if (!print(out)) return 2;
  }
  return o.status == Status::error ? 1 : 0;
}

}  // namespace mmi::cli
