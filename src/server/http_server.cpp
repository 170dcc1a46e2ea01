// The dashboard's HTTP side, on cpp-httplib (Debian's libcpp-httplib-dev): a small threaded server
// with chunked responses for the MJPEG stream, and nothing else to carry. Routes serve only the
// embedded page and what DashboardState holds; none touches the file system.
#include <httplib.h>
#include <ifaddrs.h>
#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <set>
#include <thread>

#include "la3d/server/camera_name.hpp"
#include "la3d/server/dashboard.hpp"
#include "server/web_assets.hpp"

namespace la3d {
namespace {

bool loopback(const std::string& host) {
  return host == "127.0.0.1" || host == "::1" || host == "localhost";
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return char(std::tolower(c)); });
  return s;
}

// The host of a Host header without its port: "a.b:80" -> "a.b", "[::1]:80" -> "::1".
std::string host_name(const std::string& header) {
  if (!header.empty() && header[0] == '[') {
    const size_t end = header.find(']');
    return end == std::string::npos ? header : lower(header.substr(1, end - 1));
  }
  return lower(header.substr(0, header.find(':')));
}

// Names this server answers to: the bind address, loopback names, --allowed-host values, and for
// a wildcard bind this machine's host name and interface addresses.
std::set<std::string> served_hosts(const ServerOptions& o) {
  std::set<std::string> out{"localhost", "127.0.0.1", "::1"};
  out.insert(lower(o.bind));
  for (const std::string& h : o.allowed_hosts) out.insert(host_name(h));
  if (o.bind == "0.0.0.0" || o.bind == "::") {
    char name[256] = {0};
    if (gethostname(name, sizeof name - 1) == 0) out.insert(lower(name));
    ifaddrs* list = nullptr;
    if (getifaddrs(&list) == 0) {
      for (ifaddrs* a = list; a; a = a->ifa_next) {
        if (!a->ifa_addr ||
            (a->ifa_addr->sa_family != AF_INET && a->ifa_addr->sa_family != AF_INET6))
          continue;
        char buf[NI_MAXHOST];
        const socklen_t len =
            a->ifa_addr->sa_family == AF_INET ? sizeof(sockaddr_in) : sizeof(sockaddr_in6);
        if (getnameinfo(a->ifa_addr, len, buf, sizeof buf, nullptr, 0, NI_NUMERICHOST) == 0) {
          const std::string addr = buf;
          out.insert(lower(addr.substr(0, addr.find('%'))));  // fe80::1%eth0 -> fe80::1
        }
      }
      freeifaddrs(list);
    }
  }
  return out;
}

// Equal strings in time independent of where they differ.
bool same_secret(const std::string& a, const std::string& b) {
  unsigned char diff = a.size() != b.size();
  for (size_t i = 0; i < std::max(a.size(), b.size()); ++i)
    diff |= uchar(i < a.size() ? a[i] : 0) ^ uchar(i < b.size() ? b[i] : 0);
  return diff == 0;
}

std::string cookie_token(const httplib::Request& req) {
  const std::string cookies = req.get_header_value("Cookie");
  const std::string key = "la3d_token=";
  for (size_t p = 0; (p = cookies.find(key, p)) != std::string::npos; p += key.size())
    if (p == 0 || cookies[p - 1] == ' ' || cookies[p - 1] == ';') {
      const size_t end = cookies.find(';', p);
      return cookies.substr(p + key.size(), end == std::string::npos ? end : end - p - key.size());
    }
  return "";
}

void json_reply(httplib::Response& res, int status, const nlohmann::json& body) {
  res.status = status;
  res.set_content(body.dump(), "application/json");
}
void error_reply(httplib::Response& res, int status, const std::string& message) {
  json_reply(res, status, {{"error", message}});
}

}  // namespace

Status validate(const ServerOptions& o) {
  if (o.port < 0 || o.port > 65535) return make_error("port must be in 0..65535");
  if (!loopback(o.bind) && o.token.empty())
    return make_error("binding " + o.bind +
                      " exposes the dashboard beyond this machine: give --token SECRET (16+ "
                      "characters) or bind 127.0.0.1");
  if (!o.token.empty() && o.token.size() < 16)
    return make_error("--token must be at least 16 characters");
  return Ok{};
}

struct DashboardServer::Impl {
  std::vector<DashboardState*> cameras;  // the first one also answers the routes without /cam/
  ServerOptions options;
  std::set<std::string> hosts;
  httplib::Server server;
  std::thread thread;
  int port = 0;

