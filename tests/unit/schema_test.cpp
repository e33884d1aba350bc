// The editor schemas (schemas/*.schema.json) accept every shipped policy, module, test suite and
// case, and reject typical mistakes. YAML is turned into JSON the way the YAML language server
// reads it (YAML 1.2 core schema: plain `3` is a number, plain `true` a bool, `2024-01-15` and
// quoted scalars are text) and validated with valijson's strict types. (valijson's own yaml-cpp
// adapter reports every node, mappings included, as a string, so `type` checks would pass
// anything.)
#include <yaml-cpp/yaml.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <string>
#include <valijson/adapters/nlohmann_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validation_results.hpp>
#include <valijson/validator.hpp>
#include <vector>

namespace fs = std::filesystem;

namespace {

const fs::path kRoot = MMI_SOURCE_DIR;

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A plain scalar resolved by the YAML 1.2 core schema; quoted and block scalars stay text.
nlohmann::json resolve_plain(const std::string& s) {
  static const std::regex kNull("^(~|null|Null|NULL)?$");
  static const std::regex kBool("^(true|True|TRUE|false|False|FALSE)$");
  static const std::regex kInt("^[-+]?[0-9]+$");
  static const std::regex kFloat(
      "^[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?$|^[-+]?\\.(inf|Inf|INF)$");
  if (std::regex_match(s, kNull)) return nullptr;
  if (std::regex_match(s, kBool)) return s[0] == 't' || s[0] == 'T';
  if (std::regex_match(s, kInt)) {
    try {
      return std::stoll(s);
    } catch (...) {
      return std::stod(s);
    }
  }
  if (std::regex_match(s, kFloat)) {
    if (s.find("inf") != std::string::npos || s.find("Inf") != std::string::npos ||
        s.find("INF") != std::string::npos)
      return s[0] == '-' ? -1e308 : 1e308;
    return std::stod(s);
  }
  return s;
}

nlohmann::json to_json(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Map: {
      nlohmann::json o = nlohmann::json::object();
      for (const auto& kv : n) o[kv.first.Scalar()] = to_json(kv.second);
      return o;
    }
    case YAML::NodeType::Sequence: {
      nlohmann::json a = nlohmann::json::array();
      for (const auto& item : n) a.push_back(to_json(item));
      return a;
    }
    case YAML::NodeType::Scalar:
      if (n.Tag() == "?") return resolve_plain(n.Scalar());
      return n.Scalar();
    default:
      return nullptr;
  }
}

class SchemaSet {
 public:
  SchemaSet() {
    for (const char* name : {"policy", "test-suite", "case"}) {
      std::string file = std::string(name) + ".schema.json";
      auto doc = nlohmann::json::parse(read_file(kRoot / "schemas" / file));
      auto schema = std::make_unique<valijson::Schema>();
      valijson::SchemaParser parser;
      valijson::adapters::NlohmannJsonAdapter adapter(doc);
      parser.populateSchema(
          adapter, *schema,
          [](const std::string& uri) -> const nlohmann::json* {
            // Sibling schemas are referenced by file name (`case.schema.json`).
            fs::path p = kRoot / "schemas" / fs::path(uri).filename();
            return new nlohmann::json(nlohmann::json::parse(read_file(p)));
          },
          [](const nlohmann::json* d) { delete d; });
      schemas_[name] = std::move(schema);
    }
  }

  // Empty when valid; otherwise one line per error with its JSON path.
  std::string errors(const std::string& schema, const nlohmann::json& doc) const {
    valijson::Validator validator(valijson::Validator::kStrongTypes);
    valijson::ValidationResults results;
    valijson::adapters::NlohmannJsonAdapter target(doc);
    if (validator.validate(*schemas_.at(schema), target, &results)) return {};
    std::string out;
    valijson::ValidationResults::Error e;
    while (results.popError(e)) {
      std::string path;
      for (const auto& c : e.context) path += c;
      out += "  " + path + ": " + e.description + "\n";
    }
    return out.empty() ? "  invalid\n" : out;
  }

 private:
  std::map<std::string, std::unique_ptr<valijson::Schema>> schemas_;
};

const SchemaSet& schemas() {
  static const SchemaSet set;
  return set;
}

std::string kind_of(const fs::path& p) {
  std::string name = p.filename().string();
  if (name.size() > 10 && name.compare(name.size() - 10, 10, ".test.yaml") == 0)
    return "test-suite";
  for (const auto& part : p)
    if (part == "cases") return "case";
  return "policy";
}

