#pragma once
// Frame labels of a VAD test set, read from the datasets' own annotation files.
#include <filesystem>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "la3d/core/result.hpp"

namespace la3d {

// Anomalous frame ranges per video, keyed by the video's name without extension. Ranges are
// inclusive [start, end] frame indices, as the files write them.
struct AnomalyLabels {
  std::map<std::string, std::vector<std::pair<long long, long long>>> segments;
  // A folder of per-video .npy frame labels instead (NAME.npy, 0/1 per frame).
  std::filesystem::path npy_dir;
};

// Parses annotation text in either dataset's format, told apart by the second field:
// UCF-Crime's Temporal_Anomaly_Annotation_for_Testing_Videos.txt ("Name.mp4 Class s1 e1 s2 e2",
// -1 for an absent segment) or XD-Violence's annotations.txt ("Name s1 e1 [s2 e2 ...]"). An error
// names the line.
Result<AnomalyLabels> parse_anomaly_annotations(const std::string& text);
// A .txt file as above, or a folder of NAME.npy frame labels.
Result<AnomalyLabels> read_anomaly_labels(const std::filesystem::path& path);
// The 0/1 labels of the first `frames` frames of `video` (a name without extension). A video the
// annotations do not list is normal throughout (XD-Violence lists only anomalous videos);
// `listed` says whether it was listed (or has an .npy).
Result<std::vector<float>> frame_labels(const AnomalyLabels& labels, const std::string& video,
                                        long long frames, bool* listed = nullptr);

}  // namespace la3d
