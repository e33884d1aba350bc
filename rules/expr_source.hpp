// An expression's text together with where it sits in its YAML file, so that a byte offset in
// the expression maps back to file:line:col even for quoted, folded and block scalars.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "rules/diagnostics.hpp"

namespace mmi {

class ExprSource {
 public:
  ExprSource() = default;
  ExprSource(std::string text, std::shared_ptr<const SourceFile> file, std::uint32_t scalar_pos,
             std::uint32_t line, std::uint32_t column)
      : text_(std::move(text)),
        file_(std::move(file)),
        scalar_pos_(scalar_pos),
        line_(line),
        column_(column) {}
  // For text with no file behind it (command line): offsets become columns on line 1.
  static ExprSource detached(std::string text, std::string origin);

  const std::string& text() const { return text_; }
  const std::shared_ptr<const SourceFile>& file() const { return file_; }
  std::string path() const { return file_ ? file_->path : origin_; }
  // The location of byte `offset` of the text (clamped), `length` bytes long.
  SourceLocation location_of(std::uint32_t offset, std::uint32_t length = 1) const;
  // The location of the whole scalar.
  SourceLocation location() const;

 private:
  std::string text_;
  std::shared_ptr<const SourceFile> file_;
  std::string origin_;
  std::uint32_t scalar_pos_ = 0;
  std::uint32_t line_ = 0;  // 1-based
  std::uint32_t column_ = 0;
};

}  // namespace mmi
