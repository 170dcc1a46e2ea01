// See la3d/core/stats.hpp.
#include "la3d/core/stats.hpp"

#include <sys/resource.h>
#include <algorithm>
#include <cmath>
#include <numeric>

namespace la3d {

Summary summarize(std::vector<double> v) {
  Summary s;
  if (v.empty()) return s;
  std::sort(v.begin(), v.end());
  const auto at = [&](double q) {
    // Nearest-rank percentile: the value below which q of the samples fall.
    const size_t k = size_t(std::ceil(q * v.size()));
    return v[std::clamp<size_t>(k, 1, v.size()) - 1];
  };
  s.median = v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
  s.p95 = at(0.95);
  s.mean = std::accumulate(v.begin(), v.end(), 0.0) / v.size();
  return s;
}

double ms_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

double peak_rss_mib() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss / 1024.0;  // Linux reports KiB
}

}  // namespace la3d
