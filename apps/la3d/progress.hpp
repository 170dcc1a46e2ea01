#pragma once
#include <chrono>
#include <string>

namespace la3d::cli {

// One-line progress bar with fps and ETA on stderr; silent when stderr is not a terminal.
class Progress {
 public:
  Progress(std::string label, long long total, bool enabled);
  void update(long long done);
  void finish();

 private:
  std::string label_;
  long long total_;
  bool enabled_;
  std::chrono::steady_clock::time_point start_, last_;
  bool drawn_ = false;
};

}  // namespace la3d::cli
