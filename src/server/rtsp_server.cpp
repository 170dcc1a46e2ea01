// The RTSP re-stream on GStreamer's RTSP server library (Debian's libgstrtspserver-1.0): RTSP
// sessions, RTP packetisation and H.264 encoding are its and x264's; this file feeds each camera's
// appsrc and keeps pushing from ever waiting on a client.
#include <gst/app/gstappsrc.h>
#include <gst/gst.h>
#include <gst/rtsp-server/rtsp-server.h>

#include <fmt/format.h>

#include <map>
#include <mutex>
#include <thread>

#include "la3d/server/camera_name.hpp"
#include "la3d/server/rtsp.hpp"

namespace la3d {
namespace {

struct Camera {
  std::string name;
  cv::Size frame;  // what push() takes
  cv::Size size;   // what is streamed: the frame less an odd last column or row
  double fps = 25;
  std::mutex m;
  GstElement* appsrc = nullptr;          // while a client plays the (shared) media
  GstRTSPMedia* appsrc_media = nullptr;  // the media that appsrc belongs to
  // Every media made for this camera (referenced): unprepared before the camera is freed, so that
  // no GStreamer thread calls back into a freed camera.
  std::vector<GstRTSPMedia*> media;
};

void on_unprepared(GstRTSPMedia* media, gpointer data) {
  auto* cam = static_cast<Camera*>(data);
  std::lock_guard lock(cam->m);
  if (cam->appsrc_media != media) return;  // an older media, after a newer one took over
  if (cam->appsrc) gst_object_unref(cam->appsrc);
  cam->appsrc = nullptr;
  cam->appsrc_media = nullptr;
}

void on_media_configure(GstRTSPMediaFactory*, GstRTSPMedia* media, gpointer data) {
  auto* cam = static_cast<Camera*>(data);
  GstElement* bin = gst_rtsp_media_get_element(media);
  GstElement* src = gst_bin_get_by_name_recurse_up(GST_BIN(bin), "src");
  gst_object_unref(bin);
  if (!src) return;
  int num = 25, den = 1;
  gst_util_double_to_fraction(cam->fps, &num, &den);
  GstCaps* caps = gst_caps_new_simple(
      "video/x-raw", "format", G_TYPE_STRING, "BGR", "width", G_TYPE_INT, cam->size.width, "height",
      G_TYPE_INT, cam->size.height, "framerate", GST_TYPE_FRACTION, num, den, nullptr);
  g_object_set(src, "caps", caps, nullptr);
  gst_caps_unref(caps);
  g_signal_connect(media, "unprepared", G_CALLBACK(on_unprepared), cam);
  std::lock_guard lock(cam->m);
  // Media that have finished are let go here, so that a server that sees viewers come and go for
  // days keeps only the live ones.
  std::erase_if(cam->media, [&](GstRTSPMedia* md) {
    if (gst_rtsp_media_get_status(md) != GST_RTSP_MEDIA_STATUS_UNPREPARED) return false;
    g_signal_handlers_disconnect_by_data(md, cam);
    g_object_unref(md);
    return true;
  });
  cam->media.push_back(GST_RTSP_MEDIA(g_object_ref(media)));
  if (cam->appsrc) gst_object_unref(cam->appsrc);
  cam->appsrc = src;  // the reference from get_by_name
  cam->appsrc_media = media;
}

GstRTSPFilterResult remove_client(GstRTSPServer*, GstRTSPClient*, gpointer) {
  return GST_RTSP_FILTER_REMOVE;
}

}  // namespace

struct RtspServer::Impl {
  RtspOptions options;
  GMainContext* context = nullptr;
  GMainLoop* loop = nullptr;
  GstRTSPServer* server = nullptr;
  guint source_id = 0;
  std::thread thread;
  int port = 0;
  std::mutex m;
  std::map<std::string, std::unique_ptr<Camera>> cameras;

