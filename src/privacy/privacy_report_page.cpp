// la3d privacy --report: the page a privacy officer reads. Plain HTML with inline SVG bars, so it
// opens from a file anywhere (no script, no fonts, no network).
#include <fmt/format.h>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "la3d/io/io.hpp"
#include "la3d/privacy/privacy.hpp"

namespace la3d {
namespace {

namespace fs = std::filesystem;

std::string escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

struct MetricInfo {
  const char* name;
  const char* title;
  const char* meaning;  // how to read it
  double max;           // bar scale
};
const std::vector<MetricInfo>& metric_info() {
  static const std::vector<MetricInfo> kInfo = {
      {"face_redetection", "Faces re-detected",
       "share of the original faces a face finder still finds (lower is more private)", 1},
      {"person_redetection", "People re-detected",
       "share of the original people a person detector still finds", 1},
      {"face_similarity", "Face similarity",
       "mean cosine similarity of face descriptors, original vs anonymized", 1},
      {"face_rank1", "Face identification (rank-1)",
       "share of anonymized faces whose nearest original face is their own", 1},
      {"face_verification", "Face verification",
       "share of anonymized faces still matched to their original at the model's threshold", 1},
      {"gender_agreement", "Gender agreement",
       "share of faces given the same gender as the original", 1},
      {"age_mae", "Age error (years)",
       "mean absolute difference of estimated age (higher is more private)", 0},
      {"reid_rank1", "Body re-identification (rank-1)",
       "share of anonymized people whose nearest original is themselves (ReID model)", 1},
      {"reid_rank1_colour", "Body re-identification, colour baseline",
       "as above, with clothes-colour histograms", 1},
      {"ssim", "SSIM in the masks", "structural similarity of the hidden pixels to the original",
       1},
      {"psnr", "PSNR in the masks (dB)", "how close the hidden pixels stay to the original", 0},
  };
  return kInfo;
}

std::string value_text(const std::optional<double>& v, int digits = 3) {
  return v ? fmt::format("{:.{}f}", *v, digits) : std::string("–");
}

std::string bar_chart(const PrivacyReport& r, const MetricInfo& m,
                      const std::optional<double>& chance) {
  double max = m.max;
  if (max == 0) {
    for (const auto& [method, metrics] : r.methods)
      if (const auto& v = metrics.at(m.name)) max = std::max(max, *v);
    if (chance) max = std::max(max, *chance);
    if (max <= 0) max = 1;
  }
  const int row = 18, label_w = 180, bar_w = 220, h = row * int(r.methods.size()) + 8;
  std::string svg = fmt::format("<svg width=\"{}\" height=\"{}\" role=\"img\" aria-label=\"{}\">",
                                label_w + bar_w + 60, h, escape(m.title));
  int y = 4;
  for (const auto& [method, metrics] : r.methods) {
    const auto& v = metrics.at(m.name);
    const double w = v ? bar_w * std::clamp(*v / max, 0.0, 1.0) : 0;
    svg += fmt::format(
        "<text x=\"{}\" y=\"{}\" text-anchor=\"end\" class=\"l\">{}</text>"
        "<rect x=\"{}\" y=\"{}\" width=\"{:.1f}\" height=\"{}\" class=\"{}\"/>"
        "<text x=\"{:.1f}\" y=\"{}\" class=\"v\">{}</text>",
        label_w - 6, y + 12, escape(method), label_w, y + 2, w, row - 5,
        method == "no-an" ? "b0" : "b", label_w + w + 4, y + 12, value_text(v, m.max == 0 ? 1 : 3));
    y += row;
  }
  if (chance) {
    const double x = label_w + bar_w * std::clamp(*chance / max, 0.0, 1.0);
    svg += fmt::format(
        "<line x1=\"{:.1f}\" y1=\"0\" x2=\"{:.1f}\" y2=\"{}\" class=\"c\"><title>chance "
        "{}</title></line>",
        x, x, h, value_text(chance));
  }
  return svg + "</svg>";
}

}  // namespace

Status write_privacy_report(const PrivacyReport& r, const std::vector<ReportCrop>& crops,
                            const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir / "crops", ec);
  if (ec) return make_error("cannot create " + (dir / "crops").string() + ": " + ec.message());
  auto chance = [&](const std::string& k) -> std::optional<double> {
    const auto it = r.chance.find(k);
    return it == r.chance.end() ? std::nullopt : it->second;
  };
  std::string html =
      "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>la3d privacy "
      "report</title><style>"
      "body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222;max-width:1500px}"
      "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:3px 7px;text-align:right}"
      "th{background:#f2f2f2}td:first-child,th:first-child{text-align:left}"
      ".l{font-size:12px}.v{font-size:11px;fill:#333}.b{fill:#4a7fb5}.b0{fill:#c0504d}"
      ".c{stroke:#e08a00;stroke-width:2;stroke-dasharray:4 3}"
      ".charts{display:flex;flex-wrap:wrap;gap:18px}.chart{border:1px solid #eee;padding:8px}"
      ".crops td{text-align:center;vertical-align:bottom;font-size:11px}.crops img{height:110px;"
      "image-rendering:pixelated}h3{margin:4px 0}p.m{margin:2px 0 6px;color:#555;font-size:12px}"
      "</style></head><body><h1>How much identity the anonymization leaves</h1>";
  html += fmt::format(
      "<p>{} input(s); the attackers found {} face(s) and {} person(s) on the originals. Chance "
      "levels: face rank-1 {}, verification of two different faces {}, gender agreement {}, "
      "age error {} years, body rank-1 {}. <b>no-an</b> (red) is the original: everything "
      "leaks.</p>",
      r.inputs, r.faces, r.persons, value_text(chance("face_rank1")),
      value_text(chance("face_verification")), value_text(chance("gender_agreement")),
      value_text(chance("age_mae"), 1), value_text(chance("reid_rank1_colour")));
  html += "<table><tr><th>method</th>";
  for (const auto& m : metric_info()) html += fmt::format("<th>{}</th>", escape(m.title));
  html += "</tr>";
  for (const auto& [method, metrics] : r.methods) {
    html += "<tr><td>" + escape(method) + "</td>";
    for (const auto& m : metric_info())
      html += "<td>" + value_text(metrics.at(m.name), m.max == 0 ? 1 : 3) + "</td>";
    html += "</tr>";
  }
  html += "</table>";
  for (const std::string& n : r.notes) html += "<p class=\"m\">note: " + escape(n) + "</p>";
  html += "<h2>Per metric</h2><div class=\"charts\">";
  for (const auto& m : metric_info())
    html += fmt::format("<div class=\"chart\"><h3>{}</h3><p class=\"m\">{}{}</p>{}</div>",
                        escape(m.title), escape(m.meaning),
                        chance(m.name) ? "; dashed: chance" : "", bar_chart(r, m, chance(m.name)));
  html += "</div>";
  if (!crops.empty()) {
    html += "<h2>What an observer sees</h2><table class=\"crops\">";
    int k = 0;
    for (const ReportCrop& c : crops) {
      html += "<tr><td>" + escape(c.label) + "</td>";
      for (const auto& [method, img] : c.versions) {
        const std::string file = fmt::format("crops/{}_{}.png", k, method);
        if (img.empty()) {
          html += "<td>–<br>" + escape(method) + "</td>";
          continue;
        }
        try {
          if (!cv::imwrite((dir / file).string(), img))
            return make_error("cannot write " + (dir / file).string());
        } catch (const cv::Exception& e) {
          return make_error("cannot write " + (dir / file).string() + ": " + e.what());
        }
        html += fmt::format("<td><img src=\"{}\" alt=\"\"><br>{}</td>", file, escape(method));
      }
      html += "</tr>";
      ++k;
    }
    html += "</table>";
  }
  html += "</body></html>\n";
  return write_file_atomically(dir / "index.html", html);
}

}  // namespace la3d
