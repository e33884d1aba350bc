// Where results go: stdout, or a file written atomically — into a temporary file in the
// target's directory, renamed over the target only once everything was written and synced, so
// readers see the old file or the complete new one, never a partial one.
//
// Temporary files are named `.NAME.tmp-PID-XXXXXX` (PID the writing process, XXXXXX random):
// hidden, never ending in the target's extension, and never reused, so a leftover of a killed
// run (SIGKILL, power loss) cannot be taken for output. While one exists it is listed in a table
// that remove_temporaries() clears from a signal handler.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>

namespace mmi {

class OutputFile {
 public:
  OutputFile() = default;
  ~OutputFile();  // an uncommitted temporary file is removed
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;

  // "-" is stdout. A symbolic link is followed: its target is what gets replaced, with the
  // target's permission bits (and owner, where allowed). A path that exists and is not a regular
  // file (/dev/null, /dev/full, a pipe), or that leads through /proc (/dev/stdout, /dev/fd/N),
  // is written in place. False, with error() set, when it
  // cannot be created (no such directory, no write permission, "" as a name).
  bool open(const std::string& path);
  // Writes everything or fails (error() set; the temporary file is then removed).
  bool write(std::string_view data);
  // Syncs and renames the temporary file over the target (or closes the file written in place,
  // checking the close); stdout is only checked, the process closes it.
  bool commit();
  // Removes the temporary file (also done by the destructor).
  void abort();

  const std::string& error() const { return error_; }
  // The temporary file's path while one is open ("" otherwise).
  const std::string& temp_path() const { return temp_; }
  // The file that is replaced on commit: the path with symbolic links followed.
  const std::string& target() const { return target_; }

  // Unlinks every temporary file still open in this process. Async-signal-safe: for handlers of
  // fatal signals.
  static void remove_temporaries() noexcept;

 private:
  bool fail(const std::string& message);
  int fd_ = -1;
  bool owned_ = false;
  int temp_slot_ = -1;  // index in the signal-safe table, -1 when not listed
  std::string path_, target_, temp_, error_;
};

// The name of the output in messages: "stdout" for "-".
std::string output_name(const std::string& path);

// A case's text (an id, a value, a message quoting input) as text outputs print it: control
// characters escaped as JSON strings escape them (\n, \t, \r, \b, \f, else \u00XX, DEL
// \u007f), and so are a backslash (\\, so the escapes are unambiguous), the C1 controls and the
// Unicode line and paragraph separators (\u0080–\u009f, \u2028, \u2029); a quote stays as it is.
// Such text never spans lines nor breaks a tab-separated column.
std::string printable(std::string_view text);

}  // namespace mmi
