#include "engine/case_stream.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <simdjson.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>

namespace mmi {

namespace {

constexpr std::size_t kJsonLinePadding = 64;
const char* kTooLong = "the case is longer than 4 MiB, the limit for one case; skipped";

// A file descriptor read in large blocks; `pending` holds bytes sniffed before streaming began.
class Source {
 public:
  Source(int fd, bool owned, std::string pending)
      : fd_(fd), owned_(owned), pending_(std::move(pending)) {}
  ~Source() {
    if (owned_) ::close(fd_);
  }
  // Reads up to n bytes into out; 0 at the end; -1 on error (errno set).
  long read(char* out, std::size_t n) {
    if (!pending_.empty()) {
      std::size_t k = std::min(n, pending_.size());
      std::memcpy(out, pending_.data(), k);
      pending_.erase(0, k);
      return static_cast<long>(k);
    }
    for (;;) {
      ssize_t got = ::read(fd_, out, n);
      if (got >= 0 || errno != EINTR) return static_cast<long>(got);
    }
  }

 private:
  int fd_;
  bool owned_;
  std::string pending_;
};

std::string no_line_end(const CaseStreamOptions& o, std::uint64_t line) {
  return "no line end within " + std::to_string(o.max_unterminated_bytes >> 20) +
         " MiB from line " + std::to_string(line) + " (is this a text file of cases?); stopped";
}

bool blank(std::string_view s) {
  for (char c : s)
    if (c != ' ' && c != '\t' && c != '\r') return false;
  return true;
}

// A chunk's buffer keeps its capacity between uses, unless one huge record inflated it.
void reset_chunk(CaseChunk& chunk, const CaseStreamOptions& o, bool keep_size) {
  if (chunk.text.capacity() > 8 * o.chunk_bytes + o.max_record_bytes / 4)
    std::string().swap(chunk.text);
  if (!keep_size) chunk.text.clear();
  chunk.records.clear();
  chunk.input_bytes = 0;
}

class JsonLinesStream final : public CaseStream {
 public:
  JsonLinesStream(std::unique_ptr<Source> src, const CaseStreamOptions& o)
      : src_(std::move(src)), o_(o), line_(o.first_line) {
    format_ = CaseFormat::json_lines;
  }

  bool next(CaseChunk& chunk) override {
    reset_chunk(chunk, o_, true);
    if (!error_.empty()) return false;
    // chunk.text is a buffer used up to `len`: it only grows, so reads never zero-fill it.
    std::string& buf = chunk.text;
    std::size_t len = carry_.size();
    reserve(buf, len);
    std::memcpy(buf.data(), carry_.data(), len);
    carry_.clear();
    std::size_t line_start = 0, scan = 0;
    for (;;) {
      bool full = false;
      while (scan < len) {
        const void* nl = std::memchr(buf.data() + scan, '\n', len - scan);
        if (!nl) {
          scan = len;
          break;
        }
        std::size_t pos = static_cast<std::size_t>(static_cast<const char*>(nl) - buf.data());
        if (skipping_) {
          // The tail of an over-long line: drop it, it was reported when it crossed the limit.
          skipping_ = false;
          skipped_ = 0;
          ++line_;
          std::memmove(buf.data() + line_start, buf.data() + pos + 1, len - pos - 1);
          len -= pos + 1 - line_start;
          scan = line_start;
          continue;
        }
        emit(chunk, line_start, pos);
        line_start = scan = pos + 1;
        if (chunk.records.size() >= o_.chunk_records) {
          full = true;
          break;
        }
      }
      if (full) break;
      if (len - line_start > o_.max_record_bytes) {
        if (!skipping_)
          chunk.records.push_back({line_, static_cast<std::uint32_t>(line_start), 0, kTooLong});
        skipping_ = true;
        skipped_ += len - line_start;
        if (skipped_ > o_.max_unterminated_bytes) {
          error_ = no_line_end(o_, line_);
          return false;
        }
        len = scan = line_start;
      }
      if (len >= o_.chunk_bytes && !chunk.records.empty()) break;
      if (eof_) {
        // A last line without a newline is still a record (a truncated one fails to parse).
        if (!skipping_ && len > line_start) emit(chunk, line_start, len);
        skipping_ = false;
        line_start = len;
        break;
      }
      reserve(buf, len + o_.chunk_bytes);
      long got = src_->read(buf.data() + len, o_.chunk_bytes);
      if (got < 0) {
        error_ = std::strerror(errno);
        return false;
      }
      len += static_cast<std::size_t>(got);
      chunk.input_bytes += static_cast<std::uint64_t>(got);
      if (got == 0) eof_ = true;
    }
    carry_.assign(buf.data() + line_start, len - line_start);
    // simdjson reads in blocks: readable bytes after the last line let it parse in place.
    reserve(buf, line_start);
    std::memset(buf.data() + line_start, ' ', kJsonLinePadding);
    records_read_ += chunk.records.size();
    return !chunk.records.empty();
  }

