{
  # The native addon: plain C11 + pthreads + N-API, every native/*.c file.
  # No -march=native: the binary must run on other CPUs of the same architecture. The wide
  # SIMD paths are compiled per function with __attribute__((target(...))) and chosen at run
  # time (native/cpu.c); on non-x86 targets only the portable path is compiled in.
  "targets": [
    {
      "target_name": "recur_native",
      "sources": [
        "<!@(node -p \"require('fs').readdirSync('native').filter(f => f.endsWith('.c')).sort().map(f => 'native/' + f).join(' ')\")"
      ],
      "defines": ["NAPI_VERSION=8"],
      "cflags": ["-O3", "-std=c11", "-pthread", "-fvisibility=hidden", "-Wall", "-Wno-unused-function"],
      "cflags!": ["-O2", "-O1", "-O0", "-Os", "-fno-strict-aliasing"],
      "cflags_c!": ["-std=gnu99", "-std=gnu89"],
      "ldflags": ["-pthread"],
      "libraries": ["-lm"],
      "xcode_settings": {
        "GCC_OPTIMIZATION_LEVEL": "3",
        "OTHER_CFLAGS": ["-std=c11", "-pthread"]
      }
    }
  ]
}
