#include "la3d/vad/vad_report.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <numeric>
#include <opencv2/imgproc.hpp>

namespace la3d {

std::vector<float> frame_scores(const std::vector<float>& s, int per) {
  std::vector<float> out;
  out.reserve(s.size() * size_t(per));
  for (float v : s) out.insert(out.end(), size_t(per), v);
  return out;
}

std::vector<float> smooth_scores(const std::vector<float>& s, Smoothing mode, int k) {
  if (mode == Smoothing::None || k <= 1 || s.empty()) return s;
  const size_t n = s.size();
  std::vector<double> p(s.begin(), s.end());
  std::vector<float> out(n);
  if (mode == Smoothing::Fixed) {
    p.resize((n + size_t(k) - 1) / size_t(k) * size_t(k), 0.0);  // zeros enter the last mean
    for (size_t b = 0; b < p.size(); b += size_t(k)) {
      const double m = std::accumulate(p.begin() + long(b), p.begin() + long(b) + k, 0.0) / k;
      for (size_t i = b; i < std::min(b + size_t(k), n); ++i) out[i] = float(m);
    }
  } else {
    p.resize(n + size_t(k) - 1, 0.0);
    for (size_t i = 0; i < n; ++i)
      out[i] = float(std::accumulate(p.begin() + long(i), p.begin() + long(i) + k, 0.0) / k);
  }
  return out;
}

Result<std::pair<Smoothing, int>> parse_smoothing(const std::string& spec) {
  if (spec == "none") return std::pair{Smoothing::None, 1};
  const auto colon = spec.find(':');
  const std::string mode = spec.substr(0, colon);
  int k = 0;
  try {
    if (colon != std::string::npos) k = std::stoi(spec.substr(colon + 1));
  } catch (...) {
  }
  if ((mode != "fixed" && mode != "slide") || k < 1 || k > 1000)
    return make_error("smoothing must be none, fixed:K or slide:K (e.g. fixed:8, slide:7), got '" +
                      spec + "'");
  return std::pair{mode == "fixed" ? Smoothing::Fixed : Smoothing::Slide, k};
}

std::vector<Segment> anomalous_segments(const std::vector<float>& f, double thr, double fps) {
  std::vector<Segment> out;
  for (size_t i = 0; i < f.size();) {
    if (f[i] < thr) {
      ++i;
      continue;
    }
    Segment s;
    s.start_frame = (long long)i;
    s.peak = f[i];
    while (i < f.size() && f[i] >= thr) s.peak = std::max(s.peak, f[i++]);
    s.end_frame = (long long)i - 1;
    s.start_s = fps > 0 ? s.start_frame / fps : 0;
    s.end_s = fps > 0 ? (s.end_frame + 1) / fps : 0;
    out.push_back(s);
  }
  return out;
}

std::string frame_scores_csv(const std::vector<float>& f, double thr, double fps) {
  std::string out = "frame,time_s,score,alert\n";
  for (size_t i = 0; i < f.size(); ++i)
    out +=
        fmt::format("{},{:.3f},{:.6f},{}\n", i, fps > 0 ? i / fps : 0.0, f[i], f[i] >= thr ? 1 : 0);
  return out;
}

cv::Mat score_plot(const std::vector<float>& f, double thr, double fps, const std::string& title) {
  // Wide enough to read a few minutes at a glance; axes in seconds, alerts shaded.
  const cv::Size size(1280, 480);
  const cv::Rect area(80, 56, 1160, 360);  // plot box
  cv::Mat img(size, CV_8UC3, cv::Scalar::all(255));
  const double ymax = 1.05;
  const double n = std::max<double>(1, double(f.size()));
  const double rate = fps > 0 ? fps : 25.0;
  auto px = [&](double frame, double v) {
    return cv::Point(area.x + int(std::lround(frame / n * area.width)),
                     area.y + area.height - int(std::lround(v / ymax * area.height)));
  };
  const int font = cv::FONT_HERSHEY_SIMPLEX;
  const cv::Scalar black(0, 0, 0), grey(110, 110, 110), light(235, 235, 235), blue(180, 119, 31),
      alert_fill(200, 200, 255), red(40, 40, 200);
  // Alert segments first, under everything else.
  for (const Segment& s : anomalous_segments(f, thr, rate))
    cv::rectangle(img, cv::Rect(px(double(s.start_frame), ymax), px(double(s.end_frame + 1), 0)),
                  alert_fill, cv::FILLED);
  for (double v = 0; v <= 1.0001; v += 0.2) {
    const cv::Point p = px(0, v);
    cv::line(img, p, {area.br().x, p.y}, light, 1);
    cv::line(img, p, p - cv::Point(6, 0), black, 1);
    cv::putText(img, fmt::format("{:.1f}", v), p + cv::Point(-40, 6), font, 0.5, black, 1,
                cv::LINE_AA);
  }
  // Ticks at a round number of seconds, about ten of them.
  const double seconds = n / rate;
  double step = 1;
  for (double s : {1.0, 2.0, 5.0, 10.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0})
    if (seconds / s <= 12) {
      step = s;
      break;
    }
  for (double t = 0; t <= seconds + 1e-9; t += step) {
    const cv::Point p = px(t * rate, 0);
    cv::line(img, p, p + cv::Point(0, 6), black, 1);
    const std::string label = fmt::format("{:g}", t);
    cv::putText(img, label, p + cv::Point(-5 * int(label.size()), 24), font, 0.5, black, 1,
                cv::LINE_AA);
  }
  cv::rectangle(img, area, black, 1);
  // Threshold, dashed and labelled where it is drawn.
  const int ty = px(0, thr).y;
  for (int x = area.x; x < area.br().x; x += 12)
    cv::line(img, {x, ty}, {std::min(x + 7, area.br().x), ty}, red, 1, cv::LINE_AA);
  cv::putText(img, fmt::format("alert threshold {:.2f}", thr), {area.br().x - 190, ty - 6}, font,
              0.5, red, 1, cv::LINE_AA);
  // Scores as a staircase: each frame's value held until the next.
  for (size_t i = 0; i < f.size(); ++i) {
    const cv::Point a = px(double(i), f[i]), b = px(double(i + 1), f[i]);
    cv::line(img, a, b, blue, 2, cv::LINE_AA);
    if (i + 1 < f.size()) cv::line(img, b, px(double(i + 1), f[i + 1]), blue, 2, cv::LINE_AA);
  }
  cv::putText(img, title, {area.x, 34}, font, 0.7, black, 1, cv::LINE_AA);
  cv::putText(img, "time (seconds)", {area.x + area.width / 2 - 60, size.height - 14}, font, 0.55,
              black, 1, cv::LINE_AA);
  cv::Mat ylabel(24, 160, CV_8UC3, cv::Scalar::all(255));
  cv::putText(ylabel, "anomaly score", {10, 17}, font, 0.55, black, 1, cv::LINE_AA);
  cv::rotate(ylabel, ylabel, cv::ROTATE_90_COUNTERCLOCKWISE);
  ylabel.copyTo(img(cv::Rect(6, area.y + area.height / 2 - 80, 24, 160)));
  // Legend, top left inside the plot.
  const cv::Point lg(area.x + 14, area.y + 20);
  cv::line(img, lg, lg + cv::Point(24, 0), blue, 2, cv::LINE_AA);
  cv::putText(img, "score per frame", lg + cv::Point(32, 5), font, 0.5, black, 1, cv::LINE_AA);
  cv::rectangle(img, cv::Rect(lg + cv::Point(0, 14), cv::Size(24, 12)), alert_fill, cv::FILLED);
  cv::putText(img, "alert (score >= threshold)", lg + cv::Point(32, 25), font, 0.5, black, 1,
              cv::LINE_AA);
  return img;
}

void draw_alert_panel(cv::Mat& frame, float score, bool alert) {
  // The reference draws on RGB frames; these are its colours in BGR.
  cv::rectangle(frame, {0, 2}, {120, 18}, cv::Scalar(127, 127, 127), cv::FILLED);
  const cv::Scalar dot = alert ? cv::Scalar(0, 0, 255) : cv::Scalar(0, 255, 0);
  for (int x : {96, 104, 112}) cv::circle(frame, {x, 10}, 4, dot, cv::FILLED);
  cv::putText(frame, fmt::format("AD: {:.2f} Alert: ", score), {0, 14}, cv::FONT_HERSHEY_SIMPLEX,
              0.36, cv::Scalar(255, 0, 0), 1, cv::LINE_AA);
}

namespace {

// (score, label) sorted by decreasing score; checks sizes and classes.
Result<std::vector<std::pair<float, float>>> ranked(const std::vector<float>& s,
                                                    const std::vector<float>& l) {
  if (s.size() != l.size())
    return make_error("scores and labels differ in length (" + std::to_string(s.size()) + " vs " +
                      std::to_string(l.size()) + ")");
  std::vector<std::pair<float, float>> v;
  bool pos = false, neg = false;
  for (size_t i = 0; i < s.size(); ++i) {
    if (l[i] != 0 && l[i] != 1) return make_error("labels must be 0 or 1");
    pos = pos || l[i] == 1;
    neg = neg || l[i] == 0;
    v.emplace_back(s[i], l[i]);
  }
  if (!pos || !neg) return make_error("labels need both normal (0) and anomalous (1) frames");
  std::sort(v.begin(), v.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  return v;
}

// Cumulative true and false positives at each distinct threshold, highest first.
std::vector<std::pair<double, double>> operating_points(
    const std::vector<std::pair<float, float>>& v) {
  std::vector<std::pair<double, double>> pts;
  double tp = 0, fp = 0;
  for (size_t i = 0; i < v.size(); ++i) {
    (v[i].second == 1 ? tp : fp) += 1;
    if (i + 1 == v.size() || v[i + 1].first != v[i].first) pts.emplace_back(tp, fp);
  }
  return pts;
}

}  // namespace

Result<double> roc_auc(const std::vector<float>& s, const std::vector<float>& l) {
  auto v = ranked(s, l);
  if (!v) return v.error();
  const auto pts = operating_points(v.value());
  const double p = pts.back().first, n = pts.back().second;
  double area = 0, px = 0, py = 0;  // trapezoids from (0, 0)
  for (const auto& [tp, fp] : pts) {
    const double x = fp / n, y = tp / p;
    area += (x - px) * (y + py) / 2;
    px = x;
    py = y;
  }
  return area;
}

Result<double> pr_auc(const std::vector<float>& s, const std::vector<float>& l) {
  auto v = ranked(s, l);
  if (!v) return v.error();
  const auto pts = operating_points(v.value());
  const double p = pts.back().first;
  // sklearn's curve ends at (recall 0, precision 1); trapezoids between consecutive points.
  double area = 0, pr = 0, pp = 1;
  for (const auto& [tp, fp] : pts) {
    const double r = tp / p, prec = tp / (tp + fp);
    area += (r - pr) * (prec + pp) / 2;
    pr = r;
    pp = prec;
  }
  return area;
}

}  // namespace la3d
