// JSON-RPC 2.0 over a byte stream with LSP's `Content-Length` framing.
#pragma once

#include <cstdio>
#include <mutex>
#include <optional>
#include <string>

namespace mmi::lsp {

class Transport {
 public:
  Transport(int in_fd, std::FILE* out) : in_fd_(in_fd), out_(out) {}
  // The next message body; nullopt at end of input. A frame without a usable Content-Length is
  // skipped (its headers are consumed) and reported as an empty body.
  std::optional<std::string> read();
  // Writes one framed message; safe from any thread.
  void write(const std::string& body);

 private:
  bool fill();  // reads more input into buffer_; false at end of input
  int in_fd_;
  std::FILE* out_;
  std::string buffer_;
  std::size_t pos_ = 0;
  std::mutex write_mutex_;
};

}  // namespace mmi::lsp