  Impl(std::vector<DashboardState*> c, ServerOptions o)
      : cameras(std::move(c)), options(std::move(o)), hosts(served_hosts(options)) {}

  // The camera a request is for: /cam/NAME/... names it, any other path means the first.
  DashboardState* camera_of(const httplib::Request& req) const {
    static const std::string prefix = "/cam/";
    if (req.path.rfind(prefix, 0) != 0) return cameras.front();
    const std::string name =
        req.path.substr(prefix.size(), req.path.find('/', prefix.size()) - prefix.size());
    for (DashboardState* c : cameras)
      if (c->camera() == name) return c;
    return nullptr;
  }

  bool authorized(const httplib::Request& req) const {
    if (options.token.empty()) return true;
    // The scheme is case-insensitive (RFC 7235): "bearer" and "BEARER" are "Bearer".
    const std::string auth = req.get_header_value("Authorization");
    if (auth.size() > 7 && lower(auth.substr(0, 7)) == "bearer " &&
        same_secret(auth.substr(7), options.token))
      return true;
    return same_secret(cookie_token(req), options.token);
  }

  // Refuses and closes: the rest of an unread body must not be taken for the next request.
  static httplib::Server::HandlerResponse refuse(httplib::Response& res, int status,
                                                 const std::string& why) {
    error_reply(res, status, why);
    res.set_header("Connection", "close");
    return httplib::Server::HandlerResponse::Handled;
  }

  using Request = httplib::Request;
  using Response = httplib::Response;

  // Before every route: security headers, the Host check, body rules, the token, same origin.
  httplib::Server::HandlerResponse guard(const Request& req, Response& res) {
    res.set_header("X-Content-Type-Options", "nosniff");
    res.set_header("X-Frame-Options", "DENY");
    res.set_header("Cache-Control", "no-store");
    res.set_header("Content-Security-Policy",
                   "default-src 'self'; img-src 'self' blob:; style-src 'self' 'unsafe-inline'");
    if (!hosts.contains(host_name(req.get_header_value("Host"))))
      return refuse(res, 403,
                    "host '" + req.get_header_value("Host") +
                        "' is not served here (--allowed-host adds one)");
    // Chunked bodies have no length to check up front; only the config route reads one, and it
    // stops at max_body (config_route). Anywhere else a body is refused unread.
    if (req.has_header("Transfer-Encoding") && !(req.method == "POST" && req.path == "/api/config"))
      return refuse(res, 411, "chunked request bodies are accepted only by POST /api/config");
    if (req.path == "/login") return httplib::Server::HandlerResponse::Unhandled;
    if (!authorized(req)) {
      error_reply(res, 401, "a bearer token or the la3d_token cookie is required");
      return httplib::Server::HandlerResponse::Handled;
    }
    // Closed to other origins: a page elsewhere must not drive the controls.
    const std::string origin = req.get_header_value("Origin");
    if (req.method != "GET" && !origin.empty() &&
        origin != "http://" + req.get_header_value("Host")) {
      error_reply(res, 403, "cross-origin requests are not allowed");
      return httplib::Server::HandlerResponse::Handled;
    }
    return httplib::Server::HandlerResponse::Unhandled;
  }

  // GET /login?token=: sets the token cookie, so that a browser needs the token once.
  void login(const Request& req, Response& res) {
    if (options.token.empty() || !same_secret(req.get_param_value("token"), options.token))
      return error_reply(res, 401, "wrong or missing token");
    res.set_header("Set-Cookie",
                   "la3d_token=" + options.token + "; HttpOnly; SameSite=Strict; Path=/");
    res.set_redirect("/", 303);
  }

  // GET /api/events/N/thumbnail.jpg: an anomaly event's anonymized thumbnail.
  void event_thumbnail(const Request& req, Response& res) {
    DashboardState* cam = camera_of(req);
    if (!cam) return error_reply(res, 404, "no such camera");
    DashboardState& st = *cam;
    auto jpeg = st.event_thumbnail(std::stoi(req.matches[req.matches.size() - 1]));
    if (!jpeg) return error_reply(res, 404, "no such event");
    res.set_content(*jpeg, "image/jpeg");
  }

  // GET /api/scores?n=: the newest n VAD scores.
  void scores(const Request& req, Response& res) {
    DashboardState* cam = camera_of(req);
    if (!cam) return error_reply(res, 404, "no such camera");
    DashboardState& st = *cam;
    size_t n = 300;
    if (req.has_param("n")) {
      const std::string v = req.get_param_value("n");
      if (v.empty() || v.size() > 4 || v.find_first_not_of("0123456789") != std::string::npos)
        return error_reply(res, 400, "n must be an integer 1..600");
      n = std::stoul(v);
      if (n < 1 || n > 600) return error_reply(res, 400, "n must be an integer 1..600");
    }
    json_reply(res, 200, st.scores(n));
  }

