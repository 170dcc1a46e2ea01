// Video output with libavcodec/libavformat: OpenCV's VideoWriter cannot carry an audio track, keep
// an exact rational frame rate or set encoder quality, so the encoder and muxer are driven here.
extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/imgutils.h>
#include <libavutil/opt.h>
#include <libswscale/swscale.h>
}

#include "la3d/io/io.hpp"
#include "libav_util.hpp"

namespace la3d {
namespace {

Error av_fail(const std::string& what, int err) {
  return make_error(what + ": " + av_error_string(err));
}

const AVCodec* choose_encoder(const AVOutputFormat* fmt, const std::string& name) {
  if (!name.empty()) return avcodec_find_encoder_by_name(name.c_str());
  if (avformat_query_codec(fmt, AV_CODEC_ID_H264, FF_COMPLIANCE_NORMAL) == 1)
    if (const AVCodec* x264 = avcodec_find_encoder_by_name("libx264")) return x264;
  return avcodec_find_encoder(fmt->video_codec);
}

// 4:2:0 needs even sizes; odd frames fall back to 4:4:4 where the encoder has it.
AVPixelFormat choose_pixel_format(const AVCodec* codec, cv::Size size) {
  const bool even = size.width % 2 == 0 && size.height % 2 == 0;
  const AVPixelFormat* fmts = codec->pix_fmts;
  if (!fmts) return AV_PIX_FMT_YUV420P;
  AVPixelFormat first = fmts[0];
  for (const AVPixelFormat* f = fmts; *f != AV_PIX_FMT_NONE; ++f) {
    if (even && (*f == AV_PIX_FMT_YUV420P || *f == AV_PIX_FMT_YUVJ420P)) return *f;
    if (!even && (*f == AV_PIX_FMT_YUV444P || *f == AV_PIX_FMT_YUVJ444P)) return *f;
  }
  return first;
}

class LibavVideoSink final : public VideoSink {
 public:
  LibavVideoSink(fs::path final_path)
      : final_(std::move(final_path)), temp_(partial_path_for(final_)) {}
  ~LibavVideoSink() override {
    release();
    if (!finished_) {
      std::error_code ec;
      fs::remove(temp_, ec);
    }
  }

  Status open(cv::Size size, Rational fps, const VideoSinkOptions& o) {
    size_ = size;
    batch_ = o.batch;
    int err = avformat_alloc_output_context2(&oc_, nullptr, nullptr, temp_.c_str());
    if (err < 0 || !oc_)
      return make_error("no video format for extension '" + final_.extension().string() + "'");
    const AVCodec* codec = choose_encoder(oc_->oformat, o.codec);
    if (!codec) return make_error("unknown or unavailable video encoder '" + o.codec + "'");
    if (codec->type != AVMEDIA_TYPE_VIDEO)
      return make_error("'" + o.codec + "' is not a video encoder");
    enc_ = avcodec_alloc_context3(codec);
    enc_->width = size.width;
    enc_->height = size.height;
    enc_->time_base = AVRational{fps.den, fps.num};
    enc_->framerate = AVRational{fps.num, fps.den};
    enc_->pix_fmt = choose_pixel_format(codec, size);
    // No B-frames: output timestamps then equal frame indices in every container (AVI included).
    enc_->max_b_frames = 0;
    enc_->gop_size = std::max(1, int(std::lround(fps.value())) * 2);
    if (oc_->oformat->flags & AVFMT_GLOBALHEADER) enc_->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
    AVDictionary* opts = nullptr;
    if (std::string(codec->name) == "libx264" || std::string(codec->name) == "libx265") {
      av_dict_set(&opts, "crf", std::to_string(o.crf).c_str(), 0);
      av_dict_set(&opts, "preset", o.preset.c_str(), 0);
    } else if (o.bitrate_kbps > 0) {
      enc_->bit_rate = int64_t(o.bitrate_kbps) * 1000;
    } else {
      // Fixed quantiser: the encoders' default bitrates (200 kb/s for mpeg4) smear everything.
      enc_->flags |= AV_CODEC_FLAG_QSCALE;
      enc_->global_quality = FF_QP2LAMBDA * 3;
    }
    enc_->thread_count = 0;
    err = avcodec_open2(enc_, codec, &opts);
    av_dict_free(&opts);
    if (err < 0) return av_fail("cannot open encoder " + std::string(codec->name), err);

    vst_ = avformat_new_stream(oc_, nullptr);
    avcodec_parameters_from_context(vst_->codecpar, enc_);
    vst_->time_base = enc_->time_base;
    vst_->avg_frame_rate = enc_->framerate;
    vst_->r_frame_rate = enc_->framerate;

    if (!o.audio_from.empty())
      if (Status s = open_audio(o.audio_from); !s) return s;

    if (!(oc_->oformat->flags & AVFMT_NOFILE)) {
      err = avio_open(&oc_->pb, temp_.c_str(), AVIO_FLAG_WRITE);
      if (err < 0) return av_fail("cannot write " + final_.string(), err);
    }
    err = avformat_write_header(oc_, nullptr);
    if (err < 0) return av_fail("cannot start " + final_.string(), err);

    frame_ = av_frame_alloc();
    frame_->format = enc_->pix_fmt;
    frame_->width = size.width;
    frame_->height = size.height;
    if ((err = av_frame_get_buffer(frame_, 0)) < 0) return av_fail("out of memory", err);
    pkt_ = av_packet_alloc();
    sws_ = sws_getContext(size.width, size.height, AV_PIX_FMT_BGR24, size.width, size.height,
                          enc_->pix_fmt, SWS_BILINEAR, nullptr, nullptr, nullptr);
    if (!sws_)
      return make_error("no colour conversion to " +
                        std::string(av_get_pix_fmt_name(enc_->pix_fmt)));
    return Ok{};
  }

