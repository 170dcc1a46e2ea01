// Drawn by hand with OpenCV and as SVG text: two small fixed-layout figures, where a plotting
// library would add a dependency for one chart.
#include "la3d/privacy/tradeoff_plot.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>

namespace la3d {
namespace {

constexpr int kW = 1000, kH = 700, kLeft = 90, kRight = 40, kTop = 60, kBottom = 80;

struct Axes {
  double x_max = 1, y_min = 0, y_max = 1;
  double px(double x) const { return kLeft + (kW - kLeft - kRight) * x / x_max; }
  double py(double y) const {
    return kH - kBottom - (kH - kTop - kBottom) * (y - y_min) / (y_max - y_min);
  }
};

Axes axes_for(const std::vector<TradeoffPoint>& points) {
  Axes a;
  double lo = 1;
  for (const auto& p : points) {
    a.x_max = std::max(a.x_max, p.leakage);
    lo = std::min(lo, p.auc);
    a.y_max = std::max(a.y_max, p.auc);
  }
  a.y_min = std::max(0.0, std::floor(lo * 10 - 1e-9) / 10);
  if (a.y_max - a.y_min < 0.1) a.y_min = std::max(0.0, a.y_max - 0.1);
  return a;
}

// Where each point's label goes: beside its point, moved to another side or below when it would
// cover an earlier label or leave the plot (methods often share a leakage value).
std::vector<cv::Point> label_positions(const std::vector<TradeoffPoint>& points, const Axes& a) {
  std::vector<cv::Rect> taken;
  std::vector<cv::Point> out;
  for (const auto& p : points) {
    const int w = cv::getTextSize(p.method, cv::FONT_HERSHEY_SIMPLEX, 0.5, 1, nullptr).width;
    const cv::Point c(int(a.px(p.leakage)), int(a.py(p.auc)));
    const cv::Point offsets[] = {{9, -7}, {9, 16},       {-w - 9, -7}, {-w - 9, 16}, {9, -22},
                                 {9, 31}, {-w - 9, -22}, {-w - 9, 31}, {9, -37},     {9, 46}};
    cv::Point best = c + offsets[0];
    for (const cv::Point& o : offsets) {
      const cv::Rect box(c.x + o.x, c.y + o.y - 12, w, 15);
      const bool inside = box.x >= kLeft && box.br().x <= kW - 4 && box.y >= kTop - 20;
      const bool free = std::none_of(taken.begin(), taken.end(),
                                     [&](const cv::Rect& t) { return (t & box).area() > 0; });
      if (inside && free) {
        best = c + o;
        break;
      }
    }
    taken.emplace_back(best.x, best.y - 12, w, 15);
    out.push_back(best);
  }
  return out;
}

// Tick values from lo to hi at a round step (1, 2 or 5 times a power of ten) giving 5-10 ticks.
std::vector<double> ticks(double lo, double hi) {
  const double raw = (hi - lo) / 10, p = std::pow(10.0, std::floor(std::log10(raw)));
  const double step = raw <= p ? p : raw <= 2 * p ? 2 * p : raw <= 5 * p ? 5 * p : 10 * p;
  std::vector<double> out;
  for (double v = std::ceil(lo / step - 1e-9) * step; v <= hi + 1e-9; v += step)
    out.push_back(v + 0.0);  // + 0.0: no "-0" label
  return out;
}

std::string escape(const std::string& s) {
  std::string out;
  for (char c : s)
    out += c == '<' ? "&lt;" : c == '>' ? "&gt;" : c == '&' ? "&amp;" : std::string(1, c);
  return out;
}

}  // namespace

cv::Mat tradeoff_png(const std::vector<TradeoffPoint>& points, const std::string& x_label,
                     const std::string& title) {
  const Axes a = axes_for(points);
  cv::Mat img(kH, kW, CV_8UC3, cv::Scalar::all(255));
  const cv::Scalar grid(225, 225, 225), ink(40, 40, 40), dot(180, 110, 40);
  const int font = cv::FONT_HERSHEY_SIMPLEX;
  for (double x : ticks(0, a.x_max)) {
    cv::line(img, {int(a.px(x)), kTop}, {int(a.px(x)), kH - kBottom}, grid);
    cv::putText(img, fmt::format("{:g}", x), {int(a.px(x)) - 12, kH - kBottom + 22}, font, 0.45,
                ink);
  }
  for (double y : ticks(a.y_min, a.y_max)) {
    cv::line(img, {kLeft, int(a.py(y))}, {kW - kRight, int(a.py(y))}, grid);
    cv::putText(img, fmt::format("{:.2f}", y), {kLeft - 50, int(a.py(y)) + 5}, font, 0.45, ink);
  }
  cv::rectangle(img, {kLeft, kTop}, {kW - kRight, kH - kBottom}, ink, 1);
  cv::putText(img, title, {kLeft, 38}, font, 0.7, ink, 2);
  cv::putText(img, x_label + " (privacy leakage, lower is more private)", {kLeft + 150, kH - 28},
              font, 0.55, ink);
  cv::Mat ylabel(30, 300, CV_8UC3, cv::Scalar::all(255));
  cv::putText(ylabel, "VAD ROC-AUC", {60, 22}, font, 0.55, ink);
  cv::rotate(ylabel, ylabel, cv::ROTATE_90_COUNTERCLOCKWISE);
  ylabel.copyTo(img(cv::Rect(4, kTop + (kH - kTop - kBottom - 300) / 2, 30, 300)));
  const std::vector<cv::Point> labels = label_positions(points, a);
  for (size_t k = 0; k < points.size(); ++k) {
    const cv::Point c(int(a.px(points[k].leakage)), int(a.py(points[k].auc)));
    cv::circle(img, c, 6, dot, cv::FILLED, cv::LINE_AA);
    cv::putText(img, points[k].method, labels[k], font, 0.5, ink, 1, cv::LINE_AA);
  }
  return img;
}

std::string tradeoff_svg(const std::vector<TradeoffPoint>& points, const std::string& x_label,
                         const std::string& title) {
  const Axes a = axes_for(points);
  std::string s = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" "
      "font-family=\"sans-serif\" font-size=\"13\">\n<rect width=\"100%\" height=\"100%\" "
      "fill=\"white\"/>\n<text x=\"{}\" y=\"38\" font-size=\"18\" font-weight=\"bold\">{}</text>\n",
      kW, kH, kLeft, escape(title));
  for (double x : ticks(0, a.x_max))
    s += fmt::format(
        "<line x1=\"{0:.1f}\" y1=\"{1}\" x2=\"{0:.1f}\" y2=\"{2}\" stroke=\"#e1e1e1\"/>"
        "<text x=\"{0:.1f}\" y=\"{3}\" text-anchor=\"middle\">{4:g}</text>\n",
        a.px(x), kTop, kH - kBottom, kH - kBottom + 20, x);
  for (double y : ticks(a.y_min, a.y_max))
    s += fmt::format(
        "<line x1=\"{0}\" y1=\"{2:.1f}\" x2=\"{1}\" y2=\"{2:.1f}\" stroke=\"#e1e1e1\"/>"
        "<text x=\"{3}\" y=\"{4:.1f}\" text-anchor=\"end\">{5:.2f}</text>\n",
        kLeft, kW - kRight, a.py(y), kLeft - 8, a.py(y) + 4, y);
  s += fmt::format(
      "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"#282828\"/>\n",
      kLeft, kTop, kW - kLeft - kRight, kH - kTop - kBottom);
  s += fmt::format(
      "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{} (privacy leakage, lower is more "
      "private)</text>\n<text transform=\"translate(24,{}) rotate(-90)\" "
      "text-anchor=\"middle\">VAD ROC-AUC</text>\n",
      (kLeft + kW - kRight) / 2, kH - 28, escape(x_label), (kTop + kH - kBottom) / 2);
  const std::vector<cv::Point> labels = label_positions(points, a);
  for (size_t k = 0; k < points.size(); ++k) {
    const auto& p = points[k];
    s += fmt::format(
        "<circle cx=\"{0:.1f}\" cy=\"{1:.1f}\" r=\"6\" fill=\"#286eb4\"><title>{2}: {3:.3f}, AUC "
        "{4:.4f}</title></circle><text x=\"{5}\" y=\"{6}\">{2}</text>\n",
        a.px(p.leakage), a.py(p.auc), escape(p.method), p.leakage, p.auc, labels[k].x, labels[k].y);
  }
  return s + "</svg>\n";
}

}  // namespace la3d
