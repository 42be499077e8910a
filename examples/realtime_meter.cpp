// runloop realtime_meter: an "audio" thread hands a meter value per block to the loop thread
// through a RealtimeSender<float>: no lock, no allocation, no system call on the audio side.
// The loop thread keeps the peak and prints it every 100 ms, for about a second, then shuts
// down cleanly: the audio thread is stopped (joined) before the sender goes.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <numbers>
#include <thread>

#include <runloop/runloop.hpp>

using namespace std::chrono_literals;

namespace {

constexpr double kSampleRate = 48'000;
constexpr int kBlockFrames = 64;
// 64 frames at 48 kHz: a block every 1.333 ms, i.e. 750 meter values per second.
constexpr auto kBlockPeriod =
    std::chrono::duration_cast<std::chrono::nanoseconds>(kBlockFrames / kSampleRate * 1s);

// Stands in for an audio callback: renders a block of a 440 Hz tone whose level rises and
// falls once a second, and measures its peak.
class FakeAudio {
 public:
  float render_block_peak() {
    float peak = 0;
    for (int i = 0; i < kBlockFrames; ++i, ++frame_) {
      const double t = static_cast<double>(frame_) / kSampleRate;
      const double level = 0.5 - 0.5 * std::cos(2 * std::numbers::pi * t);
      const double sample = level * std::sin(2 * std::numbers::pi * 440 * t);
      peak = std::max(peak, static_cast<float>(std::fabs(sample)));
    }
    return peak;
  }

 private:
  long frame_ = 0;
};

}  // namespace

int main() {
  auto guard = runloop::RunLoop::acquire();
  const auto loop = runloop::RunLoop::current();
  const auto start = std::chrono::steady_clock::now();

  // Loop thread: on_value receives every block's peak, in order, once per poll (10 ms).
  float window_peak = 0;
  long received = 0;
  bool off_loop_thread = false;
  runloop::RealtimeSender<float> meter(1024, [&](float peak) {
    off_loop_thread = off_loop_thread || !runloop::RunLoop::is_run_loop_thread();
    window_peak = std::max(window_peak, peak);
    ++received;
  });

  // The audio thread: one value per block. try_send never blocks; when the ring is full
  // (the loop thread stalled for over a second) the value is dropped and counted.
  std::atomic<bool> playing{true};
  std::thread audio([&meter, &playing] {
    FakeAudio device;
    auto next_block = std::chrono::steady_clock::now();
    while (playing.load(std::memory_order_relaxed)) {
      meter.try_send(device.render_block_peak());
      next_block += kBlockPeriod;
      std::this_thread::sleep_until(next_block);  // the audio device's clock, here
    }
  });

  // Loop thread: print the peak of the last 100 ms as a bar.
  runloop::Timer display(100ms, [&] {
    const std::chrono::duration<double, std::milli> now = std::chrono::steady_clock::now() - start;
    const int width = static_cast<int>(window_peak * 40 + 0.5f);
    std::printf("%7.1f ms  peak %.3f  |%-40.*s|\n", now.count(), static_cast<double>(window_peak),
                width, "########################################");
    window_peak = 0;
  });
  display.start();

  auto stop = loop.schedule(1050ms, [&loop] { loop.stop(); });
  loop.run();

  // Shutdown order: the producer first (a producer outliving its sender is a bug), then the
  // sender and the loop as this scope ends.
  playing = false;
  audio.join();
  std::printf("%ld values received on the loop thread%s, %llu dropped\n", received,
              off_loop_thread ? " (some NOT on the loop thread)" : "",
              static_cast<unsigned long long>(meter.dropped()));
  return off_loop_thread || received == 0 ? 1 : 0;
}
