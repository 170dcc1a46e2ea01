#pragma once
// Ownership helpers for the libav C structures used by the I/O code.
extern "C" {
#include <libavformat/avformat.h>
}
#include <string>

namespace la3d {

std::string av_error_string(int err);

// libav logs to stderr by default; library code must not print, so its log is dropped unless
// LA3D_MEDIA_LOG is set. Safe to call often.
void silence_libav_log();

// Closes an input format context when it goes out of scope.
class FormatInput {
 public:
  explicit FormatInput(AVFormatContext* ctx = nullptr) : ctx_(ctx) {}
  FormatInput(const FormatInput&) = delete;
  FormatInput& operator=(const FormatInput&) = delete;
  ~FormatInput() {
    if (ctx_) avformat_close_input(&ctx_);
  }
  AVFormatContext* get() const { return ctx_; }
  AVFormatContext** out() { return &ctx_; }

 private:
  AVFormatContext* ctx_;
};

}  // namespace la3d