  Status write(const cv::Mat& frame) override {
    if (frame.size() != size_ || frame.type() != CV_8UC3)
      return make_error("frame size changed mid-stream; cannot encode");
    int err = av_frame_make_writable(frame_);
    if (err < 0) return av_fail("out of memory", err);
    const uint8_t* src[1] = {frame.data};
    const int stride[1] = {int(frame.step)};
    sws_scale(sws_, src, stride, 0, frame.rows, frame_->data, frame_->linesize);
    frame_->pts = next_pts_++;
    return encode(frame_);
  }

  Status finish() override {
    if (Status s = encode(nullptr); !s) return s;
    if (Status s = copy_audio_until(INT64_MAX); !s) return s;
    int err = av_write_trailer(oc_);
    if (err < 0) return av_fail("cannot finish " + final_.string(), err);
    release();
    finished_ = true;
    return finish_output(temp_, final_, batch_);
  }

  fs::path path() const override { return final_; }

 private:
  Status open_audio(const std::string& url) {
    int err = avformat_open_input(audio_in_.out(), url.c_str(), nullptr, nullptr);
    if (err < 0) return av_fail("cannot open audio of " + url, err);
    if ((err = avformat_find_stream_info(audio_in_.get(), nullptr)) < 0)
      return av_fail("cannot read " + url, err);
    AVFormatContext* in = audio_in_.get();
    audio_index_ = av_find_best_stream(in, AVMEDIA_TYPE_AUDIO, -1, -1, nullptr, 0);
    if (audio_index_ < 0) return Ok{};  // nothing to copy
    const AVStream* ist = in->streams[audio_index_];
    if (avformat_query_codec(oc_->oformat, ist->codecpar->codec_id, FF_COMPLIANCE_NORMAL) == 0)
      return make_error(std::string("audio codec ") + avcodec_get_name(ist->codecpar->codec_id) +
                        " cannot be stored in " + final_.extension().string() +
                        " files; choose another container or --no-audio");
    ast_ = avformat_new_stream(oc_, nullptr);
    avcodec_parameters_copy(ast_->codecpar, ist->codecpar);
    ast_->codecpar->codec_tag = 0;
    ast_->time_base = ist->time_base;
    // Our video starts at 0 where the source's video started; audio keeps its offset from there.
    const int v = av_find_best_stream(in, AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
    if (v >= 0 && in->streams[v]->start_time != AV_NOPTS_VALUE)
      audio_shift_ =
          av_rescale_q(in->streams[v]->start_time, in->streams[v]->time_base, ist->time_base);
    return Ok{};
  }

  // Copies audio packets whose time is before `until` (in the audio stream's time base).
  Status copy_audio_until(int64_t until) {
    if (!ast_ || audio_done_) return Ok{};
    AVFormatContext* in = audio_in_.get();
    const AVRational in_tb = in->streams[audio_index_]->time_base;
    AVPacket* p = av_packet_alloc();
    Status result = Ok{};
    while (true) {
      if (pending_audio_) {
        if (pending_audio_->dts != AV_NOPTS_VALUE && pending_audio_->dts - audio_shift_ > until)
          break;
        std::swap(p, pending_audio_);
        av_packet_free(&pending_audio_);
        if (p->pts != AV_NOPTS_VALUE) p->pts -= audio_shift_;
        if (p->dts != AV_NOPTS_VALUE) p->dts -= audio_shift_;
        if (p->dts == AV_NOPTS_VALUE || p->dts >= 0) {
          av_packet_rescale_ts(p, in_tb, ast_->time_base);
          p->stream_index = ast_->index;
          p->pos = -1;
          const int err = av_interleaved_write_frame(oc_, p);
          if (err < 0) {
            result = av_fail("cannot write audio", err);
            break;
          }
        }
        av_packet_unref(p);
      }
      AVPacket* next = av_packet_alloc();
      int err;
      while ((err = av_read_frame(in, next)) >= 0 && next->stream_index != audio_index_)
        av_packet_unref(next);
      if (err < 0) {
        av_packet_free(&next);
        audio_done_ = true;
        break;
      }
      pending_audio_ = next;
    }
    av_packet_free(&p);
    return result;
  }

  Status encode(AVFrame* frame) {
    int err = avcodec_send_frame(enc_, frame);
    if (err < 0) return av_fail("cannot encode frame", err);
    while ((err = avcodec_receive_packet(enc_, pkt_)) >= 0) {
      av_packet_rescale_ts(pkt_, enc_->time_base, vst_->time_base);
      pkt_->stream_index = vst_->index;
      if (ast_) {
        const AVRational atb = audio_in_.get()->streams[audio_index_]->time_base;
        if (Status s = copy_audio_until(av_rescale_q(pkt_->pts, vst_->time_base, atb)); !s)
          return s;
      }
      err = av_interleaved_write_frame(oc_, pkt_);
      if (err < 0) return av_fail("cannot write video", err);
    }
    if (err != AVERROR(EAGAIN) && err != AVERROR_EOF) return av_fail("cannot encode frame", err);
    return Ok{};
  }

  void release() {
    if (pending_audio_) av_packet_free(&pending_audio_);
    if (sws_) sws_freeContext(sws_), sws_ = nullptr;
    if (pkt_) av_packet_free(&pkt_);
    if (frame_) av_frame_free(&frame_);
    if (enc_) avcodec_free_context(&enc_);
    if (oc_) {
      if (oc_->pb && !(oc_->oformat->flags & AVFMT_NOFILE)) avio_closep(&oc_->pb);
      avformat_free_context(oc_);
      oc_ = nullptr;
    }
  }

  fs::path final_, temp_;
  OutputBatch* batch_ = nullptr;
  cv::Size size_;
  AVFormatContext* oc_ = nullptr;
  AVCodecContext* enc_ = nullptr;
  AVStream* vst_ = nullptr;
  AVFrame* frame_ = nullptr;
  AVPacket* pkt_ = nullptr;
  SwsContext* sws_ = nullptr;
  int64_t next_pts_ = 0;
  FormatInput audio_in_;
  int audio_index_ = -1;
  AVStream* ast_ = nullptr;
  AVPacket* pending_audio_ = nullptr;
  int64_t audio_shift_ = 0;
  bool audio_done_ = false;
  bool finished_ = false;
};

}  // namespace

Result<std::unique_ptr<VideoSink>> VideoSink::open(const fs::path& path, cv::Size size,
                                                   Rational fps, const VideoSinkOptions& options) {
  if (size.width <= 0 || size.height <= 0) return make_error("bad output frame size");
  if (fps.num <= 0 || fps.den <= 0) return make_error("bad output frame rate");
  std::error_code ec;
  if (path.has_parent_path()) fs::create_directories(path.parent_path(), ec);
  if (ec) return make_error("cannot create output folder " + path.parent_path().string());
  silence_libav_log();
  auto sink = std::make_unique<LibavVideoSink>(path);
  if (Status s = sink->open(size, fps, options); !s) return s.error();
  return std::unique_ptr<VideoSink>(std::move(sink));
}

}  // namespace la3d