 private:
  // Makes buf.size() at least n plus the padding, growing geometrically.
  static void reserve(std::string& buf, std::size_t n) {
    n += kJsonLinePadding;
    if (buf.size() < n) buf.resize(std::max(n, buf.size() + buf.size() / 2));
  }

  // Adds the line [begin, end) (without its newline) as a record; blank lines are skipped.
  void emit(CaseChunk& chunk, std::size_t begin, std::size_t end) {
    std::uint64_t line = line_++;
    if (end > begin && chunk.text[end - 1] == '\r') --end;
    std::string_view s(chunk.text.data() + begin, end - begin);
    if (blank(s)) return;
    chunk.records.push_back({line, static_cast<std::uint32_t>(begin),
                             static_cast<std::uint32_t>(end - begin), nullptr});
  }

  std::unique_ptr<Source> src_;
  CaseStreamOptions o_;
  std::string carry_;  // an incomplete line read with the previous chunk
  std::uint64_t line_;
  std::uint64_t skipped_ = 0;  // bytes of the over-long line dropped so far
  bool eof_ = false, skipping_ = false;
};

// YAML stream: documents split at `---` / `...` markers in column 0, so one bad document is one
// error result and the stream goes on (yaml-cpp's LoadAll would stop at the first error).
class YamlStream final : public CaseStream {
 public:
  YamlStream(std::unique_ptr<Source> src, const CaseStreamOptions& o)
      : src_(std::move(src)), o_(o), buf_(64 * 1024, '\0'), line_(o.first_line) {
    format_ = CaseFormat::yaml_stream;
  }

  bool next(CaseChunk& chunk) override {
    reset_chunk(chunk, o_, false);
    if (!error_.empty()) return false;
    std::string line;
    for (;;) {
      bool have = read_line(line, chunk);
      if (!error_.empty()) return false;
      if (!have) {
        close_document(chunk);
        break;
      }
      bool start = marker(line, "---"), end = marker(line, "...");
      if (start || end) close_document(chunk);
      // Chunks close between documents: this `---` line opens the next chunk.
      if (start &&
          (chunk.records.size() >= o_.chunk_records || chunk.text.size() >= o_.chunk_bytes)) {
        stashed_ = std::move(line);
        has_stash_ = true;
        break;
      }
      std::uint64_t number = line_++;
      if (end) continue;
      if (!in_doc_) {
        in_doc_ = true;
        doc_line_ = number;
        doc_begin_ = chunk.text.size();
        doc_content_ = false;
        doc_skipping_ = false;
      }
      if (doc_skipping_) continue;
      std::string_view body = start ? std::string_view(line).substr(3) : std::string_view(line);
      if (!doc_content_) {
        std::size_t k = body.find_first_not_of(" \t\r");
        doc_content_ = k != std::string_view::npos && body[k] != '#';
      }
      chunk.text += line;
      chunk.text += '\n';
      if (chunk.text.size() - doc_begin_ > o_.max_record_bytes) {
        chunk.text.resize(doc_begin_);
        doc_skipping_ = true;
      }
    }
    records_read_ += chunk.records.size();
    return !chunk.records.empty();
  }

 private:
  static bool marker(const std::string& l, const char* m) {
    return l.compare(0, 3, m) == 0 &&
           (l.size() == 3 || l[3] == ' ' || l[3] == '\t' || l[3] == '\r');
  }

  void close_document(CaseChunk& chunk) {
    if (!in_doc_) return;
    in_doc_ = false;
    if (doc_skipping_) {
      chunk.records.push_back({doc_line_, static_cast<std::uint32_t>(doc_begin_), 0, kTooLong});
    } else if (doc_content_) {
      chunk.records.push_back({doc_line_, static_cast<std::uint32_t>(doc_begin_),
                               static_cast<std::uint32_t>(chunk.text.size() - doc_begin_),
                               nullptr});
    } else {
      chunk.text.resize(doc_begin_);  // an empty document (blank lines and comments)
    }
  }

  // Next line without its newline; false at the end.
  bool read_line(std::string& line, CaseChunk& chunk) {
    if (has_stash_) {
      has_stash_ = false;
      line = std::move(stashed_);
      return true;
    }
    line.clear();
    bool any = false;
    std::uint64_t line_bytes = 0;
    for (;;) {
      if (pos_ == len_) {
        if (eof_) return any;
        long got = src_->read(buf_.data(), buf_.size());
        if (got < 0) {
          error_ = std::strerror(errno);
          return false;
        }
        chunk.input_bytes += static_cast<std::uint64_t>(got);
        pos_ = 0;
        len_ = static_cast<std::size_t>(got);
        if (got == 0) {
          eof_ = true;
          return any;
        }
      }
      any = true;
      const char* start = buf_.data() + pos_;
      const void* nl = std::memchr(start, '\n', len_ - pos_);
      std::size_t n =
          nl ? static_cast<std::size_t>(static_cast<const char*>(nl) - start) : len_ - pos_;
      // An over-long line is cut: its document is dropped as too long anyway.
      if (line.size() <= o_.max_record_bytes)
        line.append(start, std::min(n, o_.max_record_bytes + 1 - line.size()));
      pos_ += n + (nl ? 1 : 0);
      if (nl) return true;
      line_bytes += n;
      if (line_bytes > o_.max_unterminated_bytes) {
        error_ = no_line_end(o_, line_);
        return false;
      }
    }
  }