  // POST /api/config: new AN settings, validated by the state, taken by the pipeline.
  void config(const Request& req, Response& res, const httplib::ContentReader& read) {
    DashboardState* cam = camera_of(req);
    if (!cam) return error_reply(res, 404, "no such camera");
    DashboardState& st = *cam;
    if (req.get_header_value("Content-Type").rfind("application/json", 0) != 0) {
      refuse(res, 415, "send application/json");
      return;
    }
    // Read here, not by httplib: its chunked decoding (0.11) has no size limit.
    std::string text;
    bool too_big = false;
    const bool complete = read([&](const char* data, size_t n) {
      if (text.size() + n > options.max_body) return !(too_big = true);
      text.append(data, n);
      return true;
    });
    // httplib refuses a Content-Length above the limit itself, with status 413.
    if (too_big || res.status == 413) {
      refuse(res, 413, "the body is larger than " + std::to_string(options.max_body) + " bytes");
      return;
    }
    if (!complete) {
      refuse(res, 400, "the body could not be read");
      return;
    }
    const auto body = nlohmann::json::parse(text, nullptr, false);
    if (body.is_discarded()) return error_reply(res, 400, "the body is not valid JSON");
    auto r = st.request_config(body);
    if (!r) return error_reply(res, 400, r.error().message);
    json_reply(res, 200, {{"accepted", r.value()}});
  }

  // GET /frame.jpg: the newest anonymized frame.
  void frame(const Request& req, Response& res) {
    DashboardState* cam = camera_of(req);
    if (!cam) return error_reply(res, 404, "no such camera");
    DashboardState& st = *cam;
    std::shared_ptr<const std::string> jpeg;
    uint64_t seq = 0;
    if (!st.wait_frame(0, std::chrono::seconds(5), jpeg, seq))
      return error_reply(res, 503, "no frame yet");
    res.set_content(*jpeg, "image/jpeg");
  }

  // GET /compare.jpg: the side-by-side view's newest frame.
  void compare(const Request& req, Response& res) {
    DashboardState* cam = camera_of(req);
    if (!cam) return error_reply(res, 404, "no such camera");
    DashboardState& st = *cam;
    auto jpeg = st.compare_frame();
    if (!jpeg) return error_reply(res, 404, "the side-by-side view is off");
    res.set_content(*jpeg, "image/jpeg");
  }

  // GET /stream.mjpg: anonymized frames as MJPEG, newest first; slow viewers skip frames.
  void stream(const Request& req, Response& res) {
    DashboardState* cam = camera_of(req);
    if (!cam) return error_reply(res, 404, "no such camera");
    DashboardState& st = *cam;
    if (!st.try_join_viewer(options.max_viewers)) return error_reply(res, 503, "too many viewers");
    auto last = std::make_shared<uint64_t>(0);
    auto skipped = std::make_shared<uint64_t>(0);
    // Each call sends the newest frame: a slow viewer skips frames, it never queues them, and
    // the pipeline never waits for it.
    res.set_chunked_content_provider(
        "multipart/x-mixed-replace; boundary=la3dframe",
        [&st, last, skipped](size_t, httplib::DataSink& sink) {
          std::shared_ptr<const std::string> jpeg;
          uint64_t seq = 0;
          if (!st.wait_frame(*last, std::chrono::seconds(2), jpeg, seq)) {
            return sink.is_writable();  // keep waiting while the client is there
          }
          if (*last) *skipped += seq - *last - 1;
          *last = seq;
          const std::string head = "--la3dframe\r\nContent-Type: image/jpeg\r\nContent-Length: " +
                                   std::to_string(jpeg->size()) + "\r\n\r\n";
          return sink.write(head.data(), head.size()) && sink.write(jpeg->data(), jpeg->size()) &&
                 sink.write("\r\n", 2);
        },
        [&st, skipped](bool) { st.viewer_left(*skipped); });
  }

