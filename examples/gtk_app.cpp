// A real GTK 3 application on runloop: GTK's own main loop (gtk_main) drives; runloop only
// attaches to it, as it would inside a plugin host.
//
// - a worker thread reports its progress through Sender::send into a label and a progress bar;
// - a runloop::Timer updates a clock;
// - a coroutine task (runloop::Task + delay) animates a label;
// - the button starts a burst of 100 000 sends from another worker, while a GLib timeout
//   (the host's own 5 ms tick) and GTK's frame clock count how often the host still got its
//   turn during the burst.
//
// Flags: --auto presses the button by itself (when the worker is half way); --exit-when-done
// quits once every update has arrived; --quit-after-ms N quits after N ms whatever happened.
// SIGINT/SIGTERM quit too. At exit it prints one summary line per check, and exits 0 only if
// every progress update and every send of the burst ran.
#include <glib-unix.h>
#include <gtk/gtk.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <string>
#include <string_view>
#include <thread>

#include <runloop/runloop.hpp>

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

constexpr int kProgressSteps = 100;
constexpr int kBurstSends = 100'000;
constexpr guint kHostTickMs = 5;

struct Options {
  bool auto_burst = false;
  bool exit_when_done = false;
  long quit_after_ms = 0;  // 0: never
};

struct App {
  Options options;
  bool alive = true;  // false once the window is destroyed: late callbacks touch no widget
  GtkWidget* window = nullptr;
  GtkLabel* clock = nullptr;
  GtkLabel* spinner = nullptr;
  GtkLabel* progress_text = nullptr;
  GtkProgressBar* progress_bar = nullptr;
  GtkLabel* burst_text = nullptr;
  GtkWidget* button = nullptr;

  int progress_updates = 0;
  int timer_ticks = 0;
  int animation_frames = 0;
  std::thread progress_worker;

  std::thread burst_worker;
  bool burst_started = false;
  bool burst_active = false;
  int burst_run = 0;
  Clock::time_point burst_start;
  Clock::duration burst_time{};
  int host_ticks_in_burst = 0;
  int frame_ticks_in_burst = 0;
  Clock::time_point last_host_tick;
  Clock::duration longest_host_gap{};
  bool done_reported = false;
};

long to_ms(Clock::duration d) {
  return static_cast<long>(std::chrono::duration_cast<std::chrono::milliseconds>(d).count());
}

// 100000 -> "100 000" (enough for the numbers shown here, all below a million).
std::string with_thousands(int n) {
  char text[16];
  if (n < 1000) {
    std::snprintf(text, sizeof text, "%d", n);
  } else {
    std::snprintf(text, sizeof text, "%d %03d", n / 1000, n % 1000);
  }
  return text;
}

void check_done(App& app) {
  if (app.done_reported || app.progress_updates < kProgressSteps || app.burst_run < kBurstSends) {
    return;
  }
  app.done_reported = true;
  std::puts("gtk_app: every update arrived");
  std::fflush(stdout);
  if (app.options.exit_when_done) gtk_main_quit();
}

// --- the worker's progress: Sender::send from another thread --------------------------------

void on_progress(App& app, int step) {
  ++app.progress_updates;
  if (!app.alive) return;
  const std::string text = "Worker progress: " + std::to_string(step) + " / 100";
  gtk_label_set_text(app.progress_text, text.c_str());
  gtk_progress_bar_set_fraction(app.progress_bar, step / static_cast<double>(kProgressSteps));
  if (app.options.auto_burst && step == kProgressSteps / 2 && !app.burst_started) {
    gtk_button_clicked(GTK_BUTTON(app.button));  // the same path as a click
  }
  check_done(app);
}

void start_progress_worker(App& app) {
  app.progress_worker = std::thread([&app, sender = runloop::RunLoop::sender()] {
    for (int step = 1; step <= kProgressSteps; ++step) {
      std::this_thread::sleep_for(20ms);  // stands for real work
      sender.send([&app, step] { on_progress(app, step); });
    }
  });
}

// --- the burst: 100 000 sends while the host keeps its turn ---------------------------------