  ~Impl() {
    if (server) gst_rtsp_server_client_filter(server, remove_client, nullptr);
    // Stop every camera's pipelines while the main loop still runs, and cut their signals to the
    // cameras, which are freed below.
    for (auto& [name, cam] : cameras) {
      std::vector<GstRTSPMedia*> media;
      {
        std::lock_guard lock(cam->m);
        media.swap(cam->media);
      }
      for (GstRTSPMedia* md : media) {
        g_signal_handlers_disconnect_by_data(md, cam.get());
        gst_rtsp_media_unprepare(md);
        g_object_unref(md);
      }
    }
    if (loop) g_main_loop_quit(loop);
    if (thread.joinable()) thread.join();
    if (source_id) {
      if (GSource* s = g_main_context_find_source_by_id(context, source_id)) g_source_destroy(s);
    }
    if (server) g_object_unref(server);
    if (loop) g_main_loop_unref(loop);
    if (context) g_main_context_unref(context);
    for (auto& [name, cam] : cameras)
      if (cam->appsrc) gst_object_unref(cam->appsrc);
  }
};

Result<std::unique_ptr<RtspServer>> RtspServer::start(const RtspOptions& o) {
  return guarded("starting the RTSP server", [&]() -> Result<std::unique_ptr<RtspServer>> {
    if (o.port < 0 || o.port > 65535) return make_error("--rtsp-port must be 0-65535");
    if (o.bitrate_kbps < 100 || o.bitrate_kbps > 100000)
      return make_error("the RTSP bitrate must be 100-100000 kb/s");
    static std::once_flag init;
    std::call_once(init, [] { gst_init(nullptr, nullptr); });
    for (const char* element : {"appsrc", "videoconvert", "x264enc", "rtph264pay"}) {
      GstElementFactory* f = gst_element_factory_find(element);
      if (!f)
        return make_error(fmt::format("GStreamer's {} is missing (install {})", element,
                                      std::string(element) == "x264enc"
                                          ? "gstreamer1.0-plugins-ugly"
                                          : "gstreamer1.0-plugins-base and -good"));
      gst_object_unref(f);
    }
    auto impl = std::make_unique<Impl>();
    impl->options = o;
    impl->context = g_main_context_new();
    impl->loop = g_main_loop_new(impl->context, FALSE);
    impl->server = gst_rtsp_server_new();
    gst_rtsp_server_set_address(impl->server, o.bind.c_str());
    gst_rtsp_server_set_service(impl->server, std::to_string(o.port).c_str());
    if (!o.token.empty()) {
      GstRTSPAuth* auth = gst_rtsp_auth_new();
      GstRTSPToken* token =
          gst_rtsp_token_new(GST_RTSP_TOKEN_MEDIA_FACTORY_ROLE, G_TYPE_STRING, "viewer", nullptr);
      gchar* basic = gst_rtsp_auth_make_basic("la3d", o.token.c_str());
      gst_rtsp_auth_add_basic(auth, basic, token);
      g_free(basic);
      gst_rtsp_token_unref(token);
      gst_rtsp_server_set_auth(impl->server, auth);
      g_object_unref(auth);
    }
    impl->source_id = gst_rtsp_server_attach(impl->server, impl->context);
    if (impl->source_id == 0)
      return make_error(fmt::format("cannot listen for RTSP on {}:{} (in use?)", o.bind, o.port));
    impl->port = gst_rtsp_server_get_bound_port(impl->server);
    GMainLoop* loop = impl->loop;
    GMainContext* context = impl->context;
    impl->thread = std::thread([loop, context] {
      g_main_context_push_thread_default(context);
      g_main_loop_run(loop);
      g_main_context_pop_thread_default(context);
    });
    return std::unique_ptr<RtspServer>(new RtspServer(std::move(impl)));
  });
}

RtspServer::RtspServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
RtspServer::~RtspServer() = default;

int RtspServer::port() const {
  return impl_->port;
}

Status RtspServer::add_camera(const std::string& name, cv::Size size, double fps) {
  if (Status s = validate_camera_name(name); !s) return s;
  if (size.width < 16 || size.height < 16)
    return make_error(
        fmt::format("RTSP needs frames of at least 16x16, got {}x{}", size.width, size.height));
  if (!(fps > 0 && fps <= 240)) fps = 25;
  std::lock_guard lock(impl_->m);
  if (impl_->cameras.count(name)) return make_error("two cameras named '" + name + "'");
  auto cam = std::make_unique<Camera>();
  cam->name = name;
  cam->frame = size;
  cam->size = {size.width & ~1, size.height & ~1};  // H.264 in 4:2:0 wants even sides
  cam->fps = fps;
  const size_t frame_bytes = size_t(cam->size.area()) * 3;
  // appsrc drops the oldest frame past two waiting (leaky upstream) and never blocks the caller.
  const std::string launch = fmt::format(
      "( appsrc name=src is-live=true format=time do-timestamp=true block=false max-bytes={} "
      "leaky-type=upstream ! queue leaky=downstream max-size-buffers=2 ! videoconvert ! "
      "video/x-raw,format=I420 ! x264enc tune=zerolatency speed-preset=ultrafast bitrate={} "
      "key-int-max={} ! rtph264pay name=pay0 pt=96 config-interval=1 )",
      2 * frame_bytes, impl_->options.bitrate_kbps, std::max(1, int(fps)));
  GstRTSPMediaFactory* factory = gst_rtsp_media_factory_new();
  gst_rtsp_media_factory_set_launch(factory, launch.c_str());
  gst_rtsp_media_factory_set_shared(factory, TRUE);  // one encoder, however many viewers
  if (!impl_->options.token.empty())
    gst_rtsp_media_factory_add_role(factory, "viewer", GST_RTSP_PERM_MEDIA_FACTORY_ACCESS,
                                    G_TYPE_BOOLEAN, TRUE, GST_RTSP_PERM_MEDIA_FACTORY_CONSTRUCT,
                                    G_TYPE_BOOLEAN, TRUE, nullptr);
  g_signal_connect(factory, "media-configure", G_CALLBACK(on_media_configure), cam.get());
  GstRTSPMountPoints* mounts = gst_rtsp_server_get_mount_points(impl_->server);
  gst_rtsp_mount_points_add_factory(mounts, ("/" + name).c_str(), factory);  // takes factory
  g_object_unref(mounts);
  impl_->cameras.emplace(name, std::move(cam));
  return Ok{};
}

Status RtspServer::push(const std::string& name, const cv::Mat& frame) {
  Camera* cam = nullptr;
  {
    std::lock_guard lock(impl_->m);
    auto it = impl_->cameras.find(name);
    if (it == impl_->cameras.end()) return make_error("no RTSP camera named '" + name + "'");
    cam = it->second.get();
  }
  if (frame.type() != CV_8UC3 || frame.size() != cam->frame)
    return make_error(fmt::format("RTSP camera {} takes {}x{} BGR frames", name, cam->frame.width,
                                  cam->frame.height));
  std::lock_guard lock(cam->m);
  if (!cam->appsrc) return Ok{};  // nobody is watching
  const size_t bytes = frame.total() * 3;
  GstBuffer* buffer = gst_buffer_new_allocate(nullptr, bytes, nullptr);
  GstMapInfo map;
  if (!gst_buffer_map(buffer, &map, GST_MAP_WRITE)) {
    gst_buffer_unref(buffer);
    return make_error("RTSP: cannot map a buffer");
  }
  cv::Mat view(cam->size, CV_8UC3, map.data);
  frame(cv::Rect({0, 0}, cam->size)).copyTo(view);
  gst_buffer_unmap(buffer, &map);
  GST_BUFFER_DURATION(buffer) = guint64(GST_SECOND / cam->fps);
  // Takes the buffer; a flushing or stopping pipeline refuses it, which only drops the frame.
  gst_app_src_push_buffer(GST_APP_SRC(cam->appsrc), buffer);
  return Ok{};
}

}  // namespace la3d
