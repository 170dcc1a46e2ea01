// MQTT through libmosquitto (Debian's libmosquitto-dev), whose own thread connects, keeps alive
// and reconnects. This file adds what the library leaves to its users: a bounded queue for the
// events made while the broker is away (libmosquitto refuses a publish without a connection),
// the newest status kept for the reconnection, and counters an operator can read.
#include <mosquitto.h>

#include <unistd.h>
#include <condition_variable>
#include <deque>
#include <fstream>
#include <mutex>
#include <regex>
#include <set>
#include <thread>

#include "la3d/server/camera_name.hpp"
#include "la3d/server/mqtt.hpp"

namespace la3d {

Result<MqttTarget> parse_mqtt_url(const std::string& url) {
  static const std::regex re(
      R"(^(mqtts?)://([A-Za-z0-9._-]+|\[[0-9A-Fa-f:]+\])(?::(\d{1,5}))?(?:/(.*))?$)");
  std::smatch m;
  if (!std::regex_match(url, m, re))
    return make_error("--mqtt wants mqtt://HOST[:PORT]/PREFIX (or mqtts://), got '" + url + "'");
  MqttTarget t;
  t.tls = m[1] == "mqtts";
  t.host = m[2];
  if (t.host.front() == '[') t.host = t.host.substr(1, t.host.size() - 2);
  t.port = t.tls ? 8883 : 1883;
  if (m[3].matched) {
    t.port = std::stoi(m[3]);
    if (t.port < 1 || t.port > 65535) return make_error("MQTT port out of range in '" + url + "'");
  }
  t.prefix = m[4];
  while (!t.prefix.empty() && t.prefix.back() == '/') t.prefix.pop_back();
  if (t.prefix.find_first_of("+#") != std::string::npos)
    return make_error("the MQTT topic prefix may not hold the wildcards + or #: '" + t.prefix +
                      "'");
  return t;
}

struct MqttPublisher::Impl {
  MqttOptions options;
  MqttTarget target;
  mosquitto* mosq = nullptr;
  // Recursive: should libmosquitto ever call back on the thread that is publishing, it must not
  // deadlock on our own lock.
  mutable std::recursive_mutex m;
  std::condition_variable_any changed;
  bool connected = false;
  bool ever_connected = false;
  std::deque<std::string> waiting;    // event payloads made while away
  std::optional<std::string> status;  // the newest status, (re)sent on connection
  std::set<int> unacknowledged;       // event message ids the broker has not acknowledged
  MqttCounters counters;
  // The first connection: libmosquitto's thread reconnects a connection it had, but a first
  // attempt that fails at once (the broker not up yet) is retried here, 1 to 30 s apart.
  std::thread connector;
  bool stopping = false, loop_running = false;

  void connect_until_up() {
    int delay_s = 1;
    std::unique_lock lock(m);
    while (!stopping) {
      lock.unlock();
      const int rc =
          mosquitto_connect_async(mosq, target.host.c_str(), target.port, options.keepalive_s);
      const bool started = rc == MOSQ_ERR_SUCCESS && mosquitto_loop_start(mosq) == MOSQ_ERR_SUCCESS;
      lock.lock();
      if (started) {
        loop_running = true;
        return;
      }
      changed.wait_for(lock, std::chrono::seconds(delay_s), [&] { return stopping; });
      delay_s = std::min(30, delay_s * 2);
    }
  }

  std::string topic(const std::string& leaf) const {
    return (target.prefix.empty() ? "" : target.prefix + "/") + options.camera + "/" + leaf;
  }
  // With the lock held. False when libmosquitto refused (no connection).
  bool send(const std::string& leaf, const std::string& payload, int qos, bool retain, int* mid) {
    const std::string t = topic(leaf);
    return mosquitto_publish(mosq, mid, t.c_str(), int(payload.size()), payload.data(), qos,
                             retain) == MOSQ_ERR_SUCCESS;
  }
  void send_waiting() {
    while (connected && !waiting.empty()) {
      int mid = 0;
      if (!send("event", waiting.front(), 1, false, &mid)) return;
      unacknowledged.insert(mid);
      waiting.pop_front();
      ++counters.events_sent;
    }
    counters.events_waiting = (long long)waiting.size();
  }