void on_burst_item(App& app) {
  ++app.burst_run;
  if (app.burst_run % 5000 != 0 && app.burst_run != kBurstSends) return;
  if (app.burst_run == kBurstSends) {
    app.burst_active = false;
    app.burst_time = Clock::now() - app.burst_start;
    app.longest_host_gap = std::max(app.longest_host_gap, Clock::now() - app.last_host_tick);
  }
  if (app.alive) {
    std::string text = "Burst: " + with_thousands(app.burst_run) + " / " +
                       with_thousands(kBurstSends) + " sends run";
    if (!app.burst_active) {
      text += " in " + std::to_string(to_ms(app.burst_time)) +
              " ms;\nhost ticks meanwhile: " + std::to_string(app.host_ticks_in_burst) +
              ", frames drawn: " + std::to_string(app.frame_ticks_in_burst);
    }
    gtk_label_set_text(app.burst_text, text.c_str());
  }
  check_done(app);
}

void on_button_clicked(GtkButton*, gpointer data) {
  auto& app = *static_cast<App*>(data);
  if (app.burst_started) return;  // one burst per run keeps the summary simple
  app.burst_started = true;
  app.burst_active = true;
  app.burst_start = Clock::now();
  app.last_host_tick = app.burst_start;
  gtk_widget_set_sensitive(app.button, FALSE);
  gtk_label_set_text(app.burst_text, "Burst: sending...");
  app.burst_worker = std::thread([&app, sender = runloop::RunLoop::sender()] {
    for (int i = 0; i < kBurstSends; ++i) sender.send([&app] { on_burst_item(app); });
  });
}

// The host's own work: a GLib timeout and GTK's frame clock, counted while the burst runs.
gboolean on_host_tick(gpointer data) {
  auto& app = *static_cast<App*>(data);
  if (app.burst_active) {
    const auto now = Clock::now();
    ++app.host_ticks_in_burst;
    app.longest_host_gap = std::max(app.longest_host_gap, now - app.last_host_tick);
    app.last_host_tick = now;
  }
  return G_SOURCE_CONTINUE;
}

gboolean on_frame_tick(GtkWidget*, GdkFrameClock*, gpointer data) {
  auto& app = *static_cast<App*>(data);
  if (app.burst_active) ++app.frame_ticks_in_burst;
  return G_SOURCE_CONTINUE;
}

// --- a runloop::Timer and a coroutine task ---------------------------------------------------

void on_clock_tick(App& app) {
  ++app.timer_ticks;
  if (!app.alive) return;
  const std::time_t now = std::time(nullptr);
  std::tm local{};
  localtime_r(&now, &local);
  char text[64];
  std::strftime(text, sizeof text, "Clock (runloop::Timer): %H:%M:%S", &local);
  gtk_label_set_text(app.clock, text);
}

// Resumed by the loop's timers on the loop thread, between GTK's own events. Aborted (its
// frame destroyed at the delay) when the application quits.
runloop::Task<void> animate(runloop::RunLoop loop, App& app) {
  static constexpr std::string_view kTrack = "..........";
  for (std::size_t frame = 0;; ++frame) {
    co_await loop.delay(60ms);
    ++app.animation_frames;
    if (!app.alive) continue;
    const std::size_t span = kTrack.size() - 1;
    const std::size_t at = frame % (2 * span) < span ? frame % span : span - frame % span;
    std::string text = "Coroutine task: [" + std::string(kTrack) + "]";
    text[17 + at] = '#';  // after "Coroutine task: ["
    gtk_label_set_text(app.spinner, text.c_str());
  }
}

// --- the window ------------------------------------------------------------------------------

GtkLabel* add_label(GtkBox* box, const char* text) {
  GtkWidget* label = gtk_label_new(text);
  gtk_label_set_xalign(GTK_LABEL(label), 0);
  gtk_box_pack_start(box, label, FALSE, FALSE, 0);
  return GTK_LABEL(label);
}

void on_destroy(GtkWidget*, gpointer data) {
  static_cast<App*>(data)->alive = false;
  if (gtk_main_level() > 0) gtk_main_quit();
}