std::vector<fs::path> shipped_yaml() {
  std::vector<fs::path> files;
  for (const char* dir : {"policies", "docs/examples"}) {
    if (!fs::exists(kRoot / dir)) continue;
    for (const auto& e : fs::recursive_directory_iterator(kRoot / dir))
      if (e.is_regular_file() && e.path().extension() == ".yaml") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

nlohmann::json load_yaml(const std::string& text) {
  return to_json(YAML::Load(text));
}

}  // namespace

TEST_CASE("schemas: YAML scalars resolve like the YAML language server", "[schema]") {
  auto j = load_yaml("a: 3\nb: '3'\nc: 2024-01-15\nd: true\ne:\nf: 104 weeks\ng: 0.5\n");
  CHECK(j["a"].is_number_integer());
  CHECK(j["b"].is_string());
  CHECK(j["c"].is_string());
  CHECK(j["d"].is_boolean());
  CHECK(j["e"].is_null());
  CHECK(j["f"].is_string());
  CHECK(j["g"].is_number_float());
}

TEST_CASE("schemas: every shipped file validates and names its schema", "[schema]") {
  auto files = shipped_yaml();
  REQUIRE(files.size() > 20);
  for (const auto& file : files) {
    std::string rel = fs::relative(file, kRoot).string();
    std::string kind = kind_of(file);
    INFO(rel << " (" << kind << ")");
    std::string text = read_file(file);

    // The first line points the YAML language server at the right schema.
    std::string first = text.substr(0, text.find('\n'));
    const std::string prefix = "# yaml-language-server: $schema=";
    REQUIRE(first.rfind(prefix, 0) == 0);
    fs::path schema_path = (file.parent_path() / first.substr(prefix.size())).lexically_normal();
    CHECK(schema_path == (kRoot / "schemas" / (kind + ".schema.json")).lexically_normal());

    auto doc = load_yaml(text);
    CHECK(schemas().errors(kind, doc) == "");
    if (kind == "test-suite" && doc.contains("tests") && doc["tests"].is_array()) {
      for (const auto& test : doc["tests"]) {
        if (!test.contains("case") || !test["case"].is_object()) continue;
        INFO("inline case of test `" << test.value("name", std::string("?")) << "`");
        CHECK(schemas().errors("case", test["case"]) == "");
      }
    }
  }
}

TEST_CASE("schemas: shipped JSON cases validate", "[schema]") {
  std::size_t checked = 0;
  for (const char* dir : {"policies", "docs/examples"}) {
    REQUIRE(fs::exists(kRoot / dir));
    for (const auto& e : fs::recursive_directory_iterator(kRoot / dir)) {
      if (!e.is_regular_file() || e.path().extension() != ".json") continue;
      INFO(fs::relative(e.path(), kRoot).string());
      CHECK(schemas().errors("case", nlohmann::json::parse(read_file(e.path()))) == "");
      ++checked;
    }
  }
  // docs/examples/tutorial/cases/c-2.json at least: a loop over nothing would pass vacuously.
  CHECK(checked >= 1);
}

TEST_CASE("schemas: typical mistakes are rejected", "[schema]") {
  const std::string policy =
      "policy: acme\nversion: '1'\ndefinition: max-potential\n"
      "rules:\n  - id: certified\n    when: last(opinions).mmi\n    mmi_date: last(opinions).date\n"
      "decision:\n  hit: earliest\n";
  REQUIRE(schemas().errors("policy", load_yaml(policy)) == "");

  struct Bad {
    std::string what, schema, text;
  };
  const std::vector<Bad> bad = {
      {"unknown top-level key", "policy", policy + "ruels: []\n"},
      {"wrong hit value", "policy", "policy: acme\nversion: '1'\ndecision:\n  hit: latest\n"},
      {"missing version", "policy", "policy: acme\n"},
      {"bad policy id", "policy", "policy: Acme\nversion: '1'\n"},
      {"wrong definition", "policy", "policy: acme\nversion: '1'\ndefinition: plateau\n"},
      {"rule without mmi_date", "policy",
       "policy: acme\nversion: '1'\nrules:\n  - id: r\n    when: 'true'\n"},
      {"unknown rule key", "policy",
       "policy: acme\nversion: '1'\nrules:\n  - id: r\n    when: x\n    mmi_date: y\n    then: "
       "z\n"},
      {"unknown fact type", "policy", "policy: acme\nversion: '1'\nfacts:\n  a: integer\n"},
      {"series keyed by non-dates", "policy",
       "policy: acme\nversion: '1'\nparameters:\n  cap: {old: 1, new: 2}\n"},
      {"let with unknown key", "policy",
       "policy: acme\nversion: '1'\nlet:\n  x: {expression: '1'}\n"},
      {"test without expect", "test-suite",
       "policy: p.yaml\ntests:\n  - name: t\n    case: c.yaml\n"},
      {"suite without policy", "test-suite",
       "tests:\n  - name: t\n    case: c.yaml\n    expect: {status: reached}\n"},
      {"unknown expect field", "test-suite",
       "policy: p.yaml\ntests:\n  - name: t\n    case: c.yaml\n    expect: {state: reached}\n"},
      {"wrong status", "test-suite",
       "policy: p.yaml\ntests:\n  - name: t\n    case: c.yaml\n    expect: {status: done}\n"},
      {"wrong rule state", "test-suite",
       "policy: p.yaml\ntests:\n  - case: c.yaml\n    expect: {rules: {r: yes}}\n"},
      {"inline case with a bad enum", "test-suite",
       "policy: p.yaml\ntests:\n  - case: {id: a, as_of: 2024-01-01, injury: {date: 2024-01-01},"
       " opinions: [{date: 2024-01-01, source: doctor}]}\n    expect: {status: reached}\n"},
      {"case without injury date", "case", "id: a\nas_of: 2024-01-01\ninjury: {}\n"},
      {"case with a number as text", "case",
       "id: a\nas_of: 2024-01-01\ninjury: {date: 2024-01-01}\nbenefits: {weekly_rate: abc}\n"},
      {"case with an unknown field", "case",
       "id: a\nas_of: 2024-01-01\ninjury: {date: 2024-01-01, dat: 2024-01-02}\n"},
  };
  for (const auto& b : bad) {
    INFO(b.what);
    CHECK(schemas().errors(b.schema, load_yaml(b.text)) != "");
  }
}