  std::unique_ptr<Source> src_;
  CaseStreamOptions o_;
  std::string buf_;
  std::size_t pos_ = 0, len_ = 0;
  bool eof_ = false;
  std::uint64_t line_;
  bool in_doc_ = false, doc_content_ = false, doc_skipping_ = false;
  std::uint64_t doc_line_ = 0;
  std::size_t doc_begin_ = 0;
  std::string stashed_;
  bool has_stash_ = false;
};

bool ends_with(const std::string& s, const char* suffix) {
  std::size_t n = std::strlen(suffix);
  return s.size() >= n && s.compare(s.size() - n, n, suffix) == 0;
}

// One JSON document on one line: CR and LF outside strings become spaces (inside a string they
// stay, and the strict reader rejects them as it would anyway).
void join_json_lines(std::string& text) {
  bool in_string = false, escaped = false;
  for (char& c : text) {
    if (in_string) {
      if (escaped)
        escaped = false;
      else if (c == '\\')
        escaped = true;
      else if (c == '"')
        in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '\n' || c == '\r') {
      c = ' ';
    }
  }
  text += '\n';
}

}  // namespace

std::unique_ptr<CaseStream> open_case_stream(const std::string& path,
                                             const CaseStreamOptions& options, std::string& error) {
  int fd = 0;
  bool owned = false;
  if (path != "-") {
    fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      error = std::strerror(errno);
      return nullptr;
    }
    owned = true;
  }
  struct stat st {};
  std::uint64_t total = 0;
  if (::fstat(fd, &st) == 0) {
    if (S_ISDIR(st.st_mode)) {
      if (owned) ::close(fd);
      error = "is a directory";
      return nullptr;
    }
    if (S_ISREG(st.st_mode)) total = static_cast<std::uint64_t>(st.st_size);
  }
  std::string lower = path;
  for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  bool yaml_name = ends_with(lower, ".yaml") || ends_with(lower, ".yml");
  bool json_name =
      ends_with(lower, ".jsonl") || ends_with(lower, ".ndjson") || ends_with(lower, ".json");
  // Read the start of the input (replayed to the stream afterwards): past a byte order mark and
  // blank lines to the first content, and for a YAML name to the end of that first line.
  std::string pending;
  std::size_t first = std::string::npos;
  bool bom_checked = false, eof = false;
  auto read_more = [&]() {
    char block[65536];
    for (;;) {
      ssize_t got = ::read(fd, block, sizeof block);
      if (got < 0 && errno == EINTR) continue;
      if (got < 0) return false;
      if (got == 0) eof = true;
      pending.append(block, static_cast<std::size_t>(got));
      return true;
    }
  };
  auto fail_read = [&]() {
    error = std::strerror(errno);
    if (owned) ::close(fd);
    return nullptr;
  };
  while (!eof && pending.size() <= (1u << 20)) {
    if (!read_more()) return fail_read();
    if (!bom_checked && (pending.size() >= 3 || eof)) {
      if (pending.compare(0, 3, "\xEF\xBB\xBF") == 0) pending.erase(0, 3);
      bom_checked = true;
    }
    if (bom_checked && (first = pending.find_first_not_of(" \t\r\n")) != std::string::npos) break;
  }
  CaseFormat format = CaseFormat::json_lines;
  if (options.json_file_is_one_case && ends_with(lower, ".json")) {
    while (!eof && pending.size() <= options.max_record_bytes)
      if (!read_more()) return fail_read();
    if (eof) join_json_lines(pending);  // a longer one stays as it is: its lines are errors
  } else if (first != std::string::npos && pending[first] == '{') {
    if (yaml_name) {
      // `{` also opens a YAML flow mapping: JSON Lines only if the first line is one JSON value.
      std::size_t end;
      while ((end = pending.find('\n', first)) == std::string::npos && !eof &&
             pending.size() - first <= options.max_record_bytes)
        if (!read_more()) return fail_read();
      std::string line = pending.substr(first, end == std::string::npos ? end : end - first);
      simdjson::dom::parser parser;
      simdjson::dom::element element;
      bool json = line.size() <= options.max_record_bytes &&
                  !parser.parse(simdjson::padded_string(line)).get(element);
      format = json ? CaseFormat::json_lines : CaseFormat::yaml_stream;
    }
  } else if (first != std::string::npos && !json_name) {
    format = CaseFormat::yaml_stream;
  }
  auto src = std::make_unique<Source>(fd, owned, std::move(pending));
  std::unique_ptr<CaseStream> s;
  if (format == CaseFormat::yaml_stream)
    s = std::make_unique<YamlStream>(std::move(src), options);
  else
    s = std::make_unique<JsonLinesStream>(std::move(src), options);
  s->set_total_bytes(total);
  return s;
}

}  // namespace mmi