void build_window(App& app) {
  app.window = gtk_window_new(GTK_WINDOW_TOPLEVEL);
  gtk_window_set_title(GTK_WINDOW(app.window), "runloop + GTK 3");
  gtk_window_set_default_size(GTK_WINDOW(app.window), 440, 240);  // the lane's screen size
  gtk_container_set_border_width(GTK_CONTAINER(app.window), 12);
  auto* box = GTK_BOX(gtk_box_new(GTK_ORIENTATION_VERTICAL, 8));
  gtk_container_add(GTK_CONTAINER(app.window), GTK_WIDGET(box));

  app.clock = add_label(box, "Clock (runloop::Timer): --:--:--");
  app.spinner = add_label(box, "Coroutine task: [..........]");
  app.progress_text = add_label(box, "Worker progress: 0 / 100");
  app.progress_bar = GTK_PROGRESS_BAR(gtk_progress_bar_new());
  gtk_box_pack_start(box, GTK_WIDGET(app.progress_bar), FALSE, FALSE, 0);
  app.button = gtk_button_new_with_label("Send 100 000 from a worker thread");
  gtk_box_pack_start(box, app.button, FALSE, FALSE, 0);
  app.burst_text = add_label(box, "Burst: not started");

  g_signal_connect(app.button, "clicked", G_CALLBACK(on_button_clicked), &app);
  g_signal_connect(app.window, "destroy", G_CALLBACK(on_destroy), &app);
  gtk_widget_add_tick_callback(app.window, on_frame_tick, &app, nullptr);
  gtk_widget_show_all(app.window);
}

gboolean on_quit_signal(gpointer) {
  gtk_main_quit();
  return G_SOURCE_CONTINUE;  // removed after gtk_main, with the other sources
}

Options parse_options(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--auto") {
      options.auto_burst = true;
    } else if (arg == "--exit-when-done") {
      options.exit_when_done = true;
    } else if (arg == "--quit-after-ms" && i + 1 < argc) {
      options.quit_after_ms = std::strtol(argv[++i], nullptr, 10);
    } else {
      std::fprintf(stderr, "usage: %s [--auto] [--exit-when-done] [--quit-after-ms N]\n", argv[0]);
      std::exit(2);
    }
  }
  return options;
}

bool print_summary(const App& app) {
  std::printf("progress updates: %d/%d\n", app.progress_updates, kProgressSteps);
  std::printf("burst sends run: %d/%d (in %ld ms)\n", app.burst_run, kBurstSends,
              to_ms(app.burst_time));
  std::printf("host ticks during burst: %d (a %u ms GLib timeout; longest gap %ld ms)\n",
              app.host_ticks_in_burst, kHostTickMs, to_ms(app.longest_host_gap));
  std::printf("frame-clock ticks during burst: %d\n", app.frame_ticks_in_burst);
  std::printf("timer ticks: %d\n", app.timer_ticks);
  std::printf("animation frames: %d\n", app.animation_frames);
  std::fflush(stdout);
  return app.progress_updates == kProgressSteps && app.burst_run == kBurstSends;
}

}  // namespace

int main(int argc, char** argv) {
  if (!gtk_init_check(&argc, &argv)) {
    std::fputs("gtk_app: cannot open a display\n", stderr);
    return 1;
  }
  App app;
  app.options = parse_options(argc, argv);
  bool complete = false;
  {
    auto guard = runloop::RunLoop::acquire();  // on GTK's main thread, before gtk_main
    const auto loop = runloop::RunLoop::current();
    build_window(app);

    runloop::Timer clock(250ms, [&app] { on_clock_tick(app); });
    clock.start();
    auto animation = loop.spawn(animate(loop, app));
    const guint host_tick = g_timeout_add(kHostTickMs, on_host_tick, &app);
    const guint sigint = g_unix_signal_add(SIGINT, on_quit_signal, nullptr);
    const guint sigterm = g_unix_signal_add(SIGTERM, on_quit_signal, nullptr);
    runloop::Handle deadline;
    if (app.options.quit_after_ms > 0) {
      deadline = loop.schedule(std::chrono::milliseconds(app.options.quit_after_ms), [] {
        std::puts("gtk_app: --quit-after-ms reached");
        gtk_main_quit();
      });
    }
    start_progress_worker(app);

    gtk_main();  // GTK drives; runloop's work runs inside its iterations

    animation.abort();
    clock.stop();
    g_source_remove(host_tick);
    g_source_remove(sigint);
    g_source_remove(sigterm);
    app.progress_worker.join();
    if (app.burst_worker.joinable()) app.burst_worker.join();
    complete = print_summary(app);
  }  // deinit(): sends still queued are destroyed unrun, nothing of runloop stays in GLib
  if (app.alive) gtk_widget_destroy(app.window);
  return complete ? 0 : 1;
}
