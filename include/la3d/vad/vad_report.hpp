#pragma once
// What the VAD pipeline hands to users: frame scores, anomalous segments, the reference's score
// plot and alert panel, and the evaluation metrics of the VAD literature.
#include <opencv2/core.hpp>
#include <string>
#include <vector>

#include "la3d/core/result.hpp"

namespace la3d {

// Each snippet score repeated over its 16 frames (LA3D's frame scores; trailing frames get none).
std::vector<float> frame_scores(const std::vector<float>& snippet_scores,
                                int frames_per_snippet = 16);

// PEL4VAD's test-time smoothing (LA3D applies none): "fixed" replaces each block of k values by its
// mean, "slide" is a forward window of k; both pad with zeros past the end as the original does.
enum class Smoothing { None, Fixed, Slide };
std::vector<float> smooth_scores(const std::vector<float>& scores, Smoothing mode, int k);
Result<std::pair<Smoothing, int>> parse_smoothing(
    const std::string& spec);  // none, fixed:8, slide:7

struct Segment {
  long long start_frame = 0, end_frame = 0;  // inclusive
  double start_s = 0, end_s = 0;             // end_s = time just after the last frame
  float peak = 0;
};
// Maximal runs of frames whose score is >= threshold (the reference's alert rule).
std::vector<Segment> anomalous_segments(const std::vector<float>& frame_scores, double threshold,
                                        double fps);

// frame,time_s,score,alert
std::string frame_scores_csv(const std::vector<float>& frame_scores, double threshold, double fps);

// The reference's figure: scores as a blue staircase, the threshold dashed grey, title
// "Anomaly Detection (dThr=T)", frames on x, value in [0, 1.05] on y (drawn with OpenCV).
// 1280x480: score per frame over time in seconds, alert segments shaded, the threshold labelled,
// `title` on top.
cv::Mat score_plot(const std::vector<float>& frame_scores, double threshold, double fps,
                   const std::string& title);

// The reference's per-frame overlay, on a frame already resized to 320x240 (BGR): grey panel,
// "AD: 0.73 Alert: " and three dots, red on alert, green otherwise.
void draw_alert_panel(cv::Mat& frame, float score, bool alert);

// Frame-level ROC-AUC (UCF-Crime's metric; sklearn roc_curve + auc) and the trapezoidal area
// under the precision-recall curve (XD-Violence's "AP": auc(recall, precision), not the step sum).
// `labels` are 0/1; both need positives and negatives.
Result<double> roc_auc(const std::vector<float>& scores, const std::vector<float>& labels);
Result<double> pr_auc(const std::vector<float>& scores, const std::vector<float>& labels);

}  // namespace la3d
