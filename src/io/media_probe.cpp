extern "C" {
#include <libavformat/avformat.h>
}

#include <cstdlib>
#include <mutex>

#include "la3d/io/io.hpp"
#include "libav_util.hpp"

namespace la3d {

std::string av_error_string(int err) {
  char buf[AV_ERROR_MAX_STRING_SIZE] = {0};
  av_strerror(err, buf, sizeof buf);
  return buf;
}

void silence_libav_log() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (!std::getenv("LA3D_MEDIA_LOG"))
      av_log_set_callback([](void*, int, const char*, va_list) {});
  });
}

Result<MediaInfo> probe_media(const std::string& url) {
  silence_libav_log();
  AVFormatContext* ctx = nullptr;
  int err = avformat_open_input(&ctx, url.c_str(), nullptr, nullptr);
  if (err < 0) return make_error("cannot open " + url + ": " + av_error_string(err));
  FormatInput guard(ctx);
  err = avformat_find_stream_info(ctx, nullptr);
  if (err < 0) return make_error("cannot read streams of " + url + ": " + av_error_string(err));
  const int v = av_find_best_stream(ctx, AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
  if (v < 0) return make_error(url + " has no video stream");
  const AVStream* vs = ctx->streams[v];
  MediaInfo info;
  info.size = {vs->codecpar->width, vs->codecpar->height};
  if (info.size.width <= 0 || info.size.height <= 0)
    return make_error(url + ": video stream has no frame size");
  AVRational rate = vs->avg_frame_rate.num > 0 ? vs->avg_frame_rate : vs->r_frame_rate;
  info.fps = {rate.num, rate.den};
  if (vs->nb_frames > 0) {
    info.frame_count = vs->nb_frames;
    info.frame_count_exact = true;
  } else if (vs->duration > 0 && rate.num > 0) {
    info.frame_count = av_rescale_q(vs->duration, vs->time_base, av_inv_q(rate));
  }
  info.video_codec = avcodec_get_name(vs->codecpar->codec_id);
  const int a = av_find_best_stream(ctx, AVMEDIA_TYPE_AUDIO, -1, -1, nullptr, 0);
  if (a >= 0) {
    info.has_audio = true;
    info.audio_codec = avcodec_get_name(ctx->streams[a]->codecpar->codec_id);
  }
  return info;
}

}  // namespace la3d
