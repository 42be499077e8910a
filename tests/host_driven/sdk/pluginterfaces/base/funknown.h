// Minimal declarations of the VST3 SDK's FUnknown ABI that runloop's tests and examples
// touch, so that they build without the SDK (not a Debian package). Written from the public
// headers of https://github.com/steinbergmedia/vst3_pluginterfaces: base/ftypes.h (the
// integer types), base/fplatform.h (PLUGIN_API: the default calling convention off Windows)
// and base/funknown.h (TUID, INLINE_UID in its non-COM byte order as used on Linux,
// DECLARE_CLASS_IID, the non-COM result codes, FUnknown and its vtable order). Only the
// `Name_iid` constants are declared, not the FUID `iid` members. A real plugin includes the
// real SDK instead.
#pragma once

#include <cstdint>
#include <cstring>

#define PLUGIN_API

namespace Steinberg {

using int8 = std::int8_t;
using uint8 = std::uint8_t;
using int16 = std::int16_t;
using int32 = std::int32_t;
using uint32 = std::uint32_t;
using int64 = std::int64_t;
using uint64 = std::uint64_t;
using char8 = char;
using char16 = char16_t;
using TBool = uint8;
using tresult = int32;
using FIDString = const char8*;

using TUID = char[16];

// The four longs, most significant byte first (COM_COMPATIBLE is 0 on Linux).
#define INLINE_UID(l1, l2, l3, l4)                                                            \
  {                                                                                          \
    static_cast<::Steinberg::int8>((static_cast<::Steinberg::uint32>(l1) >> 24) & 0xFF),     \
        static_cast<::Steinberg::int8>((static_cast<::Steinberg::uint32>(l1) >> 16) & 0xFF), \
        static_cast<::Steinberg::int8>((static_cast<::Steinberg::uint32>(l1) >> 8) & 0xFF),  \
        static_cast<::Steinberg::int8>(static_cast<::Steinberg::uint32>(l1) & 0xFF),         \
        static_cast<::Steinberg::int8>((static_cast<::Steinberg::uint32>(l2) >> 24) & 0xFF), \
        static_cast<::Steinberg::int8>((static_cast<::Steinberg::uint32>(l2) >> 16) & 0xFF), \
        static_cast<::Steinberg::int8>((static_cast<::Steinberg::uint32>(l2) >> 8) & 0xFF),  \
        static_cast<::Steinberg::int8>(static_cast<::Steinberg::uint32>(l2) & 0xFF),         \
        static_cast<::Steinberg::int8>((static_cast<::Steinberg::uint32>(l3) >> 24) & 0xFF), \
        static_cast<::Steinberg::int8>((static_cast<::Steinberg::uint32>(l3) >> 16) & 0xFF), \
        static_cast<::Steinberg::int8>((static_cast<::Steinberg::uint32>(l3) >> 8) & 0xFF),  \
        static_cast<::Steinberg::int8>(static_cast<::Steinberg::uint32>(l3) & 0xFF),         \
        static_cast<::Steinberg::int8>((static_cast<::Steinberg::uint32>(l4) >> 24) & 0xFF), \
        static_cast<::Steinberg::int8>((static_cast<::Steinberg::uint32>(l4) >> 16) & 0xFF), \
        static_cast<::Steinberg::int8>((static_cast<::Steinberg::uint32>(l4) >> 8) & 0xFF),  \
        static_cast<::Steinberg::int8>(static_cast<::Steinberg::uint32>(l4) & 0xFF)          \
  }

#define DECLARE_CLASS_IID(ClassName, l1, l2, l3, l4) \
  static constexpr const ::Steinberg::TUID ClassName##_iid = INLINE_UID(l1, l2, l3, l4);

namespace FUnknownPrivate {
inline bool iidEqual(const void* iid1, const void* iid2) {
  return std::memcmp(iid1, iid2, sizeof(TUID)) == 0;
}
}  // namespace FUnknownPrivate

enum {
  kNoInterface = -1,
  kResultOk,
  kResultTrue = kResultOk,
  kResultFalse,
  kInvalidArgument,
  kNotImplemented,
  kInternalError,
  kNotInitialized,
  kOutOfMemory
};

class FUnknown {
 public:
  virtual tresult PLUGIN_API queryInterface(const TUID _iid, void** obj) = 0;
  virtual uint32 PLUGIN_API addRef() = 0;
  virtual uint32 PLUGIN_API release() = 0;
};
DECLARE_CLASS_IID(FUnknown, 0x00000000, 0x00000000, 0xC0000000, 0x00000046)

}  // namespace Steinberg