  static void on_connect(mosquitto*, void* self, int rc) {
    auto* p = static_cast<Impl*>(self);
    std::lock_guard lock(p->m);
    if (rc != 0) return;  // refused (bad credentials...): libmosquitto retries
    if (p->ever_connected) ++p->counters.reconnects;
    p->connected = p->ever_connected = true;
    p->counters.connected = true;
    if (p->status) p->send("status", *p->status, 1, true, nullptr);
    p->send_waiting();
    p->changed.notify_all();
  }
  static void on_disconnect(mosquitto*, void* self, int) {
    auto* p = static_cast<Impl*>(self);
    std::lock_guard lock(p->m);
    p->connected = false;
    p->counters.connected = false;
    p->changed.notify_all();
  }
  static void on_publish(mosquitto*, void* self, int mid) {
    auto* p = static_cast<Impl*>(self);
    std::lock_guard lock(p->m);
    p->unacknowledged.erase(mid);
    p->changed.notify_all();
  }
};

namespace {

std::once_flag g_lib_init;

}  // namespace

Result<std::unique_ptr<MqttPublisher>> MqttPublisher::open(const MqttOptions& o) {
  return guarded("opening MQTT", [&]() -> Result<std::unique_ptr<MqttPublisher>> {
    auto target = parse_mqtt_url(o.url);
    if (!target) return target.error();
    if (Status s = validate_camera_name(o.camera); !s) return s.error();
    if (!o.ca_file.empty() && !std::ifstream(o.ca_file))
      return make_error("cannot read the MQTT CA file " + o.ca_file.string());
    if (o.queue_limit < 1) return make_error("the MQTT event queue needs room for 1 event");
    std::call_once(g_lib_init, [] { mosquitto_lib_init(); });

    auto impl = std::make_unique<Impl>();
    impl->options = o;
    impl->target = target.value();
    const std::string id = "la3d-" + o.camera + "-" + std::to_string(::getpid());
    impl->mosq = mosquitto_new(id.c_str(), true, impl.get());
    if (!impl->mosq) return make_error("libmosquitto could not make a client");
    std::unique_ptr<MqttPublisher> pub(new MqttPublisher(std::move(impl)));
    Impl& p = *pub->impl_;
    auto fail = [&](const std::string& what, int rc) {
      return make_error("MQTT: " + what + ": " + mosquitto_strerror(rc));
    };
    if (!o.username.empty())
      if (int rc = mosquitto_username_pw_set(p.mosq, o.username.c_str(),
                                             o.password.empty() ? nullptr : o.password.c_str());
          rc != MOSQ_ERR_SUCCESS)
        return fail("credentials", rc);
    if (p.target.tls) {
      const char* cafile = o.ca_file.empty() ? nullptr : o.ca_file.c_str();
      const char* capath = o.ca_file.empty() ? "/etc/ssl/certs" : nullptr;
      if (int rc = mosquitto_tls_set(p.mosq, cafile, capath, nullptr, nullptr, nullptr);
          rc != MOSQ_ERR_SUCCESS)
        return fail("TLS", rc);
    }
    // The last will: what the broker says for us when we vanish without a word.
    const std::string will =
        nlohmann::json{{"camera", o.camera}, {"state", "offline"}, {"reason", "connection lost"}}
            .dump();
    const std::string will_topic = p.topic("status");
    if (int rc =
            mosquitto_will_set(p.mosq, will_topic.c_str(), int(will.size()), will.data(), 1, true);
        rc != MOSQ_ERR_SUCCESS)
      return fail("last will", rc);
    mosquitto_connect_callback_set(p.mosq, &Impl::on_connect);
    mosquitto_disconnect_callback_set(p.mosq, &Impl::on_disconnect);
    mosquitto_publish_callback_set(p.mosq, &Impl::on_publish);
    mosquitto_reconnect_delay_set(p.mosq, 1, 30, true);
    // A broker that is not there yet is not an error: events wait while this keeps trying.
    p.connector = std::thread([&p] { p.connect_until_up(); });
    return pub;
  });
}

MqttPublisher::MqttPublisher(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

MqttPublisher::~MqttPublisher() {
  if (!impl_ || !impl_->mosq) return;
  {
    std::lock_guard lock(impl_->m);
    impl_->stopping = true;
  }
  impl_->changed.notify_all();
  if (impl_->connector.joinable()) impl_->connector.join();
  if (!impl_->loop_running) {  // never connected: nothing to close
    mosquitto_destroy(impl_->mosq);
    return;
  }
  {
    nlohmann::json off{
        {"camera", impl_->options.camera}, {"state", "offline"}, {"reason", "stopped"}};
    status(off);
  }
  flush(std::chrono::seconds(2));
  // The broker publishes the last will unless it gets DISCONNECT: wait until libmosquitto says
  // the connection closed after sending it, then stop its thread.
  mosquitto_disconnect(impl_->mosq);
  {
    std::unique_lock lock(impl_->m);
    impl_->changed.wait_for(lock, std::chrono::seconds(2), [&] { return !impl_->connected; });
  }
  mosquitto_loop_stop(impl_->mosq, false);
  mosquitto_destroy(impl_->mosq);
}

void MqttPublisher::event(const nlohmann::json& payload) {
  Impl& p = *impl_;
  std::lock_guard lock(p.m);
  p.waiting.push_back(payload.dump());
  while (p.waiting.size() > p.options.queue_limit) {
    p.waiting.pop_front();
    ++p.counters.events_dropped;
  }
  p.send_waiting();
}

void MqttPublisher::score(const nlohmann::json& payload) {
  Impl& p = *impl_;
  std::lock_guard lock(p.m);
  if (p.connected && p.send("score", payload.dump(), 0, false, nullptr))
    ++p.counters.scores_sent;
  else
    ++p.counters.scores_dropped;
}

void MqttPublisher::status(const nlohmann::json& payload) {
  Impl& p = *impl_;
  std::lock_guard lock(p.m);
  p.status = payload.dump();
  int mid = 0;
  // Acknowledged like an event, so that closing waits for the last status to be with the broker.
  if (p.connected && p.send("status", *p.status, 1, true, &mid)) p.unacknowledged.insert(mid);
}

MqttCounters MqttPublisher::counters() const {
  std::lock_guard lock(impl_->m);
  return impl_->counters;
}

std::string MqttPublisher::topic(const std::string& leaf) const {
  return impl_->topic(leaf);
}

bool MqttPublisher::flush(std::chrono::milliseconds timeout) {
  Impl& p = *impl_;
  std::unique_lock lock(p.m);
  return p.changed.wait_for(lock, timeout,
                            [&] { return p.waiting.empty() && p.unacknowledged.empty(); });
}

}  // namespace la3d
