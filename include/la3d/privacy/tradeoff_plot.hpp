#pragma once
// The paper's privacy-vs-anomaly-detection figure: one labelled point per AN method, privacy
// leakage on x, VAD ROC-AUC on y (la3d experiment).
#include <opencv2/core.hpp>
#include <string>
#include <vector>

namespace la3d {

struct TradeoffPoint {
  std::string method;
  double leakage = 0;  // x: the chosen privacy metric (more is less private)
  double auc = 0;      // y: frame-level ROC-AUC
};

// 1000x700 BGR image and the same figure as SVG text. Axes start at 0 (x) and at the lowest AUC
// rounded down to a tenth (y), end at 1 or the largest value.
cv::Mat tradeoff_png(const std::vector<TradeoffPoint>& points, const std::string& x_label,
                     const std::string& title);
std::string tradeoff_svg(const std::vector<TradeoffPoint>& points, const std::string& x_label,
                         const std::string& title);

}  // namespace la3d
