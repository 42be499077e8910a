/* Minimal declarations of the CLAP ABI that runloop's tests and examples touch, so that they
 * build without the CLAP SDK (not a Debian package). Written from the public CLAP 1.x
 * headers of https://github.com/free-audio/clap (MIT); only what is used here, in the same
 * layout and order. A real plugin includes the real <clap/clap.h> instead.
 *
 *   clap_version_t ............. include/clap/version.h
 *   clap_id, CLAP_INVALID_ID ... include/clap/id.h
 *   clap_host_t ................ include/clap/host.h
 *   clap_plugin_descriptor_t,
 *   clap_plugin_t .............. include/clap/plugin.h (clap_process_t left opaque)
 *   clap_plugin_entry_t ........ include/clap/entry.h
 *   clap_plugin_factory_t ...... include/clap/factory/plugin-factory.h
 *   posix-fd-support ........... include/clap/ext/posix-fd-support.h
 *   timer-support .............. include/clap/ext/timer-support.h
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/* include/clap/private/macros.h: the calling convention is the default one off Windows. */
#define CLAP_ABI
#if defined(__cplusplus)
#define CLAP_CONSTEXPR constexpr
#define CLAP_EXPORT __attribute__((visibility("default")))
#else
#define CLAP_CONSTEXPR
#define CLAP_EXPORT __attribute__((visibility("default")))
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* version.h */
typedef struct clap_version {
  uint32_t major;
  uint32_t minor;
  uint32_t revision;
} clap_version_t;

#define CLAP_VERSION_MAJOR 1U
#define CLAP_VERSION_MINOR 2U
#define CLAP_VERSION_REVISION 2U
#define CLAP_VERSION_INIT {CLAP_VERSION_MAJOR, CLAP_VERSION_MINOR, CLAP_VERSION_REVISION}

/* id.h */
typedef uint32_t clap_id;
static const clap_id CLAP_INVALID_ID = UINT32_MAX;

/* host.h */
typedef struct clap_host {
  clap_version_t clap_version;
  void *host_data;
  const char *name;
  const char *vendor;
  const char *url;
  const char *version;
  const void *(CLAP_ABI *get_extension)(const struct clap_host *host, const char *extension_id);
  void(CLAP_ABI *request_restart)(const struct clap_host *host);
  void(CLAP_ABI *request_process)(const struct clap_host *host);
  void(CLAP_ABI *request_callback)(const struct clap_host *host);
} clap_host_t;

/* plugin.h */
typedef struct clap_process clap_process_t; /* process.h; never dereferenced here */
typedef int32_t clap_process_status;

typedef struct clap_plugin_descriptor {
  clap_version_t clap_version;
  const char *id;
  const char *name;
  const char *vendor;
  const char *url;
  const char *manual_url;
  const char *support_url;
  const char *version;
  const char *description;
  const char *const *features;
} clap_plugin_descriptor_t;

typedef struct clap_plugin {
  const clap_plugin_descriptor_t *desc;
  void *plugin_data;
  bool(CLAP_ABI *init)(const struct clap_plugin *plugin);
  void(CLAP_ABI *destroy)(const struct clap_plugin *plugin);
  bool(CLAP_ABI *activate)(const struct clap_plugin *plugin, double sample_rate,
                           uint32_t min_frames_count, uint32_t max_frames_count);
  void(CLAP_ABI *deactivate)(const struct clap_plugin *plugin);
  bool(CLAP_ABI *start_processing)(const struct clap_plugin *plugin);
  void(CLAP_ABI *stop_processing)(const struct clap_plugin *plugin);
  void(CLAP_ABI *reset)(const struct clap_plugin *plugin);
  clap_process_status(CLAP_ABI *process)(const struct clap_plugin *plugin,
                                         const clap_process_t *process);
  const void *(CLAP_ABI *get_extension)(const struct clap_plugin *plugin, const char *id);
  void(CLAP_ABI *on_main_thread)(const struct clap_plugin *plugin);
} clap_plugin_t;

/* entry.h */
typedef struct clap_plugin_entry {
  clap_version_t clap_version;
  bool(CLAP_ABI *init)(const char *plugin_path);
  void(CLAP_ABI *deinit)(void);
  const void *(CLAP_ABI *get_factory)(const char *factory_id);
} clap_plugin_entry_t;

/* factory/plugin-factory.h */
static CLAP_CONSTEXPR const char CLAP_PLUGIN_FACTORY_ID[] = "clap.plugin-factory";

typedef struct clap_plugin_factory {
  uint32_t(CLAP_ABI *get_plugin_count)(const struct clap_plugin_factory *factory);
  const clap_plugin_descriptor_t *(CLAP_ABI *get_plugin_descriptor)(
      const struct clap_plugin_factory *factory, uint32_t index);
  const clap_plugin_t *(CLAP_ABI *create_plugin)(const struct clap_plugin_factory *factory,
                                                 const clap_host_t *host,
                                                 const char *plugin_id);
} clap_plugin_factory_t;

/* ext/posix-fd-support.h */
static CLAP_CONSTEXPR const char CLAP_EXT_POSIX_FD_SUPPORT[] = "clap.posix-fd-support";

enum {
  CLAP_POSIX_FD_READ = 1 << 0,
  CLAP_POSIX_FD_WRITE = 1 << 1,
  CLAP_POSIX_FD_ERROR = 1 << 2,
};
typedef uint32_t clap_posix_fd_flags_t;

typedef struct clap_plugin_posix_fd_support {
  void(CLAP_ABI *on_fd)(const clap_plugin_t *plugin, int fd, clap_posix_fd_flags_t flags);
} clap_plugin_posix_fd_support_t;

typedef struct clap_host_posix_fd_support {
  bool(CLAP_ABI *register_fd)(const clap_host_t *host, int fd, clap_posix_fd_flags_t flags);
  bool(CLAP_ABI *modify_fd)(const clap_host_t *host, int fd, clap_posix_fd_flags_t flags);
  bool(CLAP_ABI *unregister_fd)(const clap_host_t *host, int fd);
} clap_host_posix_fd_support_t;

/* ext/timer-support.h */
static CLAP_CONSTEXPR const char CLAP_EXT_TIMER_SUPPORT[] = "clap.timer-support";

typedef struct clap_plugin_timer_support {
  void(CLAP_ABI *on_timer)(const clap_plugin_t *plugin, clap_id timer_id);
} clap_plugin_timer_support_t;

typedef struct clap_host_timer_support {
  bool(CLAP_ABI *register_timer)(const clap_host_t *host, uint32_t period_ms, clap_id *timer_id);
  bool(CLAP_ABI *unregister_timer)(const clap_host_t *host, clap_id timer_id);
} clap_host_timer_support_t;

#ifdef __cplusplus
}
#endif
