#include "lsp/transport.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <string_view>

namespace mmi::lsp {
namespace {

// A body larger than this is not read into memory: the frame is refused.
constexpr std::size_t kMaxBody = std::size_t{64} << 20;

bool header_is(std::string_view line, std::string_view name) {
  if (line.size() < name.size() + 1) return false;
  for (std::size_t i = 0; i < name.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(line[i])) != name[i]) return false;
  return line[name.size()] == ':';
}

}  // namespace

bool Transport::fill() {
  if (pos_ > 0 && pos_ == buffer_.size()) {
    buffer_.clear();
    pos_ = 0;
  }
  char chunk[65536];
  for (;;) {
    ssize_t n = ::read(in_fd_, chunk, sizeof chunk);
    if (n > 0) {
      buffer_.append(chunk, static_cast<std::size_t>(n));
      return true;
    }
    if (n < 0 && errno == EINTR) continue;
    return false;
  }
}

std::optional<std::string> Transport::read() {
  for (;;) {
    // Headers end at an empty line.
    auto end = buffer_.find("\r\n\r\n", pos_);
    if (end == std::string::npos) {
      if (buffer_.size() - pos_ > 8192) {
        // No header block this long is real: drop what we have and resynchronise.
        buffer_.clear();
        pos_ = 0;
      }
      if (!fill()) return std::nullopt;
      continue;
    }
    std::string_view headers(buffer_.data() + pos_, end - pos_);
    std::optional<std::size_t> length;
    while (!headers.empty()) {
      auto eol = headers.find("\r\n");
      std::string_view line = headers.substr(0, eol);
      if (header_is(line, "content-length")) {
        std::string value(line.substr(15));
        char* stop = nullptr;
        unsigned long long n = std::strtoull(value.c_str(), &stop, 10);
        if (stop != value.c_str()) length = static_cast<std::size_t>(n);
      }
      if (eol == std::string_view::npos) break;
      headers.remove_prefix(eol + 2);
    }
    pos_ = end + 4;
    if (!length || *length > kMaxBody) return std::string();
    while (buffer_.size() - pos_ < *length)
      if (!fill()) return std::nullopt;
    std::string body = buffer_.substr(pos_, *length);
    pos_ += *length;
    if (pos_ == buffer_.size()) {
      buffer_.clear();
      pos_ = 0;
    }
    return body;
  }
}

void Transport::write(const std::string& body) {
  std::lock_guard lock(write_mutex_);
  std::fprintf(out_, "Content-Length: %zu\r\n\r\n", body.size());
  std::fwrite(body.data(), 1, body.size(), out_);
  std::fflush(out_);
}

}  // namespace mmi::lsp