  void routes() {
    server.set_payload_max_length(options.max_body);
    server.new_task_queue = [] { return new httplib::ThreadPool(48); };
    // httplib's default adds SO_REUSEPORT, which lets a second `la3d serve` bind the same port and
    // take a share of the connections. SO_REUSEADDR alone lets a restart rebind at once while a
    // second listener is refused.
    server.set_socket_options([](socket_t sock) {
      int yes = 1;
      setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    });
    server.set_pre_routing_handler(
        [this](const Request& req, Response& res) { return guard(req, res); });
    // Every camera route answers at PATH (the first camera) and at /cam/NAME/PATH.
    const std::string cam = std::string("(?:/cam/") + kCameraNamePattern + ")?";
    auto get = [this, cam](const std::string& path,
                           void (Impl::*handler)(const Request&, Response&)) {
      server.Get(cam + path, [this, handler](const Request& req, Response& res) {
        (this->*handler)(req, res);
      });
    };
    auto get_json = [this, cam](const std::string& path,
                                nlohmann::json (DashboardState::*read)() const) {
      server.Get(cam + path, [this, read](const Request& req, Response& res) {
        DashboardState* c = camera_of(req);
        if (!c) return error_reply(res, 404, "no such camera");
        json_reply(res, 200, (c->*read)());
      });
    };
    server.Get("/login", [this](const Request& req, Response& res) { login(req, res); });
    for (const WebAsset& a : web_assets())
      server.Get(cam + std::string(a.path), [&a](const Request&, Response& res) {
        res.set_content(std::string(a.data), std::string(a.content_type));
      });
    server.Get("/api/cameras", [this](const Request&, Response& res) {
      nlohmann::json out = nlohmann::json::array();
      for (const DashboardState* c : cameras) out.push_back(c->summary());
      json_reply(res, 200, out);
    });
    get_json("/api/status", &DashboardState::status);
    get_json("/api/events", &DashboardState::events);
    get(R"(/api/events/(\d{1,9})/thumbnail\.jpg)", &Impl::event_thumbnail);
    get("/api/scores", &Impl::scores);
    server.Post(cam + "/api/config",
                [this](const Request& req, Response& res, const httplib::ContentReader& read) {
                  config(req, res, read);
                });
    server.Get("/metrics", [this](const Request&, Response& res) {
      res.set_content(DashboardState::metrics_of({cameras.begin(), cameras.end()}),
                      "text/plain; version=0.0.4");
    });
    get("/frame.jpg", &Impl::frame);
    get("/compare.jpg", &Impl::compare);
    get("/stream.mjpg", &Impl::stream);
    server.set_error_handler([](const Request&, Response& res) {
      if (res.body.empty())
        error_reply(res, res.status, res.status == 404 ? "no such route" : "request refused");
    });
  }
};

DashboardServer::DashboardServer(DashboardState& state, ServerOptions options)
    : DashboardServer(std::vector<DashboardState*>{&state}, std::move(options)) {}

DashboardServer::DashboardServer(std::vector<DashboardState*> cameras, ServerOptions options)
    : impl_(std::make_unique<Impl>(std::move(cameras), std::move(options))) {}

DashboardServer::~DashboardServer() {
  stop();
}

Status DashboardServer::start() {
  if (Status s = validate(impl_->options); !s) return s;
  if (impl_->cameras.empty()) return make_error("the dashboard needs a camera");
  for (size_t i = 0; i < impl_->cameras.size(); ++i) {
    if (Status s = validate_camera_name(impl_->cameras[i]->camera()); !s) return s;
    for (size_t j = 0; j < i; ++j)
      if (impl_->cameras[j]->camera() == impl_->cameras[i]->camera())
        return make_error("two cameras named '" + impl_->cameras[i]->camera() + "'");
  }
  impl_->routes();
  if (impl_->options.port == 0) {
    impl_->port = impl_->server.bind_to_any_port(impl_->options.bind);
    if (impl_->port <= 0) return make_error("cannot bind " + impl_->options.bind);
  } else {
    if (!impl_->server.bind_to_port(impl_->options.bind, impl_->options.port))
      return make_error("cannot bind " + impl_->options.bind + ":" +
                        std::to_string(impl_->options.port) + " (in use, or not an address here)");
    impl_->port = impl_->options.port;
  }
  impl_->thread = std::thread([this] { impl_->server.listen_after_bind(); });
  // Return only once the accept loop runs: a stop() before it starts is lost, and the loop would
  // then never end (seen as a hung join when a server is stopped right after starting).
  for (int ms = 0; !impl_->server.is_running(); ++ms) {
    if (ms == 5000) {
      impl_->server.stop();
      impl_->thread.join();
      return make_error("the dashboard server did not start listening");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return Ok{};
}

int DashboardServer::port() const {
  return impl_->port;
}

void DashboardServer::stop() {
  if (!impl_ || !impl_->thread.joinable()) return;
  for (DashboardState* c : impl_->cameras) c->stop();
  impl_->server.stop();
  impl_->thread.join();
}

}  // namespace la3d
