// Where batch results go: stdout, or a file written atomically — into a temporary file in the
// target's directory, renamed over the target only once everything was written and synced, so
// readers see the old file or the complete new one, never a partial one.
#pragma once

#include <string>
#include <string_view>

namespace mmi {

class OutputFile {
 public:
  OutputFile() = default;
  ~OutputFile();  // an uncommitted temporary file is removed
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;

  // "-" or "" is stdout. A path that exists and is not a regular file (/dev/null, a pipe) is
  // written in place. False, with error() set, when it cannot be created (e.g. no such directory).
  bool open(const std::string& path);
  // Writes everything or fails (error() set; the temporary file is then removed).
  bool write(std::string_view data);
  // Syncs and renames the temporary file over the target.
  bool commit();
  // Removes the temporary file (also done by the destructor).
  void abort();

  const std::string& error() const { return error_; }
  // The temporary file's path while one is open ("" otherwise); for a signal handler to remove.
  const std::string& temp_path() const { return temp_; }

 private:
  int fd_ = -1;
  bool owned_ = false;
  std::string path_, temp_, error_;
};

}  // namespace mmi
