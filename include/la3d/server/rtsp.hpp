#pragma once
// Anonymized RTSP re-stream: each camera at rtsp://HOST:PORT/NAME, H.264, through GStreamer's RTSP
// server (appsrc -> x264enc -> rtph264pay). Only what push() is given is streamed, and a live
// session only gives anonymized frames. Pushing never waits: with no client, or one that reads
// slowly, frames are dropped rather than held.
#include <memory>
#include <opencv2/core.hpp>
#include <string>

#include "la3d/core/result.hpp"

namespace la3d {

struct RtspOptions {
  std::string bind = "127.0.0.1";  // as the dashboard: another address needs a token
  int port = 8554;                 // 0: any free port
  std::string token;  // when set, clients must authenticate: user la3d, the token as password
  int bitrate_kbps = 2000;
};

class RtspServer {
 public:
  // Listening when it returns; an error for a port in use or a missing GStreamer element.
  static Result<std::unique_ptr<RtspServer>> start(const RtspOptions& options);
  ~RtspServer();
  RtspServer(const RtspServer&) = delete;
  RtspServer& operator=(const RtspServer&) = delete;

  int port() const;
  // A camera at /NAME, its frames BGR of `size` at `fps` (the stream's nominal rate).
  Status add_camera(const std::string& name, cv::Size size, double fps);
  // The camera's newest anonymized frame (8-bit BGR of its size); dropped when nobody watches.
  Status push(const std::string& name, const cv::Mat& anonymized);

  struct Impl;

 private:
  explicit RtspServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace la3d
