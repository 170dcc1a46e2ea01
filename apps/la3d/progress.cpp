#include "progress.hpp"

#include <unistd.h>
#include <cstdio>

namespace la3d::cli {

Progress::Progress(std::string label, long long total, bool enabled)
    : label_(std::move(label)),
      total_(total),
      enabled_(enabled && isatty(STDERR_FILENO)),
      start_(std::chrono::steady_clock::now()),
      last_(start_) {}

void Progress::update(long long done) {
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  // Redrawing more than ~10 times a second costs more than it tells.
  if (now - last_ < std::chrono::milliseconds(100) && done != total_) return;
  last_ = now;
  const double secs = std::chrono::duration<double>(now - start_).count();
  const double fps = secs > 0 ? done / secs : 0;
  if (total_ > 0) {
    const int width = 30;
    const double frac = std::min(1.0, double(done) / total_);
    const int filled = int(frac * width);
    const long long eta = fps > 0 ? (long long)((total_ - done) / fps) : 0;
    std::fprintf(stderr, "\r%s [%-*s] %3d%% %lld/%lld %.1f fps ETA %lld:%02lld ", label_.c_str(),
                 width, std::string(filled, '#').c_str(), int(frac * 100), done, total_, fps,
                 eta / 60, eta % 60);
  } else {
    std::fprintf(stderr, "\r%s %lld frames %.1f fps ", label_.c_str(), done, fps);
  }
  drawn_ = true;
}

void Progress::finish() {
  if (drawn_) std::fprintf(stderr, "\n");
  drawn_ = false;
}

}  // namespace la3d::cli
